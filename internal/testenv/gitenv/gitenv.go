// Package gitenv builds real git repositories on disk for tests, with the
// command-line git, so that what dist's go-git code reads and writes is
// checked against what git itself makes and accepts.
//
// Every command runs with a fixed identity, a clock that advances one
// minute per commit or tag, and no user or system configuration, so the
// same test makes the same hashes on any machine.
package gitenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// The identity every generated commit and tag carries.
const (
	Name  = "Dist Test"
	Email = "test@dist.invalid"
)

// Epoch is the time of the first commit a Repo makes (2024-01-01 UTC).
const Epoch int64 = 1704067200

// Env is the environment git runs in: the caller's, less every GIT_*
// variable (a test run from inside a git hook would otherwise act on the
// outer repository) and GNUPGHOME (a developer's keys must not sign or
// verify anything; a test that wants gpg passes its own), plus a fixed
// identity and no global or system config.
// extra entries ("K=V") are added last and win.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GIT_") || strings.HasPrefix(kv, "GNUPGHOME=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"GIT_AUTHOR_NAME="+Name, "GIT_AUTHOR_EMAIL="+Email,
		"GIT_COMMITTER_NAME="+Name, "GIT_COMMITTER_EMAIL="+Email,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "TZ=UTC",
	)
	return append(env, extra...)
}

// Run runs git in dir and returns its standard output with the trailing
// newline removed.
func Run(dir string, env []string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}

// Git runs git in dir with Env and fails the test on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Run(dir, Env(), nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Repo is a non-bare repository with a work tree.
type Repo struct {
	T   testing.TB
	Dir string
	// ExtraEnv is added to every git command this Repo runs (GNUPGHOME for
	// signed-tag checks, for example).
	ExtraEnv []string
	clock    *atomic.Int64
}

// New makes an empty repository whose branch is main, in a fresh
// temporary directory.
func New(t testing.TB) *Repo {
	t.Helper()
	return Init(t, filepath.Join(t.TempDir(), "repo"))
}

// Init makes an empty repository at dir, whose branch is main.
func Init(t testing.TB, dir string) *Repo {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Repo{T: t, Dir: dir, clock: new(atomic.Int64)}
	r.Git("init", "-q", "-b", "main")
	r.configure()
	return r
}

// localConfig goes into every repository's own config: the identity, so
// code that reads git config (and not the environment) sees the same one;
// no signing defaults; no automatic gc or maintenance behind a test's back
// (git would start a maintenance process after every commit).
const localConfig = `[user]
	name = ` + Name + `
	email = ` + Email + `
[commit]
	gpgsign = false
[tag]
	gpgsign = false
[gc]
	auto = 0
[maintenance]
	auto = false
`

// configure appends localConfig to .git/config: one file write instead of
// five git processes, which on a slow machine is most of a small test.
func (r *Repo) configure() {
	r.T.Helper()
	if err := appendConfig(filepath.Join(r.Dir, ".git", "config")); err != nil {
		r.T.Fatal(err)
	}
}

func appendConfig(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(localConfig); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Env is the environment of this Repo's git commands at the current tick.
func (r *Repo) Env() []string {
	date := fmt.Sprintf("@%d +0000", Epoch+60*r.clock.Load())
	return Env(append([]string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, r.ExtraEnv...)...)
}

// Git runs git in the repository and fails the test on error.
func (r *Repo) Git(args ...string) string {
	r.T.Helper()
	out, err := r.TryGit(args...)
	if err != nil {
		r.T.Fatal(err)
	}
	return out
}

// TryGit runs git in the repository and returns its error.
func (r *Repo) TryGit(args ...string) (string, error) {
	return Run(r.Dir, r.Env(), nil, args...)
}

// Tick advances the clock by a minute.
func (r *Repo) Tick() { r.clock.Add(1) }

// Write writes a file of the work tree, making its directories.
func (r *Repo) Write(path, content string) {
	r.T.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.T.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.T.Fatal(err)
	}
}

// Read reads a file of the work tree.
func (r *Repo) Read(path string) string {
	r.T.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir, filepath.FromSlash(path)))
	if err != nil {
		r.T.Fatal(err)
	}
	return string(b)
}

// Commit writes files (path → content), stages them and commits; with no
// files the commit is empty. It returns the new commit's hash.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.T.Helper()
	r.Tick()
	if len(files) == 0 {
		r.Git("commit", "-q", "--allow-empty", "-m", msg)
		return r.Head()
	}
	args := []string{"add", "--"}
	for p, c := range files {
		r.Write(p, c)
		args = append(args, p)
	}
	r.Git(args...)
	r.Git("commit", "-q", "-m", msg)
	return r.Head()
}

// Head is the hash HEAD points at.
func (r *Repo) Head() string {
	r.T.Helper()
	if h, ok := r.readHead(); ok {
		return h
	}
	return r.RevParse("HEAD")
}

// readHead resolves HEAD from the files, as most tests ask after every
// commit and a git process costs tens of milliseconds on a busy machine. It
// gives up (false) on anything unusual, and Head asks git.
func (r *Repo) readHead() (string, bool) {
	gitDir := filepath.Join(r.Dir, ".git")
	if b, err := os.ReadFile(gitDir); err == nil {
		rest, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
		if !ok {
			return "", false
		}
		gitDir = rest
	}
	common := gitDir
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common = filepath.Join(gitDir, strings.TrimSpace(string(b)))
	}
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return "", false
	}
	ref, symbolic := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: ")
	if !symbolic {
		return ref, len(ref) == 40
	}
	if b, err := os.ReadFile(filepath.Join(common, filepath.FromSlash(ref))); err == nil {
		h := strings.TrimSpace(string(b))
		return h, len(h) == 40
	}
	return "", false
}

// RevParse resolves a revision to an object hash (use REV^{commit} to peel).
func (r *Repo) RevParse(rev string) string {
	r.T.Helper()
	return r.Git("rev-parse", "--verify", "-q", rev)
}

// LightweightTag tags rev ("" for HEAD) with a plain ref.
func (r *Repo) LightweightTag(name, rev string) {
	r.T.Helper()
	if rev == "" {
		rev = "HEAD"
	}
	r.Git("tag", name, rev)
}

// AnnotatedTag tags rev ("" for HEAD) with an annotated tag object.
func (r *Repo) AnnotatedTag(name, rev, msg string) {
	r.T.Helper()
	if rev == "" {
		rev = "HEAD"
	}
	r.Tick()
	r.Git("tag", "-a", "-m", msg, name, rev)
}

// Branch creates branch name at rev ("" for HEAD) without checking it out.
func (r *Repo) Branch(name, rev string) {
	r.T.Helper()
	if rev == "" {
		rev = "HEAD"
	}
	r.Git("branch", name, rev)
}

// Checkout switches to a branch, or detaches HEAD at any other revision.
func (r *Repo) Checkout(rev string) {
	r.T.Helper()
	r.Git("checkout", "-q", rev)
}

// GC runs git gc, which packs every object and moves every ref into
// packed-refs: what a fresh clone looks like.
func (r *Repo) GC() {
	r.T.Helper()
	r.Git("gc", "-q", "--prune=now")
}

// LooseRefs lists the files under refs/ that are not packed (for asserting
// a test really exercises packed refs).
func (r *Repo) LooseRefs() []string {
	r.T.Helper()
	common := r.Git("rev-parse", "--git-common-dir")
	if !filepath.IsAbs(common) {
		common = filepath.Join(r.Dir, common)
	}
	var out []string
	filepath.WalkDir(filepath.Join(common, "refs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// AddWorktree checks branch out in a linked work tree (git worktree add)
// and returns it as a Repo sharing this one's clock. A branch that does not
// exist yet is created at HEAD.
func (r *Repo) AddWorktree(branch string) *Repo {
	r.T.Helper()
	dir := filepath.Join(r.T.TempDir(), "wt-"+strings.ReplaceAll(branch, "/", "-"))
	if _, err := r.TryGit("rev-parse", "--verify", "-q", "refs/heads/"+branch); err == nil {
		r.Git("worktree", "add", "-q", dir, branch)
	} else {
		r.Git("worktree", "add", "-q", "-b", branch, dir)
	}
	return &Repo{T: r.T, Dir: dir, ExtraEnv: r.ExtraEnv, clock: r.clock}
}

// BareRemote makes an empty bare repository and adds it as remote name;
// it returns the bare repository's path.
func (r *Repo) BareRemote(name string) string {
	r.T.Helper()
	dir := filepath.Join(r.T.TempDir(), name+".git")
	if out, err := Run(r.T.TempDir(), Env(), nil, "init", "-q", "--bare", "-b", "main", dir); err != nil {
		r.T.Fatal(out, err)
	}
	r.Git("remote", "add", name, dir)
	return dir
}

// GitIn runs git in another directory (a bare remote, say) with the fixed
// environment.
func (r *Repo) GitIn(dir string, args ...string) string {
	r.T.Helper()
	out, err := Run(dir, r.Env(), nil, args...)
	if err != nil {
		r.T.Fatal(err)
	}
	return out
}

// Copy duplicates the repository, work tree and .git alike, into a fresh
// temporary directory, keeping modes, symbolic links and modification
// times: many tests start from one state, and copying it costs far less
// than the git processes that built it. Only a repository whose .git is a
// directory (not a linked work tree) can be copied.
func (r *Repo) Copy() *Repo {
	r.T.Helper()
	dst := filepath.Join(r.T.TempDir(), "repo")
	err := filepath.WalkDir(r.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.Dir, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, b, info.Mode().Perm()); err != nil {
				return err
			}
			return os.Chtimes(target, info.ModTime(), info.ModTime())
		}
	})
	if err != nil {
		r.T.Fatal(err)
	}
	c := &Repo{T: r.T, Dir: dst, ExtraEnv: r.ExtraEnv, clock: new(atomic.Int64)}
	c.clock.Store(r.clock.Load())
	return c
}
