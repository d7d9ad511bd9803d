// Package source defines what dist asks of a package index, whatever the
// ecosystem: the versions of a name, and the artifacts and hashes of one
// version. The pypi, gomod and oci packages below implement it.
package source

import (
	"context"
	"errors"
	"fmt"
)

// Ecosystem names as written in dist.yaml.
const (
	PyPI  = "pypi"
	GoMod = "gomod"
	OCI   = "oci"
)

// Ecosystems lists the known ecosystems.
var Ecosystems = []string{PyPI, GoMod, OCI}

// Artifact is one downloadable file of a release: a wheel or sdist, a module
// zip, an image manifest.
type Artifact struct {
	Filename string
	URL      string
	// Hash is the value written in a lockfile for this artifact
	// ("sha256:<hex>", "h1:<base64>").
	Hash string
	// Size in bytes, 0 when the index does not say.
	Size int64
	// RequiresPython is the PEP 345 Requires-Python of a pypi file.
	RequiresPython string
	// HasMetadata says the index serves the file's core metadata on its own
	// at URL+".metadata" (PEP 658/714), with or without a hash for it.
	HasMetadata bool
	// MetadataHash is "sha256:<hex>" of the PEP 658 metadata file, "" when
	// the index offers none or gives no sha256 for it.
	MetadataHash string
}

// Release is one version of one project as the index describes it.
type Release struct {
	// Name is the index's canonical spelling of the project name.
	Name    string
	Version string
	// Artifacts lists every file of the release the index publishes; yanked
	// files are left out.
	Artifacts []Artifact
	// ProjectURL links to the project's home or release notes, when known.
	ProjectURL string
}

// Hashes returns the distinct artifact hashes, in artifact order.
func (r *Release) Hashes() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range r.Artifacts {
		if a.Hash != "" && !seen[a.Hash] {
			seen[a.Hash] = true
			out = append(out, a.Hash)
		}
	}
	return out
}

// Source is one package index.
type Source interface {
	// Ecosystem returns one of the ecosystem constants.
	Ecosystem() string
	// Versions lists the versions the index publishes for name, oldest
	// first, skipping versions whose every file is yanked. The first return
	// is the canonical name.
	Versions(ctx context.Context, name string) (canonical string, versions []string, err error)
	// Release describes one version. An unknown name or version returns an
	// error wrapping ErrNotFound.
	Release(ctx context.Context, name, version string) (*Release, error)
	// Rehash downloads every artifact of rel and returns the hash computed
	// from the bytes of each, in the same order as rel.Artifacts.
	Rehash(ctx context.Context, rel *Release) ([]string, error)
}

// Requirer is implemented by sources whose releases depend on other pins
// that must be locked with them (Go modules: the whole build list).
type Requirer interface {
	// BuildList returns every other module version needed to build
	// name@version, by minimal version selection.
	BuildList(ctx context.Context, name, version string) ([]Pin, error)
}

// Pin names one version of one project.
type Pin struct {
	Name    string
	Version string
}

// ErrNotFound is wrapped by errors for a name or version the index does not have.
var ErrNotFound = errors.New("not found")

// NotFound returns an error that is ErrNotFound for errors.Is and reads as
// the message alone (the message already says what was not found).
func NotFound(format string, args ...any) error {
	return &notFound{msg: fmt.Sprintf(format, args...)}
}

type notFound struct{ msg string }

func (e *notFound) Error() string        { return e.msg }
func (e *notFound) Is(target error) bool { return target == ErrNotFound }

// Fetcher is implemented by sources whose artifacts can be copied out, as
// dist bundle does for an offline install.
type Fetcher interface {
	// Fetch returns a local file holding the artifact's bytes, checked
	// against a.Hash.
	Fetch(ctx context.Context, rel *Release, a Artifact) (string, error)
}
