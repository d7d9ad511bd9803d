package build

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/cache"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/image/tarlayer"
)

// Result is a built image: one manifest, or an index of one per platform.
type Result struct {
	// Artifact is a v1.Image for one platform, a v1.ImageIndex for more.
	Artifact  publish.Artifact
	Digest    v1.Hash
	MediaType types.MediaType
	Images    []PlatformImage
	Release   *meta.Release
	// Warnings say why the image, built, may not run: each once, led by
	// the platforms it holds for ("linux/amd64, linux/arm64: ...").
	Warnings []string
}

// PlatformImage is the image of one platform.
type PlatformImage struct {
	Platform v1.Platform
	Digest   v1.Hash
	Image    v1.Image
}

// Build builds the image the recipe describes. Base blobs missing from
// the store are fetched; layers already in the store are reused without
// compressing.
func (p *Recipe) Build(ctx context.Context, store *cache.Store, fetcher *base.Fetcher) (*Result, error) {
	opts := tarlayer.Options{ModTime: p.Time}
	var shared []added
	for _, pl := range p.Layers {
		l, err := store.Build(pl.Entries, opts)
		if err != nil {
			return nil, fmt.Errorf("%s layer: %w", pl.Role, err)
		}
		shared = append(shared, added{role: pl.Role, layer: l})
	}

	var bases []*base.Image
	if p.Base != nil {
		var err error
		if bases, err = fetcher.Images(ctx, p.Base, p.Platforms); err != nil {
			return nil, err
		}
	}

	res := &Result{Release: p.Release}
	var warnings []string
	warned := map[string][]string{} // warning -> its platforms
	for i, plat := range p.Platforms {
		var b *base.Image
		if bases != nil {
			b = bases[i]
		}
		layers := shared
		var baseImg v1.Image
		if b != nil {
			baseImg = b.Image
		}
		entries, ws, err := p.Dependencies.Entries(ctx, plat, baseImg)
		if err != nil {
			return nil, fmt.Errorf("dependencies for %s: %w", plat, err)
		}
		for _, w := range ws {
			if _, ok := warned[w]; !ok {
				warnings = append(warnings, w)
			}
			warned[w] = append(warned[w], plat.String())
		}
		if len(entries) > 0 {
			l, err := store.Build(entries, opts)
			if err != nil {
				return nil, fmt.Errorf("dependencies layer for %s: %w", plat, err)
			}
			layers = append([]added{{role: meta.RoleDependencies, layer: l}}, shared...)
		}
		img, err := p.assemble(store, b, plat, layers)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", plat, err)
		}
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		res.Images = append(res.Images, PlatformImage{Platform: plat, Digest: d, Image: img})
	}

	for _, w := range warnings {
		res.Warnings = append(res.Warnings, strings.Join(warned[w], ", ")+": "+w)
	}
	if len(res.Images) == 1 {
		res.Artifact = res.Images[0].Image
	} else {
		idx, err := p.index(res.Images)
		if err != nil {
			return nil, err
		}
		res.Artifact = idx
	}
	var err error
	if res.Digest, err = res.Artifact.Digest(); err != nil {
		return nil, err
	}
	if res.MediaType, err = res.Artifact.MediaType(); err != nil {
		return nil, err
	}
	return res, nil
}

type added struct {
	role  string
	layer v1.Layer
}

// ociLayerType gives the OCI media type of a base layer. The image dist
// writes is OCI throughout, and a layer's media type lives only in the
// manifest, so a Docker base's layers are reused byte for byte.
func ociLayerType(mt types.MediaType) (types.MediaType, error) {
	switch mt {
	case types.DockerLayer:
		return types.OCILayer, nil
	case types.DockerUncompressedLayer:
		return types.OCIUncompressedLayer, nil
	case types.OCILayer, types.OCILayerZStd, types.OCIUncompressedLayer:
		return mt, nil
	}
	return "", fmt.Errorf("base layer media type %s is not supported (only distributable tar layers are)", mt)
}

func (p *Recipe) assemble(store *cache.Store, b *base.Image, plat v1.Platform, layers []added) (v1.Image, error) {
	created := v1.Time{Time: time.Unix(p.Time.Unix(), 0).UTC()}
	cf := &v1.ConfigFile{RootFS: v1.RootFS{Type: "layers"}}
	img := &image{layers: map[v1.Hash]v1.Layer{}}
	var descs []v1.Descriptor
	labels := map[string]string{}

	if b != nil {
		bcf, err := b.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = bcf.DeepCopy()
		bm, err := b.Manifest()
		if err != nil {
			return nil, err
		}
		if len(bm.Layers) != len(cf.RootFS.DiffIDs) {
			return nil, fmt.Errorf("base image has %d layers but %d diff ids", len(bm.Layers), len(cf.RootFS.DiffIDs))
		}
		for i, d := range bm.Layers {
			mt, err := ociLayerType(d.MediaType)
			if err != nil {
				return nil, err
			}
			desc := v1.Descriptor{MediaType: mt, Size: d.Size, Digest: d.Digest, Annotations: d.Annotations}
			l, err := store.Layer(desc, cf.RootFS.DiffIDs[i])
			if err != nil {
				return nil, err
			}
			img.add(desc, l, b.Repository)
			descs = append(descs, desc)
		}
		cf.History = baseHistory(cf)
		for k, v := range cf.Config.Labels {
			// The base's own OCI labels describe the base, not this image.
			if !strings.HasPrefix(k, "org.opencontainers.image.") {
				labels[k] = v
			}
		}
	}

	cf.Architecture, cf.OS, cf.Variant = plat.Architecture, plat.OS, plat.Variant
	cf.Created = created
	cf.Author, cf.Container, cf.DockerVersion = "", "", ""

	for _, a := range layers {
		desc, err := describe(a.layer)
		if err != nil {
			return nil, err
		}
		diffID, err := a.layer.DiffID()
		if err != nil {
			return nil, err
		}
		cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, diffID)
		cf.History = append(cf.History, v1.History{Created: created, CreatedBy: meta.CreatedBy(a.role)})
		img.add(desc, a.layer, "")
		descs = append(descs, desc)
	}

	for k, v := range p.Labels {
		labels[k] = v
	}
	if b != nil {
		labels[meta.BaseDigest] = b.Digest.String()
	}
	p.config(&cf.Config, labels)

	var err error
	if img.config, err = marshal(cf); err != nil {
		return nil, err
	}
	cfgDesc := v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(img.config)), Digest: digestOf(img.config)}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        cfgDesc,
		Layers:        descs,
		Annotations:   annotations(labels),
	}
	if img.raw, err = marshal(m); err != nil {
		return nil, err
	}
	img.configDigest = cfgDesc.Digest
	return img.v1()
}

// baseHistory keeps the base's history when it matches its layers, and
// otherwise writes one plain entry per layer, so that the history and the
// layers line up again and inspect can tell dist's layers apart.
func baseHistory(cf *v1.ConfigFile) []v1.History {
	n := 0
	for _, h := range cf.History {
		if !h.EmptyLayer {
			n++
		}
	}
	if n == len(cf.RootFS.DiffIDs) {
		return cf.History
	}
	out := make([]v1.History, len(cf.RootFS.DiffIDs))
	for i := range out {
		out[i] = v1.History{Created: cf.Created, Comment: "base image layer"}
	}
	return out
}

func describe(l v1.Layer) (v1.Descriptor, error) {
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}, nil
}

// config applies dist.yaml's image settings over the base's. Setting an
// entrypoint drops the base's cmd, as a Dockerfile's ENTRYPOINT does: a cmd
// written for another entrypoint would be its arguments.
func (p *Recipe) config(c *v1.Config, labels map[string]string) {
	im := p.Image
	if len(im.Entrypoint) > 0 {
		c.Entrypoint = append([]string{}, im.Entrypoint...)
		c.Cmd = nil
	}
	if len(im.Cmd) > 0 {
		c.Cmd = append([]string{}, im.Cmd...)
	}
	if len(im.Env) > 0 {
		keys := make([]string, 0, len(im.Env))
		for k := range im.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		env := append([]string{}, c.Env...)
		for _, k := range keys {
			kv := k + "=" + im.Env[k]
			replaced := false
			for i, e := range env {
				if strings.HasPrefix(e, k+"=") {
					env[i], replaced = kv, true
				}
			}
			if !replaced {
				env = append(env, kv)
			}
		}
		c.Env = env
	}
	if im.Workdir != "" {
		c.WorkingDir = im.Workdir
	}
	if im.User != "" {
		c.User = im.User
	}
	if len(im.Ports) > 0 {
		ports := map[string]struct{}{}
		for k, v := range c.ExposedPorts {
			ports[k] = v
		}
		for _, port := range im.Ports {
			if !strings.Contains(port, "/") {
				port += "/tcp"
			}
			ports[port] = struct{}{}
		}
		c.ExposedPorts = ports
	}
	c.Labels = labels
}

func annotations(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if strings.HasPrefix(k, "org.opencontainers.image.") {
			out[k] = v
		}
	}
	return out
}

func (p *Recipe) index(images []PlatformImage) (*index, error) {
	ann := annotations(p.Labels)
	if p.Base != nil {
		// The index's base is what the lockfile pins, itself often an index.
		ann[meta.BaseDigest] = p.Base.Digest.String()
	}
	im := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Annotations: ann}
	idx := &index{children: map[v1.Hash]v1.Image{}}
	for _, pi := range images {
		raw, err := pi.Image.RawManifest()
		if err != nil {
			return nil, err
		}
		plat := pi.Platform
		im.Manifests = append(im.Manifests, v1.Descriptor{
			MediaType: types.OCIManifestSchema1, Size: int64(len(raw)), Digest: pi.Digest, Platform: &plat,
		})
		idx.children[pi.Digest] = pi.Image
	}
	var err error
	if idx.raw, err = marshal(im); err != nil {
		return nil, err
	}
	idx.manifest = &im
	return idx, nil
}

// Indent-free JSON with sorted map keys: encoding/json's output for a
// value is fixed, which is what makes digests reproducible.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := jsonEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
