package publish

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/image/layout"
	"github.com/distbuild/dist/internal/image/meta"
)

// WriteLayout writes art into the OCI layout at dir, creating it if needed.
// The index.json entry named refName is replaced, other entries are kept,
// and blobs already present are not written again. Blobs are renamed into
// place and index.json is rewritten under its lock (internal/image/layout),
// so an interrupted build never leaves a truncated blob, and two builds
// writing one layout keep both their entries.
func WriteLayout(dir string, art Artifact, refName string) error {
	if err := layout.Init(dir); err != nil {
		return err
	}
	blobs, err := collect(art)
	if err != nil {
		return err
	}
	for _, b := range blobs {
		if err := layout.WriteBlob(dir, b); err != nil {
			return err
		}
	}
	d, err := art.Digest()
	if err != nil {
		return err
	}
	mt, err := art.MediaType()
	if err != nil {
		return err
	}
	size, err := art.Size()
	if err != nil {
		return err
	}
	desc := v1.Descriptor{MediaType: mt, Size: size, Digest: d}
	if refName != "" {
		desc.Annotations = map[string]string{meta.RefName: refName}
	}
	return layout.UpdateIndex(dir, func(idx *v1.IndexManifest) error {
		kept := []v1.Descriptor{}
		for _, m := range idx.Manifests {
			if refName != "" && m.Annotations[meta.RefName] == refName {
				continue
			}
			if refName == "" && m.Digest == d {
				continue
			}
			kept = append(kept, m)
		}
		idx.Manifests = append(kept, desc)
		return nil
	})
}

// collect lists every blob of an artifact: manifests, configs and layers,
// each once.
func collect(art Artifact) ([]layout.Blob, error) {
	seen := map[v1.Hash]bool{}
	var out []layout.Blob
	addBytes := func(d v1.Hash, b []byte) {
		if !seen[d] {
			seen[d] = true
			out = append(out, layout.BytesBlob(d, b))
		}
	}
	var image func(img v1.Image) error
	image = func(img v1.Image) error {
		raw, err := img.RawManifest()
		if err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		addBytes(d, raw)
		cfg, err := img.RawConfigFile()
		if err != nil {
			return err
		}
		cn, err := img.ConfigName()
		if err != nil {
			return err
		}
		addBytes(cn, cfg)
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		for _, l := range layers {
			ld, err := l.Digest()
			if err != nil {
				return err
			}
			if !seen[ld] {
				seen[ld] = true
				out = append(out, layout.Blob{Digest: ld, Open: l.Compressed})
			}
		}
		return nil
	}
	switch a := art.(type) {
	case v1.Image:
		if err := image(a); err != nil {
			return nil, err
		}
	case v1.ImageIndex:
		im, err := a.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, m := range im.Manifests {
			img, err := a.Image(m.Digest)
			if err != nil {
				return nil, err
			}
			if err := image(img); err != nil {
				return nil, err
			}
		}
		raw, err := a.RawManifest()
		if err != nil {
			return nil, err
		}
		d, err := a.Digest()
		if err != nil {
			return nil, err
		}
		addBytes(d, raw)
	default:
		return nil, fmt.Errorf("cannot write a %T", art)
	}
	return out, nil
}
