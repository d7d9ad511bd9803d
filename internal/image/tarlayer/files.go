package tarlayer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Copy puts a repository path (a file or a directory) into the image.
type Copy struct {
	// Src is relative to the repository root.
	Src string
	// Dst is the path in the image. A file is written at Dst, or inside it
	// when Dst ends in "/"; a directory's contents are written under Dst.
	// Empty means the same path as Src, from the image root.
	Dst string
	// What names the copy in errors ("image.files", "configs").
	What string
}

// PathError is a copy that cannot be made.
type PathError struct {
	What string
	Src  string
	Msg  string
	// Err is fs.ErrNotExist for a source that is not there, for
	// errors.Is; nil otherwise.
	Err error
}

func (e *PathError) Error() string { return fmt.Sprintf("%s: %s: %s", e.What, e.Src, e.Msg) }
func (e *PathError) Unwrap() error { return e.Err }

// Files returns the entries of copies, read from the repository at root.
//
// A source is followed through symlinks, but where it leads must still be
// inside the repository; symlinks inside a copied directory are kept as
// symlinks and never followed, so no copy reads outside the repository.
// ".git" directories are left out: they differ between clones and would
// make the image depend on where it was built.
func Files(root string, copies []Copy) ([]Entry, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	realRoot, err = filepath.Abs(realRoot)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, c := range copies {
		es, err := files(realRoot, c)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	if _, err := Sort(out); err != nil {
		return nil, fmt.Errorf("%s: %w", copies[0].What, err)
	}
	return out, nil
}

func files(realRoot string, c Copy) ([]Entry, error) {
	bad := func(format string, args ...any) error {
		return &PathError{What: c.What, Src: c.Src, Msg: fmt.Sprintf(format, args...)}
	}
	if c.Src == "" {
		return nil, bad("src is empty")
	}
	src := filepath.FromSlash(c.Src)
	if filepath.IsAbs(src) {
		return nil, bad("must be relative to the repository root")
	}
	if cl := filepath.Clean(src); cl == ".." || strings.HasPrefix(cl, ".."+string(filepath.Separator)) {
		return nil, bad("is outside the repository")
	}
	real, err := filepath.EvalSymlinks(filepath.Join(realRoot, src))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &PathError{What: c.What, Src: c.Src, Msg: "does not exist", Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, bad("%v", unwrapPath(err))
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, bad("leads outside the repository (to %s)", real)
	}
	st, err := os.Stat(real)
	if err != nil {
		return nil, bad("%v", unwrapPath(err))
	}

	dst := c.Dst
	if dst == "" {
		dst = filepath.ToSlash(filepath.Clean(src))
	}
	intoDir := strings.HasSuffix(dst, "/")
	dst = strings.TrimPrefix(path.Clean("/"+dst), "/")

	if !st.IsDir() {
		if intoDir || dst == "" {
			dst = path.Join(dst, filepath.Base(real))
		}
		e, err := entry(real, dst, st, c.Src)
		if err != nil {
			return nil, bad("%v", err)
		}
		if err := checkName(dst); err != nil {
			return nil, bad("%v", err)
		}
		return []Entry{e}, nil
	}

	var out []Entry
	err = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == real {
			// The destination directory itself belongs to the base image or
			// the runtime: writing it would reset the owner and mode of, say,
			// /etc or /tmp.
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return fs.SkipDir
		}
		rel, err := filepath.Rel(real, p)
		if err != nil {
			return err
		}
		target := path.Join(dst, filepath.ToSlash(rel))
		if err := checkName(target); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e, err := entry(p, target, info, path.Join(c.Src, filepath.ToSlash(rel)))
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, bad("%v", unwrapPath(err))
	}
	return out, nil
}

// OnDisk is the entry of the regular file at src on disk (a symlink is
// followed), written at path, for a caller that names each file itself
// rather than copying from a repository: its size is taken now, its content
// read only when the layer is written, streamed, and a file whose size
// changed by then is an error. Exec is the file's own executable bit.
func OnDisk(path, src, source string) (Entry, error) {
	info, err := os.Stat(src)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", source, err)
	}
	if !info.Mode().IsRegular() {
		return Entry{}, fmt.Errorf("%s is not a regular file", source)
	}
	return entry(src, path, info, source)
}

// entry describes the file at p (not following a symlink) as target.
func entry(p, target string, info fs.FileInfo, source string) (Entry, error) {
	switch m := info.Mode(); {
	case m.IsRegular():
		return Entry{
			Path: target, Kind: File, Exec: m.Perm()&0o111 != 0, Size: info.Size(), Source: source,
			Open: func() (io.ReadCloser, error) { return os.Open(p) },
			Stat: statKey(info),
		}, nil
	case m.IsDir():
		return Entry{Path: target, Kind: Dir, Source: source}, nil
	case m&fs.ModeSymlink != 0:
		link, err := os.Readlink(p)
		if err != nil {
			return Entry{}, err
		}
		return Entry{Path: target, Kind: Symlink, Link: filepath.ToSlash(link), Source: source}, nil
	default:
		return Entry{}, fmt.Errorf("%s is not a regular file, directory or symlink", source)
	}
}

// checkName refuses the names that mean something to the layer format
// itself: a ".wh." file deletes a file of the layers below.
func checkName(p string) error {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".wh.") {
			return fmt.Errorf("%s: names starting with .wh. are whiteouts in image layers", p)
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
