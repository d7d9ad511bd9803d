// Package cache keeps image blobs on disk by digest: the manifests, configs
// and layers of base images, so that a rebuild works offline, and the layers
// dist builds, so that an unchanged layer is never compressed twice. Blobs
// live in fetch's content-addressed cache, beside every other download.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/tarlayer"
)

// ErrNotCached is returned for a blob the store does not have.
var ErrNotCached = errors.New("not in the cache")

// Store is the image blob cache.
type Store struct {
	blobs *fetch.Cache
	// Progress, when set, is told how many bytes are read from stored
	// blobs as they are uploaded or copied; it must be safe for concurrent
	// use.
	Progress func(n int64)
	// Rebuild makes Build read and compress every layer again, finding
	// none from an earlier build: for a build that must not trust what
	// earlier builds left (dist verify-image). Blobs put by digest (base
	// images) are still read: they are downloads, checked by digest.
	Rebuild bool
}

// New returns a Store keeping its blobs in c.
func New(c *fetch.Cache) *Store { return &Store{blobs: c} }

// Quiet returns a Store on the same blobs that tells no Progress, for
// reading blobs that are not being uploaded or copied.
func (s *Store) Quiet() *Store { return &Store{blobs: s.blobs, Rebuild: s.Rebuild} }

// Has reports whether the blob h is stored.
func (s *Store) Has(h v1.Hash) bool {
	_, ok := s.blobs.Lookup(h.String())
	return ok
}

// Bytes returns a stored blob; small blobs (manifests, configs) only.
func (s *Store) Bytes(h v1.Hash) ([]byte, error) {
	p, ok := s.blobs.Lookup(h.String())
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", h, ErrNotCached)
	}
	return os.ReadFile(p)
}

// Put stores r's bytes, which must hash to want.
func (s *Store) Put(r io.Reader, want v1.Hash) error {
	_, _, err := s.blobs.Put(r, want.String())
	return err
}

// Layer returns the stored blob desc.Digest as a layer whose uncompressed
// content hashes to diffID.
func (s *Store) Layer(desc v1.Descriptor, diffID v1.Hash) (v1.Layer, error) {
	p, ok := s.blobs.Lookup(desc.Digest.String())
	if !ok {
		return nil, fmt.Errorf("layer %s: %w", desc.Digest, ErrNotCached)
	}
	// The wrapper adds Uncompressed, for gzip and zstd alike, on top of
	// what a stored blob knows.
	return partial.CompressedToLayer(&layer{s: s, path: p, desc: desc, diffID: diffID})
}

// compression names how built layers are compressed, and so which stored
// compressed blob a layer's tar maps to. A new compressor version may write
// other bytes for the same tar; keying on it means a cache filled by an
// older dist never hands out bytes that a fresh build would not produce.
var compression = func() string {
	v := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/klauspost/compress" {
				v = d.Version
				if d.Replace != nil {
					v = d.Replace.Version
				}
			}
		}
	}
	return "gzip" + strconv.Itoa(gzipLevel) + "-klauspost-" + v
}()

// gzipLevel trades a little speed for smaller layers; klauspost's encoder
// stores incompressible data at nearly copy speed at any level.
const gzipLevel = gzip.DefaultCompression

type record struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

func (s *Store) recordPath(diffID v1.Hash) string {
	return filepath.Join(s.blobs.Dir, "image-layers", compression, diffID.Hex)
}

// Build returns the gzip-compressed layer holding entries.
//
// Files unchanged since an earlier build (same inodes and times, see
// tarlayer.Fingerprint) are not read at all. Otherwise the tar is hashed
// and compressed in one pass: with this compressor, compressing costs about
// as much as hashing, so a separate hashing pass to look for an earlier
// compressed copy would cost more than it saves. With Rebuild, every
// file is read.
func (s *Store) Build(entries []tarlayer.Entry, o tarlayer.Options) (v1.Layer, error) {
	fp := tarlayer.Fingerprint(entries, o)
	if fp != "" && !s.Rebuild {
		if b, err := os.ReadFile(s.statPath(fp)); err == nil {
			if d, err := v1.NewHash(string(b)); err == nil {
				if l, err := s.lookupBuilt(d); err == nil {
					return l, nil
				}
			}
		}
	}

	pr, pw := io.Pipe()
	h := sha256.New()
	go func() {
		gz, err := gzip.NewWriterLevel(pw, gzipLevel)
		if err == nil {
			err = tarlayer.Write(io.MultiWriter(gz, h), entries, o)
		}
		if err == nil {
			err = gz.Close()
		}
		pw.CloseWithError(err)
	}()
	p, digest, err := s.blobs.Put(pr, "")
	pr.Close()
	if err != nil {
		return nil, err
	}
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	d, err := v1.NewHash(digest)
	if err != nil {
		return nil, err
	}
	// Lost records cost one more build, never a wrong layer, so failures
	// to write them are not errors.
	rec, _ := json.Marshal(record{Digest: digest, Size: st.Size()})
	writeAtomic(s.recordPath(diffID), rec)
	if fp != "" {
		writeAtomic(s.statPath(fp), []byte(diffID.String()))
	}
	return s.Layer(v1.Descriptor{MediaType: types.OCILayer, Digest: d, Size: st.Size()}, diffID)
}

func (s *Store) statPath(fingerprint string) string {
	return filepath.Join(s.blobs.Dir, "image-layers", "stat", fingerprint)
}

func (s *Store) lookupBuilt(diffID v1.Hash) (v1.Layer, error) {
	b, err := os.ReadFile(s.recordPath(diffID))
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err
	}
	d, err := v1.NewHash(rec.Digest)
	if err != nil {
		return nil, err
	}
	return s.Layer(v1.Descriptor{MediaType: types.OCILayer, Digest: d, Size: rec.Size}, diffID)
}

func writeAtomic(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// layer is a stored blob seen as a compressed layer.
type layer struct {
	s      *Store
	path   string
	desc   v1.Descriptor
	diffID v1.Hash
}

func (l *layer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *layer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *layer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *layer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

func (l *layer) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	return &blobReader{path: l.path, f: f, progress: l.s.Progress}, nil
}

// blobReader reads a stored blob. It can seek, so that an HTTP retry can
// send the blob again from the start without holding it in memory, and it
// closes its file at EOF, because a retrying HTTP client that rewinds a body
// does not close it.
type blobReader struct {
	path     string
	f        *os.File
	off      int64
	progress func(int64)
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.f == nil {
		return 0, io.EOF
	}
	n, err := b.f.Read(p)
	b.off += int64(n)
	if b.progress != nil && n > 0 {
		b.progress(int64(n))
	}
	if err == io.EOF {
		b.f.Close()
		b.f = nil
	}
	return n, err
}

func (b *blobReader) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekStart {
		return 0, errors.New("blobReader: only absolute seeks")
	}
	if b.f == nil {
		f, err := os.Open(b.path)
		if err != nil {
			return 0, err
		}
		b.f = f
	}
	if _, err := b.f.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	if b.progress != nil {
		// Bytes sent again are counted again; take back the ones before.
		b.progress(offset - b.off)
	}
	b.off = offset
	return offset, nil
}

func (b *blobReader) Close() error {
	if b.f == nil {
		return nil
	}
	err := b.f.Close()
	b.f = nil
	return err
}

// Image returns the stored image manifest h, with its config and layers
// read from the store.
func (s *Store) Image(h v1.Hash) (v1.Image, error) {
	raw, err := s.Bytes(h)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", h, err)
	}
	cfg, err := s.Bytes(m.Config.Digest)
	if err != nil {
		return nil, err
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(cfg))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if len(cf.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("manifest %s has %d layers but its config %d", h, len(m.Layers), len(cf.RootFS.DiffIDs))
	}
	img := &storedImage{s: s, raw: raw, m: m, config: cfg, layers: map[v1.Hash]v1.Layer{}}
	for i, d := range m.Layers {
		l, err := s.Layer(d, cf.RootFS.DiffIDs[i])
		if err != nil {
			return nil, err
		}
		img.layers[d.Digest] = l
	}
	return partial.CompressedToImage(img)
}

type storedImage struct {
	s      *Store
	raw    []byte
	m      *v1.Manifest
	config []byte
	layers map[v1.Hash]v1.Layer
}

func (i *storedImage) RawManifest() ([]byte, error)   { return i.raw, nil }
func (i *storedImage) RawConfigFile() ([]byte, error) { return i.config, nil }

func (i *storedImage) MediaType() (types.MediaType, error) {
	if i.m.MediaType != "" {
		return i.m.MediaType, nil
	}
	return types.OCIManifestSchema1, nil
}

func (i *storedImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	if h == i.m.Config.Digest {
		return partial.ConfigLayer(i)
	}
	return nil, fmt.Errorf("image has no blob %s", h)
}
