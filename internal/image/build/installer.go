package build

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/image/tarlayer"
)

// Installer produces the dependencies layer of one platform. The build
// asks it once per platform, because wheels and binaries differ between
// platforms; package deps implements it from the lockfiles.
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

// Rebuilder is an Installer that keeps what it builds for later builds
// (package deps keeps a Go server's binary). Rebuild returns one that
// builds everything again, reading nothing earlier builds kept, for a
// build that must not trust them (dist verify-image); what it downloads,
// checked against the lockfiles' hashes, it may still reuse.
type Rebuilder interface {
	Installer
	Rebuild() Installer
}

// Checker is an Installer that can check, before a dry run says what
// would be built, what its Entries would refuse of the lockfiles, without
// downloading or building what they pin: so that a dry run fails where
// the build would (dist build --dry-run). The errors are those of
// Entries.
type Checker interface {
	Installer
	Check(ctx context.Context, platforms []v1.Platform) error
}

// None installs nothing: the image has no dependencies layer.
type None struct{}

// Entries implements Installer.
func (None) Entries(context.Context, v1.Platform, v1.Image) ([]tarlayer.Entry, []string, error) {
	return nil, nil, nil
}
