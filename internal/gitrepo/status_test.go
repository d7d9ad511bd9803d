package gitrepo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

func TestDirtyPaths(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"VERSION":               "1.0.0.dev0\n",
		"CHANGELOG.md":          "# Changelog\n",
		"lockfiles/default.txt": "kinto==14.3.0\n",
		"deep/a/b/c.txt":        "c\n",
		"script.sh":             "#!/bin/sh\n",
	}
	cases := []struct {
		name   string
		change func(g *gitenv.Repo)
		want   []string
	}{
		{"clean", func(g *gitenv.Repo) {}, nil},
		{"untracked files do not count", func(g *gitenv.Repo) {
			g.Write("new.txt", "x")
			g.Write("deep/a/new.txt", "x")
		}, nil},
		{"ignored files do not count", func(g *gitenv.Repo) {
			g.Write(".git/info/exclude", "build/\n")
			g.Write("build/out", "x")
		}, nil},
		{"modified", func(g *gitenv.Repo) { g.Write("VERSION", "1.0.0\n") }, []string{"VERSION"}},
		{"modified deep, same size", func(g *gitenv.Repo) { g.Write("deep/a/b/c.txt", "d\n") }, []string{"deep/a/b/c.txt"}},
		{"deleted", func(g *gitenv.Repo) { os.Remove(filepath.Join(g.Dir, "CHANGELOG.md")) }, []string{"CHANGELOG.md"}},
		{"directory deleted", func(g *gitenv.Repo) { os.RemoveAll(filepath.Join(g.Dir, "deep")) }, []string{"deep/a/b/c.txt"}},
		{"staged, work tree put back", func(g *gitenv.Repo) {
			g.Write("VERSION", "2.0.0\n")
			g.Git("add", "VERSION")
			g.Write("VERSION", "1.0.0.dev0\n")
		}, []string{"VERSION"}},
		{"staged new file", func(g *gitenv.Repo) {
			g.Write("added.txt", "x")
			g.Git("add", "added.txt")
		}, []string{"added.txt"}},
		{"intent to add", func(g *gitenv.Repo) {
			g.Write("later.txt", "x")
			g.Git("add", "-N", "later.txt")
		}, []string{"later.txt"}},
		{"staged removal", func(g *gitenv.Repo) { g.Git("rm", "-q", "--cached", "VERSION") }, []string{"VERSION"}},
		{"executable bit", func(g *gitenv.Repo) { os.Chmod(filepath.Join(g.Dir, "script.sh"), 0o755) }, []string{"script.sh"}},
		{"executable bit, core.filemode=false", func(g *gitenv.Repo) {
			g.Git("config", "core.fileMode", "false")
			os.Chmod(filepath.Join(g.Dir, "script.sh"), 0o755)
		}, nil},
		{"touched, same content", func(g *gitenv.Repo) {
			future := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(g.Dir, "VERSION"), future, future)
		}, nil},
		{"file replaced by a symlink", func(g *gitenv.Repo) {
			os.Remove(filepath.Join(g.Dir, "CHANGELOG.md"))
			os.Symlink("VERSION", filepath.Join(g.Dir, "CHANGELOG.md"))
		}, []string{"CHANGELOG.md"}},
		{"file replaced by a directory", func(g *gitenv.Repo) {
			os.Remove(filepath.Join(g.Dir, "VERSION"))
			g.Write("VERSION/inner", "x")
		}, []string{"VERSION"}},
		{"racily clean: same size and mtime, index not newer", func(g *gitenv.Repo) {
			p := filepath.Join(g.Dir, "VERSION")
			fi, _ := os.Stat(p)
			g.Write("VERSION", "9.9.9.dev0\n")
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
			// An index written in the same instant as the file cannot vouch
			// for it: git, and DirtyPaths, must read the content.
			os.Chtimes(filepath.Join(g.Dir, ".git", "index"), fi.ModTime(), fi.ModTime())
		}, []string{"VERSION"}},
	}
	orig := gitenv.New(t)
	orig.Commit("base", base)
	if got := gitDirty(t, orig); len(got) != 0 {
		t.Fatalf("setup left %v", got)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := orig.Copy()
			g.T = t
			c.change(g)
			got := dirty(t, g.Dir)
			if !slices.Equal(got, c.want) {
				t.Errorf("DirtyPaths = %v, want %v", got, c.want)
			}
			if oracle := gitDirty(t, g); !slices.Equal(oracle, c.want) {
				t.Errorf("git status says %v, the test expects %v", oracle, c.want)
			}
		})
	}
}

func TestDirtyPathsSpecial(t *testing.T) {
	t.Parallel()
	t.Run("unborn branch", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		if got := dirty(t, g.Dir); len(got) != 0 {
			t.Errorf("empty repository: %v", got)
		}
		g.Write("a.txt", "a")
		g.Git("add", "a.txt")
		if got := dirty(t, g.Dir); !slices.Equal(got, []string{"a.txt"}) {
			t.Errorf("staged on an unborn branch: %v", got)
		}
	})
	t.Run("merge conflict", func(t *testing.T) {
		t.Parallel()
		g := gitenv.New(t)
		g.Commit("base", map[string]string{"VERSION": "1\n"})
		g.Git("checkout", "-q", "-b", "other")
		g.Commit("other", map[string]string{"VERSION": "2\n"})
		g.Checkout("main")
		g.Commit("mine", map[string]string{"VERSION": "3\n"})
		if _, err := g.TryGit("merge", "other"); err == nil {
			t.Fatal("the merge should conflict")
		}
		got := dirty(t, g.Dir)
		if !slices.Equal(got, []string{"VERSION"}) || !slices.Equal(gitDirty(t, g), got) {
			t.Errorf("conflict: %v, git says %v", got, gitDirty(t, g))
		}
	})
	t.Run("no cache tree", func(t *testing.T) {
		t.Parallel()
		// read-tree leaves an index without the cache-tree extension, so
		// the comparison with HEAD walks every tree.
		g := gitenv.New(t)
		g.Commit("base", map[string]string{"a/b.txt": "b", "c.txt": "c"})
		g.Git("read-tree", "HEAD")
		if got := dirty(t, g.Dir); len(got) != 0 {
			t.Errorf("clean: %v", got)
		}
		g.Write("a/b.txt", "B")
		g.Git("add", "a/b.txt")
		if got := dirty(t, g.Dir); !slices.Equal(got, []string{"a/b.txt"}) {
			t.Errorf("staged: %v", got)
		}
	})
	t.Run("submodule", func(t *testing.T) {
		t.Parallel()
		sub := gitenv.New(t)
		s1 := sub.Commit("s1", map[string]string{"s.txt": "1"})
		g := gitenv.New(t)
		g.Commit("base", map[string]string{"VERSION": "1\n"})
		g.Git("-c", "protocol.file.allow=always", "submodule", "-q", "add", sub.Dir, "vendor/sub")
		g.Commit("add submodule", nil)
		if got := dirty(t, g.Dir); len(got) != 0 {
			t.Errorf("clean with a submodule: %v (git: %v)", got, gitDirty(t, g))
		}
		sub.Commit("s2", map[string]string{"s.txt": "2"})
		gitenv.Git(t, filepath.Join(g.Dir, "vendor", "sub"), "pull", "-q", "origin", "main")
		if got := dirty(t, g.Dir); !slices.Equal(got, []string{"vendor/sub"}) || !slices.Equal(gitDirty(t, g), got) {
			t.Errorf("moved submodule: %v, git says %v (was at %s)", got, gitDirty(t, g), s1)
		}
	})
}

// TestDirtyPathsLargeTree checks correctness on a tree big enough for the
// parallel path and the cache-tree shortcuts, against git status.
func TestDirtyPathsLargeTree(t *testing.T) {
	t.Parallel()
	g := gitenv.MustGenerate(t, gitenv.Spec{Commits: 3, Tags: 1, Files: 1200})
	if got := dirty(t, g.Dir); len(got) != 0 {
		t.Fatalf("clean: %v", got[:min(len(got), 5)])
	}
	for i := 0; i < 1200; i += 151 {
		g.Write(fmt.Sprintf("src/f%04d.txt", i), "changed\n")
	}
	g.Git("add", "src/f0000.txt")
	got := dirty(t, g.Dir)
	if want := gitDirty(t, g); !slices.Equal(got, want) || len(got) != 8 {
		t.Errorf("DirtyPaths = %v\ngit status  = %v", got, want)
	}
}

func BenchmarkDirtyPaths(b *testing.B) {
	dir := b.TempDir()
	if err := gitenv.Generate(dir, gitenv.Spec{Commits: 2, Tags: 1, Files: 20000}); err != nil {
		b.Fatal(err)
	}
	b.Run("dist", func(b *testing.B) {
		r, err := openBench(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		for i := 0; i < b.N; i++ {
			if paths, err := r.DirtyPaths(); err != nil || len(paths) != 0 {
				b.Fatal(paths, err)
			}
		}
	})
	b.Run("go-git-status", func(b *testing.B) {
		r, err := openBench(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		w, err := r.Go().Worktree()
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if st, err := w.Status(); err != nil || !st.IsClean() {
				b.Fatal(err)
			}
		}
	})
}

func openBench(dir string) (*gitrepo.Repo, error) { return gitrepo.Open(dir) }
