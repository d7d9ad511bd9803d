// Package release carries out zest.releaser's three steps the dist way:
// prerelease (checks, date the changelog, set VERSION, commit), release
// (annotated tag, image, push, GitHub draft) and postrelease (back to
// development). Each is a list of small named steps, as goreleaser's pipes
// are. A refusal changes nothing; a re-run after a failure finds what is
// already done and carries on.
package release

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/plan"
	"github.com/distbuild/dist/internal/render"
	"github.com/distbuild/dist/internal/version"
)

// Env is what every step works with.
type Env struct {
	M    *manifest.Manifest
	Repo *gitrepo.Repo
	// Now gives today's date for the changelog; time.Now when nil.
	Now func() time.Time
	// DryRun says what would be done and does nothing.
	DryRun bool
	// Log prints one line per step outcome.
	Log func(format string, args ...any)
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

// Refusal is a release dist will not make, with every reason found. It
// means exit 1; nothing was changed.
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

// killPoint lets a test stop the process dead after a step, as a crash or
// a kill -9 would, to prove that a re-run carries on.
func killPoint(step string) {
	if os.Getenv("DIST_TEST_KILL_AFTER") == step {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Second)
	}
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

func readVersionFile(m *manifest.Manifest) (string, error) {
	v, err := plan.ReadVersion(m)
	if err != nil {
		return "", err
	}
	return v.Raw, nil
}

// PrereleaseOptions configures Prerelease.
type PrereleaseOptions struct {
	Version string // "" for the policy's next version
	// Open, when set, verifies the lockfiles against their indexes.
	Open       lock.Opener
	SkipVerify bool
}

// Prerelease checks that a release can be made, dates the unreleased
// changelog entry, writes VERSION and commits "Preparing release V". It
// returns the version.
func Prerelease(ctx context.Context, env *Env, o PrereleaseOptions) (string, error) {
	m, repo := env.M, env.Repo
	var why []string
	refuse := func(format string, args ...any) { why = append(why, fmt.Sprintf(format, args...)) }

	cur, err := readVersionFile(m)
	if err != nil {
		return "", err
	}
	cl, err := changelog.Load(m.Abs(m.Changelog))
	if err != nil {
		return "", err
	}
	// A re-run after a prerelease that went through has nothing to do.
	if o.Version == "" || o.Version == cur {
		if e, err := cl.Entry(cur); err == nil && e.Date != "" && !isDev(cur) {
			if tagged, _ := repo.TagExists(gitrepo.TagName(m.TagFormat, cur)); !tagged {
				env.logf("prerelease: %s is already prepared (VERSION and a dated changelog entry)", cur)
				return cur, nil
			}
		}
	}

	dirty, err := repo.DirtyPaths()
	if err != nil {
		return "", err
	}
	if len(dirty) > 0 {
		refuse("tracked files are modified: %s (commit or stash them)", strings.Join(dirty, ", "))
	}
	_, branch, detached, err := repo.Head()
	if err != nil {
		return "", err
	}
	switch {
	case detached:
		refuse("HEAD is detached: check out a release branch")
	case !branchAllowed(m, branch):
		refuse("branch %s is not a release branch (release_branches: %s)", branch, strings.Join(m.ReleaseBranches, ", "))
	}
	p, err := plan.Compute(m, repo, plan.Options{})
	if err != nil {
		return "", err
	}
	v := o.Version
	if v == "" {
		v = p.Next
	}
	if _, err := version.Parse("pypi", v); err != nil {
		return "", fmt.Errorf("--version: %w", err)
	}
	if err := p.Check(v); err != nil {
		refuse("%v", err)
	}
	unrel, err := cl.Unreleased()
	if err != nil {
		refuse("%v", err)
	} else if unrel.OnlyNothingChanged() {
		refuse("%s:%d: the unreleased entry says only \"Nothing changed yet.\" (write what changed, or run dist changelog --write)", m.Changelog, unrel.Line)
	}
	tag := gitrepo.TagName(m.TagFormat, v)
	if ok, err := repo.TagExists(tag); err != nil {
		return "", err
	} else if ok {
		refuse("tag %s already exists", tag)
	}
	if outs, err := render.Render(m, nil); err != nil {
		refuse("config render: %v", err)
	} else if drifts, err := render.Check(outs); err != nil {
		return "", err
	} else {
		for _, d := range drifts {
			refuse("%s is out of date with its template (run dist config render)", d.Path)
		}
	}
	if !o.SkipVerify && o.Open != nil && len(m.Lockfiles) > 0 {
		targets, err := lock.Load(m, "", o.Open)
		if err != nil {
			return "", err
		}
		// The pypi set must be complete too: a release ships what it pins.
		set, err := lock.NewPySet(m, targets)
		if err != nil {
			return "", err
		}
		res, err := lock.Verify(ctx, targets, lock.VerifyOptions{Set: set})
		if err != nil {
			return "", fmt.Errorf("lock verify: %w (skip with --skip verify)", err)
		}
		for _, pr := range res.Problems {
			refuse("lock verify: %s", pr)
		}
	}
	if len(why) > 0 {
		return "", &Refusal{Step: "prerelease", Reasons: why}
	}

	if err := cl.SetRelease(v, env.today()); err != nil {
		return "", err
	}
	if env.DryRun {
		env.logf("would date %s: %s (%s)", m.Changelog, v, env.today())
		env.logf("would write %s: %s (was %s)", m.VersionFile, v, cur)
		env.logf("would commit: Preparing release %s", v)
		return v, nil
	}
	if err := writeAndCommit(env, cl, cur, v, fmt.Sprintf("Preparing release %s", v)); err != nil {
		return "", err
	}
	env.logf("prerelease: dated %s, VERSION %s, committed \"Preparing release %s\"", m.Changelog, v, v)
	return v, nil
}

func isDev(v string) bool {
	pv, err := version.Parse("pypi", v)
	return err != nil || pv.Pre
}

// writeAndCommit writes the changelog and VERSION and commits both; when
// the commit fails it puts the old bytes back, so the tree is as it was.
func writeAndCommit(env *Env, cl *changelog.Changelog, oldVersion, newVersion, msg string) error {
	m := env.M
	oldCL, err := os.ReadFile(m.Abs(m.Changelog))
	if err != nil {
		return err
	}
	restore := func() {
		atomicfile.WriteFile(m.Abs(m.Changelog), oldCL, 0o644)
		atomicfile.WriteFile(m.Abs(m.VersionFile), []byte(oldVersion+"\n"), 0o644)
	}
	if err := cl.Write(); err != nil {
		restore()
		return err
	}
	if err := atomicfile.WriteFile(m.Abs(m.VersionFile), []byte(newVersion+"\n"), 0o644); err != nil {
		restore()
		return err
	}
	if _, err := env.Repo.Commit(msg, []string{m.Changelog, m.VersionFile}); err != nil {
		restore()
		return err
	}
	return nil
}

// PostreleaseOptions configures Postrelease.
type PostreleaseOptions struct {
	Version string // NEXT; the next patch when empty
	NoPush  bool
	Remote  string
	Auth    gitrepo.Auth
}

// Postrelease writes VERSION NEXT.dev0, adds "## NEXT (unreleased)" with
// "- Nothing changed yet." and commits "Back to development: NEXT".
func Postrelease(ctx context.Context, env *Env, o PostreleaseOptions) (string, error) {
	m, repo := env.M, env.Repo
	cur, err := readVersionFile(m)
	if err != nil {
		return "", err
	}
	cl, err := changelog.Load(m.Abs(m.Changelog))
	if err != nil {
		return "", err
	}
	// Already back to development (a re-run): only the push may be left.
	if isDev(cur) {
		if u, err := cl.Unreleased(); err == nil && version.Final(mustParse(cur)) == u.Version {
			env.logf("postrelease: already back to development (%s)", cur)
			return u.Version, pushBranch(ctx, env, o.NoPush, o.Remote, o.Auth)
		}
		return "", &Refusal{Step: "postrelease", Reasons: []string{fmt.Sprintf("VERSION is %s, not a release: run dist prerelease and dist release first", cur)}}
	}
	dirty, err := repo.DirtyPaths()
	if err != nil {
		return "", err
	}
	if len(dirty) > 0 {
		return "", &Refusal{Step: "postrelease", Reasons: []string{fmt.Sprintf("tracked files are modified: %s", strings.Join(dirty, ", "))}}
	}
	next := o.Version
	if next == "" {
		next = version.Next(mustParse(cur), version.Patch)
	}
	nv, err := version.Parse("pypi", next)
	if err != nil {
		return "", fmt.Errorf("--version: %w", err)
	}
	if version.Compare(nv, mustParse(cur)) <= 0 {
		return "", &Refusal{Step: "postrelease", Reasons: []string{fmt.Sprintf("next version %s is not above the release %s", next, cur)}}
	}
	if err := cl.AddUnreleased(next); err != nil {
		return "", err
	}
	dev := next + m.DevMarker
	if env.DryRun {
		env.logf("would write %s: %s", m.VersionFile, dev)
		env.logf("would add to %s: %s (unreleased) with \"- Nothing changed yet.\"", m.Changelog, next)
		env.logf("would commit: Back to development: %s", next)
		return next, nil
	}
	if err := writeAndCommit(env, cl, cur, dev, fmt.Sprintf("Back to development: %s", next)); err != nil {
		return "", err
	}
	env.logf("postrelease: VERSION %s, new unreleased entry, committed \"Back to development: %s\"", dev, next)
	return next, pushBranch(ctx, env, o.NoPush, o.Remote, o.Auth)
}

func mustParse(s string) version.V {
	v, _ := version.Parse("pypi", s)
	return v
}

func pushBranch(ctx context.Context, env *Env, noPush bool, remote string, auth gitrepo.Auth) error {
	if noPush || env.DryRun {
		return nil
	}
	_, branch, detached, err := env.Repo.Head()
	if err != nil {
		return err
	}
	if detached {
		return fmt.Errorf("push: HEAD is detached")
	}
	if err := env.Repo.Push(ctx, remote, []string{"refs/heads/" + branch}, auth); err != nil {
		return err
	}
	env.logf("pushed %s to %s", branch, remoteName(remote))
	return nil
}

func remoteName(r string) string {
	if r == "" {
		return "origin"
	}
	return r
}
