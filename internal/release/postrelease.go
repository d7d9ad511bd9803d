package release

import (
	"context"
	"fmt"
	"strings"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/version"
)

// PostreleaseOptions configures Postrelease.
type PostreleaseOptions struct {
	Version string // NEXT; the next patch when empty
	NoPush  bool
	Remote  string
	Auth    gitrepo.Auth
}

// postrelease is one run's state, shared by its checks and steps.
type postrelease struct {
	env    *Env
	o      PostreleaseOptions
	report *Report
	cur    string
	cl     *changelog.Changelog
	next   string
	// already is set when an earlier run went back to development: only
	// the push may be left.
	already bool
	// committed is VERSION as HEAD has it, which says what is done.
	committed string
	// resume is set when an earlier run wrote its files and was stopped
	// before committing them: this run commits them.
	resume bool
}

// Postrelease writes VERSION NEXT.dev0, adds "## NEXT (unreleased)" with
// "- Nothing changed yet.", re-renders every config for NEXT.dev0, commits
// "Back to development: NEXT" and pushes the branch. It returns the report;
// its Version is NEXT.
func Postrelease(ctx context.Context, env *Env, o PostreleaseOptions) (*Report, error) {
	r := &postrelease{env: env, o: o, report: newReport("postrelease", env.DryRun)}
	err := r.run(ctx)
	return r.report.end(r.next, err)
}

func (r *postrelease) run(ctx context.Context) error {
	if err := versionFlag(r.o.Version); err != nil {
		return err
	}
	unlock, err := lockFiles(r.env)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := r.env.Manifest.Version()
	if err != nil {
		return err
	}
	r.cur = cur.Raw
	clPath, err := r.env.Manifest.Checked("changelog", r.env.Manifest.Changelog)
	if err != nil {
		return err
	}
	if r.cl, err = changelog.Load(clPath); err != nil {
		return err
	}
	if r.committed, err = committedVersion(r.env); err != nil {
		return err
	}
	remote := &remoteCheck{env: r.env, name: r.o.Remote, auth: r.o.Auth, noPush: r.o.NoPush}
	skipWhenAlready := func() string {
		switch {
		case r.already:
			return "already back to development"
		case r.resume:
			return "resuming: only the files postrelease writes are modified"
		}
		return ""
	}
	worktreeSkip := func() string {
		if r.resume {
			return "resuming: only the files postrelease writes are modified"
		}
		return skipWhenAlready()
	}
	checks := []Step{
		nextCheck{r},
		worktreeClean{env: r.env, skip: worktreeSkip},
		identityCheck{env: r.env, skip: func() string {
			if r.already {
				return "already back to development"
			}
			return ""
		}},
		remote,
	}
	steps := []Step{
		developStep{r},
		&pushStep{env: r.env, remote: remote, report: r.report, again: "dist postrelease", tag: func() string { return "" }},
	}
	return (&runner{env: r.env, report: r.report}).run(ctx, checks, steps)
}

// nextCheck reads where the branch is: just released (VERSION final), or
// already back to development; and decides NEXT.
type nextCheck struct{ *postrelease }

func (nextCheck) Name() string { return "version" }

func (c nextCheck) Run(context.Context) (string, error) {
	if isDev(c.cur) {
		if u, err := c.cl.Unreleased(); err == nil && version.Final(mustParse(c.cur)) == u.Version {
			if err := c.sameNext(u.Version); err != nil {
				return "", err
			}
			switch {
			case c.committed == c.cur:
				c.already, c.next = true, u.Version
				return fmt.Sprintf("%s: already back to development", c.cur), nil
			case c.committed != "" && !isDev(c.committed) && version.Compare(mustParse(u.Version), mustParse(c.committed)) > 0:
				// Killed after writing its files, before its commit.
				ok, dirty, err := cutShort(c.env, c.cur)
				if err != nil {
					return "", err
				}
				if !ok {
					return "", refuse("VERSION is %s but HEAD has %s, and other files are modified too: %s (commit or stash them)", c.cur, c.committed, strings.Join(dirty, ", "))
				}
				c.resume, c.next = true, u.Version
				return fmt.Sprintf("%s released; resuming the move to %s: its files are written, not yet committed", c.committed, c.cur), nil
			}
		}
		return "", refuse("VERSION is %s, not a release: run dist prerelease and dist release first", c.cur)
	}
	next := c.o.Version
	if next == "" {
		next = version.Next(mustParse(c.cur), version.Patch)
	}
	nv, err := version.Parse("pypi", next)
	if err != nil {
		return "", fmt.Errorf("--version: %w", err)
	}
	if version.Compare(nv, mustParse(c.cur)) <= 0 {
		return "", refuse("next version %s is not above the release %s", next, c.cur)
	}
	c.next = next
	return fmt.Sprintf("%s released; next %s", c.cur, next), nil
}

// sameNext refuses a --version other than next, the version an earlier
// run went back to development for: that run's VERSION stands, and
// reporting it as done would hide that the flag was not applied. A usage
// error (exit 2), since what was typed contradicts the repository.
func (c nextCheck) sameNext(next string) error {
	if c.o.Version == "" {
		return nil
	}
	want, err := version.Parse("pypi", c.o.Version)
	if err != nil {
		return failure.Usagef("--version: %w", err)
	}
	m := c.env.Manifest
	switch cmp := version.Compare(want, mustParse(next)); {
	case cmp == 0:
		return nil
	case cmp > 0:
		// prerelease takes any version the policy allows, and the
		// policy never requires less than VERSION says.
		return failure.Usagef("--version %s: already back to development for %s (%s holds %s); to release %s instead, run dist prerelease --version %s",
			c.o.Version, next, m.VersionFile, c.cur, c.o.Version, c.o.Version)
	}
	return failure.Usagef("--version %s: already back to development for %s (%s holds %s); to aim lower, write %s%s in %s and retitle the unreleased entry of %s by hand",
		c.o.Version, next, m.VersionFile, c.cur, c.o.Version, m.DevMarker, m.VersionFile, m.Changelog)
}

// developStep writes NEXT.dev0 and the new entry, re-renders the configs
// and commits.
type developStep struct{ *postrelease }

func (developStep) Name() string { return "commit" }

func (s developStep) Done(context.Context) (string, bool, error) {
	if !s.already {
		return "", false, nil
	}
	return fmt.Sprintf("already back to development (%s)", s.cur), true, nil
}

func (s developStep) dev() string { return s.next + s.env.Manifest.DevMarker }

func (s developStep) Preview() string {
	m := s.env.Manifest
	what := fmt.Sprintf("would set %s %s, add %s (unreleased) with \"- Nothing changed yet.\" to %s", m.VersionFile, s.dev(), s.next, m.Changelog)
	if changes, err := renderChanges(s.env, s.dev()); err == nil && len(changes) > 0 {
		var outs []string
		for _, c := range changes {
			outs = append(outs, c.path)
		}
		what += ", re-render " + strings.Join(outs, ", ")
	}
	return what + fmt.Sprintf(" and commit \"Back to development: %s\"", s.next)
}

func (s developStep) Run(context.Context) (string, error) {
	m := s.env.Manifest
	render := renderChanges
	if s.resume {
		// The entry is there already; every output HEAD lacks goes in.
		render = allRendered
	} else if err := s.cl.AddUnreleased(s.next); err != nil {
		return "", err
	}
	configs, err := render(s.env, s.dev())
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("Back to development: %s", s.next)
	changes := append([]change{
		{m.Changelog, s.cl.Bytes()},
		{m.VersionFile, []byte(s.dev() + "\n")},
	}, configs...)
	commit, files, err := commitChanges(s.env, msg, changes)
	if err != nil {
		return "", err
	}
	s.report.Commit, s.report.Files = commit, files
	what := fmt.Sprintf("%s %s, new unreleased entry", m.VersionFile, s.dev())
	if len(configs) > 0 {
		var outs []string
		for _, c := range configs {
			outs = append(outs, c.path)
		}
		what += ", re-rendered " + strings.Join(outs, ", ")
	}
	return what + fmt.Sprintf(", committed %q", msg), nil
}
