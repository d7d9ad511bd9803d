// Package tarlayer writes the tar stream of an image layer so that the same
// files give the same bytes on any machine: entries sorted by path, owner,
// mode and time fixed, nothing taken from the machine (user names, access
// times, umask).
//
// Every entry is owned by root (uid 0, gid 0), as ko and distroless do: the
// server runs as image.user, and a file that user owned (its own binary,
// its config, the installed packages) is a file a compromised server could
// rewrite.
package tarlayer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"time"
)

// Kind is what a tar entry is.
type Kind int

// The kinds of entry a layer holds; devices, fifos and sockets have no place
// in a distribution's files.
const (
	File Kind = iota
	Dir
	Symlink
)

// Entry is one file, directory or symlink of a layer.
type Entry struct {
	// Path is slash-separated and relative to the image root: "etc/app.ini".
	Path string
	Kind Kind
	// Exec marks an executable file; it is the only mode bit kept.
	Exec bool
	// Size and Open give a file's content.
	Size int64
	Open func() (io.ReadCloser, error)
	// Link is a symlink's target, written as it is.
	Link string
	// Source says where the entry comes from, for error messages.
	Source string
	// Stat identifies a file's content without reading it: it changes
	// whenever the content does (a digest, or an inode with its change
	// time). Empty when no such identity is known; the layer's content is
	// then hashed on every build.
	Stat string
}

// Bytes is a file entry holding data.
func Bytes(path string, data []byte, source string) Entry {
	sum := sha256.Sum256(data)
	return Entry{
		Path: path, Kind: File, Size: int64(len(data)), Source: source,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		Stat: "sha256:" + hex.EncodeToString(sum[:]),
	}
}

// Fingerprint identifies the tar that Write would produce from entries and
// o without reading any file, or returns "" when an entry's content has no
// Stat. Two calls give the same fingerprint only if Write would give the
// same bytes, so a layer built once can be found again from it.
func Fingerprint(entries []Entry, o Options) string {
	sorted, err := Sort(entries)
	if err != nil {
		return ""
	}
	h := sha256.New()
	// Version 2: entries are always root's (version 1 hashed an owner).
	fmt.Fprintf(h, "tarlayer/2\x00%d\x00", o.ModTime.Unix())
	for _, e := range sorted {
		if e.Kind == File && e.Stat == "" {
			return ""
		}
		fmt.Fprintf(h, "%q\x00%d\x00%t\x00%d\x00%q\x00%q\x00", e.Path, e.Kind, e.Exec, e.Size, e.Link, e.Stat)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Options fixes what the files themselves do not say. There is no owner:
// every entry is root's.
type Options struct {
	// ModTime is every entry's mtime; sub-second parts are dropped because
	// the ustar header cannot hold them and PAX records would vary the
	// format with the clock.
	ModTime time.Time
}

// Sort orders entries by path, which puts every directory before what it
// holds; it reports a path given twice, and a path a layer cannot hold (see
// CheckPath).
func Sort(entries []Entry) ([]Entry, error) {
	for _, e := range entries {
		if err := CheckPath(e.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Source, err)
		}
	}
	out := append([]Entry(nil), entries...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	for i := 1; i < len(out); i++ {
		if out[i].Path == out[i-1].Path {
			return nil, fmt.Errorf("/%s is written by both %s and %s", out[i].Path, out[i-1].Source, out[i].Source)
		}
	}
	return out, nil
}

// Write writes entries as a tar stream.
func Write(w io.Writer, entries []Entry, o Options) error {
	sorted, err := Sort(entries)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	mtime := time.Unix(o.ModTime.Unix(), 0).UTC()
	for _, e := range sorted {
		h := &tar.Header{
			Name:    e.Path,
			ModTime: mtime,
			Uid:     0,
			Gid:     0,
			// USTAR when the names fit, PAX otherwise: decided by the
			// entry alone, so the same entry always looks the same.
			Format: tar.FormatUnknown,
		}
		switch e.Kind {
		case Dir:
			h.Typeflag = tar.TypeDir
			h.Name += "/"
			h.Mode = 0o755
		case Symlink:
			h.Typeflag = tar.TypeSymlink
			h.Linkname = e.Link
			h.Mode = 0o777
		case File:
			h.Typeflag = tar.TypeReg
			h.Size = e.Size
			h.Mode = 0o644
			if e.Exec {
				h.Mode = 0o755
			}
		default:
			return fmt.Errorf("%s: unknown entry kind %d", e.Source, e.Kind)
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", e.Source, err)
		}
		if e.Kind != File {
			continue
		}
		if err := copyContent(tw, e); err != nil {
			return err
		}
	}
	return tw.Close()
}

func copyContent(tw *tar.Writer, e Entry) error {
	rc, err := e.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", e.Source, err)
	}
	defer rc.Close()
	n, err := io.Copy(tw, rc)
	if err != nil {
		return fmt.Errorf("%s: %w (did it change during the build?)", e.Source, err)
	}
	if n != e.Size {
		return fmt.Errorf("%s: read %d bytes, expected %d: it changed during the build", e.Source, n, e.Size)
	}
	return nil
}
