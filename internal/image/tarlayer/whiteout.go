package tarlayer

import (
	"fmt"
	"strings"
)

// WhiteoutPrefix starts the names that the OCI layer format reads as
// instructions rather than files: ".wh.NAME" deletes NAME from the layers
// below, ".wh..wh..opq" hides everything below in its directory, and
// overlayfs-based runtimes keep the whole ".wh." namespace for themselves.
const WhiteoutPrefix = ".wh."

// CheckPath reports a path that a layer cannot hold as a plain file: one
// with any component the layer format gives meaning to (a whiteout). Such a
// name in a layer dist writes would delete or hide files of the base image
// instead of being installed.
func CheckPath(p string) error {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, WhiteoutPrefix) {
			return fmt.Errorf("/%s: %q is a whiteout name: in an image layer it deletes or hides files of the layers below instead of being a file, so no layer may hold it", strings.TrimPrefix(p, "/"), part)
		}
	}
	return nil
}
