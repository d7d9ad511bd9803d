package gitrepo

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
)

// packFS hands go-git the repository's pack and pack index files as
// memory (mapped where the platform allows) instead of open files. go-git
// reads a pack index through small unbuffered reads and every object with
// a seek and a read of its own; each of those is a system call, and system
// calls were most of what reading a thousand tags and walking two thousand
// commits cost. Pack files never change once written (git writes new ones
// and deletes old ones), so a mapping stays valid.
type packFS struct {
	billy.Filesystem
	commonDir string // where objects/ is
}

func isPackData(name string) bool {
	name = filepath.ToSlash(name)
	return strings.HasPrefix(name, "objects/pack/") && (strings.HasSuffix(name, ".pack") || strings.HasSuffix(name, ".idx"))
}

func (fs packFS) Open(name string) (billy.File, error) {
	if isPackData(name) {
		if f, err := openMapped(filepath.Join(fs.commonDir, filepath.FromSlash(name)), name); err == nil {
			return f, nil
		}
	}
	return fs.Filesystem.Open(name)
}

func (fs packFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	if flag == os.O_RDONLY && isPackData(name) {
		return fs.Open(name)
	}
	return fs.Filesystem.OpenFile(name, flag, perm)
}

// memFile is a read-only billy.File over bytes; release frees them.
type memFile struct {
	*bytes.Reader
	name    string
	release func() error
}

var errReadOnly = errors.New("read-only pack file")

func (f *memFile) Name() string              { return f.name }
func (f *memFile) Write([]byte) (int, error) { return 0, errReadOnly }
func (f *memFile) Truncate(int64) error      { return errReadOnly }
func (f *memFile) Lock() error               { return nil }
func (f *memFile) Unlock() error             { return nil }
func (f *memFile) Close() error {
	if f.release == nil {
		return nil
	}
	err := f.release()
	f.release = nil
	return err
}
