package manifest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

func TestVersion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		yaml    string
		content *string // nil: no file
		want    string  // the version's Raw, or the error
	}{
		{"trimmed", "name: x\n", ptr("  1.0.1.dev0\n\n"), "1.0.1.dev0"},
		{"version_file", "name: x\nversion_file: meta/RELEASE\n", ptr("2.0.0\n"), "2.0.0"},
		{"empty", "name: x\n", ptr(" \n"), "VERSION:1: empty version file"},
		{"not a version", "name: x\n", ptr("one.two\n"), `VERSION:1: "one.two" is not a PEP 440 version`},
		{"missing", "name: x\n", nil, "VERSION: no such file or directory"},
		{"outside", "name: x\nversion_file: ../VERSION\n", nil, "dist.yaml:2: version_file ../VERSION: is outside the repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.content != nil {
				p := filepath.Join(dir, "VERSION")
				if tc.name == "version_file" {
					p = filepath.Join(dir, "meta", "RELEASE")
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(p, []byte(*tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := Load(dir)
			if err != nil {
				if err.Error() != tc.want {
					t.Fatalf("Load: %v, want %q", err, tc.want)
				}
				return
			}
			v, err := m.Version()
			if err != nil {
				var fe *fileerr.Error
				if !errors.As(err, &fe) {
					t.Errorf("%v is a %T, want a *fileerr.Error (exit 2)", err, err)
				}
				if err.Error() != tc.want {
					t.Errorf("got %q, want %q", err, tc.want)
				}
				// The message drops the path it already names; the
				// cause stays for errors.Is.
				if tc.content == nil && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%v: errors.Is(fs.ErrNotExist) = false", err)
				}
				return
			}
			if v.Raw != tc.want {
				t.Errorf("got %q, want %q", v.Raw, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestVersionAt: VERSION as a commit has it, in dist.yaml's directory (a
// subdirectory here), parsed as the work tree's; an unparsable one is an
// error at REV:VERSION:1, a missing one is not found.
func TestVersionAt(t *testing.T) {
	g := gitenv.New(t)
	g.Commit("one", map[string]string{"d/dist.yaml": "name: x\n", "d/VERSION": " 1.0.0\n", "VERSION": "9.9.9\n"})
	g.Commit("two", map[string]string{"d/VERSION": "banana\n"})
	g.Git("rm", "-q", "d/VERSION")
	g.Git("commit", "-qm", "three")
	repo, err := gitrepo.Open(g.Dir, gitrepo.WithEnviron(gitenv.Env()))
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	m, err := Load(filepath.Join(g.Dir, "d"))
	if err != nil {
		t.Fatal(err)
	}

	v, ok, err := m.VersionAt(repo, "HEAD~2")
	if err != nil || !ok || v.Raw != "1.0.0" {
		t.Errorf("HEAD~2: %q %v %v, want 1.0.0", v.Raw, ok, err)
	}
	_, ok, err = m.VersionAt(repo, "HEAD~1")
	var fe *fileerr.Error
	if ok || !errors.As(err, &fe) || err.Error() != `HEAD~1:VERSION:1: "banana" is not a PEP 440 version` {
		t.Errorf("HEAD~1: %v %v", ok, err)
	}
	if _, ok, err := m.VersionAt(repo, "HEAD"); ok || err != nil {
		t.Errorf("HEAD has none: %v %v", ok, err)
	}
	if _, _, err := m.VersionAt(repo, "no-such-rev"); err == nil {
		t.Error("an unknown revision was accepted")
	}
}
