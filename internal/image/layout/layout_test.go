package layout

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrlayout "github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// blobOf is s as a blob (hashing bytes in memory cannot fail).
func blobOf(s string) (Blob, v1.Hash) {
	d, _, _ := v1.SHA256(bytes.NewReader([]byte(s)))
	return BytesBlob(d, []byte(s)), d
}

// TestConcurrentWriters: two writers start a new layout at once and each
// adds its entries one read-modify-write at a time. Every entry of both
// survives, and go-containerregistry reads the result.
func TestConcurrentWriters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "oci")
	const writers, each = 2, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Init(dir); err != nil {
				errs <- err
				return
			}
			for i := range each {
				b, d := blobOf(fmt.Sprintf(`{"writer":%d,"n":%d}`, w, i))
				if err := WriteBlob(dir, b); err != nil {
					errs <- err
					return
				}
				err := UpdateIndex(dir, func(idx *v1.IndexManifest) error {
					// Slow, as a writer of blobs inside the edit is
					// (referrers): the other writer gets its chance.
					time.Sleep(time.Millisecond)
					idx.Manifests = append(idx.Manifests, v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: d, Size: 1})
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	idx, err := ReadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[v1.Hash]bool{}
	for _, m := range idx.Manifests {
		seen[m.Digest] = true
	}
	for w := range writers {
		for i := range each {
			if _, d := blobOf(fmt.Sprintf(`{"writer":%d,"n":%d}`, w, i)); !seen[d] {
				t.Errorf("entry %d of writer %d lost", i, w)
			}
		}
	}
	if len(idx.Manifests) != writers*each {
		t.Errorf("%d entries, want %d", len(idx.Manifests), writers*each)
	}
	if _, err := ggcrlayout.FromPath(dir); err != nil {
		t.Errorf("go-containerregistry: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.lock")); len(left) != 0 {
		t.Errorf("locks left: %v", left)
	}
}

func TestInitRefusesOtherContent(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if err := Init(dir); !errors.Is(err, ErrNotLayout) {
		t.Errorf("busy directory: %v", err)
	}
	if _, err := ReadIndex(t.TempDir()); !errors.Is(err, ErrNotLayout) {
		t.Errorf("empty directory: %v", err)
	}
}

// TestBlobs: a blob present is not written again, and one whose bytes do
// not match its name is refused on reading.
func TestBlobs(t *testing.T) {
	dir := t.TempDir()
	if err := Init(dir); err != nil {
		t.Fatal(err)
	}
	b, d := blobOf("one")
	if err := WriteBlob(dir, b); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadBlob(dir, d); err != nil || string(got) != "one" {
		t.Fatalf("read %q, %v", got, err)
	}
	p := filepath.Join(dir, "blobs", "sha256", d.Hex)
	os.WriteFile(p, []byte("two"), 0o644)
	if err := WriteBlob(dir, b); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBlob(dir, d); err == nil {
		t.Error("a corrupt blob was read")
	}
}

// TestUpdateIndexError: an edit that fails leaves index.json as it was.
func TestUpdateIndexError(t *testing.T) {
	dir := t.TempDir()
	if err := Init(dir); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	boom := errors.New("boom")
	err := UpdateIndex(dir, func(idx *v1.IndexManifest) error {
		idx.Manifests = append(idx.Manifests, v1.Descriptor{})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("got %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "index.json")); !bytes.Equal(before, after) {
		t.Errorf("index.json changed:\n%s", after)
	}
}
