package base

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Python is what a base image says about the Python it holds.
type Python struct {
	// Version is "3.12.7" as PYTHON_VERSION spells it (a pre-release such
	// as "3.14.0rc1" too), or "3.11" from a directory; empty when the image
	// says nothing.
	Version string
	// From says where Version was read, for messages:
	// "PYTHON_VERSION=3.12.7" or "/usr/lib/python3.11".
	From string
}

// pythonEnvVersion is PYTHON_VERSION as the official images set it.
var pythonEnvVersion = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.\d+)?(?:(?:a|b|rc)\d+)?$`)

// pythonLibDir matches a layer entry in (or being) a pythonX.Y directory
// under /usr/lib or /usr/local/lib. A free-threaded build's "python3.13t"
// is left out on purpose: its wheels are not the default build's.
var pythonLibDir = regexp.MustCompile(`^(usr/(?:local/)?lib/python(\d+)\.(\d+))(?:/|$)`)

// PythonOf reads the Python version of a base image: the PYTHON_VERSION
// environment variable of its config, which the official python images
// set; else the highest pythonX.Y directory under /usr/lib or
// /usr/local/lib that its layers leave in place (deleted by no later
// layer's whiteout), the standard library of Debian's, Ubuntu's and
// source-built interpreters. A zero Python means the image says neither.
//
// Layers are read only when the environment does not say, and then from
// wherever img keeps them (the cache, for the build's base images: no
// download), looking at tar headers only.
func PythonOf(img v1.Image) (Python, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return Python{}, err
	}
	for _, kv := range cf.Config.Env {
		if v, ok := strings.CutPrefix(kv, "PYTHON_VERSION="); ok {
			v = strings.TrimSpace(v)
			// A value that is not a version (a template left unfilled) is
			// no answer; the layers may still give one.
			if pythonEnvVersion.MatchString(v) {
				return Python{Version: v, From: "PYTHON_VERSION=" + v}, nil
			}
		}
	}
	layers, err := img.Layers()
	if err != nil {
		return Python{}, err
	}
	// dir ("usr/lib/python3.11") -> [major, minor], as the layers stacked
	// so far leave it.
	found := map[string][2]int{}
	for i, l := range layers {
		mine, gone, opaque, err := scanLayer(l)
		if err != nil {
			return Python{}, fmt.Errorf("base image layer %d: %w", i+1, err)
		}
		// A whiteout hides what the layers below hold, not this layer's
		// own entries.
		for dir := range found {
			if under(dir, gone, false) || under(dir, opaque, true) {
				delete(found, dir)
			}
		}
		for dir, v := range mine {
			found[dir] = v
		}
	}
	best, bestDir := [2]int{}, ""
	for dir, v := range found {
		if v[0] > best[0] || v[0] == best[0] && v[1] > best[1] || v == best && dir < bestDir {
			best, bestDir = v, dir
		}
	}
	if bestDir == "" {
		return Python{}, nil
	}
	return Python{Version: fmt.Sprintf("%d.%d", best[0], best[1]), From: "/" + bestDir}, nil
}

// under reports whether a lower layer's dir is hidden by roots: by a
// whiteout of it or of a directory above it, or by an opaque directory
// above it (not the opaque directory itself, which stays).
func under(dir string, roots []string, opaque bool) bool {
	for _, r := range roots {
		if !opaque && dir == r || strings.HasPrefix(dir, r+"/") || r == "" {
			return true
		}
	}
	return false
}

// scanLayer lists a layer's pythonX.Y directories, the paths its
// whiteouts remove, and the directories it makes opaque, reading headers
// only.
func scanLayer(l v1.Layer) (dirs map[string][2]int, gone, opaque []string, err error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, nil, nil, err
	}
	defer rc.Close()
	dirs = map[string][2]int{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return dirs, gone, opaque, nil
		}
		if err != nil {
			return nil, nil, nil, err
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == ".wh..wh..opq":
			opaque = append(opaque, dir)
			continue
		case strings.HasPrefix(base, ".wh."):
			gone = append(gone, path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			continue
		}
		if m := pythonLibDir.FindStringSubmatch(name); m != nil {
			major, err1 := strconv.Atoi(m[2])
			minor, err2 := strconv.Atoi(m[3])
			if err1 == nil && err2 == nil {
				dirs[m[1]] = [2]int{major, minor}
			}
		}
	}
}
