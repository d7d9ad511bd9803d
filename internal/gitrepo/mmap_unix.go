//go:build unix

package gitrepo

import (
	"bytes"
	"errors"
	"os"
	"syscall"
)

func openMapped(path, name string) (*memFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size == 0 || int64(int(size)) != size {
		return nil, errors.New("cannot map")
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), name: name, release: func() error { return syscall.Munmap(data) }}, nil
}
