package publish

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ErrArchiveIndex refuses a multi-platform image for a docker-archive.
var ErrArchiveIndex = errors.New("a docker-archive holds one platform, and this build has several: choose one with --platform")

// WriteArchive writes img as a tarball that `docker load` reads, tagged
// tag. The format holds one image per tag, so an index has no place in it.
func WriteArchive(file string, art Artifact, tag name.Tag) error {
	img, ok := art.(v1.Image)
	if !ok {
		return ErrArchiveIndex
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tarball.Write(tag, img, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
