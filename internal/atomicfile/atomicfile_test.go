package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// A write through a symlink (a relative one, to a link, and a dangling
// one) changes what the link names and keeps the link.
func TestWriteThroughSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "shared", "CHANGELOG.md")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	hop := filepath.Join(dir, "hop.md")
	link := filepath.Join(dir, "CHANGELOG.md")
	if err := os.Symlink("shared/CHANGELOG.md", hop); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("hop.md", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target holds %q", b)
	}
	for _, l := range []string{link, hop} {
		if st, err := os.Lstat(l); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a link (%v)", l, err)
		}
	}
	dangling := filepath.Join(dir, "VERSION")
	if err := os.Symlink("shared/VERSION", dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, []byte("1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "shared", "VERSION")); string(b) != "1.0\n" {
		t.Errorf("dangling link's target holds %q", b)
	}
	loop := filepath.Join(dir, "loop")
	os.Symlink("loop", loop)
	if err := WriteFile(loop, []byte("x"), 0o644); err == nil {
		t.Error("a link loop was written")
	}
}

func TestLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "default.txt")
	l, err := Lock(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + ".lock"); err != nil {
		t.Fatalf("no lock file: %v", err)
	}
	old := LockWait
	LockWait = 100 * time.Millisecond
	defer func() { LockWait = old }()
	_, err = Lock(p)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), p+".lock exists") {
		t.Fatalf("second lock: %v", err)
	}
	l.Unlock()
	unlock, err := LockAll([]string{p, p + "2"})
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if _, err := os.Stat(p + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock file left: %v", err)
	}
}

// A lock left by a process that is gone (a killed run) is taken over; one
// that names no process is not.
func TestStaleLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "VERSION")
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true command")
	}
	if err := os.WriteFile(p+".lock", []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Lock(p)
	if err != nil {
		t.Fatalf("a dead process's lock was not taken over: %v", err)
	}
	l.Unlock()
	old := LockWait
	LockWait = 100 * time.Millisecond
	defer func() { LockWait = old }()
	if err := os.WriteFile(p+".lock", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(p); !errors.Is(err, ErrLocked) {
		t.Errorf("a lock naming no process: %v", err)
	}
}
