package cache

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/tarlayer"
)

func TestBuildReusesLayers(t *testing.T) {
	s := New(&fetch.Cache{Dir: t.TempDir()})
	entries := []tarlayer.Entry{tarlayer.Bytes("etc/a", bytes.Repeat([]byte("abc"), 1000), "a")}
	o := tarlayer.Options{ModTime: time.Unix(1700000000, 0)}
	l1, err := s.Build(entries, o)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := l1.Digest()
	p, ok := s.blobs.Lookup(d1.String())
	if !ok {
		t.Fatal("built layer not stored")
	}
	st1, _ := os.Stat(p)
	l2, err := New(&fetch.Cache{Dir: s.blobs.Dir}).Build(entries, o)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := l2.Digest()
	if d1 != d2 {
		t.Fatalf("rebuild gives %s, first build %s", d2, d1)
	}
	if st2, _ := os.Stat(p); st2.Size() != st1.Size() {
		t.Error("the stored layer changed")
	}

	// The layer reads back as the tar it was built from.
	diff, _ := l2.DiffID()
	var want bytes.Buffer
	tarlayer.Write(&want, entries, o)
	rc, err := l2.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("uncompressed layer differs from the tar")
	}
	if tr := tar.NewReader(bytes.NewReader(got)); tr != nil {
		h, err := tr.Next()
		if err != nil || h.Name != "etc/a" {
			t.Errorf("first entry %v %v", h, err)
		}
	}
	if diff.Hex == d1.Hex {
		t.Error("diff id equals the compressed digest")
	}

	// Another mtime is another layer.
	l3, err := s.Build(entries, tarlayer.Options{ModTime: time.Unix(1700000001, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if d3, _ := l3.Digest(); d3 == d1 {
		t.Error("a different mtime gives the same layer")
	}
}

func TestBlobReaderRewinds(t *testing.T) {
	s := New(&fetch.Cache{Dir: t.TempDir()})
	var counted int64
	s.Progress = func(n int64) { counted += n }
	l, err := s.Build([]tarlayer.Entry{tarlayer.Bytes("x", []byte("hello"), "x")}, tarlayer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		t.Fatalf("%T cannot seek: a retried upload would have to hold the blob in memory", rc)
	}
	first, _ := io.ReadAll(rs)
	size, _ := l.Size()
	if int64(len(first)) != size || counted != size {
		t.Fatalf("read %d, counted %d, size %d", len(first), counted, size)
	}
	// Read to EOF closed the file; a rewind opens it again.
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	again, _ := io.ReadAll(rs)
	if !bytes.Equal(first, again) || counted != size {
		t.Errorf("after rewind: %d bytes, counted %d", len(again), counted)
	}
	rc.Close()
}

func TestMissingBlob(t *testing.T) {
	s := New(&fetch.Cache{Dir: t.TempDir()})
	if _, err := s.Image(mustHash(t)); err == nil {
		t.Fatal("no error for a missing image")
	}
}

func mustHash(t *testing.T) (h v1.Hash) {
	t.Helper()
	h, err := v1.NewHash("sha256:" + string(bytes.Repeat([]byte("a"), 64)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestBuildSkipsReadingUnchangedFiles(t *testing.T) {
	s := New(&fetch.Cache{Dir: t.TempDir()})
	opens := 0
	entry := func(stat string) tarlayer.Entry {
		return tarlayer.Entry{Path: "big", Kind: tarlayer.File, Size: 5, Source: "big", Stat: stat,
			Open: func() (io.ReadCloser, error) { opens++; return io.NopCloser(bytes.NewReader([]byte("hello"))), nil }}
	}
	o := tarlayer.Options{ModTime: time.Unix(1700000000, 0)}
	first, err := s.Build([]tarlayer.Entry{entry("stat:1")}, o)
	if err != nil {
		t.Fatal(err)
	}
	if opens != 1 {
		t.Fatalf("first build read the file %d times, want 1", opens)
	}
	again, err := s.Build([]tarlayer.Entry{entry("stat:1")}, o)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := first.Digest()
	d2, _ := again.Digest()
	if opens != 1 || d1 != d2 {
		t.Errorf("unchanged file read again (%d opens), digests %s %s", opens, d1, d2)
	}
	// Another identity: the content is read again.
	if _, err := s.Build([]tarlayer.Entry{entry("stat:2")}, o); err != nil || opens != 2 {
		t.Errorf("changed identity: %d opens, %v", opens, err)
	}
	// No identity: always hashed.
	if _, err := s.Build([]tarlayer.Entry{entry("")}, o); err != nil || opens != 3 {
		t.Errorf("no identity: %d opens, %v", opens, err)
	}
	// Rebuild: read again, the same layer.
	s.Rebuild = true
	rebuilt, err := s.Build([]tarlayer.Entry{entry("stat:1")}, o)
	if err != nil || opens != 4 {
		t.Errorf("rebuild: %d opens, %v", opens, err)
	} else if d3, _ := rebuilt.Digest(); d3 != d1 {
		t.Errorf("rebuild gives %s, the first build %s", d3, d1)
	}
	s.Rebuild = false
	if tarlayer.Fingerprint([]tarlayer.Entry{entry("x")}, o) == tarlayer.Fingerprint([]tarlayer.Entry{entry("x")}, tarlayer.Options{ModTime: o.ModTime.Add(time.Second)}) {
		t.Error("the time does not change the fingerprint")
	}
}
