// Package atomicfile writes files so that a reader, or a crash, sees either
// the old content or the new one, never a mix: every write dist makes goes
// through here.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data by writing a temporary file in the same
// directory, syncing it and renaming it over path. An existing file keeps
// its mode; a new one gets perm.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write is WriteFile for content that is produced rather than held: fill
// writes it to the temporary file, and path is replaced only when fill and
// the sync succeed.
//
// A path that is a symbolic link is written where the link points, as
// an editor or `echo >` would: the link stays, its target gets the new
// content (renaming over the link itself would replace it with a regular
// file and leave the target stale).
func Write(path string, perm fs.FileMode, fill func(w io.Writer) error) (err error) {
	if path, err = resolve(path); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil {
		perm = st.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// resolve follows symbolic links at path to the file they name, which may
// not exist yet (a dangling link is written through too). Links in the
// directories above need nothing: renaming within them is the same.
func resolve(path string) (string, error) {
	for range 40 {
		st, err := os.Lstat(path)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			// Not a link, or nothing there yet: write here. Other errors
			// are the write's to report.
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", &fs.PathError{Op: "write", Path: path, Err: errors.New("too many levels of symbolic links")}
}
