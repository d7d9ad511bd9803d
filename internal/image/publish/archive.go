package publish

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/distbuild/dist/internal/atomicfile"
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
	return atomicfile.Write(file, 0o644, func(w io.Writer) error {
		return tarball.Write(tag, img, w)
	})
}
