// Package inspect reads back what an image built by dist records: the
// release manifest (version, commit, pins), the config and the layers, from
// a registry, an OCI layout or a docker-archive. From a registry it reads
// manifests, the config and the one small release layer, never the other
// blobs.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/regclient"
)

// LayoutPrefix starts a layout source: "oci-layout:DIR" or
// "oci-layout:DIR:REF" to choose an entry by its ref name.
const LayoutPrefix = publish.LayoutPrefix

// ArchivePrefix starts a docker-archive source, "docker-archive:FILE": a
// tarball as docker save and dist build -o docker-archive:FILE write it,
// holding one image.
const ArchivePrefix = publish.ArchivePrefix

// Report is what inspect shows.
type Report struct {
	Reference string `json:"reference"`
	// Digest is the manifest's (an index's for several platforms); empty
	// for a docker-archive, which keeps no manifest.
	Digest    string `json:"digest,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	// ImageID is a docker-archive's image: its config's digest, the ID
	// docker load gives it.
	ImageID string `json:"image_id,omitempty"`
	// Platforms lists an index's images.
	Platforms []PlatformImage `json:"platforms"`
	// Platform is the image whose config and layers are shown.
	Platform    string            `json:"platform"`
	Release     *meta.Release     `json:"release"`
	Config      Config            `json:"config"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Layers      []Layer           `json:"layers"`
	// Referrers are the artifacts attached to the image's digest (an
	// SBOM, a provenance statement, channel records), sorted by artifact
	// type then digest.
	Referrers []referrers.Referrer `json:"referrers"`
}

// PlatformImage is one image of an index.
type PlatformImage struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
}

// Config is the part of the image config a distribution sets.
type Config struct {
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Env        []string          `json:"env,omitempty"`
	WorkingDir string            `json:"workdir,omitempty"`
	User       string            `json:"user,omitempty"`
	Ports      []string          `json:"ports,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// Layer is one layer, with the role dist gave it.
type Layer struct {
	Role      string `json:"role"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
}

// Options configures Inspect.
type Options struct {
	Client *regclient.Client
	// Platform chooses an index's image; the first one when nil.
	Platform *v1.Platform
	// Dir is the directory a relative layout or archive path is taken
	// from (publish.InDir); "" for the process's own.
	Dir string
}

// Opened is the image or index a source names.
type Opened struct {
	Descriptor v1.Descriptor
	// Index is set for an index, Image for a single image.
	Index v1.ImageIndex
	Image v1.Image
	// Layout is the OCI layout's directory; "" for a registry.
	Layout string
	// Archive is the docker-archive's file. It keeps no manifest: the
	// Descriptor is empty, Image is set.
	Archive string
	// Ref is the registry reference; nil for a layout.
	Ref name.Reference
}

// Open finds the image src names: "oci-layout:DIR[:REF]" (the entry named
// REF, or the only image; the referrers written beside it are not
// images), "docker-archive:FILE" (its one image), or a registry
// reference, whose manifest is read and no blob.
func Open(ctx context.Context, src string, o Options) (*Opened, error) {
	src = publish.InDir(src, o.Dir)
	if file, ok := strings.CutPrefix(src, ArchivePrefix); ok {
		img, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: not a docker-archive of one image: %w", src, err)
		}
		return &Opened{Image: img, Archive: file}, nil
	}
	if rest, ok := strings.CutPrefix(src, LayoutPrefix); ok {
		d, ii, dir, err := fromLayout(rest)
		if err != nil {
			return nil, err
		}
		op := &Opened{Descriptor: d, Layout: dir}
		if d.MediaType.IsIndex() {
			op.Index, err = ii.ImageIndex(d.Digest)
		} else {
			op.Image, err = ii.Image(d.Digest)
		}
		if err != nil {
			return nil, err
		}
		return op, nil
	}
	ref, err := o.Client.ParseReference(src)
	if err != nil {
		return nil, err
	}
	rd, err := o.Client.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	op := &Opened{Descriptor: rd.Descriptor, Ref: ref}
	if rd.MediaType.IsIndex() {
		op.Index, err = rd.ImageIndex()
	} else {
		op.Image, err = rd.Image()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return op, nil
}

// Referrers lists what is attached to the opened image's digest, in its
// layout or its repository.
func (op *Opened) Referrers(ctx context.Context, o Options) ([]referrers.Referrer, error) {
	if op.Archive != "" {
		return nil, nil // a docker-archive has no place for them
	}
	if op.Ref == nil {
		return referrers.ListLayout(op.Layout, op.Descriptor.Digest)
	}
	repo := op.Ref.Context()
	opts, err := o.Client.RemoteOptions(ctx, repo.Registry)
	if err != nil {
		return nil, err
	}
	rs, err := referrers.List(repo.Digest(op.Descriptor.Digest.String()), opts...)
	if err != nil {
		return nil, o.Client.Wrap(ctx, "listing the referrers of "+repo.String()+"@"+op.Descriptor.Digest.String(), repo.Registry, err)
	}
	return rs, nil
}

// Inspect reads the image src names, and lists its referrers.
func Inspect(ctx context.Context, src string, o Options) (*Report, error) {
	op, err := Open(ctx, src, o)
	if err != nil {
		return nil, err
	}
	desc, idx, img := op.Descriptor, op.Index, op.Image
	r := &Report{Reference: src, Platforms: []PlatformImage{}}
	if op.Archive != "" {
		id, err := img.ConfigName()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		r.ImageID = id.String()
	} else {
		r.Digest, r.MediaType = desc.Digest.String(), string(desc.MediaType)
	}
	if idx != nil {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		r.Annotations = im.Annotations
		var chosen *v1.Descriptor
		for i, m := range im.Manifests {
			if m.Platform == nil || m.Platform.OS == "unknown" {
				continue
			}
			r.Platforms = append(r.Platforms, PlatformImage{Platform: m.Platform.String(), Digest: m.Digest.String()})
			if chosen == nil && (o.Platform == nil || m.Platform.Satisfies(*o.Platform)) {
				chosen = &im.Manifests[i]
			}
		}
		if chosen == nil {
			return nil, fmt.Errorf("%s has no image for the platform asked for", src)
		}
		chosenImg, err := idx.Image(chosen.Digest)
		if err != nil {
			return nil, err
		}
		img = chosenImg
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	if idx == nil {
		r.Annotations = m.Annotations
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	if p := cf.Platform(); p != nil {
		r.Platform = p.String()
	}
	r.Config = Config{
		Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd, Env: cf.Config.Env,
		WorkingDir: cf.Config.WorkingDir, User: cf.Config.User, Labels: cf.Config.Labels,
	}
	for p := range cf.Config.ExposedPorts {
		r.Config.Ports = append(r.Config.Ports, p)
	}
	sort.Strings(r.Config.Ports)
	roles := meta.Roles(cf)
	for i, l := range m.Layers {
		role := meta.RoleBase
		if i < len(roles) {
			role = roles[i]
		}
		r.Layers = append(r.Layers, Layer{Role: role, Digest: l.Digest.String(), Size: l.Size, MediaType: string(l.MediaType)})
	}
	r.Release, err = meta.ReadRelease(img)
	if err != nil {
		if errors.Is(err, meta.ErrNoRelease) {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		return nil, fmt.Errorf("%s: reading release.json: %w", src, err)
	}
	if r.Referrers, err = op.Referrers(ctx, o); err != nil {
		return nil, err
	}
	if r.Referrers == nil {
		r.Referrers = []referrers.Referrer{}
	}
	return r, nil
}

// fromLayout picks the layout entry to inspect: the one named by ref, or
// the only image. Entries with an artifactType are referrers (an SBOM
// beside the image), never the image.
func fromLayout(s string) (v1.Descriptor, v1.ImageIndex, string, error) {
	dir, ref := s, ""
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		if i := strings.LastIndexByte(s, ':'); i > 0 {
			dir, ref = s[:i], s[i+1:]
		}
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return v1.Descriptor{}, nil, "", fmt.Errorf("%s%s: not an OCI layout: %w", LayoutPrefix, dir, err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return v1.Descriptor{}, nil, "", err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, nil, "", err
	}
	var names []string
	var found []v1.Descriptor
	for _, m := range im.Manifests {
		if m.ArtifactType != "" {
			continue
		}
		n := m.Annotations[meta.RefName]
		names = append(names, n)
		if ref == "" || n == ref {
			found = append(found, m)
		}
	}
	switch {
	case len(found) == 1:
		if !found[0].MediaType.IsIndex() && !found[0].MediaType.IsImage() {
			return v1.Descriptor{}, nil, "", fmt.Errorf("%s: %s is neither an image nor an index", dir, found[0].Digest)
		}
		return found[0], ii, dir, nil
	case len(found) == 0 && ref != "":
		return v1.Descriptor{}, nil, "", fmt.Errorf("%s has no image named %q (it has %s)", dir, ref, strings.Join(names, ", "))
	case len(found) == 0:
		return v1.Descriptor{}, nil, "", fmt.Errorf("%s holds no image", dir)
	}
	return v1.Descriptor{}, nil, "", fmt.Errorf("%s holds %d images: choose one with %s%s:REF (%s)", dir, len(found), LayoutPrefix, dir, strings.Join(names, ", "))
}
