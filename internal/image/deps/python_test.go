package deps_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/deps"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/testenv/fixtures"
	"github.com/distbuild/dist/internal/testenv/pyindex"
	"github.com/distbuild/dist/internal/testenv/registry"
)

const (
	debSite = "/usr/lib/python3/dist-packages"
	debPy   = "/usr/bin/python3"
)

func pyManifest(site, interp, version string) *manifest.Manifest {
	return &manifest.Manifest{Path: "dist.yaml", Image: &manifest.Image{
		Python: &manifest.Python{SitePackages: site, Interpreter: interp, Version: version},
	}}
}

func TestImagePython(t *testing.T) {
	official := imagetest.PythonBase(t, "linux/amd64", "3.12.7", "usr/local/lib/python3.12/")
	debian := imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3.11/")
	plain := imagetest.PythonBase(t, "linux/amd64", "")
	for _, tc := range []struct {
		name                  string
		site, interp, version string
		base                  v1.Image
		want                  deps.Python
		err                   string
	}{
		{name: "stated", site: debSite, interp: debPy, version: "3.11", base: plain,
			want: deps.Python{Version: "3.11", XY: "3.11", From: "image.python.version"}},
		{name: "stated over the base", site: debSite, interp: debPy, version: "3.12.4", base: debian,
			want: deps.Python{Version: "3.12.4", XY: "3.12", From: "image.python.version"}},
		{name: "stated, scratch", site: debSite, interp: debPy, version: "3.13",
			want: deps.Python{Version: "3.13", XY: "3.13", From: "image.python.version"}},
		{name: "PYTHON_VERSION, paths without X.Y", site: "/usr/local/lib/python3/site-packages", interp: "/usr/local/bin/python3", base: official,
			want: deps.Python{Version: "3.12.7", XY: "3.12", From: "the base image's PYTHON_VERSION=3.12.7"}},
		{name: "PYTHON_VERSION agreeing with the paths", site: "/usr/local/lib/python3.12/site-packages", interp: "/usr/local/bin/python3", base: official,
			want: deps.Python{Version: "3.12.7", XY: "3.12", From: "the base image's PYTHON_VERSION=3.12.7"}},
		{name: "directories", site: debSite, interp: debPy, base: debian,
			want: deps.Python{Version: "3.11", XY: "3.11", From: "the base image's /usr/lib/python3.11"}},
		{name: "paths", site: "/usr/local/lib/python3.12/site-packages", interp: "/usr/local/bin/python3", base: plain,
			want: deps.Python{Version: "3.12", XY: "3.12", From: "image.python's paths"}},
		{name: "paths, scratch", site: "/usr/local/lib/python3.12/site-packages", interp: "/usr/local/bin/python3",
			want: deps.Python{Version: "3.12", XY: "3.12", From: "image.python's paths"}},
		{name: "nothing says", site: debSite, interp: debPy, base: plain,
			err: `dist.yaml: cannot tell the image's Python version: set image.python.version (e.g. "3.12"); the base image sets no PYTHON_VERSION and has no /usr/lib/pythonX.Y or /usr/local/lib/pythonX.Y, and image.python's paths (/usr/lib/python3/dist-packages, /usr/bin/python3) spell no X.Y`},
		{name: "nothing says, scratch", site: debSite, interp: debPy,
			err: `dist.yaml: cannot tell the image's Python version: set image.python.version (e.g. "3.12"); the image has no base image to read it from, and image.python's paths (/usr/lib/python3/dist-packages, /usr/bin/python3) spell no X.Y`},
		{name: "the base against the paths", site: "/usr/local/lib/python3.11/site-packages", interp: "/usr/local/bin/python3", base: official,
			err: "dist.yaml: the image's Python is 3.12.7 (the base image's PYTHON_VERSION=3.12.7), but image.python's paths (/usr/local/lib/python3.11/site-packages, /usr/local/bin/python3) are for 3.11: correct the paths, or set image.python.version if the base image is wrong about itself"},
		{name: "the version against the paths", site: debSite, interp: "/usr/bin/python3.11", version: "3.12", base: debian,
			err: "dist.yaml: the image's Python is 3.12 (image.python.version), but image.python's paths (/usr/lib/python3/dist-packages, /usr/bin/python3.11) are for 3.11: correct image.python.version or the paths"},
		{name: "not a version", site: debSite, interp: debPy, version: "three",
			err: `dist.yaml: image.python.version "three" is not a Python version (want X.Y or X.Y.Z)`},
	} {
		got, err := deps.ImagePython(pyManifest(tc.site, tc.interp, tc.version), tc.base)
		if tc.err != "" {
			var ce *fileerr.Error
			if err == nil || err.Error() != tc.err || !errors.As(err, &ce) {
				t.Errorf("%s: got %+v, %v (%T)\nwant the *fileerr.Error %s", tc.name, got, err, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

// TestImageLayout: with no image.python, the base image's own Python is
// the layout, where the base really has it; otherwise a fileerr.Error says
// why and what to set.
func TestImageLayout(t *testing.T) {
	m := &manifest.Manifest{Path: "dist.yaml", Image: &manifest.Image{}}
	const pins = "lockfiles/default.txt pins 2 pypi packages"
	const fix = "; set image.base to an image with Python (docker.io/library/python:3.12-slim, pinned with dist lock add) or set image.python: {site_packages: ..., interpreter: ..., version: ...}"
	official := imagetest.PythonBase(t, "linux/amd64", "3.12.7", "usr/local/lib/python3.12/site-packages/", "usr/local/bin/python3.12", "usr/local/bin/python3 -> python3.12")
	debian := imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3.11/os.py", "usr/lib/python3/dist-packages/", "usr/bin/python3.11", "usr/bin/python3 -> python3.11")
	alpine := imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3.12/site-packages/", "usr/bin/python3")
	for _, tc := range []struct {
		name string
		base v1.Image
		want manifest.Python
		from string
		err  string
	}{
		{name: "official", base: official,
			want: manifest.Python{SitePackages: "/usr/local/lib/python3.12/site-packages", Interpreter: "/usr/local/bin/python3", Version: "3.12.7"},
			from: "the base image's PYTHON_VERSION=3.12.7"},
		{name: "Debian", base: debian,
			want: manifest.Python{SitePackages: "/usr/lib/python3/dist-packages", Interpreter: "/usr/bin/python3", Version: "3.11"},
			from: "the base image's /usr/lib/python3.11"},
		{name: "Alpine", base: alpine,
			want: manifest.Python{SitePackages: "/usr/lib/python3.12/site-packages", Interpreter: "/usr/bin/python3", Version: "3.12"},
			from: "the base image's /usr/lib/python3.12"},
		{name: "scratch", err: "dist.yaml: " + pins + ", but the image has no Python to install them into: image.python is not set and the base is scratch" + fix},
		{name: "no Python", base: imagetest.PythonBase(t, "linux/amd64", "", "etc/os-release"),
			err: "dist.yaml: " + pins + ", but the image has no Python to install them into: image.python is not set and the base image has none (no PYTHON_VERSION, no /usr/lib/pythonX.Y or /usr/local/lib/pythonX.Y)" + fix},
		// PYTHON_VERSION says 3.12, but only Debian's 3.11 is there: its
		// dist-packages is not 3.12's.
		{name: "no layout", base: imagetest.PythonBase(t, "linux/amd64", "3.12.7", "usr/lib/python3.11/", "usr/lib/python3/dist-packages/", "usr/bin/python3"),
			err: "dist.yaml: " + pins + ", but the image has no Python to install them into: image.python is not set and the base image's Python 3.12.7 (PYTHON_VERSION=3.12.7) is in no layout dist knows (it has none of /usr/local/lib/python3.12/site-packages with /usr/local/bin/python3; /usr/lib/python3.12/site-packages with /usr/bin/python3)" + fix},
	} {
		var tree *base.Files
		if tc.base != nil {
			var err error
			if tree, err = base.FilesOf(tc.base); err != nil {
				t.Fatal(err)
			}
		}
		got, py, err := deps.ImageLayout(m, pins, tc.base, tree)
		if tc.err != "" {
			var ce *fileerr.Error
			if err == nil || err.Error() != tc.err || !errors.As(err, &ce) {
				t.Errorf("%s: got %+v, %v\nwant fileerr.Error %s", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || py.From != tc.from || py.Version != tc.want.Version {
			t.Errorf("%s: got %+v %+v, %v; want %+v from %s", tc.name, got, py, err, tc.want, tc.from)
		}
	}
}

// TestDebianBase builds on a Debian-shaped base, whose paths spell no
// version: the base's python3.X directory, or image.python.version, picks
// the wheels, and everything lands where Debian's Python looks.
func TestDebianBase(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("PIP_INDEX_URL", "")
	idx := pyindex.Start(t, fixtures.KintoProjects()...)
	host := registry.StartInProcess(t)
	py, err := idx.Lockfile(append([]string{"kinto-http==11.0.0", "zope.interface==6.2"}, requestsPins...)...)
	if err != nil {
		t.Fatal(err)
	}
	// zope.interface 6.2 is locked with a cp312 wheel only: the base's
	// Python decides whether the build can succeed.
	lock := func(tag string, dirs ...string) string {
		d := imagetest.Push(t, host+"/debian:"+tag, imagetest.PythonBase(t, "linux/amd64", "", dirs...))
		return host + "/debian==" + tag + " \\\n    --hash=" + d + "\n"
	}
	baseLock := lock("py312", "usr/lib/python3/dist-packages/", "usr/lib/python3.12/", "usr/lib/python3.12/os.py") +
		lock("py311", "usr/lib/python3/dist-packages/", "usr/lib/python3.11/")
	repo := func(tag, version string) string {
		dir := t.TempDir()
		v := ""
		if version != "" {
			v = ", version: \"" + version + "\""
		}
		imagetest.WriteFiles(t, dir, map[string]string{
			"dist.yaml": `name: debian-dist
lockfiles:
  - {path: lockfiles/default.txt, ecosystem: pypi, index: ` + idx.IndexURL() + `}
  - {path: lockfiles/base.txt, ecosystem: oci}
image:
  base: ` + host + `/debian:` + tag + `
  python: {site_packages: ` + debSite + `, interpreter: ` + debPy + v + `}
`,
			"VERSION":               "1.0.0\n",
			"lockfiles/default.txt": py,
			"lockfiles/base.txt":    baseLock,
		})
		return dir
	}

	out, _, err := build(t, repo("py312", ""), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := extract(t, platformImage(t, out, "linux/amd64"))
	for _, p := range []string{
		debSite + "/zope_interface/__init__.py",
		debSite + "/kinto_http/__init__.py",
		debSite + "/kinto_http-11.0.0.dist-info/RECORD",
	} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, script := range []string{"kinto-http-cli", "kinto-http-ping"} {
		data, err := os.ReadFile(filepath.Join(root, "usr/bin", script))
		if err != nil {
			t.Errorf("%s: %v", script, err)
		} else if first, _, _ := strings.Cut(string(data), "\n"); first != "#!"+debPy {
			t.Errorf("%s: first line %q", script, first)
		}
	}

	// A Python 3.11 base has no locked zope.interface wheel...
	_, _, err = build(t, repo("py311", ""), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "zope.interface==6.2: no wheel for linux/amd64 (CPython 3.11, glibc)") {
		t.Errorf("on a 3.11 base: %v", err)
	}
	// ...unless dist.yaml says otherwise.
	if _, _, err := build(t, repo("py311", "3.12"), t.TempDir()); err != nil {
		t.Errorf("image.python.version over the base: %v", err)
	}
}
