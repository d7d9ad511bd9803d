//go:build unix

package gitrepo

import (
	"errors"
	"os"
	"syscall"
)

// readSmallFile reads a file of a few dozen bytes with three system calls
// (open, read, close), where os.ReadFile makes six or more: the difference
// decides how fast a thousand loose refs read.
func readSmallFile(path string, buf []byte) (string, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	n, err := syscall.Read(fd, buf)
	for errors.Is(err, syscall.EINTR) {
		n, err = syscall.Read(fd, buf)
	}
	if err != nil {
		return "", &os.PathError{Op: "read", Path: path, Err: err}
	}
	if n == len(buf) {
		// Longer than any ref: read it whole the ordinary way.
		b, err := os.ReadFile(path)
		return string(b), err
	}
	return string(buf[:n]), nil
}
