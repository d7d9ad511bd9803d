package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/image/tarlayer"
)

// The tarball is the same bytes from the same entries and time, whatever
// the order they come in and whatever the files on disk say of their
// owner, mode and time; a standard reader finds every directory, file and
// mode as written.
func TestWriteTarGzReproducible(t *testing.T) {
	when := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	build := func(mode os.FileMode, mtime time.Time, reverse bool) []byte {
		t.Helper()
		dir := t.TempDir()
		whl := filepath.Join(dir, "kinto-14.3.0-py3-none-any.whl")
		if err := os.WriteFile(whl, bytes.Repeat([]byte("wheel "), 1000), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(whl, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		disk, err := tarlayer.OnDisk("vendor/pypi/kinto-14.3.0-py3-none-any.whl", whl, "kinto")
		if err != nil {
			t.Fatal(err)
		}
		disk.Exec = false
		install := tarlayer.Bytes("install.sh", []byte("#!/bin/sh\n"), "install.sh")
		install.Exec = true
		entries := []tarlayer.Entry{tarlayer.Bytes("VERSION", []byte("1.0.0\n"), "VERSION"), disk, install}
		if reverse {
			entries = []tarlayer.Entry{entries[2], entries[1], entries[0]}
		}
		var b bytes.Buffer
		if err := writeTarGz(&b, "app-1.0.0", entries, when); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a := build(0o644, time.Now(), false)
	if b := build(0o755, time.Unix(0, 0), true); !bytes.Equal(a, b) {
		t.Fatal("the same entries gave other bytes")
	}

	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", zr.Name, zr.ModTime)
	}
	var got []string
	tr := tar.NewReader(zr)
	for h, err := tr.Next(); err != io.EOF; h, err = tr.Next() {
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if !h.ModTime.Equal(when) || h.Uid != 0 || h.Gid != 0 || h.Uname != "" {
			t.Errorf("%s: %v uid %d gid %d %q", h.Name, h.ModTime, h.Uid, h.Gid, h.Uname)
		}
		got = append(got, fmt.Sprintf("%s %o %d", h.Name, h.Mode, len(body)))
	}
	want := []string{
		"app-1.0.0/ 755 0",
		"app-1.0.0/VERSION 644 6",
		"app-1.0.0/install.sh 755 10",
		"app-1.0.0/vendor/ 755 0",
		"app-1.0.0/vendor/pypi/ 755 0",
		"app-1.0.0/vendor/pypi/kinto-14.3.0-py3-none-any.whl 644 6000",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entries\n%q\nwant\n%q", got, want)
	}
}
