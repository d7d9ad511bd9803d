// Package wheel installs Python wheels without running Python, for images
// built without a daemon: Select picks, among a pin's locked files, the wheel
// pip would pick on the image's platform and interpreter, and InstallFile
// unpacks it as the binary distribution format says (PEP 427 and its
// successors on packaging.python.org), returning the files for the image's
// dependencies layer.
//
//	art, err := wheel.Select(pin, release.Artifacts, wheel.Target{Platform: "linux/arm64", Python: "3.12"})
//	path, err := client.Download(ctx, art.URL, art.Hash)
//	files, err := wheel.InstallFile(path, pin, wheel.Layout{
//		SitePackages: "/usr/local/lib/python3.12/site-packages",
//		Interpreter:  "/usr/local/bin/python3.12",
//	})
//
// Sdists are never built, and so never chosen: a pin without a usable wheel
// is an error. Every error about one pin is an *Error that names it.
package wheel

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"regexp"
	"strings"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/manifest"
)

// Pin is one locked requirement: a name, its version, and the hashes the
// lockfile lists for it.
type Pin struct {
	Name    string
	Version string
	// Hashes as written in the lockfile ("sha256:<hex>"); only sha256 ones
	// are used.
	Hashes []string
}

// String is the pin as a requirement, "name==version".
func (p Pin) String() string { return p.Name + "==" + p.Version }

// sha256s returns the pin's sha256 hex digests, lower-cased, as a set.
func (p Pin) sha256s() map[string]bool {
	out := map[string]bool{}
	for _, h := range p.Hashes {
		algo, hex, ok := strings.Cut(strings.TrimSpace(h), ":")
		if ok && strings.EqualFold(algo, "sha256") && hex != "" {
			out[strings.ToLower(hex)] = true
		}
	}
	return out
}

// Error kinds, for errors.Is on an *Error.
var (
	// ErrNoWheel: no locked wheel fits the target.
	ErrNoWheel = errors.New("no usable wheel")
	// ErrHashMismatch: the bytes are not a file the lockfile pins; a
	// failed check (*failure.CheckError).
	ErrHashMismatch = failure.Check(errors.New("hash mismatch"))
	// ErrUnsafePath: a member would be written outside its directory.
	ErrUnsafePath = errors.New("unsafe path in wheel")
	// ErrEntryPoints: entry_points.txt cannot be read, or names a script
	// that cannot be generated.
	ErrEntryPoints = errors.New("malformed entry_points.txt")
	// ErrInvalidWheel: the archive is not a wheel dist can install.
	ErrInvalidWheel = errors.New("invalid wheel")
)

// Error is a problem with one pin's files. Its message starts with the pin.
type Error struct {
	Pin Pin
	// Kind is one of the Err values above.
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Pin.String() + ": " + e.Msg }

// Unwrap returns Kind, so that errors.Is(err, ErrHashMismatch) works.
func (e *Error) Unwrap() error { return e.Kind }

// File is one installed file, for an image layer.
type File struct {
	// Path is absolute in the image, slash-separated and clean.
	Path string
	// Mode is 0644, or 0755 for scripts and for members whose zip entry
	// has an exec bit.
	Mode fs.FileMode
	// Data is the content of a file the install wrote itself (RECORD,
	// INSTALLER, wrapper scripts, a script whose "#!python" line it
	// replaced). It is nil for a member InstallFile installs unchanged:
	// Open reads that from the wheel.
	Data []byte
	// Size and SHA256 are the content's, as the installed RECORD lists
	// them.
	Size   int64
	SHA256 [sha256.Size]byte
	// Wheel and Member say where Open reads a member InstallFile installs
	// unchanged: the wheel file and the member's name in it. Wheel is ""
	// when the content is in Data.
	Wheel, Member string

	open func() (io.ReadCloser, error)
}

// Open reads the file's content: Data, or the member from the wheel,
// decompressed as it is read and checked against Size and SHA256, so that
// a wheel changed since the install fails the read rather than install
// something else.
func (f File) Open() (io.ReadCloser, error) {
	if f.open != nil {
		return f.open()
	}
	return io.NopCloser(bytes.NewReader(f.Data)), nil
}

var pyVersionInPath = regexp.MustCompile(`(?:^|/)python(\d+)\.(\d+)t?(?:/|$)`)

// PythonVersion finds the interpreter's "X.Y" in the first of paths that
// spells it, as "/usr/local/lib/python3.12/site-packages" and
// "/usr/local/bin/python3.12" do. A Debian-style "/usr/bin/python3" does
// not, and gives ok false: the caller must then be told the version.
func PythonVersion(paths ...string) (version string, ok bool) {
	for _, p := range paths {
		if m := pyVersionInPath.FindStringSubmatch(p); m != nil {
			return m[1] + "." + m[2], true
		}
	}
	return "", false
}

// ManifestPython is the image's Python as dist.yaml alone tells it, for
// commands that do not pull the base image (dist lock):
// image.python.version as written ("3.12" or "3.12.4"), else the "X.Y"
// that image.python's site_packages or interpreter spells (see
// PythonVersion). ok is false without image.python, or when neither says.
//
// `dist build` reads the base image too (deps.ImagePython): where this
// gives a version, the build uses the same X.Y or refuses to build; where
// it gives none, the build may still find one in the base image.
func ManifestPython(m *manifest.Manifest) (version string, ok bool) {
	if m == nil || m.Image == nil || m.Image.Python == nil {
		return "", false
	}
	py := m.Image.Python
	if v := strings.TrimSpace(py.Version); v != "" {
		return v, true
	}
	return PythonVersion(py.SitePackages, py.Interpreter)
}

var leadingXY = regexp.MustCompile(`^(\d+)\.(\d+)(?:$|[.a-z])`)

// MajorMinor is the "X.Y" of a Python version: "3.12" for "3.12", "3.12.7"
// or "3.14.0rc1", what wheel tags and Target.Python need. ok is false for
// anything that does not start with X.Y.
func MajorMinor(version string) (xy string, ok bool) {
	m := leadingXY.FindStringSubmatch(strings.TrimSpace(version))
	if m == nil {
		return "", false
	}
	return m[1] + "." + m[2], true
}
