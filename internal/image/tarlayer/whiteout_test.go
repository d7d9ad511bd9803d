package tarlayer

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// No route into a layer may write a name the layer format reads as a
// whiteout, whichever component of the path holds it.
func TestWhiteoutNamesRefused(t *testing.T) {
	for _, p := range []string{
		"usr/local/bin/.wh.python3",
		"usr/local/.wh..wh..opq",
		".wh.usr",
		"etc/.wh.app/app.ini",
	} {
		t.Run("Write "+p, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, []Entry{Bytes("etc/ok", []byte("ok"), "ok"), Bytes(p, []byte("x"), "rendered config")}, Options{})
			if err == nil || !strings.Contains(err.Error(), "rendered config") || !strings.Contains(err.Error(), "whiteout") {
				t.Fatalf("Write: %v", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before refusing", buf.Len())
			}
			if fp := Fingerprint([]Entry{Bytes(p, []byte("x"), "x")}, Options{}); fp != "" {
				t.Errorf("Fingerprint of a layer that cannot be written: %s", fp)
			}
		})
	}
	for _, p := range []string{"etc/wh.conf", "etc/.whatever", "etc/x.wh.y", "etc/..wh.x"} {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q): %v", p, err)
		}
	}

	t.Run("image.files", func(t *testing.T) {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "tree", "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "tree", "sub", ".wh..wh..opq"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "plain"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, c := range []Copy{
			{Src: "tree", Dst: "/usr/local", What: "image.files"},
			{Src: "plain", Dst: "/usr/local/bin/.wh.python3", What: "image.files"},
			{Src: "plain", Dst: "/opt/.wh.app/", What: "image.files"},
		} {
			if _, err := Files(root, []Copy{c}); err == nil || !strings.Contains(err.Error(), "image.files") || !strings.Contains(err.Error(), "whiteout") {
				t.Errorf("%+v: %v", c, err)
			}
		}
	})
}
