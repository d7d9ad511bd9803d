package atomicfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteFileKeepsMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("got %q mode %v", b, st.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestKilledWriter kills a process in the middle of writing, many times at
// different moments: the file must always hold the old bytes or the new ones.
func TestKilledWriter(t *testing.T) {
	if p := os.Getenv("ATOMICFILE_CHILD"); p != "" {
		for {
			WriteFile(p, bytes.Repeat([]byte("n"), 8<<20), 0o644)
			WriteFile(p, bytes.Repeat([]byte("o"), 8<<20), 0o644)
		}
	}
	p := filepath.Join(t.TempDir(), "lock.txt")
	old := bytes.Repeat([]byte("o"), 8<<20)
	if err := os.WriteFile(p, old, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriter$")
		cmd.Env = append(os.Environ(), "ATOMICFILE_CHILD="+p)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+i*13) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 8<<20 || (strings.Trim(string(b), "o") != "" && strings.Trim(string(b), "n") != "") {
			t.Fatalf("kill %d: file torn: %d bytes", i, len(b))
		}
	}
}
