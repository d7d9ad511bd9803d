package gitinfo

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/image/imagetest"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{"sub/f": "x"})
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", 5*3600))
	want := imagetest.Commit(t, dir, when)

	for _, d := range []string{dir, filepath.Join(dir, "sub")} {
		h, err := Read(d)
		if err != nil {
			t.Fatal(err)
		}
		if h.Commit != want || !h.Time.Equal(when) || h.Time.Location() != time.UTC {
			t.Errorf("%s: got %+v, want %s at %s", d, h, want, when.UTC())
		}
	}

	// A linked worktree reads its own HEAD through the common git dir.
	wt := filepath.Join(t.TempDir(), "wt")
	imagetest.Run(t, dir, nil, "git", "worktree", "add", "-q", "--detach", wt)
	if h, err := Read(wt); err != nil || h.Commit != want {
		t.Errorf("worktree: %+v %v", h, err)
	}

	if _, err := Read(t.TempDir()); !errors.Is(err, ErrNotRepository) {
		t.Errorf("outside git: %v", err)
	}
	empty := t.TempDir()
	imagetest.Run(t, empty, nil, "git", "init", "-q")
	if _, err := Read(empty); err == nil {
		t.Error("a repository without commits has a HEAD")
	}
}
