package wheel

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// readAll reads a File through Open.
func readAll(t *testing.T, f File) ([]byte, error) {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func writeWheel(t *testing.T, data []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "w.whl")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// InstallFile gives what installBytes gives, members read from the wheel.
func TestInstallFileStreamsMembers(t *testing.T) {
	data, pin := build(t, "Demo.Tool", "1.0", demoWheel("py3-none-any"))
	want, err := installBytes(data, pin, imageLayout)
	if err != nil {
		t.Fatal(err)
	}
	file := writeWheel(t, data)
	got, err := InstallFile(file, pin, imageLayout)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("InstallFile gave %d files, installBytes %d", len(got), len(want))
	}
	streamed := 0
	for i, f := range got {
		w := want[i]
		if f.Path != w.Path || f.Mode != w.Mode || f.Size != int64(len(w.Data)) || f.SHA256 != sha256.Sum256(w.Data) {
			t.Errorf("%s: %v %d bytes, installBytes gives %s: %v %d bytes", f.Path, f.Mode, f.Size, w.Path, w.Mode, len(w.Data))
		}
		content, err := readAll(t, f)
		if err != nil || !bytes.Equal(content, w.Data) {
			t.Errorf("%s: Open gives %q, %v; want %q", f.Path, content, err, w.Data)
		}
		if f.Data == nil && f.Wheel == file {
			streamed++
		}
	}
	// Everything but RECORD, INSTALLER, the three wrappers and the two
	// "#!python" scripts.
	if streamed != len(got)-7 {
		t.Errorf("%d of %d files stream from the wheel, want %d", streamed, len(got), len(got)-7)
	}

	// A wheel replaced after the install fails the read rather than
	// install other bytes.
	other, _ := build(t, "Demo.Tool", "1.0", pyindex.File{Members: []pyindex.Member{
		{Name: "demo_tool/cli.py", Data: strings.Repeat("X", len(cliPy))},
	}})
	if err := os.WriteFile(file, other, 0o644); err != nil {
		t.Fatal(err)
	}
	failed := false
	for i, f := range got {
		if f.Wheel == "" {
			continue
		}
		content, err := readAll(t, f)
		if err == nil && !bytes.Equal(content, want[i].Data) {
			t.Errorf("%s: read other bytes from a replaced wheel without error", f.Path)
		}
		if f.Path == imageLayout.SitePackages+"/demo_tool/cli.py" {
			failed = err != nil
		}
	}
	if !failed {
		t.Error("demo_tool/cli.py read from a replaced wheel without error")
	}
}

// A 64 MiB member is neither held by InstallFile nor by reading it back:
// memory stays far below its size.
func TestInstallFileBoundedMemory(t *testing.T) {
	const size = 64 << 20
	data, pin := build(t, "big", "1.0", pyindex.File{Members: []pyindex.Member{
		{Name: "big/blob.bin", Data: strings.Repeat("\x00", size)},
	}})
	file := writeWheel(t, data)
	data = nil

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	files, err := InstallFile(file, pin, imageLayout)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	const bound = 8 << 20
	t.Logf("InstallFile allocated %d bytes", after.TotalAlloc-before.TotalAlloc)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
		t.Errorf("InstallFile allocated %d bytes for a %d-byte member", grew, size)
	}
	blob := byPath(files)[imageLayout.SitePackages+"/big/blob.bin"]
	if blob.Data != nil || blob.Wheel != file || blob.Member != "big/blob.bin" || blob.Size != size {
		t.Fatalf("the member is not backed by the wheel: %d bytes of Data, Wheel %q, Member %q, Size %d", len(blob.Data), blob.Wheel, blob.Member, blob.Size)
	}

	runtime.GC()
	runtime.ReadMemStats(&before)
	rc, err := blob.Open()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	if [sha256.Size]byte(h.Sum(nil)) != sha256.Sum256(make([]byte, size)) {
		t.Error("the member reads back different")
	}
	t.Logf("reading the member allocated %d bytes", after.TotalAlloc-before.TotalAlloc)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
		t.Errorf("reading the member allocated %d bytes", grew)
	}
}
