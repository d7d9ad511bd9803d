package gitenv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/testenv/gitenv"
)

func snapshot(t *testing.T, dir string) string {
	t.Helper()
	lines, err := gitenv.Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func TestSnapshot(t *testing.T) {
	t.Parallel()
	orig := gitenv.New(t)
	orig.Commit("a", map[string]string{"VERSION": "1.0.0\n", "lockfiles/default.txt": "x\n", ".gitignore": "build/\n"})
	orig.AnnotatedTag("1.0.0", "", "Tagging 1.0.0")
	orig.Write("notes.txt", "untracked\n")
	orig.Write("build/out.bin", "ignored\n")
	setup := func(t *testing.T) *gitenv.Repo {
		g := orig.Copy()
		g.T = t
		return g
	}
	same := []struct {
		name   string
		change func(g *gitenv.Repo)
	}{
		{"nothing", func(g *gitenv.Repo) {}},
		{"an ignored file", func(g *gitenv.Repo) { g.Write("build/out.bin", "rebuilt\n") }},
		{"refs packed", func(g *gitenv.Repo) { g.Git("pack-refs", "--all") }},
		{"objects written", func(g *gitenv.Repo) { g.Git("hash-object", "-w", "notes.txt") }},
		{"file rewritten identically", func(g *gitenv.Repo) { g.Write("VERSION", "1.0.0\n") }},
		{"a nested repository", func(g *gitenv.Repo) {
			gitenv.Init(g.T, filepath.Join(g.Dir, "vendor", "other")).Write("x.txt", "not ours\n")
		}},
	}
	differ := []struct {
		name   string
		change func(g *gitenv.Repo)
	}{
		{"tracked file", func(g *gitenv.Repo) { g.Write("VERSION", "1.0.1\n") }},
		{"tracked file mode", func(g *gitenv.Repo) { os.Chmod(filepath.Join(g.Dir, "VERSION"), 0o755) }},
		{"tracked file deleted", func(g *gitenv.Repo) { os.Remove(filepath.Join(g.Dir, "VERSION")) }},
		{"untracked file", func(g *gitenv.Repo) { g.Write("notes.txt", "changed\n") }},
		{"new untracked file", func(g *gitenv.Repo) { g.Write("VERSION.tmp", "1.0.1\n") }},
		{"index", func(g *gitenv.Repo) { g.Git("update-index", "--chmod=+x", "VERSION") }},
		{"HEAD", func(g *gitenv.Repo) { g.Checkout("1.0.0") }},
		{"new tag", func(g *gitenv.Repo) { g.LightweightTag("1.0.1", "") }},
		{"branch moved", func(g *gitenv.Repo) { g.Commit("b", nil) }},
		{"new branch", func(g *gitenv.Repo) { g.Branch("1.0.x", "") }},
	}
	for _, c := range same {
		t.Run("same/"+c.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			before := snapshot(t, g.Dir)
			c.change(g)
			if after := snapshot(t, g.Dir); after != before {
				t.Errorf("snapshot changed")
			}
		})
	}
	for _, c := range differ {
		t.Run("differ/"+c.name, func(t *testing.T) {
			t.Parallel()
			g := setup(t)
			before := snapshot(t, g.Dir)
			c.change(g)
			if after := snapshot(t, g.Dir); after == before {
				t.Errorf("snapshot did not change")
			}
		})
	}

	t.Run("lines", func(t *testing.T) {
		t.Parallel()
		g := setup(t)
		lines, err := gitenv.Snapshot(filepath.Join(g.Dir, "lockfiles"))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"HEAD ref: refs/heads/main": true}
		for _, l := range lines {
			delete(want, l)
		}
		if len(want) != 0 {
			t.Errorf("missing %v in\n%v", want, lines)
		}
		seen := map[string]bool{}
		for _, l := range lines {
			for _, p := range []string{"file VERSION ", "untracked notes.txt ", "ref refs/tags/1.0.0 " + g.RevParse("refs/tags/1.0.0"), "index ", "untracked build/"} {
				if len(l) >= len(p) && l[:len(p)] == p {
					seen[p] = true
				}
			}
		}
		for _, p := range []string{"file VERSION ", "untracked notes.txt ", "ref refs/tags/1.0.0 " + g.RevParse("refs/tags/1.0.0"), "index "} {
			if !seen[p] {
				t.Errorf("no line %q", p)
			}
		}
		if seen["untracked build/"] {
			t.Error("an ignored file is in the snapshot")
		}
	})
}
