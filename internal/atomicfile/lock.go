package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockWait is how long Lock waits for another writer to finish.
var LockWait = 5 * time.Second

// ErrLocked is a file another writer holds the lock of.
var ErrLocked = errors.New("locked by another writer")

// Locked is a held lock on a file: PATH.lock, made with O_EXCL as git
// makes its lock files. Unlock removes it.
type Locked struct{ path string }

// Lock takes PATH.lock for a read-modify-write of path: read path after
// Lock returns, write it, then Unlock. A lock another writer holds is
// waited for (LockWait at most); then the error names the lock file.
func Lock(path string) (*Locked, error) {
	lp := path + ".lock"
	deadline := time.Now().Add(LockWait)
	for {
		f, err := os.OpenFile(lp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrNotExist) {
			// A file to be created in a directory not made yet.
			if err = os.MkdirAll(filepath.Dir(lp), 0o755); err == nil {
				continue
			}
		}
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return &Locked{path: lp}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if stale(lp) {
			// Its writer was killed (a prerelease stopped before its
			// commit): the re-run that finishes the work takes over.
			os.Remove(lp)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: %w: %s exists (waited %s; remove it if no dist is running)", path, ErrLocked, lp, LockWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Unlock releases the lock; a nil lock is a no-op.
func (l *Locked) Unlock() {
	if l != nil {
		os.Remove(l.path)
	}
}

// LockAll takes the locks of paths in order, releasing them all when one
// cannot be taken. Callers pass paths in one agreed order (sorted), so two
// writers never wait on each other.
func LockAll(paths []string) (unlock func(), err error) {
	var held []*Locked
	unlock = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i].Unlock()
		}
	}
	for _, p := range paths {
		l, err := Lock(p)
		if err != nil {
			unlock()
			return nil, err
		}
		held = append(held, l)
	}
	return unlock, nil
}

// stale reports whether a lock file names a process of this machine that
// is gone. A lock that names none (made by hand, or by another tool) is
// never stale: only its owner may remove it.
func stale(lp string) bool {
	data, err := os.ReadFile(lp)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return !processAlive(pid)
}
