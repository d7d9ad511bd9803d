package gitenv

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Snapshot lists everything a refused or dry-run command must leave alone
// in the repository whose work tree holds dir, one sorted line per item,
// for a test to compare before and after and diff when they differ:
//
//	file PATH MODE SHA256       every tracked file of the work tree
//	untracked PATH MODE SHA256  every file git lists as untracked
//	index SHA256                the index file's bytes
//	HEAD ...                    the HEAD file as written
//	ref NAME TARGET             every ref, loose or packed ("-> NAME" when symbolic)
//
// Ignored files (build outputs, caches) are left out, and so are nested
// repositories; object files are left out too, since writing an object
// changes nothing a user sees. It reads with the command-line git, not
// with dist's go-git code, so that what it checks is checked by another
// implementation, and runs only git commands that write nothing (no git
// status, which refreshes the index).
func Snapshot(dir string) ([]string, error) {
	git := func(args ...string) (string, error) { return Run(dir, Env(), nil, args...) }
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	gitDir, err := git("rev-parse", "--absolute-git-dir")
	if err != nil {
		return nil, err
	}
	var lines []string
	sum := func(b []byte) string { s := sha256.Sum256(b); return fmt.Sprintf("%x", s) }

	switch b, err := os.ReadFile(filepath.Join(gitDir, "index")); {
	case os.IsNotExist(err):
		lines = append(lines, "index none")
	case err != nil:
		return nil, err
	default:
		lines = append(lines, "index "+sum(b))
	}
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return nil, err
	}
	lines = append(lines, "HEAD "+strings.TrimSpace(string(head)))

	refs, err := git("for-each-ref", "--format=%(refname)%00%(objectname)%00%(symref)")
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Split(refs, "\n") {
		if l == "" {
			continue
		}
		f := strings.Split(l, "\x00")
		if len(f) != 3 {
			return nil, fmt.Errorf("git for-each-ref: unexpected line %q", l)
		}
		target := f[1]
		if f[2] != "" {
			target = "-> " + f[2]
		}
		lines = append(lines, "ref "+f[0]+" "+target)
	}

	// Paths are the top level's; git prints them relative to where it
	// runs.
	list := func(args ...string) ([]string, error) {
		out, err := Run(top, Env(), nil, append([]string{"ls-files", "-z"}, args...)...)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		var names []string
		for _, n := range strings.Split(out, "\x00") {
			// A directory ("sub/") is a nested repository, which is
			// not this one's to snapshot; an unmerged path is listed
			// once per stage.
			if n == "" || strings.HasSuffix(n, "/") || seen[n] {
				continue
			}
			seen[n] = true
			names = append(names, n)
		}
		return names, nil
	}
	tracked, err := list()
	if err != nil {
		return nil, err
	}
	for _, n := range tracked {
		lines = append(lines, "file "+n+" "+fileDigest(top, n))
	}
	// The ignore rules are the repository's own (.gitignore files,
	// info/exclude): Env leaves out every user's and system's config.
	untracked, err := list("--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	for _, n := range untracked {
		lines = append(lines, "untracked "+n+" "+fileDigest(top, n))
	}
	sort.Strings(lines)
	return lines, nil
}

// fileDigest is a work-tree path's mode and content digest (a symlink's
// target), or "missing".
func fileDigest(top, name string) string {
	p := filepath.Join(top, filepath.FromSlash(name))
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
	return fmt.Sprintf("%v %x", fi.Mode(), sha256.Sum256(b))
}
