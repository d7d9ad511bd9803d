package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrRefChanged is a ref that moved between reading it and updating it.
var (
	ErrRefChanged = errors.New("the ref changed meanwhile")
	// ErrRefLocked is a ref whose NAME.lock another process holds.
	ErrRefLocked = errors.New("another git process is updating the ref")
)

// updateRef points name at h the way git does: it creates NAME.lock
// exclusively, checks under the lock that the ref still is old (nil: that
// it does not exist), writes the new value to the lock file, syncs it and
// renames it over the ref. A kill at any point leaves the old ref or the
// new one, never an empty or half-written file (go-git truncates the ref
// and then writes it), and no two writers interleave.
func (r *Repo) updateRef(name plumbing.ReferenceName, h plumbing.Hash, old *plumbing.Reference) (err error) {
	dir := r.commonDir
	if name == plumbing.HEAD {
		dir = r.gitDir // a detached HEAD is this work tree's own
	}
	p := filepath.Join(dir, filepath.FromSlash(name.String()))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	lp := p + ".lock"
	f, err := os.OpenFile(lp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w (%s exists; remove it if no git process is running)", name, ErrRefLocked, lp)
	}
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(lp)
		}
	}()
	cur, err := r.st.Reference(name)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		if old != nil {
			return fmt.Errorf("%s: %w (it is gone)", name, ErrRefChanged)
		}
	case err != nil:
		return err
	case old == nil:
		if name.IsTag() {
			return fmt.Errorf("%s: %w", name.Short(), ErrTagExists)
		}
		return fmt.Errorf("%s: %w (it exists)", name, ErrRefChanged)
	case cur.Hash() != old.Hash():
		return fmt.Errorf("%s: %w (%s, not %s)", name, ErrRefChanged, cur.Hash(), old.Hash())
	}
	if _, err := f.WriteString(h.String() + "\n"); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(lp, p); err != nil {
		os.Remove(lp)
		done = true
		return err
	}
	done = true
	return nil
}
