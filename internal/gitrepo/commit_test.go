package gitrepo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

func TestCommit(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	parent := g.Commit("base", map[string]string{
		"VERSION":               "1.0.0.dev0\n",
		"CHANGELOG.md":          "## 1.0.0 (unreleased)\n",
		"lockfiles/default.txt": "kinto==14.3.0\n",
		"old/gone.txt":          "bye\n",
		"other.txt":             "other\n",
	})
	g.GC() // the branch is in packed-refs only: the update must still work
	// Staged but not ours: must stay staged and out of the commit.
	g.Write("other.txt", "staged by someone\n")
	g.Git("add", "other.txt")
	// Untracked: must stay untracked.
	g.Write("untracked.txt", "u\n")

	g.Write("VERSION", "1.0.0\n")
	g.Write("CHANGELOG.md", "## 1.0.0 (2030-01-02)\n")
	g.Write("notes/1.0.0.md", "new file in a new directory\n")
	if err := os.Remove(filepath.Join(g.Dir, "old", "gone.txt")); err != nil {
		t.Fatal(err)
	}
	g.Write("run.sh", "#!/bin/sh\n")
	os.Chmod(filepath.Join(g.Dir, "run.sh"), 0o755)

	r := open(t, g.Dir)
	hash, err := r.Commit("Preparing release 1.0.0", []string{"VERSION", "CHANGELOG.md", "notes/1.0.0.md", "old/gone.txt", "./run.sh"})
	if err != nil {
		t.Fatal(err)
	}
	if hash != g.Head() || g.Git("rev-parse", "--abbrev-ref", "HEAD") != "main" {
		t.Fatalf("commit %s, HEAD %s", hash, g.Head())
	}
	raw := g.Git("cat-file", "commit", hash)
	wantHead := fmt.Sprintf("tree %s\nparent %s\nauthor %s <%s> 1800000000 +0000\ncommitter %s <%s> 1800000000 +0000\n\nPreparing release 1.0.0",
		g.RevParse(hash+"^{tree}"), parent, gitenv.Name, gitenv.Email, gitenv.Name, gitenv.Email)
	if raw != wantHead {
		t.Errorf("commit object:\n%s\nwant:\n%s", raw, wantHead)
	}
	if got := g.Git("log", "-1", "--format=%B"); got != "Preparing release 1.0.0\n" && got != "Preparing release 1.0.0" {
		t.Errorf("message %q", got)
	}
	changed := g.Git("show", "--name-status", "--format=", hash)
	wantChanged := "M\tCHANGELOG.md\nM\tVERSION\nA\tnotes/1.0.0.md\nD\told/gone.txt\nA\trun.sh"
	if changed != wantChanged {
		t.Errorf("git show --name-status:\n%s\nwant:\n%s", changed, wantChanged)
	}
	if mode := g.Git("ls-tree", hash, "run.sh"); !strings.HasPrefix(mode, "100755 ") {
		t.Errorf("run.sh: %s", mode)
	}
	if got := g.Git("show", hash+":other.txt"); got != "other" {
		t.Errorf("someone's staged change was committed: %q", got)
	}
	// The index agrees: only the unrelated staged change remains, and git
	// sees the committed files as unchanged without rehashing them.
	if st := g.Git("status", "--porcelain"); st != "M  other.txt\n?? untracked.txt" {
		t.Errorf("git status after commit:\n%s", st)
	}
	if got := dirty(t, g.Dir); !slices.Equal(got, []string{"other.txt"}) {
		t.Errorf("DirtyPaths after commit: %v", got)
	}
	// git's own tree for the same index equals ours once the staged
	// change is taken back out.
	g.Git("reset", "-q", "other.txt")
	if wt := g.Git("write-tree"); wt != g.RevParse("HEAD^{tree}") {
		t.Errorf("git write-tree %s, commit tree %s", wt, g.RevParse("HEAD^{tree}"))
	}
	fsck(t, g)

	// Nothing changed: refused, nothing written.
	before := g.Head()
	_, err = open(t, g.Dir).Commit("again", []string{"VERSION"})
	isErr(t, err, gitrepo.ErrNothingToDo)
	if g.Head() != before {
		t.Error("HEAD moved on a refused commit")
	}
}

func TestCommitPlaces(t *testing.T) {
	t.Parallel()
	t.Run("first commit", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		g.Write("VERSION", "0.1.0.dev0\n")
		g.Write("dist.yaml", "name: x\n")
		hash, err := open(t, g.Dir).Commit("Initial", []string{"VERSION", "dist.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Git("rev-list", "--count", "HEAD"); got != "1" || g.Head() != hash {
			t.Errorf("rev-list %s, HEAD %s", got, g.Head())
		}
		if st := g.Git("status", "--porcelain"); st != "" {
			t.Errorf("status: %s", st)
		}
		fsck(t, g)
	})
	t.Run("detached HEAD", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		c := g.Commit("a", map[string]string{"VERSION": "1\n"})
		g.Commit("b", nil)
		g.Checkout(c)
		g.Write("VERSION", "2\n")
		hash, err := open(t, g.Dir).Commit("detached", []string{"VERSION"})
		if err != nil {
			t.Fatal(err)
		}
		if g.Head() != hash || g.RevParse("main") == hash {
			t.Errorf("detached commit %s: HEAD %s, main %s", hash, g.Head(), g.RevParse("main"))
		}
		if _, err := g.TryGit("symbolic-ref", "-q", "HEAD"); err == nil {
			t.Error("HEAD became symbolic")
		}
	})
	t.Run("linked worktree", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		g.Commit("a", map[string]string{"VERSION": "1.0.0\n"})
		wt := g.AddWorktree("1.0.x")
		wt.Write("VERSION", "1.0.1\n")
		hash, err := open(t, wt.Dir).Commit("Preparing release 1.0.1", []string{"VERSION"})
		if err != nil {
			t.Fatal(err)
		}
		if g.RevParse("1.0.x") != hash || g.RevParse("main") == hash {
			t.Errorf("branch 1.0.x %s, main %s, commit %s", g.RevParse("1.0.x"), g.RevParse("main"), hash)
		}
		if st := wt.Git("status", "--porcelain"); st != "" {
			t.Errorf("worktree status: %s", st)
		}
		if st := g.Git("status", "--porcelain"); st != "" {
			t.Errorf("main status: %s", st)
		}
		fsck(t, g)
	})
	t.Run("index locked", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		g.Commit("a", map[string]string{"VERSION": "1\n"})
		g.Write("VERSION", "2\n")
		g.Write(".git/index.lock", "")
		before := g.Head()
		_, err := open(t, g.Dir).Commit("x", []string{"VERSION"})
		isErr(t, err, gitrepo.ErrLocked)
		if g.Head() != before {
			t.Error("HEAD moved")
		}
		if _, err := os.Stat(filepath.Join(g.Dir, ".git", "index.lock")); err != nil {
			t.Error("someone else's lock was removed")
		}
	})
	t.Run("bad paths", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		g.Commit("a", map[string]string{"d/f": "1\n"})
		r := open(t, g.Dir)
		for _, p := range []string{"d", ".git/config", ""} {
			if _, err := r.Commit("x", []string{p}); err == nil {
				t.Errorf("Commit(%q) accepted", p)
			}
		}
		if _, err := r.Commit("", []string{"d/f"}); err == nil {
			t.Error("empty message accepted")
		}
		if _, err := os.Stat(filepath.Join(g.Dir, ".git", "index.lock")); err == nil {
			t.Error("index.lock left behind")
		}
	})
	t.Run("file replaces directory", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		g.Commit("a", map[string]string{"conf/a.ini": "a\n", "conf/b.ini": "b\n", "keep.txt": "k\n"})
		os.RemoveAll(filepath.Join(g.Dir, "conf"))
		g.Write("conf", "now a file\n")
		if _, err := open(t, g.Dir).Commit("flatten", []string{"conf"}); err != nil {
			t.Fatal(err)
		}
		if got := g.Git("ls-tree", "-r", "--name-only", "HEAD"); got != "conf\nkeep.txt" {
			t.Errorf("tree:\n%s", got)
		}
		if st := g.Git("status", "--porcelain"); st != "" {
			t.Errorf("status: %s", st)
		}
		fsck(t, g)
	})
}
