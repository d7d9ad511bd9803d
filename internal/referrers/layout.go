package referrers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distbuild/dist/internal/atomicfile"
)

// WriteLayout attaches a to the image subject in the OCI image layout at
// dir, which must already hold the subject (an index.json entry, or a
// manifest one of them lists). The referrer manifest and its blobs are
// written beside the image and added to index.json with its artifactType
// and annotations, untagged, so that layout readers that follow subject
// (oras discover --oci-layout) find it and garbage collection keeps it. An
// entry with the same digest is replaced, so writing twice adds nothing.
// Blobs and index.json are written atomically; index.json is locked while
// it is read and rewritten.
func WriteLayout(dir string, subject v1.Hash, a Artifact) (Referrer, error) {
	idxPath := filepath.Join(dir, "index.json")
	lock, err := atomicfile.Lock(idxPath)
	if err != nil {
		return Referrer{}, err
	}
	defer lock.Unlock()

	raw, err := os.ReadFile(idxPath)
	if err != nil {
		return Referrer{}, fmt.Errorf("referrers: %s is not an OCI layout: %w", dir, err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		return Referrer{}, fmt.Errorf("referrers: %s: %w", idxPath, err)
	}
	desc, err := findLayout(dir, idx.Manifests, subject)
	if err != nil {
		return Referrer{}, err
	}
	img, err := Image(desc, a)
	if err != nil {
		return Referrer{}, err
	}
	r, err := describe(img, a)
	if err != nil {
		return Referrer{}, err
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return Referrer{}, err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return Referrer{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return Referrer{}, err
	}
	if err := writeBlob(dir, cfgName, emptyConfig); err != nil {
		return Referrer{}, err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return Referrer{}, err
		}
		if err := writeBlob(dir, d, a.Data); err != nil {
			return Referrer{}, err
		}
	}
	md, err := img.Digest()
	if err != nil {
		return Referrer{}, err
	}
	if err := writeBlob(dir, md, manifest); err != nil {
		return Referrer{}, err
	}

	entry := v1.Descriptor{
		MediaType:    types.OCIManifestSchema1,
		Size:         r.Size,
		Digest:       md,
		ArtifactType: r.ArtifactType,
		Annotations:  r.Annotations,
	}
	kept := []v1.Descriptor{}
	for _, m := range idx.Manifests {
		if m.Digest != md {
			kept = append(kept, m)
		}
	}
	idx.Manifests = append(kept, entry)
	if idx.MediaType == "" {
		idx.MediaType = types.OCIImageIndex
	}
	out, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return Referrer{}, err
	}
	if err := atomicfile.WriteFile(idxPath, append(out, '\n'), 0o644); err != nil {
		return Referrer{}, err
	}
	return r, nil
}

// ListLayout returns the referrers of subject in the OCI layout at dir,
// sorted by artifact type then digest: the manifests index.json lists
// whose subject is subject.
func ListLayout(dir string, subject v1.Hash) ([]Referrer, error) {
	idx, err := readLayoutIndex(dir)
	if err != nil {
		return nil, err
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

func readLayoutIndex(dir string) (*v1.IndexManifest, error) {
	p := filepath.Join(dir, "index.json")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("referrers: %s is not an OCI layout: %w", dir, err)
	}
	defer f.Close()
	idx, err := v1.ParseIndexManifest(f)
	if err != nil {
		return nil, fmt.Errorf("referrers: %s: %w", p, err)
	}
	return idx, nil
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

// readBlob reads a blob of the layout and checks it against its digest.
func readBlob(dir string, h v1.Hash) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, "blobs", h.Algorithm, h.Hex))
	if err != nil {
		return nil, fmt.Errorf("referrers: %w", err)
	}
	got, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if got != h {
		return nil, fmt.Errorf("referrers: blob %s in %s has digest %s", h, dir, got)
	}
	return b, nil
}

func writeBlob(dir string, h v1.Hash, data []byte) error {
	p := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, 0o644, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
