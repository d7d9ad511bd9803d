package deps

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/wheel"
)

// Python is the Python an image's wheels are installed for.
type Python struct {
	// Version is as found: "3.12" or "3.12.4" from image.python.version,
	// "3.12.7" from PYTHON_VERSION, "3.11" from a directory or a path.
	Version string
	// XY is Version's "X.Y", what wheel tags are judged against.
	XY string
	// From says where Version was read, for messages:
	// "image.python.version", "the base image's PYTHON_VERSION=3.12.7",
	// "the base image's /usr/lib/python3.11", "image.python's paths".
	From string
}

// ImagePython decides the Python of m's image, as DESIGN.md §5 orders it:
// image.python.version; else the base image's (base.PythonOf: its
// PYTHON_VERSION environment, else its highest pythonX.Y directory); else
// the X.Y that image.python's site_packages or interpreter spells. baseImg
// is the base image of the platform being built, nil for scratch.
//
// When the paths spell an X.Y, the version found first must have the same
// X.Y: wheels for one Python unpacked into another's site-packages would
// not be imported, or would be and fail. That, and finding no version at
// all, is a *fileerr.Error at dist.yaml. Reading the base image's layers
// can fail with any other error.
func ImagePython(m *manifest.Manifest, baseImg v1.Image) (Python, error) {
	if m.Image == nil || m.Image.Python == nil {
		return Python{}, fileerr.New(m.Path, 0, "image.python is not set")
	}
	py := m.Image.Python
	paths := fmt.Sprintf("(%s, %s)", py.SitePackages, py.Interpreter)
	pathXY, pathOK := wheel.PythonVersion(py.SitePackages, py.Interpreter)

	var got Python
	if v := strings.TrimSpace(py.Version); v != "" {
		got = Python{Version: v, From: "image.python.version"}
	} else if baseImg != nil {
		bp, err := base.PythonOf(baseImg)
		if err != nil {
			return Python{}, fmt.Errorf("reading the base image's Python version: %w", err)
		}
		if bp.Version != "" {
			got = Python{Version: bp.Version, From: "the base image's " + bp.From}
		}
	}
	if got.Version == "" {
		if !pathOK {
			where := "the base image sets no PYTHON_VERSION and has no /usr/lib/pythonX.Y or /usr/local/lib/pythonX.Y"
			if baseImg == nil {
				where = "the image has no base image to read it from"
			}
			return Python{}, fileerr.New(m.Path, 0, "cannot tell the image's Python version: set image.python.version (e.g. \"3.12\"); %s, and image.python's paths %s spell no X.Y", where, paths)
		}
		return Python{Version: pathXY, XY: pathXY, From: "image.python's paths"}, nil
	}

	xy, ok := wheel.MajorMinor(got.Version)
	if !ok {
		return Python{}, fileerr.New(m.Path, 0, "%s %q is not a Python version (want X.Y or X.Y.Z)", got.From, got.Version)
	}
	got.XY = xy
	if pathOK && pathXY != xy {
		fix := "correct image.python.version or the paths"
		if got.From != "image.python.version" {
			fix = "correct the paths, or set image.python.version if the base image is wrong about itself"
		}
		return Python{}, fileerr.New(m.Path, 0, "the image's Python is %s (%s), but image.python's paths %s are for %s: %s", got.Version, got.From, paths, pathXY, fix)
	}
	return got, nil
}

// baseLayout is where a base image's own Python takes packages: its
// site-packages (%s is the X.Y) and the interpreter its scripts run.
type baseLayout struct{ site, interpreter string }

// baseLayouts are the layouts ImageLayout recognises, in the order tried:
// the official python images and source builds, Debian's and Ubuntu's
// python3 (which reads dist-packages, not pythonX.Y/site-packages), and
// Alpine's, Fedora's and Wolfi's.
var baseLayouts = []baseLayout{
	{"/usr/local/lib/python%s/site-packages", "/usr/local/bin/python3"},
	{"/usr/lib/python3/dist-packages", "/usr/bin/python3"},
	{"/usr/lib/python%s/site-packages", "/usr/bin/python3"},
}

// ImageLayout is image.python for an image whose dist.yaml does not set
// it: the Python the base image holds (base.PythonOf), in the first of
// baseLayouts whose site-packages and interpreter the base has (files is
// the base's tree, base.FilesOf). Debian's layout, whose paths spell no
// version, is taken only when the base's /usr/lib/pythonX.Y is that
// version's, so that wheels never go to another Python's packages.
//
// pins says what needs a Python, for the error: "lockfiles/default.txt
// pins 3 pypi packages". With no base (scratch), no Python in the base,
// or none of the layouts, the error is a *fileerr.Error at dist.yaml that says what to
// set. Reading the base's layers can fail with any other error.
func ImageLayout(m *manifest.Manifest, pins string, baseImg v1.Image, files *base.Files) (manifest.Python, Python, error) {
	fix := "set image.base to an image with Python (docker.io/library/python:3.12-slim, pinned with dist lock add) or set image.python: {site_packages: ..., interpreter: ..., version: ...}"
	fail := func(why string) error {
		return fileerr.New(m.Path, 0, "%s, but the image has no Python to install them into: image.python is not set and %s; %s", pins, why, fix)
	}
	if baseImg == nil {
		return manifest.Python{}, Python{}, fail("the base is scratch")
	}
	bp, err := base.PythonOf(baseImg)
	if err != nil {
		return manifest.Python{}, Python{}, fmt.Errorf("reading the base image's Python version: %w", err)
	}
	if bp.Version == "" {
		return manifest.Python{}, Python{}, fail("the base image has none (no PYTHON_VERSION, no /usr/lib/pythonX.Y or /usr/local/lib/pythonX.Y)")
	}
	xy, ok := wheel.MajorMinor(bp.Version)
	if !ok {
		return manifest.Python{}, Python{}, fail(fmt.Sprintf("the base image's %s is not a Python version", bp.From))
	}
	var tried []string
	for _, l := range baseLayouts {
		site := l.site
		if strings.Contains(site, "%s") {
			site = fmt.Sprintf(site, xy)
		} else if !files.IsDir("/usr/lib/python" + xy) {
			continue
		}
		tried = append(tried, site+" with "+l.interpreter)
		if files.IsDir(site) && files.Exists(l.interpreter) {
			py := manifest.Python{SitePackages: site, Interpreter: l.interpreter, Version: bp.Version}
			return py, Python{Version: bp.Version, XY: xy, From: "the base image's " + bp.From}, nil
		}
	}
	return manifest.Python{}, Python{}, fail(fmt.Sprintf("the base image's Python %s (%s) is in no layout dist knows (it has none of %s)", bp.Version, bp.From, strings.Join(tried, "; ")))
}
