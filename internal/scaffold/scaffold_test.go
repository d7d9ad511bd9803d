package scaffold

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/manifest"
)

// TestScaffoldsLoad: every shape dist init writes is a dist.yaml that
// loads, with the lockfiles, index and image the options asked for.
func TestScaffoldsLoad(t *testing.T) {
	for _, tc := range []struct {
		o         Options
		lockfiles []string // path:ecosystem
		index     string
		image     *manifest.Image
	}{
		{o: Options{Name: "demo"}, lockfiles: []string{"lockfiles/default.txt:pypi", "lockfiles/constraints.txt:pypi"}, index: "https://pypi.org/simple"},
		{o: Options{Name: "demo", IndexURL: "http://127.0.0.1:8/simple"}, lockfiles: []string{"lockfiles/default.txt:pypi", "lockfiles/constraints.txt:pypi"}, index: "http://127.0.0.1:8/simple"},
		{o: Options{Name: "nats-dist", Ecosystem: "gomod"}, lockfiles: []string{"lockfiles/go.txt:gomod"}},
		{o: Options{Name: "nats-dist", Ecosystem: "gomod", IndexURL: "https://proxy.golang.org,direct", Repository: "ghcr.io/me/nats"},
			lockfiles: []string{"lockfiles/go.txt:gomod"}, index: "https://proxy.golang.org,direct",
			image: &manifest.Image{Repository: "ghcr.io/me/nats", Base: "scratch", Platforms: []string{"linux/amd64"}, User: "65532"}},
		{o: Options{Name: "py", Repository: "ghcr.io/me/py"},
			lockfiles: []string{"lockfiles/default.txt:pypi", "lockfiles/constraints.txt:pypi", "lockfiles/base.txt:oci"}, index: "https://pypi.org/simple",
			image: &manifest.Image{Repository: "ghcr.io/me/py", Base: DefaultPythonBase, Platforms: []string{"linux/amd64"}, User: "65532"}},
		{o: Options{Name: "imgs", Ecosystem: "oci", Base: "cgr.dev/chainguard/static:latest"},
			lockfiles: []string{"lockfiles/base.txt:oci"},
			image:     &manifest.Image{Base: "cgr.dev/chainguard/static:latest", Platforms: []string{"linux/amd64"}, User: "65532"}},
		// Names YAML would read as something else are quoted.
		{o: Options{Name: "y"}, lockfiles: []string{"lockfiles/default.txt:pypi", "lockfiles/constraints.txt:pypi"}, index: "https://pypi.org/simple"},
		{o: Options{Name: "a: b #c"}, lockfiles: []string{"lockfiles/default.txt:pypi", "lockfiles/constraints.txt:pypi"}, index: "https://pypi.org/simple"},
	} {
		files, _, err := skeleton(tc.o)
		if err != nil {
			t.Fatalf("%+v: %v", tc.o, err)
		}
		if files[0].path != "dist.yaml" {
			t.Fatalf("first file %s", files[0].path)
		}
		m, err := manifest.Parse("dist.yaml", []byte(files[0].body))
		if err != nil {
			t.Fatalf("%+v: %v\n%s", tc.o, err, files[0].body)
		}
		if m.Name != tc.o.Name {
			t.Errorf("name %q, want %q", m.Name, tc.o.Name)
		}
		var got []string
		for _, l := range m.Lockfiles {
			got = append(got, l.Path+":"+l.Ecosystem)
		}
		if !reflect.DeepEqual(got, tc.lockfiles) {
			t.Errorf("%+v: lockfiles %v, want %v", tc.o, got, tc.lockfiles)
		}
		if m.Lockfiles[0].Index != tc.index {
			t.Errorf("%+v: index %q, want %q", tc.o, m.Lockfiles[0].Index, tc.index)
		}
		if !reflect.DeepEqual(m.Image, tc.image) {
			t.Errorf("%+v: image %+v, want %+v", tc.o, m.Image, tc.image)
		}
		// Every lockfile dist.yaml names is a file of the scaffold.
		have := map[string]bool{}
		for _, f := range files {
			have[f.path] = true
		}
		for _, l := range m.Lockfiles {
			if !have[l.Path] {
				t.Errorf("%+v: %s is not scaffolded", tc.o, l.Path)
			}
		}
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Name: "x", Ecosystem: "npm"}, `--ecosystem "npm": want pypi, gomod, oci`},
		{Options{Name: "x", Ecosystem: "oci", IndexURL: "https://r.example"}, "--index-url is for pypi and gomod lockfiles"},
		{Options{Name: "x", IndexURL: "pypi.org/simple"}, "--index-url pypi.org/simple: want an http(s) URL"},
		{Options{Name: "x", IndexURL: "https://u:s3cret%zz@h.example/simple"}, "--index-url https://u:***@h.example/simple: want"},
		{Options{Name: "x", Ecosystem: "gomod", IndexURL: "proxy.golang.org"}, "want a GOPROXY list"},
		{Options{Name: "x", Repository: "ghcr.io/me/app:1.0"}, "--image ghcr.io/me/app:1.0: want a repository without a tag"},
		{Options{Name: "x", Base: "python@sha256:abc"}, "--base python@sha256:abc: give NAME[:TAG]"},
		{Options{Name: "x", Base: "Not An Image"}, "--base Not An Image: want scratch or NAME[:TAG]"},
		{Options{Name: " "}, "--name: a distribution needs a name"},
	} {
		_, _, err := skeleton(tc.o)
		var usage *failure.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want a usage error with %q", tc.o, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the password shows: %v", err)
		}
	}
}

// TestInitKeepsAndDryRun: an existing file is kept byte for byte, and a
// dry run writes nothing, not even the directory.
func TestInitKeepsAndDryRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	res, err := Init(dir, Options{Name: "demo", DryRun: true})
	if err != nil || !res.DryRun || len(res.Files) != 7 || len(res.Kept) != 0 {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a dry run made %s: %v", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dist.yaml"), []byte("name: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = Init(dir, Options{Name: "demo", Ecosystem: "gomod"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Kept, []string{"dist.yaml"}) || len(res.Next) != 0 || res.Dir != dir {
		t.Errorf("result %+v", res)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "dist.yaml")); string(data) != "name: mine\n" {
		t.Errorf("dist.yaml overwritten: %q", data)
	}
	// The kept dist.yaml names no go.txt: none is made. VERSION is.
	if want := []string{"VERSION", "CHANGELOG.md", ".gitignore"}; !reflect.DeepEqual(res.Files, want) {
		t.Errorf("created %v, want %v", res.Files, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "lockfiles")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lockfiles/ made beside a kept dist.yaml: %v", err)
	}
}

// TestInitDefaultsAndUsage: without --name the directory names the
// distribution; an option that cannot be scaffolded is a usage error
// (exit 2) that still says which option.
func TestInitDefaultsAndUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kinto-dist")
	if _, err := Init(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "dist.yaml"))
	if err != nil || !strings.Contains(string(b), "name: kinto-dist\n") {
		t.Errorf("dist.yaml: %s %v", b, err)
	}
	_, err = Init(t.TempDir(), Options{Ecosystem: "npm"})
	var usage *failure.UsageError
	if !errors.As(err, &usage) {
		t.Errorf("--ecosystem npm: %#v", err)
	}
}

// The scaffold's dist.yaml sends its reader to README's section of every
// key, which must be there to be found.
func TestManifestPointsToReference(t *testing.T) {
	files, _, err := skeleton(Options{Name: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(files[0].body, "\n")
	_, section, ok := strings.Cut(first, `README, "`)
	section = strings.TrimSuffix(section, `".`)
	if !ok || section == "" {
		t.Fatalf("dist.yaml's first line names no README section: %s", first)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\n## "+section+"\n") {
		t.Errorf("README.md has no section %q, which dist init's dist.yaml points to", section)
	}
}
