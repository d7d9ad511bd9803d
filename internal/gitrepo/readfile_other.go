//go:build !unix

package gitrepo

import "os"

func readSmallFile(path string, _ []byte) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
