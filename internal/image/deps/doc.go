// Package deps fills the dependencies layer: the first layer dist puts above
// the base image, holding what the lockfiles pin (pypi wheels unpacked into
// site-packages, a Go server built from the locked modules; see New).
//
// New returns a build.Installer, which the build asks for the layer's
// entries once per platform, because wheels and binaries differ between
// platforms; build.None leaves the layer out.
package deps
