package gitrepo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// Snapshot is a digest of everything a refused release must leave alone:
// the bytes and modes of the work tree's tracked files, the files git would
// list as untracked (ignored ones are left out: build outputs and caches may
// come and go), the index file's bytes, HEAD, and every ref with its
// target, whether loose or packed. Two equal snapshots prove a command
// changed none of it. SnapshotLines shows what differs when they are not.
func (r *Repo) Snapshot() (string, error) {
	lines, err := r.SnapshotLines()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// SnapshotLines is what Snapshot digests, one sorted line per item
// ("file PATH MODE SHA256", "untracked ...", "index SHA256", "HEAD ...",
// "ref NAME TARGET"), for a test to diff.
func (r *Repo) SnapshotLines() ([]string, error) {
	var lines []string
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	indexBytes, err := os.ReadFile(filepath.Join(r.gitDir, "index"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		lines = append(lines, "index none")
	case err != nil:
		return nil, err
	default:
		lines = append(lines, "index "+sum(indexBytes))
	}
	head, err := os.ReadFile(filepath.Join(r.gitDir, "HEAD"))
	if err != nil {
		return nil, err
	}
	lines = append(lines, "HEAD "+strings.TrimSpace(string(head)))

	refs, err := r.st.IterReferences()
	if err != nil {
		return nil, err
	}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Name() == plumbing.HEAD {
			return nil
		}
		target := ref.Hash().String()
		if ref.Type() == plumbing.SymbolicReference {
			target = "-> " + ref.Target().String()
		}
		lines = append(lines, "ref "+ref.Name().String()+" "+target)
		return nil
	})
	if err != nil {
		return nil, err
	}

	idx, err := r.st.Index()
	if err != nil {
		return nil, err
	}
	tracked := map[string]bool{}
	for _, e := range idx.Entries {
		tracked[e.Name] = true
	}
	for name := range tracked {
		lines = append(lines, "file "+name+" "+r.fileDigest(name))
	}

	untracked, err := r.untracked(tracked)
	if err != nil {
		return nil, err
	}
	for _, name := range untracked {
		lines = append(lines, "untracked "+name+" "+r.fileDigest(name))
	}
	sort.Strings(lines)
	return lines, nil
}

// fileDigest is a work-tree path's mode and content digest, or "missing".
func (r *Repo) fileDigest(name string) string {
	p := filepath.Join(r.root, filepath.FromSlash(name))
	fi, err := os.Lstat(p)
	if err != nil {
		return "missing"
	}
	var b []byte
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(p)
		if err != nil {
			return "unreadable"
		}
		b = []byte(t)
	case fi.Mode().IsRegular():
		if b, err = os.ReadFile(p); err != nil {
			return "unreadable"
		}
	default:
		return fi.Mode().Type().String()
	}
	s := sha256.Sum256(b)
	return fmt.Sprintf("%v %x", fi.Mode(), s)
}

// untracked lists files under the work tree that are neither tracked nor
// ignored (.gitignore files, .git/info/exclude), skipping nested
// repositories as git does.
func (r *Repo) untracked(tracked map[string]bool) ([]string, error) {
	patterns, err := gitignore.ReadPatterns(osfs.New(r.root), nil)
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(r.commonDir, "info", "exclude")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimRight(l, "\r"); l != "" && !strings.HasPrefix(l, "#") {
				patterns = append(patterns, gitignore.ParsePattern(l, nil))
			}
		}
	}
	m := gitignore.NewMatcher(patterns)
	var out []string
	err = filepath.WalkDir(r.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		if d.IsDir() {
			if d.Name() == ".git" || m.Match(parts, true) {
				return filepath.SkipDir
			}
			if _, err := os.Lstat(filepath.Join(p, ".git")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !tracked[rel] && !m.Match(parts, false) {
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}
