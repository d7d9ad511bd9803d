package publish

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
	"github.com/distbuild/dist/internal/image/meta"
)

const layoutMarker = `{"imageLayoutVersion":"1.0.0"}`

// WriteLayout writes art into the OCI layout at dir, creating it if needed.
// The index.json entry named refName is replaced, other entries are kept,
// and blobs already present are not written again. Every blob is written
// to a temporary file and renamed, so an interrupted build never leaves a
// truncated blob that a later one would take as present.
func WriteLayout(dir string, art Artifact, refName string) error {
	if err := prepareLayout(dir); err != nil {
		return err
	}
	blobs, err := collect(art)
	if err != nil {
		return err
	}
	for _, b := range blobs {
		if err := writeBlob(dir, b); err != nil {
			return err
		}
	}

	idx, err := readIndex(dir)
	if err != nil {
		return err
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
	out, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "index.json"), bytes.NewReader(append(out, '\n')))
}

func prepareLayout(dir string) error {
	marker := filepath.Join(dir, "oci-layout")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		// Refuse rather than mix an image into a directory that holds
		// something else.
		return fmt.Errorf("%s exists and is not an OCI layout", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return err
	}
	if err := writeFile(marker, bytes.NewReader([]byte(layoutMarker))); err != nil {
		return err
	}
	empty, _ := json.MarshalIndent(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}, "", "  ")
	return writeFile(filepath.Join(dir, "index.json"), bytes.NewReader(append(empty, '\n')))
}

func readIndex(dir string) (*v1.IndexManifest, error) {
	f, err := os.Open(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idx, err := v1.ParseIndexManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	if idx.MediaType == "" {
		idx.MediaType = types.OCIImageIndex
	}
	return idx, nil
}

// blob is one blob an artifact needs, with a way to read it.
type blob struct {
	digest v1.Hash
	open   func() (io.ReadCloser, error)
}

func bytesBlob(d v1.Hash, b []byte) blob {
	return blob{digest: d, open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

// collect lists every blob of an artifact: manifests, configs and layers,
// each once.
func collect(art Artifact) ([]blob, error) {
	seen := map[v1.Hash]bool{}
	var out []blob
	addBytes := func(d v1.Hash, b []byte) {
		if !seen[d] {
			seen[d] = true
			out = append(out, bytesBlob(d, b))
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
				out = append(out, blob{digest: ld, open: l.Compressed})
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

func writeBlob(dir string, b blob) error {
	p := filepath.Join(dir, "blobs", b.digest.Algorithm, b.digest.Hex)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	rc, err := b.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return writeFile(p, rc)
}

// writeFile writes r to path atomically, creating its directory.
func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}
