// Package layout is dist's one writer of OCI image layouts (image-spec v1.1
// "OCI Image Layout"): a directory with an oci-layout marker, index.json
// and content-addressed blobs. Images (publish) and the referrers attached
// beside them (referrers) are both written through it, so that two writers
// of one layout never lose each other's index.json entries.
//
// go-containerregistry's layout package is not used for writing: it writes
// blobs in place, so an interrupted write leaves a truncated blob that a
// later writer takes as present, and it rewrites index.json unlocked.
package layout

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

const (
	markerFile = "oci-layout"
	indexFile  = "index.json"
	marker     = `{"imageLayoutVersion":"1.0.0"}`
)

// ErrNotLayout is a directory that holds no OCI layout where one is needed,
// or holds something else where one would be made.
var ErrNotLayout = errors.New("is not an OCI layout")

// Blob is one blob to write: its digest and a way to read its bytes.
type Blob struct {
	Digest v1.Hash
	Open   func() (io.ReadCloser, error)
}

// BytesBlob is a Blob held in memory.
func BytesBlob(d v1.Hash, b []byte) Blob {
	return Blob{Digest: d, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

// Init makes dir an empty OCI layout unless it is one already. A directory
// that holds anything else is refused (ErrNotLayout) rather than mixed into.
// It runs under index.json's lock, so two writers starting a new layout at
// once make it once; index.json is written before the marker, so the
// marker's presence means the layout is complete.
func Init(dir string) error {
	lock, err := atomicfile.Lock(filepath.Join(dir, indexFile))
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if _, err := os.Stat(filepath.Join(dir, markerFile)); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != indexFile+".lock" {
			return fmt.Errorf("%s exists and %w", dir, ErrNotLayout)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return err
	}
	empty, err := encodeIndex(&v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}})
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, indexFile), empty, 0o644); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, markerFile), []byte(marker), 0o644)
}

// WriteBlob writes b into dir's blobs/ALG/HEX unless a blob is there
// already. It goes to a temporary file renamed into place, so a blob
// present is always whole; two writers of one blob write the same bytes,
// and the last rename wins harmlessly. No lock is needed.
func WriteBlob(dir string, b Blob) error {
	p := filepath.Join(dir, "blobs", b.Digest.Algorithm, b.Digest.Hex)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	rc, err := b.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return atomicfile.Write(p, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, rc)
		return err
	})
}

// ReadBlob reads the blob h of the layout at dir, checked against its
// digest (sha256 only, the one algorithm dist writes).
func ReadBlob(dir string, h v1.Hash) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, "blobs", h.Algorithm, h.Hex))
	if err != nil {
		return nil, err
	}
	got, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if got != h {
		return nil, fmt.Errorf("blob %s in %s has digest %s", h, dir, got)
	}
	return b, nil
}

// ReadIndex reads dir's index.json. A missing one is ErrNotLayout; a
// malformed one is an error naming the file. An index without mediaType
// (allowed before image-spec 1.1) gets the OCI index type.
func ReadIndex(dir string) (*v1.IndexManifest, error) {
	p := filepath.Join(dir, indexFile)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s %w: %w", dir, ErrNotLayout, err)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idx, err := v1.ParseIndexManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if idx.MediaType == "" {
		idx.MediaType = types.OCIImageIndex
	}
	return idx, nil
}

// UpdateIndex is the read-modify-write of dir's index.json: it takes the
// lock (atomicfile.Lock, waiting for another writer), reads the index,
// lets edit change it, and writes it back atomically. An error from edit
// leaves index.json as it was. Blobs the new entries name must be written
// before, or inside edit.
func UpdateIndex(dir string, edit func(*v1.IndexManifest) error) error {
	p := filepath.Join(dir, indexFile)
	lock, err := atomicfile.Lock(p)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	idx, err := ReadIndex(dir)
	if err != nil {
		return err
	}
	if err := edit(idx); err != nil {
		return err
	}
	out, err := encodeIndex(idx)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(p, out, 0o644)
}

func encodeIndex(idx *v1.IndexManifest) ([]byte, error) {
	out, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
