package gitrepo_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

// Every ref dist writes goes through NAME.lock and a rename, as git's do:
// a held lock stops the update and leaves the ref as it was, and a
// finished update leaves no lock behind.
func TestRefUpdatesTakeTheLock(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	before := g.Commit("base", map[string]string{"VERSION": "1.0.0.dev0\n"})
	branch := filepath.Join(g.Dir, ".git", "refs", "heads", "main")
	if _, err := os.Stat(branch); err != nil {
		t.Skipf("branch not loose: %v", err)
	}
	r := open(t, g.Dir)

	// Held by "another git": the commit fails naming the lock, the
	// branch is untouched and the lock is not ours to remove.
	if err := os.WriteFile(branch+".lock", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	g.Write("VERSION", "1.0.0\n")
	_, err := r.Commit("Preparing release 1.0.0", []string{"VERSION"})
	if !errors.Is(err, gitrepo.ErrRefLocked) || !strings.Contains(err.Error(), "main.lock exists") {
		t.Fatalf("commit under a held lock: %v", err)
	}
	if got := strings.TrimSpace(g.Git("rev-parse", "main")); got != before {
		t.Fatalf("main moved to %s under a held lock", got)
	}
	if _, err := os.Stat(branch + ".lock"); err != nil {
		t.Fatalf("someone else's lock was removed: %v", err)
	}
	os.Remove(branch + ".lock")
	os.Remove(filepath.Join(g.Dir, ".git", "index.lock"))

	hash, err := r.Commit("Preparing release 1.0.0", []string{"VERSION"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(g.Git("rev-parse", "main")); got != hash {
		t.Fatalf("main is %s, want %s", got, hash)
	}
	if _, err := os.Stat(branch + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock left behind: %v", err)
	}

	tagRef := filepath.Join(g.Dir, ".git", "refs", "tags", "1.0.0")
	os.MkdirAll(filepath.Dir(tagRef), 0o755)
	if err := os.WriteFile(tagRef+".lock", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateAnnotatedTag("1.0.0", "Tagging 1.0.0", nil); !errors.Is(err, gitrepo.ErrRefLocked) {
		t.Fatalf("tag under a held lock: %v", err)
	}
	os.Remove(tagRef + ".lock")
	tag, err := r.CreateAnnotatedTag("1.0.0", "Tagging 1.0.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(g.Git("cat-file", "-t", "1.0.0")); got != "tag" {
		t.Fatalf("1.0.0 is a %s", got)
	}
	if got := strings.TrimSpace(g.Git("rev-parse", "1.0.0^{commit}")); got != hash || tag.Commit != hash {
		t.Fatalf("1.0.0 peels to %s, want %s", got, hash)
	}
	if got := g.Git("cat-file", "tag", "1.0.0"); !strings.HasSuffix(strings.TrimSpace(got), "\n\nTagging 1.0.0") {
		t.Fatalf("tag object:\n%s", got)
	}
	g.Git("fsck", "--strict")
	if _, err := r.CreateAnnotatedTag("1.0.0", "again", nil); !errors.Is(err, gitrepo.ErrTagExists) {
		t.Fatalf("second tag: %v", err)
	}
}
