package gitrepo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/testenv/gitenv"
)

func TestFileAt(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	c1 := g.Commit("one", map[string]string{"lockfiles/default.txt": "kinto==13.6.5\n", "VERSION": "1.0.0\n"})
	g.AnnotatedTag("1.0.0", "", "Tagging 1.0.0")
	if err := os.Symlink("lockfiles/default.txt", filepath.Join(g.Dir, "link")); err != nil {
		t.Fatal(err)
	}
	g.Git("add", "link")
	g.Commit("two", map[string]string{"lockfiles/default.txt": "kinto==14.3.0\n"})
	g.LightweightTag("light", "")
	g.Commit("three", map[string]string{"lockfiles/default.txt": "kinto==14.3.1\n"})
	// The work tree differs from every commit: FileAt must not read it.
	write(t, filepath.Join(g.Dir, "lockfiles", "default.txt"), "kinto==99\n")

	for _, packed := range []bool{false, true} {
		if packed {
			g.GC()
		}
		r := open(t, g.Dir)
		for _, c := range []struct{ rev, path string }{
			{"1.0.0", "lockfiles/default.txt"},
			{"refs/tags/1.0.0", "lockfiles/default.txt"},
			{"light", "lockfiles/default.txt"},
			{"HEAD", "lockfiles/default.txt"},
			{"HEAD~1", "lockfiles/default.txt"},
			{"main", "VERSION"},
			{c1, "VERSION"},
			{c1[:10], "VERSION"},
			{"HEAD", "link"},
		} {
			got, ok, err := r.FileAt(c.rev, c.path)
			if err != nil || !ok {
				t.Errorf("FileAt(%s, %s): %v %v", c.rev, c.path, ok, err)
				continue
			}
			shown := c.path
			if c.path == "link" {
				// A link is followed to the file it names, in the same
				// commit, as the work tree reads it.
				shown = "lockfiles/default.txt"
			}
			if want := g.Git("show", c.rev+":"+shown); string(got) != want+"\n" && string(got) != want {
				t.Errorf("FileAt(%s, %s) = %q, git show says %q", c.rev, c.path, got, want)
			}
		}
		if got, _, _ := r.FileAt("HEAD", "./lockfiles//default.txt"); string(got) != "kinto==14.3.1\n" {
			t.Errorf("unclean path read %q", got)
		}
		for _, p := range []string{"missing.txt", "lockfiles/missing.txt", "nodir/x", "VERSION/x"} {
			if _, ok, err := r.FileAt("HEAD", p); ok || err != nil {
				t.Errorf("FileAt(HEAD, %s) = %v, %v; want absent", p, ok, err)
			}
		}
		if _, ok, err := r.FileAt("1.0.0", "link"); ok || err != nil {
			t.Errorf("link before it existed: %v %v", ok, err)
		}
		if _, _, err := r.FileAt("HEAD", "lockfiles"); err == nil {
			t.Error("a directory read as a file")
		}
		if _, _, err := r.FileAt("no-such-rev", "VERSION"); err == nil {
			t.Error("an unknown revision was accepted")
		}
		if h, err := r.ResolveCommit("1.0.0"); err != nil || h != c1 {
			t.Errorf("ResolveCommit(1.0.0) = %s, %v", h, err)
		}
	}
}

func TestFileAtLinkOutside(t *testing.T) {
	g := gitenv.New(t)
	g.Commit("one", map[string]string{"VERSION": "1.0.0\n"})
	if err := os.Symlink("../shared/default.txt", filepath.Join(g.Dir, "default.txt")); err != nil {
		t.Fatal(err)
	}
	g.Git("add", "default.txt")
	g.Commit("two", nil)
	r := open(t, g.Dir)
	_, _, err := r.FileAt("HEAD", "default.txt")
	if err == nil || !strings.Contains(err.Error(), "HEAD:default.txt is a symbolic link to ../shared/default.txt, outside the repository") {
		t.Errorf("got %v", err)
	}
}

// TestFileAtIn: a path relative to a subdirectory (dist.yaml's) is read
// where git has it, not at the root, which holds a different file.
func TestFileAtIn(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("one", map[string]string{"VERSION": "9.9.9\n", "d/VERSION": "1.0.0\n"})
	r := open(t, g.Dir)
	for _, c := range []struct{ dir, want string }{
		{g.Dir, "9.9.9\n"},
		{filepath.Join(g.Dir, "d"), "1.0.0\n"},
	} {
		got, ok, err := r.FileAtIn("HEAD", c.dir, "VERSION")
		if err != nil || !ok || string(got) != c.want {
			t.Errorf("FileAtIn(HEAD, %s, VERSION) = %q, %v, %v; want %q", c.dir, got, ok, err, c.want)
		}
	}
	if _, ok, err := r.FileAtIn("HEAD", filepath.Join(g.Dir, "d"), "CHANGELOG.md"); ok || err != nil {
		t.Errorf("absent file: %v, %v", ok, err)
	}
}
