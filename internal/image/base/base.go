// Package base finds the base image a distribution's image starts from
// (image.base, pinned by digest in an oci lockfile) and brings it into the
// local cache by digest, from a registry or an OCI layout, so that the
// build itself never needs the network twice for the same base.
package base

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/image/cache"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/source"
)

// Scratch is image.base for an image with no base.
const Scratch = "scratch"

// LayoutPrefix starts an image.base read from an OCI layout directory:
// "oci-layout:DIR@sha256:...". The digest pins it as a lockfile would.
const LayoutPrefix = "oci-layout:"

// Pin is a base image pinned by digest.
type Pin struct {
	// Name is the canonical repository ("docker.io/library/python"), or the
	// layout directory for a base read from a layout.
	Name string
	// Tag is the tag the lockfile pinned; informational only.
	Tag    string
	Digest v1.Hash
	// Layout is set when the base comes from an OCI layout directory.
	Layout string
	// From says where the pin was written ("lockfiles/base.txt:3").
	From string
}

// Find reads image.base and the oci lockfiles; nil means scratch. A base
// that they do not pin well is a *failure.UsageError.
func Find(m *manifest.Manifest) (*Pin, error) {
	b := ""
	if m.Image != nil {
		b = strings.TrimSpace(m.Image.Base)
	}
	if b == "" || b == Scratch {
		return nil, nil
	}
	if rest, ok := strings.CutPrefix(b, LayoutPrefix); ok {
		dir, dig, ok := strings.Cut(rest, "@")
		h, err := v1.NewHash(dig)
		if !ok || dir == "" || err != nil {
			return nil, failure.Usagef("image.base %q: write an OCI layout base as oci-layout:DIR@sha256:DIGEST", b)
		}
		if !filepath.IsAbs(dir) {
			dir = m.Abs(dir)
		}
		return &Pin{Name: rest, Digest: h, Layout: dir, From: "image.base"}, nil
	}
	if strings.Contains(b, "@") {
		return nil, failure.Usagef("image.base %q: give the image's name and pin its digest in an oci lockfile (dist lock add NAME:TAG)", b)
	}
	repoStr, tag := b, ""
	if i := strings.LastIndexByte(b, ':'); i > strings.LastIndexByte(b, '/') {
		repoStr, tag = b[:i], b[i+1:]
	}
	repo, err := name.NewRepository(repoStr)
	if err != nil {
		return nil, failure.Usagef("image.base %q: %w", b, err)
	}
	want := regclient.Canonical(repo)

	var found []*Pin
	var ociFiles []string
	for _, lf := range m.Lockfiles {
		if lf.Ecosystem != source.OCI {
			continue
		}
		ociFiles = append(ociFiles, lf.Path)
		data, err := m.ReadFileKey("lockfile", lf.Path)
		if err != nil {
			return nil, err
		}
		f, err := lockfile.Parse(lf.Path, data)
		if err != nil {
			return nil, err
		}
		for _, e := range f.Entries() {
			r, err := name.NewRepository(e.Name)
			if err != nil || regclient.Canonical(r) != want || (tag != "" && e.Version != tag) {
				continue
			}
			from := fmt.Sprintf("%s:%d", lf.Path, e.Line)
			var digests []string
			for _, h := range e.Hashes {
				if strings.HasPrefix(h, "sha256:") {
					digests = append(digests, h)
				}
			}
			if len(digests) != 1 {
				return nil, failure.Usagef("%s: %s==%s must have exactly one sha256 hash (the image's digest), has %d", from, e.Name, e.Version, len(digests))
			}
			h, err := v1.NewHash(digests[0])
			if err != nil {
				return nil, failure.Usagef("%s: %w", from, err)
			}
			found = append(found, &Pin{Name: want, Tag: e.Version, Digest: h, From: from})
		}
	}
	switch len(found) {
	case 0:
		where := "no oci lockfile is listed in dist.yaml"
		if len(ociFiles) > 0 {
			where = "it is not in " + strings.Join(ociFiles, ", ")
		}
		return nil, failure.Usagef("image.base %s is not pinned: %s (dist lock add %s:TAG)", b, where, repoStr)
	case 1:
		return found[0], nil
	}
	var at []string
	for _, p := range found {
		at = append(at, p.From+" ("+p.Tag+")")
	}
	return nil, failure.Usagef("image.base %s is pinned more than once (%s): write image.base as NAME:TAG", b, strings.Join(at, ", "))
}

// Reference is how a pin is shown: "name:tag@digest".
func (p *Pin) Reference() string {
	if p.Layout != "" {
		return LayoutPrefix + p.Name
	}
	if p.Tag != "" {
		return p.Name + ":" + p.Tag + "@" + p.Digest.String()
	}
	return p.Name + "@" + p.Digest.String()
}

// Image is the base image of one platform.
type Image struct {
	v1.Image
	// Digest is the platform's manifest digest (the pin's own digest when
	// the pin is a single-platform manifest).
	Digest v1.Hash
	// Repository is where the base came from, for mounting its layers
	// instead of uploading them; empty for a layout.
	Repository string
}

// Fetcher brings base images into the cache.
type Fetcher struct {
	Store *cache.Store
	// Client reaches registries; with none, only cached bases can be used.
	Client *regclient.Client
}

// Images returns the pin's image for each platform, fetching into the cache
// only the blobs it does not have yet: a rebuild needs no network.
func (f *Fetcher) Images(ctx context.Context, pin *Pin, platforms []v1.Platform) ([]*Image, error) {
	src, err := f.source(pin)
	if err != nil {
		return nil, err
	}
	top, err := f.manifest(ctx, src, pin.Digest)
	if err != nil {
		return nil, err
	}
	var digests []v1.Hash
	if top.isIndex() {
		for _, p := range platforms {
			d, err := top.choose(p)
			if err != nil {
				return nil, fmt.Errorf("base image %s: %w", pin.Reference(), err)
			}
			digests = append(digests, d)
		}
	} else {
		for range platforms {
			digests = append(digests, pin.Digest)
		}
	}

	var out []*Image
	for i, d := range digests {
		m, err := f.manifest(ctx, src, d)
		if err != nil {
			return nil, err
		}
		if m.isIndex() {
			return nil, fmt.Errorf("base image %s: %s is an index inside an index, which dist does not follow", pin.Reference(), d)
		}
		if err := f.blobs(ctx, src, m); err != nil {
			return nil, err
		}
		// The build reads these layers only to learn about the base (its
		// Python); what it uploads comes from its own store, which counts.
		img, err := f.Store.Quiet().Image(d)
		if err != nil {
			return nil, fmt.Errorf("base image %s: %w", pin.Reference(), err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("base image %s: %w", pin.Reference(), err)
		}
		// A config that names no platform (the spec requires one, a few
		// hand-made images leave it out) cannot be checked, only trusted.
		if have := cf.Platform(); have != nil && !Matches(platforms[i], *have) {
			return nil, fmt.Errorf("base image %s is for %s, not %s", pin.Reference(), have, platforms[i])
		}
		repo := ""
		if pin.Layout == "" {
			repo = pin.Name
		}
		out = append(out, &Image{Image: img, Digest: d, Repository: repo})
	}
	return out, nil
}

// Matches reports whether a base built for have can serve want. A missing
// variant means any, and arm64's only variant, v8, may go unsaid.
func Matches(want, have v1.Platform) bool {
	if want.OS != have.OS || want.Architecture != have.Architecture {
		return false
	}
	if want.Variant == "" {
		return true
	}
	norm := func(p v1.Platform) string {
		if p.Architecture == "arm64" && p.Variant == "" {
			return "v8"
		}
		return p.Variant
	}
	return norm(want) == norm(have)
}

// source is where blobs come from: a registry repository or a layout.
type blobSource interface {
	open(ctx context.Context, h v1.Hash, manifest bool) (io.ReadCloser, error)
	describe(h v1.Hash) string
}

func (f *Fetcher) source(pin *Pin) (blobSource, error) {
	if pin.Layout != "" {
		return layoutSource{dir: pin.Layout}, nil
	}
	repo, err := name.NewRepository(pin.Name)
	if f.Client != nil {
		repo, err = f.Client.ParseRepository(pin.Name)
	}
	if err != nil {
		return nil, err
	}
	return &registrySource{client: f.Client, repo: repo, pin: pin}, nil
}

type manifestDoc struct {
	MediaType types.MediaType `json:"mediaType"`
	Manifests []v1.Descriptor `json:"manifests"`
	Config    *v1.Descriptor  `json:"config"`
	Layers    []v1.Descriptor `json:"layers"`
}

func (m *manifestDoc) isIndex() bool {
	return m.MediaType.IsIndex() || (m.MediaType == "" && m.Config == nil && m.Manifests != nil)
}

func (m *manifestDoc) choose(want v1.Platform) (v1.Hash, error) {
	var seen []string
	for _, d := range m.Manifests {
		if d.Platform == nil {
			continue
		}
		if Matches(want, *d.Platform) {
			return d.Digest, nil
		}
		if d.Platform.OS != "unknown" {
			seen = append(seen, d.Platform.String())
		}
	}
	return v1.Hash{}, fmt.Errorf("has no %s image (it has %s)", want, strings.Join(seen, ", "))
}

func (f *Fetcher) manifest(ctx context.Context, src blobSource, h v1.Hash) (*manifestDoc, error) {
	if !f.Store.Has(h) {
		if err := f.fetch(ctx, src, h, true); err != nil {
			return nil, err
		}
	}
	raw, err := f.Store.Bytes(h)
	if err != nil {
		return nil, err
	}
	var m manifestDoc
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", src.describe(h), err)
	}
	if m.MediaType == types.DockerManifestSchema1 || m.MediaType == types.DockerManifestSchema1Signed {
		return nil, fmt.Errorf("%s: Docker schema 1 images are not supported", src.describe(h))
	}
	return &m, nil
}

// blobs brings a manifest's config and layers into the cache, several at
// once (the registry client's transport holds the one limit).
func (f *Fetcher) blobs(ctx context.Context, src blobSource, m *manifestDoc) error {
	if m.Config == nil {
		return errors.New("manifest without a config")
	}
	want := append([]v1.Descriptor{*m.Config}, m.Layers...)
	g, ctx := errgroup.WithContext(ctx)
	jobs := 4
	if f.Client != nil {
		jobs = f.Client.Jobs()
	}
	g.SetLimit(jobs)
	for _, d := range want {
		if f.Store.Has(d.Digest) {
			continue
		}
		g.Go(func() error { return f.fetch(ctx, src, d.Digest, false) })
	}
	return g.Wait()
}

func (f *Fetcher) fetch(ctx context.Context, src blobSource, h v1.Hash, manifest bool) error {
	rc, err := src.open(ctx, h, manifest)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := f.Store.Put(rc, h); err != nil {
		return fmt.Errorf("%s: %w", src.describe(h), err)
	}
	return nil
}

type registrySource struct {
	client *regclient.Client
	repo   name.Repository
	pin    *Pin
}

func (s *registrySource) describe(h v1.Hash) string {
	return fmt.Sprintf("base image %s@%s", s.pin.Name, h)
}

func (s *registrySource) open(ctx context.Context, h v1.Hash, manifest bool) (io.ReadCloser, error) {
	if s.client == nil {
		return nil, fmt.Errorf("%s is not in the cache, and registries are not to be used", s.describe(h))
	}
	ref := s.repo.Digest(h.String())
	if manifest {
		d, err := s.client.Get(ctx, ref)
		if errors.Is(err, regclient.ErrNotFound) {
			return nil, fmt.Errorf("%s (pinned in %s): the registry does not have it (any more); pin an image it has with dist lock upgrade", s.describe(h), s.pin.From)
		}
		if err != nil {
			return nil, fmt.Errorf("base image: %w", err)
		}
		return io.NopCloser(strings.NewReader(string(d.Manifest))), nil
	}
	l, err := s.client.Layer(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("base image: %w", err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.describe(h), err)
	}
	return rc, nil
}

type layoutSource struct{ dir string }

func (s layoutSource) describe(h v1.Hash) string {
	return fmt.Sprintf("base image %s%s@%s", LayoutPrefix, s.dir, h)
}

func (s layoutSource) open(_ context.Context, h v1.Hash, _ bool) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(s.dir, "blobs", h.Algorithm, h.Hex))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: the layout has no such blob", s.describe(h))
	}
	return f, err
}
