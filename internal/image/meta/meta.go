// Package meta is what an image built by dist says about itself: the
// release manifest (release.json) in its last layer, the OCI labels and
// annotations, and the history entries that name each layer's role.
package meta

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The OCI annotation keys dist sets, as labels and as annotations.
const (
	Version    = "org.opencontainers.image.version"
	Revision   = "org.opencontainers.image.revision"
	Source     = "org.opencontainers.image.source"
	Created    = "org.opencontainers.image.created"
	Title      = "org.opencontainers.image.title"
	BaseName   = "org.opencontainers.image.base.name"
	BaseDigest = "org.opencontainers.image.base.digest"
	// RefName names an image inside an OCI layout's index.json.
	RefName = "org.opencontainers.image.ref.name"
)

// Release is /usr/share/dist/<name>/release.json.
type Release struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Commit is empty when the build did not come from a git checkout.
	Commit  string `json:"commit,omitempty"`
	Created string `json:"created"`
	Source  string `json:"source,omitempty"`
	// Base is nil for a scratch image.
	Base *Base `json:"base,omitempty"`
	// GoVersion is the Go toolchain that compiled a gomod server
	// ("go1.26.8", as `go env GOVERSION` says); empty when the image has
	// none. The server's binary, and so the digest, depends on it.
	GoVersion string     `json:"go_version,omitempty"`
	Lockfiles []Lockfile `json:"lockfiles"`
}

// Base is the pinned base image.
type Base struct {
	Name   string `json:"name"`
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest"`
}

// Reference is "name:tag@digest", or "name@digest" without a tag.
func (b *Base) Reference() string {
	if b.Tag != "" {
		return b.Name + ":" + b.Tag + "@" + b.Digest
	}
	return b.Name + "@" + b.Digest
}

// Lockfile is one lockfile's pins.
type Lockfile struct {
	Path      string `json:"path"`
	Ecosystem string `json:"ecosystem"`
	Pins      []Pin  `json:"pins"`
}

// Pin is one lockfile entry.
type Pin struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Extras  string   `json:"extras,omitempty"`
	Marker  string   `json:"marker,omitempty"`
	Hashes  []string `json:"hashes"`
}

// Dir is where a distribution's release files live in its image.
func Dir(name string) string { return "usr/share/dist/" + name }

// ReleasePath is release.json's path in the image, without the leading "/".
func ReleasePath(name string) string { return Dir(name) + "/release.json" }

// Layer roles, in the order the layers are stacked above the base.
const (
	RoleBase         = "base"
	RoleDependencies = "dependencies"
	RoleFiles        = "files"
	RoleConfig       = "config"
	RoleRelease      = "release"
)

// historyPrefix starts the created_by of every layer dist adds, which is
// how inspect tells the layers apart (and what `docker history` shows).
const historyPrefix = "dist build: "

// CreatedBy is the history entry of a layer with the given role.
func CreatedBy(role string) string { return historyPrefix + role }

// Roles returns the role of each layer of an image, in layer order: the
// layers dist added by their history entries, the others as base layers.
func Roles(cf *v1.ConfigFile) []string {
	var roles []string
	for _, h := range cf.History {
		if h.EmptyLayer {
			continue
		}
		role := RoleBase
		if r, ok := strings.CutPrefix(h.CreatedBy, historyPrefix); ok {
			role = r
		}
		roles = append(roles, role)
	}
	// Histories that do not match the layers (possible in a base image)
	// say nothing reliable.
	if len(roles) != len(cf.RootFS.DiffIDs) {
		roles = make([]string, len(cf.RootFS.DiffIDs))
		for i := range roles {
			roles[i] = RoleBase
		}
	}
	return roles
}

// ErrNoRelease is returned for an image that holds no release.json.
var ErrNoRelease = errors.New("no /usr/share/dist/*/release.json: not an image built by dist")

// ReadRelease finds and decodes release.json in an image. Only the release
// layer is read, so inspecting a remote image downloads one small blob.
func ReadRelease(img v1.Image) (*Release, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	// The layers dist marked as release layers; failing any, only the top
	// layer, where dist puts it: reading every layer of a foreign image
	// would download all of it to say that it is foreign.
	var candidates []int
	for i, r := range Roles(cf) {
		if r == RoleRelease && i < len(layers) {
			candidates = append([]int{i}, candidates...)
		}
	}
	if len(candidates) == 0 && len(layers) > 0 {
		candidates = []int{len(layers) - 1}
	}
	for _, i := range candidates {
		rel, err := releaseIn(layers[i])
		if err != nil || rel != nil {
			return rel, err
		}
	}
	return nil, ErrNoRelease
}

func releaseIn(l v1.Layer) (*Release, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		p := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if ok, _ := path.Match("usr/share/dist/*/release.json", p); !ok {
			continue
		}
		var rel Release
		if err := json.NewDecoder(tr).Decode(&rel); err != nil {
			return nil, fmt.Errorf("/%s: %w", p, err)
		}
		return &rel, nil
	}
}
