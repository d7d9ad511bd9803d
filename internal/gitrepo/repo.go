// Package gitrepo is everything dist does to a git repository, with go-git:
// the clean check, the release tag a plan compares with, files read from
// git objects, the release commits, annotated (optionally OpenPGP-signed)
// tags, and pushes. The command-line git is needed only where go-git hands
// work to it (git-receive-pack for a push to a local path) and for
// `git credential fill`.
//
// Hashes are exchanged as 40-character hexadecimal strings.
package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// Errors callers tell apart with errors.Is.
var (
	ErrNotRepository = errors.New("not inside a git work tree")
	ErrNoCommits     = errors.New("the current branch has no commits yet")
	ErrTagExists     = errors.New("tag already exists")
	ErrTagNotFound   = errors.New("tag not found")
	ErrNoReleaseTag  = errors.New("no release tag reachable from HEAD")
	// ErrShallow is a shallow clone whose history is cut off before any
	// release tag: the latest release cannot be told, so none is guessed.
	ErrShallow     = errors.New("the clone is shallow and its history is cut off before any release tag")
	ErrNothingToDo = errors.New("nothing to commit: the paths equal HEAD")
	ErrLocked      = errors.New("another git process holds the index lock")
)

// Repo is an open repository with a work tree. It keeps pack files open
// between calls; Close releases them.
type Repo struct {
	repo      *git.Repository
	st        *filesystem.Storage
	root      string // the work tree
	gitDir    string // this work tree's HEAD and index
	commonDir string // objects, refs and config: gitDir except in a linked work tree
	environ   []string
	now       func() time.Time
	// sshSystemDir holds ssh_config and ssh_known_hosts (tests move it).
	sshSystemDir string
}

// Option changes how Open sets a Repo up.
type Option func(*Repo)

// WithEnviron replaces the process environment as the source of
// GIT_AUTHOR_*/GIT_COMMITTER_*, EMAIL, SSH_AUTH_SOCK, HOME
// (the user's git config, ~/.ssh: config, keys, known_hosts),
// XDG_CONFIG_HOME, GIT_CONFIG_GLOBAL/SYSTEM/NOSYSTEM and the environment
// of git subprocesses, so a test can run in parallel with others and never
// sees a developer's identity or credentials.
func WithEnviron(env []string) Option {
	return func(r *Repo) { r.environ = append([]string(nil), env...) }
}

// WithClock sets the time new commits and tags carry when no
// GIT_*_DATE variable does.
func WithClock(now func() time.Time) Option {
	return func(r *Repo) { r.now = now }
}

// Open opens the repository whose work tree holds dir, searching dir's
// parents as git does. A linked work tree (git worktree add) opens with its
// own HEAD and index and the main repository's objects and refs. Bare
// repositories are refused: every dist command needs a work tree.
func Open(dir string, opts ...Option) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r := &Repo{environ: os.Environ(), now: time.Now, sshSystemDir: "/etc/ssh"}
	for _, o := range opts {
		o(r)
	}
	for d := abs; ; {
		fi, err := os.Stat(filepath.Join(d, ".git"))
		if err == nil {
			r.root = d
			if fi.IsDir() {
				r.gitDir = filepath.Join(d, ".git")
			} else if r.gitDir, err = readGitFile(d); err != nil {
				return nil, err
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil, fmt.Errorf("%s: %w", abs, ErrNotRepository)
		}
		d = parent
	}
	r.commonDir = r.gitDir
	if b, err := os.ReadFile(filepath.Join(r.gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(r.gitDir, c)
		}
		r.commonDir = filepath.Clean(c)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(r.gitDir, "HEAD")); err != nil {
		return nil, fmt.Errorf("%s: %w (no HEAD in %s)", abs, ErrNotRepository, r.gitDir)
	}

	// go-git's PlainOpen would find the same directories, but it neither
	// reports them (the index code needs the real paths) nor
	// keeps pack files open, which makes a history walk reopen the pack
	// for every commit; packFS then serves the packs from memory.
	var fs billy.Filesystem = osfs.New(r.gitDir)
	if r.commonDir != r.gitDir {
		fs = dotgit.NewRepositoryFilesystem(osfs.New(r.gitDir), osfs.New(r.commonDir))
	}
	fs = packFS{Filesystem: fs, commonDir: r.commonDir}
	r.st = filesystem.NewStorageWithOptions(fs, cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	r.repo, err = git.Open(r.st, osfs.New(r.root))
	if err != nil {
		r.st.Close()
		return nil, fmt.Errorf("open %s: %w", r.root, err)
	}
	return r, nil
}

func readGitFile(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, ".git"))
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	gd, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir:")
	if !ok {
		return "", fmt.Errorf("%s/.git: no gitdir: line", dir)
	}
	gd = strings.TrimSpace(gd)
	if !filepath.IsAbs(gd) {
		gd = filepath.Join(dir, gd)
	}
	return filepath.Clean(gd), nil
}

// Close releases the open pack files.
func (r *Repo) Close() error { return r.st.Close() }

// Root is the top directory of the work tree.
func (r *Repo) Root() string { return r.root }

// PathOf is the path git names dir/rel by, from the work tree's root, with
// slashes ("lockfiles/default.txt" for a distribution at the root,
// "dist/lockfiles/default.txt" for one in dist/). dir is a directory in the
// work tree, such as dist.yaml's; symlinks in either path are resolved
// first. rel comes back as given, slashed, when dir is not under the root.
func (r *Repo) PathOf(dir, rel string) string {
	root, err1 := filepath.EvalSymlinks(r.root)
	d, err2 := filepath.Abs(dir)
	if err2 == nil {
		d, err2 = filepath.EvalSymlinks(d)
	}
	if err1 == nil {
		root, err1 = filepath.Abs(root)
	}
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(rel)
	}
	p, err := filepath.Rel(root, filepath.Join(d, rel))
	if err != nil || p == ".." || strings.HasPrefix(p, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

// GitDir is where this work tree's HEAD and index live (.git, or
// .git/worktrees/NAME of the main repository for a linked work tree).
func (r *Repo) GitDir() string { return r.gitDir }

// Go exposes the underlying go-git repository for what this package does
// not wrap.
func (r *Repo) Go() *git.Repository { return r.repo }

// Head is where HEAD is, as Repo.Head reads it.
type Head struct {
	// Commit is the full hex hash of the commit HEAD points at; "" on a
	// branch with no commits yet.
	Commit string
	// Branch is the checked-out branch's short name ("main", not
	// "refs/heads/main"); "" when Detached.
	Branch string
	// Detached is true when HEAD names a commit rather than a branch.
	Detached bool
}

// Head reports where HEAD is. On a branch with no commits yet Commit is ""
// and err is nil; err is only about reading the references.
func (r *Repo) Head() (Head, error) {
	ref, err := r.st.Reference(plumbing.HEAD)
	if err != nil {
		return Head{}, fmt.Errorf("read HEAD: %w", err)
	}
	if ref.Type() == plumbing.HashReference {
		return Head{Commit: ref.Hash().String(), Detached: true}, nil
	}
	name := ref.Target()
	branch := strings.TrimPrefix(name.String(), "refs/heads/")
	target, err := r.st.Reference(name)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return Head{Branch: branch}, nil
	}
	if err != nil {
		return Head{}, fmt.Errorf("read %s: %w", name, err)
	}
	return Head{Commit: target.Hash().String(), Branch: branch}, nil
}

func (r *Repo) headCommit() (*object.Commit, error) {
	h, err := r.Head()
	if err != nil {
		return nil, err
	}
	if h.Commit == "" {
		return nil, fmt.Errorf("%s: %w", h.Branch, ErrNoCommits)
	}
	return r.repo.CommitObject(plumbing.NewHash(h.Commit))
}

// HeadTime is the committer time of the HEAD commit: the default
// SOURCE_DATE_EPOCH of a release.
func (r *Repo) HeadTime() (time.Time, error) {
	c, err := r.headCommit()
	if err != nil {
		return time.Time{}, err
	}
	return c.Committer.When, nil
}

func (r *Repo) getenv(key string) string {
	v, _ := r.lookupEnv(key)
	return v
}

// config is the repository's git config with the identity settings
// (user.*, author.*, committer.*) it leaves unset filled in from the
// user's and the system's config. The user's config is found from this
// Repo's environment (GIT_CONFIG_GLOBAL, XDG_CONFIG_HOME, HOME), as git
// finds it, and not go-git's way from the process's home directory, so a
// test's WithEnviron keeps a developer's ~/.gitconfig out.
func (r *Repo) config() (*config.Config, error) {
	local, err := r.st.Config()
	if err != nil {
		return nil, err
	}
	var files []string // highest precedence first
	if g, ok := r.lookupEnv("GIT_CONFIG_GLOBAL"); ok {
		files = append(files, g)
	} else {
		home := r.getenv("HOME")
		if home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
		if xdg := r.getenv("XDG_CONFIG_HOME"); xdg != "" {
			files = append(files, filepath.Join(xdg, "git", "config"))
		} else if home != "" {
			files = append(files, filepath.Join(home, ".config", "git", "config"))
		}
	}
	if r.getenv("GIT_CONFIG_NOSYSTEM") == "" {
		sys := r.getenv("GIT_CONFIG_SYSTEM")
		if sys == "" {
			sys = "/etc/gitconfig"
		}
		files = append(files, sys)
	}
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // absent, or /dev/null-like: git skips it too
		}
		c, err := config.ReadConfig(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		fill(&local.User.Name, c.User.Name)
		fill(&local.User.Email, c.User.Email)
		fill(&local.Author.Name, c.Author.Name)
		fill(&local.Author.Email, c.Author.Email)
		fill(&local.Committer.Name, c.Committer.Name)
		fill(&local.Committer.Email, c.Committer.Email)
	}
	return local, nil
}

func (r *Repo) lookupEnv(key string) (string, bool) {
	for i := len(r.environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(r.environ[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
