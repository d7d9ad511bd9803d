package base

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Files is the file tree an image's layers leave, as their tar headers
// say it: what is where and what kind it is, not the content. It answers
// "does the base have /usr/local/bin/python3" without a container runtime.
type Files struct {
	nodes map[string]node // clean path, no leading "/"
}

type node struct {
	dir  bool
	link string // a symlink's target; "" for anything else
}

// maxLinks bounds the symlinks followed in one lookup, as Linux's 40.
const maxLinks = 40

// FilesOf reads the tree of img's layers: each layer's entries over the
// ones below, less what its whiteouts remove (a ".wh.NAME" removes NAME
// below, a ".wh..wh..opq" everything below in its directory), as an
// overlay filesystem stacks them. Layers are read from wherever img keeps
// them (the cache, for a build's base images), headers only.
func FilesOf(img v1.Image) (*Files, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	f := &Files{nodes: map[string]node{}}
	for i, l := range layers {
		if err := f.stack(l); err != nil {
			return nil, fmt.Errorf("base image layer %d: %w", i+1, err)
		}
	}
	return f, nil
}

// stack puts one layer over the tree.
func (f *Files) stack(l v1.Layer) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	mine := map[string]node{}
	gone := map[string]bool{}   // removed with what they hold
	opaque := map[string]bool{} // what they held below is removed
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == ".wh..wh..opq":
			opaque[dir] = true
			continue
		case strings.HasPrefix(base, ".wh."):
			gone[path.Join(dir, strings.TrimPrefix(base, ".wh."))] = true
			continue
		}
		n := node{dir: h.Typeflag == tar.TypeDir}
		if h.Typeflag == tar.TypeSymlink {
			n.link = h.Linkname
		}
		mine[name] = n
	}
	if len(gone) > 0 || len(opaque) > 0 {
		for p := range f.nodes {
			if hidden(p, gone, opaque) {
				delete(f.nodes, p)
			}
		}
	}
	for p, n := range mine {
		// A file or link over a directory below hides what it held.
		if old, ok := f.nodes[p]; ok && old.dir && !n.dir {
			for q := range f.nodes {
				if strings.HasPrefix(q, p+"/") {
					delete(f.nodes, q)
				}
			}
		}
		f.nodes[p] = n
	}
	return nil
}

// hidden reports whether a lower layer's p is removed by a whiteout of it
// or of a directory above it, or by an opaque directory above it.
func hidden(p string, gone, opaque map[string]bool) bool {
	if gone[p] || opaque[""] {
		return true
	}
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		if gone[d] || opaque[d] {
			return true
		}
	}
	return false
}

// Exists reports whether p (absolute or not, slash-separated) names
// something in the tree, following symlinks on the way and at the end, as
// exec would: /usr/local/bin/python3 -> python3.12 exists when
// python3.12 does, /bin/sh exists through a /bin -> usr/bin link. A
// directory a layer only implies (it holds entries but has none of its
// own) counts as one.
func (f *Files) Exists(p string) bool {
	_, ok := f.resolve(p, 0)
	return ok
}

// IsDir reports whether p resolves to a directory.
func (f *Files) IsDir(p string) bool {
	n, ok := f.resolve(p, 0)
	return ok && n.dir
}

func (f *Files) resolve(p string, links int) (node, bool) {
	parts := strings.Split(strings.TrimPrefix(path.Clean("/"+p), "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		return node{dir: true}, true
	}
	cur := ""
	for i, part := range parts {
		next := path.Join(cur, part)
		n, ok := f.nodes[next]
		last := i == len(parts)-1
		switch {
		case !ok && last:
			return node{dir: true}, f.implied(next)
		case !ok:
			if !f.implied(next) {
				return node{}, false
			}
			cur = next
		case n.link != "":
			if links >= maxLinks {
				return node{}, false
			}
			target := n.link
			if !path.IsAbs(target) {
				target = path.Join("/", cur, target)
			}
			rest := strings.Join(parts[i+1:], "/")
			return f.resolve(path.Join(target, rest), links+1)
		case last:
			return n, true
		case !n.dir:
			return node{}, false // a file where a directory should be
		default:
			cur = next
		}
	}
	return node{dir: true}, true
}

// implied reports whether p is a directory only by holding entries.
func (f *Files) implied(p string) bool {
	for q := range f.nodes {
		if strings.HasPrefix(q, p+"/") {
			return true
		}
	}
	return false
}
