package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Commit records exactly paths, as they are in the work tree, on top of
// HEAD, and moves the current branch (or a detached HEAD) to the new
// commit. Like `git commit --only PATHS`: whatever else is staged stays
// staged and out of the commit. A path missing from the work tree is
// removed. The index entries of paths are updated too, with their stat
// data, so that `git status` is clean afterwards without rehashing.
//
// The author is Ident(false), the committer Ident(true). The message is
// stored as `git commit -m` stores it: trimmed, with one final newline.
// The error wraps ErrNothingToDo when the paths already equal HEAD and
// ErrLocked when another git process holds the index.
//
// Not done, unlike git: hooks (pre-commit, commit-msg) are not run, the
// reflog is not written, and commits are not signed.
func (r *Repo) Commit(message string, paths []string) (string, error) {
	if strings.TrimSpace(message) == "" {
		return "", errors.New("empty commit message")
	}
	if len(paths) == 0 {
		return "", errors.New("commit: no paths given")
	}
	headRef, err := r.st.Reference(plumbing.HEAD)
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	target := plumbing.HEAD
	if headRef.Type() == plumbing.SymbolicReference {
		target = headRef.Target()
	}
	old, err := r.st.Reference(target)
	if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return "", err
	}
	var parents []plumbing.Hash
	var base *object.Tree
	if old != nil {
		parent, err := r.repo.CommitObject(old.Hash())
		if err != nil {
			return "", err
		}
		if base, err = parent.Tree(); err != nil {
			return "", err
		}
		parents = []plumbing.Hash{parent.Hash}
	}

	// Hold index.lock for the whole operation, as git commit does: no other
	// git process changes the index or commits under us.
	lock, err := r.lockIndex()
	if err != nil {
		return "", err
	}
	defer lock.release()

	edits := map[string]treeEdit{}
	stats := map[string]fs.FileInfo{}
	for _, p := range paths {
		clean := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(p)), "/")
		if clean == "" || clean == ".git" || strings.HasPrefix(clean, ".git/") {
			return "", fmt.Errorf("commit: bad path %q", p)
		}
		e, fi, err := r.blobFromWorktree(clean, base)
		if err != nil {
			return "", err
		}
		edits[clean], stats[clean] = e, fi
	}
	treeHash, _, err := r.editTree(base, edits)
	if err != nil {
		return "", err
	}
	if base != nil && treeHash == base.Hash {
		return "", fmt.Errorf("%w (%s)", ErrNothingToDo, strings.Join(paths, ", "))
	}

	author, err := r.Ident(false)
	if err != nil {
		return "", err
	}
	committer, err := r.Ident(true)
	if err != nil {
		return "", err
	}
	c := &object.Commit{
		Author:       author,
		Committer:    committer,
		Message:      strings.TrimSpace(message) + "\n",
		TreeHash:     treeHash,
		ParentHashes: parents,
	}
	obj := r.st.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return "", err
	}
	commitHash, err := r.st.SetEncodedObject(obj)
	if err != nil {
		return "", err
	}
	// Compare-and-swap against the parent read above: a ref that moved
	// meanwhile fails the commit instead of losing someone's work.
	// The ref goes through target.lock and a rename, as git updates it.
	if err := r.updateRef(target, commitHash, old); err != nil {
		return "", fmt.Errorf("update %s: %w", target, err)
	}

	idx, err := r.st.Index()
	if err != nil {
		return "", fmt.Errorf("read index: %w", err)
	}
	updateIndex(idx, edits, stats)
	if err := lock.commit(idx); err != nil {
		return "", fmt.Errorf("commit %s made, but the index was not updated: %w", commitHash, err)
	}
	return commitHash.String(), nil
}

// treeEdit is the new state of one path; del removes it.
type treeEdit struct {
	hash plumbing.Hash
	mode filemode.FileMode
	del  bool
}

// blobFromWorktree stores a work-tree file as a blob. A file git cannot
// see as executable under core.filemode=false keeps its recorded mode.
func (r *Repo) blobFromWorktree(p string, base *object.Tree) (treeEdit, fs.FileInfo, error) {
	full := filepath.Join(r.root, filepath.FromSlash(p))
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return treeEdit{del: true}, nil, nil
	}
	if err != nil {
		return treeEdit{}, nil, err
	}
	var data []byte
	mode := filemode.Regular
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(full)
		if err != nil {
			return treeEdit{}, nil, err
		}
		data, mode = []byte(filepath.ToSlash(t)), filemode.Symlink
	case fi.Mode().IsRegular():
		if data, err = os.ReadFile(full); err != nil {
			return treeEdit{}, nil, err
		}
		if fi.Mode()&0o111 != 0 {
			mode = filemode.Executable
		}
		if cfg, err := r.st.Config(); err == nil && strings.EqualFold(cfg.Raw.Section("core").Option("filemode"), "false") && base != nil {
			if e, err := base.FindEntry(p); err == nil && isFileMode(e.Mode) {
				mode = e.Mode
			}
		}
	case fi.IsDir():
		return treeEdit{}, nil, fmt.Errorf("commit: %s is a directory; name its files", p)
	default:
		return treeEdit{}, nil, fmt.Errorf("commit: %s is not a regular file", p)
	}
	obj := r.st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return treeEdit{}, nil, err
	}
	if _, err := w.Write(data); err != nil {
		return treeEdit{}, nil, err
	}
	if err := w.Close(); err != nil {
		return treeEdit{}, nil, err
	}
	h, err := r.st.SetEncodedObject(obj)
	if err != nil {
		return treeEdit{}, nil, err
	}
	return treeEdit{hash: h, mode: mode}, fi, nil
}

// editTree writes the tree that is base (nil: empty) with edits (paths
// relative to it) applied, and every changed subtree, reading only the
// subtrees on the edited paths. empty reports that nothing is left.
func (r *Repo) editTree(base *object.Tree, edits map[string]treeEdit) (plumbing.Hash, bool, error) {
	var entries []object.TreeEntry
	if base != nil {
		entries = append(entries, base.Entries...)
	}
	direct := map[string]treeEdit{}
	nested := map[string]map[string]treeEdit{}
	for p, e := range edits {
		if dir, rest, ok := strings.Cut(p, "/"); ok {
			if nested[dir] == nil {
				nested[dir] = map[string]treeEdit{}
			}
			nested[dir][rest] = e
		} else {
			direct[p] = e
		}
	}
	drop := func(name string) (old *object.TreeEntry) {
		for i := range entries {
			if entries[i].Name == name {
				o := entries[i]
				entries = append(entries[:i], entries[i+1:]...)
				return &o
			}
		}
		return nil
	}
	// Subdirectories first: a file that replaces a directory ("a" added,
	// "a/b" gone) must win over the directory's own edits.
	for dir, sub := range nested {
		var subBase *object.Tree
		if old := drop(dir); old != nil && old.Mode == filemode.Dir {
			t, err := object.GetTree(r.st, old.Hash)
			if err != nil {
				return plumbing.ZeroHash, false, err
			}
			subBase = t
		}
		h, empty, err := r.editTree(subBase, sub)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if !empty {
			entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
		}
	}
	for name, e := range direct {
		// A path gone from the work tree goes from the tree, directory
		// and all: whatever it held is gone from the work tree too.
		drop(name)
		if e.del {
			continue
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: e.mode, Hash: e.hash})
	}
	// git orders tree entries by name, a directory's name compared as if
	// it ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	t := &object.Tree{Entries: entries}
	obj := r.st.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, err
	}
	h, err := r.st.SetEncodedObject(obj)
	return h, len(entries) == 0, err
}

// updateIndex makes the index agree with the committed paths.
func updateIndex(idx *index.Index, edits map[string]treeEdit, stats map[string]fs.FileInfo) {
	keep := idx.Entries[:0]
	for _, e := range idx.Entries {
		ed, touched := edits[e.Name]
		if touched && (ed.del || e.Stage != 0) {
			continue
		}
		if underEditedPath(e.Name, edits) {
			continue
		}
		keep = append(keep, e)
	}
	idx.Entries = keep
	for p, ed := range edits {
		if ed.del {
			continue
		}
		var entry *index.Entry
		for _, e := range idx.Entries {
			if e.Name == p {
				entry = e
				break
			}
		}
		if entry == nil {
			entry = idx.Add(p)
		}
		entry.Hash, entry.Mode, entry.IntentToAdd = ed.hash, ed.mode, false
		statOf(entry, stats[p])
	}
	// A tree or directory change invalidates git's cached tree hashes; the
	// encoder drops the extension, and git rebuilds it on its next commit.
	idx.Cache = nil
	if idx.Version < 3 {
		for _, e := range idx.Entries {
			if e.IntentToAdd || e.SkipWorktree {
				idx.Version = 3
				break
			}
		}
	}
}

// underEditedPath reports whether an index path lies under a committed
// path, which is now a file or gone: either way the directory went.
func underEditedPath(name string, edits map[string]treeEdit) bool {
	for i := strings.IndexByte(name, '/'); i > 0; i = nextSlash(name, i) {
		if _, ok := edits[name[:i]]; ok {
			return true
		}
	}
	return false
}

func nextSlash(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// indexLock is git's index.lock: created exclusively, written, then renamed
// over the index, so git and dist never interleave index writes.
type indexLock struct {
	path string
	f    *os.File
	done bool
}

func (r *Repo) lockIndex() (*indexLock, error) {
	p := filepath.Join(r.gitDir, "index.lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w (%s exists; remove it if no git process is running)", ErrLocked, p)
	}
	if err != nil {
		return nil, err
	}
	return &indexLock{path: p, f: f}, nil
}

func (l *indexLock) commit(idx *index.Index) error {
	var buf bytes.Buffer
	if err := index.NewEncoder(&buf).Encode(idx); err != nil {
		return err
	}
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	if err := l.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(l.path, strings.TrimSuffix(l.path, ".lock")); err != nil {
		return err
	}
	l.done = true
	return nil
}

func (l *indexLock) release() {
	if !l.done {
		l.f.Close()
		os.Remove(l.path)
	}
}
