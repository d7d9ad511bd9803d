// Package release carries out zest.releaser's three steps the dist way:
// prerelease (checks, date the changelog, set VERSION, re-render the
// configs, commit), release (checks, image, annotated tag, push, GitHub
// draft) and postrelease (back to development). Each is a list of checks
// and a list of small named steps, as goreleaser's pipes are, run by one
// runner that gives every step the same outcomes (ran, skipped, already
// done, dry-run) and records them in a Report. Every check runs before
// anything changes: a refusal changes nothing, a failure takes back what
// the run did while it still can, and a re-run after any failure finds
// what is already done and carries on.
package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/version"
)

// Env is what every step works with.
type Env struct {
	// Manifest is the distribution's dist.yaml, loaded.
	Manifest *manifest.Manifest
	// Repo is the git repository that holds it.
	Repo *gitrepo.Repo
	// Now gives today's date for the changelog; time.Now when nil.
	Now func() time.Time
	// DryRun says what would be done and does nothing; the checks run.
	DryRun bool
	// Log prints one line per step outcome.
	Log func(format string, args ...any)
	// AfterStep, when set, is called with a step's name after each step
	// that changed something, and with "write" once a release commit's
	// files are written and before they are committed. The crash tests
	// stop the process dead there (the CLI's DIST_TEST_KILL_AFTER), as a
	// kill -9 would, to prove that a re-run carries on.
	AfterStep func(step string)
}

func (e *Env) afterStep(step string) {
	if e.AfterStep != nil {
		e.AfterStep(step)
	}
}

func (e *Env) logf(format string, args ...any) {
	if e.Log != nil {
		e.Log(format, args...)
	}
}

func (e *Env) today() string {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	return now().Format("2006-01-02")
}

// inRepo turns a path relative to the manifest's directory into one
// relative to the repository root, as git names it.
func (e *Env) inRepo(rel string) string { return e.Repo.PathOf(e.Manifest.Dir, rel) }

// Refusal is a release dist will not make, with every reason found: a
// failed check (it comes wrapped in a *failure.CheckError); nothing was
// changed.
type Refusal struct {
	Step    string
	Reasons []string
}

func (r *Refusal) Error() string {
	if len(r.Reasons) == 1 {
		return fmt.Sprintf("%s refused: %s", r.Step, r.Reasons[0])
	}
	return fmt.Sprintf("%s refused:\n  - %s", r.Step, strings.Join(r.Reasons, "\n  - "))
}

// branchAllowed matches a branch against release_branches globs ("*.x").
func branchAllowed(m *manifest.Manifest, branch string) bool {
	for _, pat := range m.ReleaseBranches {
		if ok, _ := path.Match(pat, branch); ok {
			return true
		}
	}
	return false
}

// versionFlag refuses a --version that is not a PEP 440 version: what was
// typed is wrong, a usage error whatever state the repository is in.
func versionFlag(v string) error {
	if v == "" {
		return nil
	}
	if _, err := version.Parse("pypi", v); err != nil {
		return failure.Usagef("--version: %w", err)
	}
	return nil
}

func isDev(v string) bool {
	pv, err := version.Parse("pypi", v)
	return err != nil || pv.Pre
}

func mustParse(s string) version.V {
	v, _ := version.Parse("pypi", s)
	return v
}

// lockFiles takes the locks (PATH.lock, as git and dist lock take them) of
// every file prerelease and postrelease read and rewrite: VERSION, the
// changelog and the rendered configs, before anything is read, so that
// two runs at once cannot interleave. A dry run writes nothing and takes
// none.
func lockFiles(env *Env) (func(), error) {
	if env.DryRun {
		return func() {}, nil
	}
	m := env.Manifest
	paths := []string{m.Abs(m.VersionFile), m.Abs(m.Changelog)}
	for _, c := range m.Configs {
		paths = append(paths, m.Abs(c.Output))
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	return atomicfile.LockAll(paths)
}

// change is a file a release commit writes: a path relative to the
// manifest's directory and its new content.
type change struct {
	path string
	data []byte
}

// commitChanges writes the files that differ and commits them in one
// commit. When a write or the commit fails, the old bytes go back (a file
// that did not exist is removed), so the tree is as it was. It returns the
// commit and the paths it changed.
func commitChanges(env *Env, msg string, changes []change) (string, []string, error) {
	type saved struct {
		path    string
		old     []byte
		existed bool
	}
	var undo []saved
	restore := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			if s := undo[i]; s.existed {
				atomicfile.WriteFile(s.path, s.old, 0o644)
			} else {
				os.Remove(s.path)
			}
		}
	}
	var files, paths []string
	for _, c := range changes {
		abs, err := env.Manifest.Checked("", c.path)
		if err != nil {
			restore()
			return "", nil, err
		}
		old, err := os.ReadFile(abs)
		existed := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			restore()
			return "", nil, err
		}
		if existed && bytes.Equal(old, c.data) {
			// Written already, by a run killed before its commit: what
			// counts is the commit, so it goes in when HEAD differs.
			if committed, ok, err := env.Repo.FileAtIn("HEAD", env.Manifest.Dir, c.path); err != nil || !ok || !bytes.Equal(committed, c.data) {
				files = append(files, filepath.ToSlash(c.path))
				paths = append(paths, env.inRepo(c.path))
			}
			continue
		}
		undo = append(undo, saved{abs, old, existed})
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			restore()
			return "", nil, err
		}
		if err := atomicfile.WriteFile(abs, c.data, 0o644); err != nil {
			restore()
			return "", nil, err
		}
		files = append(files, filepath.ToSlash(c.path))
		paths = append(paths, env.inRepo(c.path))
	}
	if len(paths) == 0 {
		return "", nil, fmt.Errorf("%w: nothing to commit for %q", gitrepo.ErrNothingToDo, msg)
	}
	env.afterStep("write") // files written, no commit yet
	commit, err := env.Repo.Commit(msg, paths)
	if err != nil {
		restore()
		return "", nil, err
	}
	return commit, files, nil
}

// committedVersion is VERSION as HEAD has it: whether a step is done is
// judged from the commit, never from the work tree, which a run killed
// between writing its files and committing them leaves changed.
// It is "" when HEAD has no version file.
func committedVersion(env *Env) (string, error) {
	v, _, err := env.Manifest.VersionAt(env.Repo, "HEAD")
	return v.Raw, err
}

// cutShort reports whether every modified tracked file is one a release
// commit writes (VERSION, the changelog, a config output): the mark of a
// run killed after writing its files and before committing them. It lists
// the modified files.
func cutShort(env *Env, version string) (bool, []string, error) {
	dirty, err := env.Repo.DirtyPaths()
	if err != nil || len(dirty) == 0 {
		return false, dirty, err
	}
	ours := map[string]bool{env.inRepo(env.Manifest.VersionFile): true, env.inRepo(env.Manifest.Changelog): true}
	outs, err := allRendered(env, version)
	if err != nil {
		return false, dirty, err
	}
	for _, o := range outs {
		ours[env.inRepo(o.path)] = true
	}
	for _, d := range dirty {
		if !ours[d] {
			return false, dirty, nil
		}
	}
	return true, dirty, nil
}

// identityCheck refuses when git knows no name or address to write into
// a commit or tag, saying how to set one.
type identityCheck struct {
	env *Env
	// taggerOnly checks the committer identity alone, which is what a
	// tag carries.
	taggerOnly bool
	skip       func() string
}

func (identityCheck) Name() string { return "identity" }

func (c identityCheck) Skip() string {
	if c.skip != nil {
		return c.skip()
	}
	return ""
}

func (c identityCheck) Run(context.Context) (string, error) {
	noIdentity := func(err error) error {
		if errors.Is(err, gitrepo.ErrNoIdentity) {
			return refuse("%v", err)
		}
		return err
	}
	if !c.taggerOnly {
		if err := c.env.Repo.CheckIdentity(); err != nil {
			return "", noIdentity(err)
		}
	}
	id, err := c.env.Repo.Ident(true)
	if err != nil {
		return "", noIdentity(err)
	}
	if c.taggerOnly {
		return fmt.Sprintf("tagger %s <%s>", id.Name, id.Email), nil
	}
	if a, err := c.env.Repo.Ident(false); err == nil && (a.Name != id.Name || a.Email != id.Email) {
		return fmt.Sprintf("author %s <%s>, committer %s <%s>", a.Name, a.Email, id.Name, id.Email), nil
	}
	return fmt.Sprintf("%s <%s>", id.Name, id.Email), nil
}

// worktreeClean refuses a work tree with modified tracked files.
type worktreeClean struct {
	env  *Env
	skip func() string
}

func (worktreeClean) Name() string { return "worktree" }

func (c worktreeClean) Skip() string {
	if c.skip != nil {
		return c.skip()
	}
	return ""
}

func (c worktreeClean) Run(context.Context) (string, error) {
	dirty, err := c.env.Repo.DirtyPaths()
	if err != nil {
		return "", err
	}
	if len(dirty) > 0 {
		return "", refuse("tracked files are modified: %s (commit or stash them)", strings.Join(dirty, ", "))
	}
	return "no tracked file modified", nil
}

// remoteCheck finds where refs go and asks the remote, with the
// credentials a push would use, whether it would take them. A repository
// with no remote at all is no refusal: the run does its local work and
// says that nothing was pushed. A remote named but missing is.
type remoteCheck struct {
	env    *Env
	name   string
	auth   gitrepo.Auth
	noPush bool
	// none is set when the repository has no remote at all.
	none bool
}

func (*remoteCheck) Name() string { return "remote" }

func (c *remoteCheck) Skip() string {
	if c.noPush {
		return "--no-push"
	}
	return ""
}

func (c *remoteCheck) label() string {
	if c.name == "" {
		return "origin"
	}
	return c.name
}

func (c *remoteCheck) Run(ctx context.Context) (string, error) {
	urls, err := c.env.Repo.PushURLs(c.name)
	switch {
	case errors.Is(err, gitrepo.ErrNoRemotes):
		c.none = true
		return "the repository has no remote: nothing will be pushed (git remote add origin URL, then run again to push)", nil
	case errors.Is(err, gitrepo.ErrUnknownRemote):
		// --remote names nothing: what was typed is wrong, as for any
		// flag, rather than a reason found not to release.
		return "", failure.Usage(err)
	case err != nil:
		return "", refuse("remote %s: %v", c.label(), err)
	}
	if head, err := c.env.Repo.Head(); err != nil {
		return "", err
	} else if head.Detached {
		return "", refuse("HEAD is detached: check out the release branch, which is pushed with the tag (or use --no-push)")
	}
	if err := c.env.Repo.CheckPush(ctx, c.name, c.auth); err != nil {
		return "", refuse("%v", err)
	}
	return fmt.Sprintf("%s (%s) accepts a push", c.label(), strings.Join(urls, ", ")), nil
}

// pushStep pushes the branch, and the tag when there is one, to the remote
// the remote check found.
type pushStep struct {
	env    *Env
	remote *remoteCheck
	report *Report
	tag    func() string
	// again is the command that carries on after a failed push.
	again string
	// started is set once refs may have left: from then on the tag is
	// not taken back without asking the remote.
	started bool
}

func (*pushStep) Name() string { return "push" }

func (s *pushStep) Skip() string {
	switch {
	case s.remote.noPush:
		return "--no-push"
	case s.remote.none:
		return "the repository has no remote: nothing was pushed"
	}
	return ""
}

func (s *pushStep) what() (refs []string, what string, err error) {
	head, err := s.env.Repo.Head()
	if err != nil {
		return nil, "", err
	}
	if head.Detached {
		return nil, "", errors.New("push: HEAD is detached")
	}
	refs, what = []string{"refs/heads/" + head.Branch}, head.Branch
	if t := s.tag(); t != "" {
		refs = append(refs, "refs/tags/"+t)
		what += " and tag " + t
	}
	return refs, what, nil
}

func (s *pushStep) Preview() string {
	_, what, err := s.what()
	if err != nil {
		return fmt.Sprintf("would fail: %v", err)
	}
	return fmt.Sprintf("would push %s to %s", what, s.remote.label())
}

func (s *pushStep) Run(ctx context.Context) (string, error) {
	refs, what, err := s.what()
	if err != nil {
		return "", err
	}
	s.started = true
	if err := s.env.Repo.Push(ctx, s.remote.name, refs, s.remote.auth); err != nil {
		return "", fmt.Errorf("%w (run %s again to carry on)", err, s.again)
	}
	s.report.Remote, s.report.Pushed = s.remote.label(), refs
	return fmt.Sprintf("%s to %s", what, s.remote.label()), nil
}

// SigningKey loads the OpenPGP key a release signs its tag with: key is a
// path or the armored key itself (--sign-key, else DIST_SIGNING_KEY, as
// the CLI reads them), passphrase unlocks a protected one. No key ("") is
// no signature: nil. Errors never quote the key or the passphrase.
func SigningKey(key string, passphrase []byte) (*openpgp.Entity, error) {
	if key == "" {
		return nil, nil
	}
	return gitrepo.LoadSigningKey(key, passphrase)
}
