// Package publish puts a built image somewhere: an OCI layout directory, a
// docker-archive tarball (for docker load) or a registry, each behind one
// Publisher that New makes from a Dest (an --output). Building and
// publishing are apart, as in ko: publish takes any image or index.
package publish

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Artifact is an image or an index (a v1.Image or a v1.ImageIndex): what
// build produces, what publish writes, what inspect and promote find.
type Artifact interface {
	Digest() (v1.Hash, error)
	MediaType() (types.MediaType, error)
	RawManifest() ([]byte, error)
	Size() (int64, error)
}

// Kind is a kind of destination.
type Kind int

// String is the kind as reports name it: "oci-layout", "docker-archive"
// or "registry".
func (k Kind) String() string {
	switch k {
	case Layout:
		return "oci-layout"
	case Archive:
		return "docker-archive"
	}
	return "registry"
}

// The destinations of a build.
const (
	Layout Kind = iota
	Archive
	Registry
)

// Prefixes of the destinations given by path.
const (
	LayoutPrefix  = "oci-layout:"
	ArchivePrefix = "docker-archive:"
)

// Dest is one --output.
type Dest struct {
	Kind Kind
	// Path is the directory or file of a layout or an archive.
	Path string
	// Ref is a registry reference as given: "host/repo:tag" or "host/repo".
	Ref string
}

func (d Dest) String() string {
	switch d.Kind {
	case Layout:
		return LayoutPrefix + d.Path
	case Archive:
		return ArchivePrefix + d.Path
	}
	return d.Ref
}

// InDir resolves the relative path of a destination given by path
// ("oci-layout:DIR", "oci-layout:DIR:REF", "docker-archive:FILE") against
// dir, the directory dist runs in (-C): every command taking such a path,
// to write or to read, resolves it here. An absolute path, a registry
// reference and an empty dir leave s as it is.
func InDir(s, dir string) string {
	if dir == "" {
		return s
	}
	for _, prefix := range []string{LayoutPrefix, ArchivePrefix} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && rest != "" && !filepath.IsAbs(rest) {
			return prefix + filepath.Join(dir, rest)
		}
	}
	return s
}

// ParseDest reads "oci-layout:DIR", "docker-archive:FILE" or a registry
// reference.
func ParseDest(s string) (Dest, error) {
	if p, ok := strings.CutPrefix(s, LayoutPrefix); ok {
		if p == "" {
			return Dest{}, errors.New("oci-layout: needs a directory")
		}
		return Dest{Kind: Layout, Path: p}, nil
	}
	if p, ok := strings.CutPrefix(s, ArchivePrefix); ok {
		if p == "" {
			return Dest{}, errors.New("docker-archive: needs a file")
		}
		return Dest{Kind: Archive, Path: p}, nil
	}
	if s == "" {
		return Dest{}, errors.New("empty output")
	}
	if strings.Contains(s, "@") {
		return Dest{}, fmt.Errorf("%s: push to a tag (host/repo:tag) or a repository; the digest is the image's own", s)
	}
	// A registry destination names its host: a bare "app:1.0" would go to
	// Docker Hub, and a mistyped "oci-layuot:dir" would be pushed there.
	if !strings.Contains(s, "/") {
		return Dest{}, fmt.Errorf("%s: unknown output (want oci-layout:DIR, docker-archive:FILE or HOST/REPO[:TAG])", s)
	}
	return Dest{Kind: Registry, Ref: s}, nil
}
