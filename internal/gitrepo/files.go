package gitrepo

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/distbuild/dist/internal/failure"
)

// ResolveCommit turns a revision (a branch, tag, full or abbreviated hash,
// "HEAD", "1.0.0~2", ...) into the commit it names, peeling tags.
func (r *Repo) ResolveCommit(rev string) (string, error) {
	c, err := r.commitAt(rev)
	if err != nil {
		return "", err
	}
	return c.Hash.String(), nil
}

func (r *Repo) commitAt(rev string) (*object.Commit, error) {
	var h *plumbing.Hash
	// A full hash (what LatestReleaseTag hands plan) names an object
	// directly; ResolveRevision would first try it as a ref name, scanning
	// packed-refs once per candidate prefix.
	if len(rev) == 40 && plumbing.IsHash(rev) {
		full := plumbing.NewHash(rev)
		if _, err := r.repo.Storer.EncodedObject(plumbing.AnyObject, full); err == nil {
			h = &full
		}
	}
	if h == nil {
		var err error
		if h, err = r.repo.ResolveRevision(plumbing.Revision(rev)); err != nil {
			return nil, fmt.Errorf("unknown revision %q: %w", rev, err)
		}
	}
	// ResolveRevision stops at an annotated tag's object for a full ref
	// name such as refs/tags/1.0.0: peel it.
	commit, _, err := r.peel(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", rev, err)
	}
	return r.repo.CommitObject(commit)
}

// FileAt reads a file as it is in the commit rev names, from the object
// database and not from a checkout. ok is false when the commit has no file
// at p; a directory at p is an error. A symbolic link is followed to the
// file it names in the same commit, as the working tree reads it (a
// lockfile kept in a shared folder and linked into place); a link that
// leaves the repository is an error, since the commit does not hold what
// it names. Those, and a directory at p, are *failure.UsageError: the
// commit does not hold what the path names.
func (r *Repo) FileAt(rev, p string) (data []byte, ok bool, err error) {
	for range 40 {
		data, ok, link, err := r.fileAt(rev, p)
		if err != nil || !link {
			return data, ok, err
		}
		target := string(data)
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(strings.TrimPrefix(path.Clean("/"+p), "/")), target)
		}
		if path.IsAbs(target) || target == ".." || strings.HasPrefix(target, "../") {
			return nil, false, failure.Usagef("%s:%s is a symbolic link to %s, outside the repository", rev, p, string(data))
		}
		p = target
	}
	return nil, false, failure.Usagef("%s:%s: too many levels of symbolic links", rev, p)
}

// FileAtIn is FileAt for rel, a path relative to dir (a directory in the
// work tree, such as dist.yaml's), which it turns into the path git names
// the file by (see PathOf). Every file dist reads at a commit is named
// relative to dist.yaml, so callers go through this rather than FileAt:
// a distribution in a subdirectory then reads the files it means.
func (r *Repo) FileAtIn(rev, dir, rel string) (data []byte, ok bool, err error) {
	return r.FileAt(rev, r.PathOf(dir, rel))
}

// fileAt reads one tree entry; link reports that data is a symbolic
// link's target.
func (r *Repo) fileAt(rev, p string) (data []byte, ok, link bool, err error) {
	c, err := r.commitAt(rev)
	if err != nil {
		return nil, false, false, err
	}
	p = strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(p, `\`, "/")), "/")
	if p == "" {
		return nil, false, false, fmt.Errorf("%s: empty path", rev)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, false, false, err
	}
	// Walked by hand rather than with Tree.FindEntry, which reports a path
	// through a file ("VERSION/x") as a missing object, indistinguishable
	// from a damaged repository.
	var e *object.TreeEntry
	parts := strings.Split(p, "/")
	for i, part := range parts {
		e = nil
		for j := range tree.Entries {
			if tree.Entries[j].Name == part {
				e = &tree.Entries[j]
				break
			}
		}
		if e == nil || (i < len(parts)-1 && e.Mode != filemode.Dir) {
			return nil, false, false, nil
		}
		if i < len(parts)-1 {
			if tree, err = object.GetTree(r.st, e.Hash); err != nil {
				return nil, false, false, fmt.Errorf("%s:%s: %w", rev, p, err)
			}
		}
	}
	if e.Mode == filemode.Dir || e.Mode == filemode.Submodule {
		return nil, false, false, failure.Usagef("%s:%s is a %s, not a file", rev, p, map[bool]string{true: "directory", false: "submodule"}[e.Mode == filemode.Dir])
	}
	blob, err := r.repo.BlobObject(e.Hash)
	if err != nil {
		return nil, false, false, fmt.Errorf("%s:%s: %w", rev, p, err)
	}
	rd, err := blob.Reader()
	if err != nil {
		return nil, false, false, err
	}
	defer rd.Close()
	data, err = io.ReadAll(rd)
	if err != nil {
		return nil, false, false, fmt.Errorf("%s:%s: %w", rev, p, err)
	}
	return data, true, e.Mode == filemode.Symlink, nil
}
