package tarlayer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/image/imagetest"
)

type header struct {
	name, link string
	typ        byte
	mode       int64
	uid, gid   int
	mtime      int64
	body       string
}

func read(t *testing.T, b []byte) []header {
	t.Helper()
	var out []header
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: machine-dependent fields set: %+v", h.Name, h)
		}
		out = append(out, header{h.Name, h.Linkname, h.Typeflag, h.Mode, h.Uid, h.Gid, h.ModTime.Unix(), string(body)})
	}
}

func TestWriteSortsAndFixesMetadata(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("X", 3600))
	entries := []Entry{
		Bytes("usr/bin/tool", []byte("#!/bin/sh\n"), "tool"),
		{Path: "etc/app", Kind: Dir, Source: "etc"},
		Bytes("etc/app/b.ini", []byte("b"), "b"),
		{Path: "etc/app/link", Kind: Symlink, Link: "b.ini", Source: "link"},
		Bytes("etc/app-x", []byte("x"), "x"),
	}
	entries[0].Exec = true
	var a, b bytes.Buffer
	if err := Write(&a, entries, Options{ModTime: when}); err != nil {
		t.Fatal(err)
	}
	// Another order, same bytes.
	rev := append([]Entry{}, entries...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if err := Write(&b, rev, Options{ModTime: when}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same entries in another order give other bytes")
	}
	got := read(t, a.Bytes())
	want := []header{
		// Sorted by path without the directory's slash: a directory
		// still comes before what it holds.
		{"etc/app/", "", tar.TypeDir, 0o755, 0, 0, when.Unix(), ""},
		{"etc/app-x", "", tar.TypeReg, 0o644, 0, 0, when.Unix(), "x"},
		{"etc/app/b.ini", "", tar.TypeReg, 0o644, 0, 0, when.Unix(), "b"},
		{"etc/app/link", "b.ini", tar.TypeSymlink, 0o777, 0, 0, when.Unix(), ""},
		{"usr/bin/tool", "", tar.TypeReg, 0o755, 0, 0, when.Unix(), "#!/bin/sh\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestWriteRefusesDuplicatesAndChangedFiles(t *testing.T) {
	err := Write(io.Discard, []Entry{Bytes("a", nil, "one"), Bytes("a", nil, "two")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "/a is written by both one and two") {
		t.Errorf("duplicate: %v", err)
	}
	short := Bytes("a", []byte("abc"), "short")
	short.Size = 5
	if err := Write(io.Discard, []Entry{short}, Options{}); err == nil || !strings.Contains(err.Error(), "changed during the build") {
		t.Errorf("short file: %v", err)
	}
	long := Bytes("a", []byte("abcdef"), "long")
	long.Size = 2
	if err := Write(io.Discard, []Entry{long}, Options{}); err == nil {
		t.Error("a file longer than its size was accepted")
	}
}

func TestFiles(t *testing.T) {
	root := t.TempDir()
	imagetest.WriteFiles(t, root, map[string]string{
		"config/app.ini":      "[app]\n",
		"bin/run*":            "#!/bin/sh\n",
		"share/a/one.txt":     "1",
		"share/a/sub/two.txt": "2",
		"share/a/link":        "-> one.txt",
		"share/a/abs":         "-> /etc/passwd",
		"share/a/.git/HEAD":   "ref: x",
		"alias.ini":           "-> config/app.ini",
	})
	got, err := Files(root, []Copy{
		{Src: "config/app.ini", Dst: "/etc/app.ini", What: "image.files"},
		{Src: "bin/run", Dst: "/usr/local/bin/", What: "image.files"},
		{Src: "share/a", Dst: "/opt/a", What: "image.files"},
		{Src: "alias.ini", What: "image.files"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sorted, _ := Sort(got)
	var lines []string
	for _, e := range sorted {
		s := e.Path
		switch e.Kind {
		case Dir:
			s += "/"
		case Symlink:
			s += " -> " + e.Link
		case File:
			if e.Exec {
				s += "*"
			}
		}
		lines = append(lines, s)
	}
	want := strings.Join([]string{
		"alias.ini",
		"etc/app.ini",
		"opt/a/abs -> /etc/passwd",
		"opt/a/link -> one.txt",
		"opt/a/one.txt",
		"opt/a/sub/",
		"opt/a/sub/two.txt",
		"usr/local/bin/run*",
	}, "\n")
	if g := strings.Join(lines, "\n"); g != want {
		t.Errorf("entries:\n%s\nwant:\n%s", g, want)
	}
}

func TestFilesRefused(t *testing.T) {
	outside := t.TempDir()
	imagetest.WriteFiles(t, outside, map[string]string{"secret": "s", "dir/f": "f"})
	root := t.TempDir()
	imagetest.WriteFiles(t, root, map[string]string{
		"ok":         "x",
		"escape":     "-> " + filepath.Join(outside, "secret"),
		"escape-dir": "-> " + filepath.Join(outside, "dir"),
		"up":         "-> ../",
		"d/.wh.gone": "x",
		"other/ok":   "y",
	})
	for _, tc := range []struct {
		c    Copy
		want string
	}{
		{Copy{Src: "missing", What: "image.files"}, "image.files: missing: does not exist"},
		{Copy{Src: "../x", What: "image.files"}, "image.files: ../x: is outside the repository"},
		{Copy{Src: "/etc/passwd", What: "image.files"}, "must be relative to the repository root"},
		{Copy{Src: "escape", What: "image.files"}, "image.files: escape: leads outside the repository"},
		{Copy{Src: "escape-dir/f", What: "image.files"}, "leads outside the repository"},
		{Copy{Src: "up", What: "image.files"}, "leads outside the repository"},
		{Copy{Src: "d", What: "image.files"}, "whiteouts"},
		{Copy{Src: "", What: "image.files"}, "src is empty"},
	} {
		_, err := Files(root, []Copy{tc.c})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.c, err, tc.want)
		}
	}
	_, err := Files(root, []Copy{{Src: "ok", Dst: "/x", What: "image.files"}, {Src: "other/ok", Dst: "/x", What: "image.files"}})
	if err == nil || !strings.Contains(err.Error(), "/x is written by both") {
		t.Errorf("two sources for one path: %v", err)
	}
	// A repository reached through a symlink is still the repository.
	link := filepath.Join(t.TempDir(), "repo")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Files(link, []Copy{{Src: "ok", What: "image.files"}}); err != nil {
		t.Errorf("repository behind a symlink: %v", err)
	}
}

func TestOnDisk(t *testing.T) {
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{"a.whl": "wheel", "run": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(dir, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.whl", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for dst, src := range map[string]string{"v/a.whl": "a.whl", "bin/run": "run", "v/via-link.whl": "link"} {
		e, err := OnDisk(dst, filepath.Join(dir, src), src)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	var b bytes.Buffer
	if err := Write(&b, entries, Options{}); err != nil {
		t.Fatal(err)
	}
	got := read(t, b.Bytes())
	want := []header{
		{"bin/run", "", tar.TypeReg, 0o755, 0, 0, 0, "#!/bin/sh\n"},
		{"v/a.whl", "", tar.TypeReg, 0o644, 0, 0, 0, "wheel"},
		{"v/via-link.whl", "", tar.TypeReg, 0o644, 0, 0, 0, "wheel"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if _, err := OnDisk("x", dir, "a directory"); err == nil || !strings.Contains(err.Error(), "a directory is not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, err := OnDisk("x", filepath.Join(dir, "missing"), "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}
