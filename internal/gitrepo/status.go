package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// DirtyPaths lists the tracked paths whose content differs between HEAD,
// the index and the work tree: what `git status --untracked-files=no`
// shows, sorted. Untracked files do not count (zest.releaser's rule);
// unmerged paths do. An empty list means the release may proceed.
//
// go-git's Worktree.Status would answer too, but it also walks every
// untracked and ignored file and hashes files whose stat data it cannot
// trust, which takes seconds on a large tree. This does what git does
// instead:
//
//   - index against HEAD: the index's cache tree (which git keeps up to
//     date) names the hash of every unchanged directory, so whole subtrees
//     equal to HEAD's are skipped without being read;
//   - work tree against index: an lstat per tracked file, in parallel; a
//     file is hashed only when its size or mtime differs from the index's
//     record or when that record is too recent to trust ("racy git").
//
// Clean/smudge filters and end-of-line conversion are not applied: a file
// that only such a filter makes equal is reported as modified once its
// stat data changed. That errs towards refusing a release, never towards
// releasing a modified tree.
func (r *Repo) DirtyPaths() ([]string, error) {
	idx, err := r.st.Index()
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	var headTree *object.Tree
	if c, err := r.headCommit(); err == nil {
		if headTree, err = c.Tree(); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, ErrNoCommits) {
		return nil, err
	}
	dirty := map[string]bool{}
	if err := stagedChanges(idx, headTree, dirty); err != nil {
		return nil, err
	}
	cfg, err := r.st.Config()
	if err != nil {
		return nil, err
	}
	core := cfg.Raw.Section("core")
	wt := worktreeCheck{
		root:       r.root,
		indexTime:  idx.ModTime,
		trustMode:  !strings.EqualFold(core.Option("filemode"), "false"),
		noSymlinks: strings.EqualFold(core.Option("symlinks"), "false"),
	}
	for _, p := range wt.modified(idx.Entries) {
		dirty[p] = true
	}
	out := make([]string, 0, len(dirty))
	for p := range dirty {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// stagedChanges adds to dirty every path whose index entry differs from
// HEAD's tree (added, removed, changed, or unmerged).
func stagedChanges(idx *index.Index, head *object.Tree, dirty map[string]bool) error {
	valid := cacheTree(idx)
	if head != nil {
		if h, ok := valid[""]; ok && h == head.Hash && !hasConflicts(idx) {
			return nil
		}
	}
	entries := make(map[string]*index.Entry, len(idx.Entries))
	for _, e := range idx.Entries {
		if e.Stage != 0 {
			dirty[e.Name] = true
			continue
		}
		entries[e.Name] = e
	}
	seen := make(map[string]bool, len(entries))
	skipped := map[string]bool{}
	var walk func(t *object.Tree, prefix string) error
	walk = func(t *object.Tree, prefix string) error {
		if h, ok := valid[prefix]; ok && h == t.Hash {
			skipped[prefix] = true
			return nil
		}
		for _, te := range t.Entries {
			p := te.Name
			if prefix != "" {
				p = prefix + "/" + te.Name
			}
			if te.Mode == filemode.Dir {
				sub, err := t.Tree(te.Name)
				if err != nil {
					return fmt.Errorf("read tree %s: %w", p, err)
				}
				if err := walk(sub, p); err != nil {
					return err
				}
				continue
			}
			seen[p] = true
			e := entries[p]
			if e == nil || e.Hash != te.Hash || e.Mode != te.Mode || e.IntentToAdd {
				dirty[p] = true
			}
		}
		return nil
	}
	if head != nil {
		if err := walk(head, ""); err != nil {
			return err
		}
	}
	for p := range entries {
		if !seen[p] && !underSkipped(p, skipped) {
			dirty[p] = true
		}
	}
	return nil
}

func hasConflicts(idx *index.Index) bool {
	for _, e := range idx.Entries {
		if e.Stage != 0 {
			return true
		}
	}
	return false
}

func underSkipped(p string, skipped map[string]bool) bool {
	if skipped[""] {
		return true
	}
	for i := strings.LastIndexByte(p, '/'); i > 0; i = strings.LastIndexByte(p[:i], '/') {
		if skipped[p[:i]] {
			return true
		}
	}
	return false
}

// cacheTree maps each directory ("" for the root) whose cache-tree record
// is valid to the tree hash it records. The extension lists directories in
// pre-order, each with the number of its subdirectories.
func cacheTree(idx *index.Index) map[string]plumbing.Hash {
	out := map[string]plumbing.Hash{}
	if idx.Cache == nil {
		return out
	}
	es := idx.Cache.Entries
	var walk func(i int, prefix string) int
	walk = func(i int, prefix string) int {
		if i >= len(es) {
			return i
		}
		e := es[i]
		p := e.Path
		if prefix != "" {
			p = prefix + "/" + e.Path
		}
		if e.Entries >= 0 {
			out[p] = e.Hash
		}
		i++
		for k := 0; k < e.Trees && i < len(es); k++ {
			i = walk(i, p)
		}
		return i
	}
	walk(0, "")
	return out
}

type worktreeCheck struct {
	root       string
	indexTime  time.Time
	trustMode  bool // core.filemode: the executable bit counts
	noSymlinks bool // core.symlinks=false: links are checked out as files
}

// modified returns the index entries whose work-tree file differs.
func (c worktreeCheck) modified(entries []*index.Entry) []string {
	workers := runtime.GOMAXPROCS(0)
	if len(entries) < 256 {
		workers = 1
	}
	var (
		mu  sync.Mutex
		out []string
		wg  sync.WaitGroup
	)
	chunk := (len(entries) + workers - 1) / max(workers, 1)
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(entries))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(part []*index.Entry) {
			defer wg.Done()
			var local []string
			for _, e := range part {
				if e.Stage != 0 || e.SkipWorktree {
					continue
				}
				if c.changed(e) {
					local = append(local, e.Name)
				}
			}
			mu.Lock()
			out = append(out, local...)
			mu.Unlock()
		}(entries[lo:hi])
	}
	wg.Wait()
	return out
}

func (c worktreeCheck) changed(e *index.Entry) bool {
	p := filepath.Join(c.root, filepath.FromSlash(e.Name))
	fi, err := os.Lstat(p)
	if err != nil {
		return true // deleted, or a parent became a file
	}
	if e.Mode == filemode.Submodule {
		return submoduleMoved(p, fi, e.Hash)
	}
	var mode filemode.FileMode
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		mode = filemode.Symlink
	case fi.Mode().IsRegular():
		mode = filemode.Regular
		if fi.Mode()&0o111 != 0 {
			mode = filemode.Executable
		}
	default:
		return true // a directory or a special file where a file was
	}
	if mode != e.Mode {
		switch {
		case !c.trustMode && isFileMode(mode) && isFileMode(e.Mode):
		case c.noSymlinks && e.Mode == filemode.Symlink && mode == filemode.Regular:
		default:
			return true
		}
	}
	if uint32(fi.Size()) == e.Size && sameTime(fi.ModTime(), e.ModifiedAt) && e.ModifiedAt.Before(c.indexTime) {
		return false
	}
	h, err := hashFile(p, fi)
	return err != nil || h != e.Hash
}

func isFileMode(m filemode.FileMode) bool { return m == filemode.Regular || m == filemode.Executable }

// sameTime compares as git does: to the nanosecond when the index recorded
// nanoseconds, to the second when the writer did not.
func sameTime(file, recorded time.Time) bool {
	if recorded.Nanosecond() == 0 {
		return file.Unix() == recorded.Unix()
	}
	return file.Equal(recorded)
}

// hashFile is the blob id of a work-tree file or symbolic link.
func hashFile(p string, fi fs.FileInfo) (plumbing.Hash, error) {
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return plumbing.ComputeHash(plumbing.BlobObject, []byte(filepath.ToSlash(target))), nil
	}
	f, err := os.Open(p)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer f.Close()
	h := plumbing.NewHasher(plumbing.BlobObject, fi.Size())
	n, err := io.Copy(h, f)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if n != fi.Size() {
		return plumbing.ZeroHash, errors.New("file changed while being read")
	}
	return h.Sum(), nil
}

// submoduleMoved reports whether a submodule's checkout is at another
// commit than the one recorded. An uninitialised submodule (an empty
// directory) is unchanged, as git status sees it.
func submoduleMoved(p string, fi fs.FileInfo, want plumbing.Hash) bool {
	if !fi.IsDir() {
		return true
	}
	if _, err := os.Stat(filepath.Join(p, ".git")); err != nil {
		return false
	}
	sub, err := git.PlainOpenWithOptions(p, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return true
	}
	head, err := sub.Head()
	return err != nil || head.Hash() != want
}
