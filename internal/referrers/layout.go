package referrers

import (
	"bytes"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distbuild/dist/internal/image/layout"
)

// WriteLayout attaches a to the image subject in the OCI image layout at
// dir, which must already hold the subject (an index.json entry, or a
// manifest one of them lists). The referrer manifest and its blobs are
// written beside the image and added to index.json with its artifactType
// and annotations, untagged, so that layout readers that follow subject
// (oras discover --oci-layout) find it and garbage collection keeps it. An
// entry with the same digest is replaced, so writing twice adds nothing.
// The layout is written through internal/image/layout: blobs renamed into
// place, index.json locked while it is read and rewritten.
func WriteLayout(dir string, subject v1.Hash, a Artifact) (Referrer, error) {
	var r Referrer
	err := layout.UpdateIndex(dir, func(idx *v1.IndexManifest) error {
		desc, err := findLayout(dir, idx.Manifests, subject)
		if err != nil {
			return err
		}
		img, err := Image(desc, a)
		if err != nil {
			return err
		}
		if r, err = describe(img, a); err != nil {
			return err
		}
		manifest, err := img.RawManifest()
		if err != nil {
			return err
		}
		cfgName, err := img.ConfigName()
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		blobs := []layout.Blob{layout.BytesBlob(cfgName, emptyConfig)}
		for _, l := range layers {
			d, err := l.Digest()
			if err != nil {
				return err
			}
			blobs = append(blobs, layout.BytesBlob(d, a.Data))
		}
		md, err := img.Digest()
		if err != nil {
			return err
		}
		// The manifest last: a layout never lists a manifest whose blobs
		// are missing.
		blobs = append(blobs, layout.BytesBlob(md, manifest))
		for _, b := range blobs {
			if err := layout.WriteBlob(dir, b); err != nil {
				return err
			}
		}
		kept := []v1.Descriptor{}
		for _, m := range idx.Manifests {
			if m.Digest != md {
				kept = append(kept, m)
			}
		}
		idx.Manifests = append(kept, v1.Descriptor{
			MediaType:    types.OCIManifestSchema1,
			Size:         r.Size,
			Digest:       md,
			ArtifactType: r.ArtifactType,
			Annotations:  r.Annotations,
		})
		return nil
	})
	if err != nil {
		return Referrer{}, err
	}
	return r, nil
}

// ListLayout returns the referrers of subject in the OCI layout at dir,
// sorted by artifact type then digest: the manifests index.json lists
// whose subject is subject.
func ListLayout(dir string, subject v1.Hash) ([]Referrer, error) {
	idx, err := layout.ReadIndex(dir)
	if err != nil {
		return nil, fmt.Errorf("referrers: %w", err)
	}
	var out []Referrer
	for _, d := range idx.Manifests {
		if d.MediaType != types.OCIManifestSchema1 {
			continue
		}
		m, err := layoutManifest(dir, d.Digest)
		if err != nil {
			return nil, err
		}
		if m.Subject == nil || m.Subject.Digest != subject {
			continue
		}
		r := fromDescriptor(d)
		r.ArtifactType = artifactType(m)
		r.Annotations = m.Annotations
		out = append(out, r)
	}
	sortReferrers(out)
	return out, nil
}

// FetchLayout returns the content of the referrer r in the layout at dir:
// the first layer of its manifest, checked against its digest.
func FetchLayout(dir string, r Referrer) ([]byte, error) {
	h, err := v1.NewHash(r.Digest)
	if err != nil {
		return nil, fmt.Errorf("referrers: %w", err)
	}
	m, err := layoutManifest(dir, h)
	if err != nil {
		return nil, err
	}
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("referrers: %s has no layer", r.Digest)
	}
	return readBlob(dir, m.Layers[0].Digest)
}

// findLayout finds subject's descriptor among descs or in the indexes they
// list, so that a platform manifest can be a subject too.
func findLayout(dir string, descs []v1.Descriptor, subject v1.Hash) (v1.Descriptor, error) {
	for _, d := range descs {
		if d.Digest == subject {
			return v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest}, nil
		}
	}
	for _, d := range descs {
		if !d.MediaType.IsIndex() {
			continue
		}
		b, err := readBlob(dir, d.Digest)
		if err != nil {
			return v1.Descriptor{}, err
		}
		child, err := v1.ParseIndexManifest(bytes.NewReader(b))
		if err != nil {
			return v1.Descriptor{}, fmt.Errorf("referrers: index %s: %w", d.Digest, err)
		}
		if found, err := findLayout(dir, child.Manifests, subject); err == nil {
			return found, nil
		} else if !errors.Is(err, errNoSubject) {
			return v1.Descriptor{}, err
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%w: %s in %s", errNoSubject, subject, dir)
}

var errNoSubject = errors.New("referrers: the layout has no image")

func layoutManifest(dir string, h v1.Hash) (*v1.Manifest, error) {
	b, err := readBlob(dir, h)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("referrers: manifest %s: %w", h, err)
	}
	return m, nil
}

// readBlob reads a blob of the layout, checked against its digest.
func readBlob(dir string, h v1.Hash) ([]byte, error) {
	b, err := layout.ReadBlob(dir, h)
	if err != nil {
		return nil, fmt.Errorf("referrers: %w", err)
	}
	return b, nil
}
