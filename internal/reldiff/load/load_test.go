package load

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
)

// TestFromTag: without a registry, a version is read from its release tag
// (tag_format spelled), a tag from itself; pins of the dependencies:
// lockfile are indirect, as dist plan says.
// tagged makes a distribution released as v1.0.0 (tag_format v{version})
// and returns its directory and a writer of its files.
func tagged(t *testing.T) (string, func(name, data string)) {
	dir := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dist.yaml", "name: app\ntag_format: v{version}\nlockfiles:\n"+
		"  - {path: lockfiles/default.txt, ecosystem: pypi, dependencies: lockfiles/constraints.txt}\n"+
		"  - {path: lockfiles/constraints.txt, ecosystem: pypi}\n"+
		"configs: [{template: t.tmpl, output: config/app.ini}]\n")
	write("VERSION", "1.0.0\n")
	write("CHANGELOG.md", "# Changelog\n\n## 1.0.0 (2026-01-02)\n\n- First.\n")
	write("t.tmpl", "")
	write("config/app.ini", "[app]\nx = 1\n")
	write("lockfiles/default.txt", "kinto==14.3.0 \\\n    --hash=sha256:aa\n")
	write("lockfiles/constraints.txt", "webob==1.8.7 \\\n    --hash=sha256:bb\n    # via kinto\n")
	imagetest.Commit(t, dir, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	imagetest.Run(t, dir, nil, "git", "tag", "v1.0.0")

	return dir, write
}

// open loads dir's dist.yaml and opens its repository, closed when the
// test ends.
func open(t *testing.T, dir string) Options {
	t.Helper()
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	return Options{Manifest: m, Git: repo}
}

func TestFromTag(t *testing.T) {
	dir, _ := tagged(t)
	o := open(t, dir)
	for _, ref := range []string{"1.0.0", "v1.0.0"} {
		r, err := Release(context.Background(), ref, o)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if r.Name != "app" || r.Version != "1.0.0" || r.Ref != ref || len(r.Lockfiles) != 2 || len(r.Configs) != 1 || len(r.Changelog.Data) == 0 {
			t.Errorf("%s: %+v", ref, r)
		}
		if r.Indirect("lockfiles/default.txt", "kinto") || !r.Indirect("lockfiles/constraints.txt", "webob") || r.Indirect("lockfiles/other.txt", "x") {
			t.Errorf("%s: indirect pins wrong", ref)
		}
	}
	var nf *NotFoundError
	if _, err := Release(context.Background(), "2.0.0", o); !errors.As(err, &nf) || nf.Looked != "git tag 2.0.0, git tag v2.0.0" {
		t.Errorf("2.0.0: %v", err)
	}
}

// TestDiff: dist diff between two release tags, and its errors sorted by
// exit code: a name that is nothing is a usage error, a registry that
// cannot be asked a failed check.
func TestDiff(t *testing.T) {
	dir, write := tagged(t)
	write("VERSION", "1.1.0\n")
	write("CHANGELOG.md", "# Changelog\n\n## 1.1.0 (2026-02-01)\n\n- kinto 14.4.\n\n## 1.0.0 (2026-01-02)\n\n- First.\n")
	write("lockfiles/default.txt", "kinto==14.4.0 \\\n    --hash=sha256:cc\n")
	imagetest.Commit(t, dir, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	imagetest.Run(t, dir, nil, "git", "tag", "v1.1.0")
	ctx := context.Background()
	o := open(t, dir)

	res, err := Diff(ctx, "1.0.0", "v1.1.0", o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pins) != 1 || res.Pins[0].Name != "kinto" || res.Pins[0].Level != "minor" || len(res.Changelog) != 1 {
		t.Errorf("1.0.0 to 1.1.0: %+v", res)
	}

	var usage *failure.UsageError
	var nf *NotFoundError
	if _, err := Diff(ctx, "1.0.0", "2.0.0", o); !errors.As(err, &usage) || !errors.As(err, &nf) {
		t.Errorf("2.0.0: %#v", err)
	}
	// With image.repository on a registry that is not there, the image is
	// asked first; a tag is then read from git, with a note, and a name
	// that is no tag is a failed check.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	o.Manifest.Image = &manifest.Image{Repository: "127.0.0.1:1/app"}
	o.Client = regclient.New(regclient.Options{})
	var notes []string
	o.Note = func(msg string) { notes = append(notes, msg) }
	if res, err := Diff(ctx, "1.0.0", "v1.1.0", o); err != nil || len(res.Pins) != 1 || len(notes) != 2 {
		t.Errorf("no registry, tags: %v, %+v, notes %q", err, res, notes)
	}
	var check *failure.CheckError
	if _, err := Diff(ctx, "1.0.0", "stage", o); !errors.As(err, &check) {
		t.Errorf("no registry, no tag: %#v", err)
	}
}
