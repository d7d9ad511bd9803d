// Package deps fills the dependencies layer: the first layer dist puts above
// the base image, holding what the lockfiles pin (pypi wheels unpacked into
// site-packages, a Go server built from the locked modules; see New).
//
// The build asks an Installer for the layer's entries, once per platform,
// because wheels and binaries differ between platforms. None leaves the
// layer out.
package deps

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/manifest"
)

// Installer produces the dependencies layer of one platform.
type Installer interface {
	// Entries returns the files to install for platform; none means the
	// image has no dependencies layer. The build sorts and normalises them
	// (owner, mode, mtime) like every other layer, so an installer only says
	// what goes where and whether it is executable.
	//
	// base is the platform's base image, already in the cache, nil for
	// scratch: what an installer needs to know about the image it installs
	// into (the Python version) and dist.yaml does not say.
	//
	// warnings say why the image, built, may not run (a console script
	// whose interpreter the base does not have); the build goes on.
	Entries(ctx context.Context, platform v1.Platform, base v1.Image) (entries []tarlayer.Entry, warnings []string, err error)
}

// None installs nothing.
type None struct{}

// Entries implements Installer.
func (None) Entries(context.Context, v1.Platform, v1.Image) ([]tarlayer.Entry, []string, error) {
	return nil, nil, nil
}

// For is the installer a build uses when its caller gives none: None, since
// installing needs indexes and a client, which New takes.
func For(m *manifest.Manifest) Installer { return None{} }
