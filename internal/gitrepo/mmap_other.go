//go:build !unix

package gitrepo

import (
	"bytes"
	"os"
)

// Without mmap, reading the file once is still far fewer calls than
// go-git's reads; pack files of a distribution repository are small.
func openMapped(path, name string) (*memFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), name: name}, nil
}
