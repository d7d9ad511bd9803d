package lock_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// A "name @ URL --hash=…" line is a pin like any other for completeness:
// what requires it is met, and what it requires is read from its file
// (online, then from the cache alone).
func TestURLPinsInTheSet(t *testing.T) {
	idx := pyindex.Start(t,
		pyindex.Project{Name: "app", Versions: []pyindex.Release{{Version: "1.0", RequiresDist: []string{"teamlib>=1"}}}},
		pyindex.Project{Name: "dep", Versions: []pyindex.Release{{Version: "1.0"}}})
	built, err := pyindex.New(pyindex.Project{Name: "teamlib", Versions: []pyindex.Release{{Version: "1.0",
		RequiresDist: []string{"dep>=1", "missing"}, Files: []pyindex.File{pyindex.Wheel("py3-none-any")}}}})
	if err != nil {
		t.Fatal(err)
	}
	whl := built.Artifacts("teamlib", "1.0")[0]
	dir := t.TempDir()
	wheel := filepath.Join(dir, "wheels", whl.Filename)
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(wheel, string(whl.Data))
	write(filepath.Join(dir, "dist.yaml"), "name: x\nlockfiles:\n  - path: lockfiles/default.txt\n    ecosystem: pypi\n    python_version: [\"3.12\"]\n")
	pins, err := idx.Lockfile("app==1.0", "dep==1.0")
	if err != nil {
		t.Fatal(err)
	}
	urlLine := fmt.Sprintf("teamlib @ %s --hash=%s\n", fetch.FileURL(wheel), whl.SHA256)

	verify := func(t *testing.T, content string, offline bool) []string {
		t.Helper()
		write(filepath.Join(dir, "lockfiles", "default.txt"), content)
		m, err := manifest.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		client := fetch.New(fetch.Options{CacheDir: filepath.Join(dir, ".cache"), RetryWaitMin: time.Millisecond})
		all, err := lockset.Load(m, "", opener.New(client, opener.Settings{IndexURL: idx.IndexURL()}))
		if err != nil {
			t.Fatal(err)
		}
		set, err := lockset.NewPySet(m, all)
		if err != nil {
			t.Fatal(err)
		}
		res, err := lock.Verify(context.Background(), all, lock.VerifyOptions{Set: set, Offline: offline})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range res.Problems {
			out = append(out, p.String())
		}
		return out
	}
	want := "lockfiles/default.txt:7: teamlib 1.0 requires missing (python 3.12, linux/amd64): not pinned"
	for _, offline := range []bool{false, true} {
		got := verify(t, pins+urlLine, offline)
		if len(got) != 1 || got[0] != want {
			t.Errorf("offline=%v: %q, want only %q", offline, got, want)
		}
	}

	// The file is checked against the line's hash as it is read.
	bad := strings.Replace(urlLine, whl.SHA256, "sha256:"+strings.Repeat("0", 64), 1)
	got := verify(t, pins+bad, false)
	if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "lockfiles/default.txt:7: teamlib 1.0: cannot read its requirements") || !strings.Contains(got[len(got)-1], "hash mismatch") {
		t.Errorf("wrong hash: %q", got)
	}
}
