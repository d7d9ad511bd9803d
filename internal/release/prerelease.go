package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/plan"
	"github.com/distbuild/dist/internal/render"
	"github.com/distbuild/dist/internal/version"
)

// PrereleaseOptions configures Prerelease.
type PrereleaseOptions struct {
	Version string // "" for the policy's next version
	// Open, when set, verifies the lockfiles against their indexes.
	Open       lockset.Opener
	SkipVerify bool
}

// prerelease is one run's state, shared by its checks and steps.
type prerelease struct {
	env *Env
	o   PrereleaseOptions
	cur string
	cl  *changelog.Changelog
	// v is the version being prepared, known once the version check ran.
	v string
	// plan is the policy's plan, known once the version check computed it.
	plan *plan.Plan
	// prepared is set when an earlier run did the work.
	prepared bool
	// resume is set when an earlier run wrote the files and was stopped
	// before committing them: this run commits them.
	resume bool
	report *Report
}

// Prerelease checks that a release can be made (every check, every reason
// to refuse), then dates the unreleased changelog entry, writes VERSION,
// re-renders every config with the new version and commits all of it as
// "Preparing release V".
func Prerelease(ctx context.Context, env *Env, o PrereleaseOptions) (*Report, error) {
	r := &prerelease{env: env, o: o, report: newReport("prerelease", env.DryRun)}
	err := r.run(ctx)
	return r.report.end(r.v, err)
}

func (r *prerelease) run(ctx context.Context) error {
	m := r.env.Manifest
	if err := versionFlag(r.o.Version); err != nil {
		return err
	}
	unlock, err := lockFiles(r.env)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := m.Version()
	if err != nil {
		return err
	}
	r.cur = cur.Raw
	if r.cl, err = changelog.LoadFor(m); err != nil {
		return err
	}
	// Whether an earlier run did the work is judged from the commit: a run
	// killed after writing VERSION and the changelog, before committing,
	// left them in the work tree only.
	committed, err := committedVersion(r.env)
	if err != nil {
		return err
	}
	if r.o.Version == "" || r.o.Version == r.cur {
		if e, err := r.cl.Entry(r.cur); err == nil && e.Date != "" && !isDev(r.cur) {
			if tagged, _ := r.env.Repo.TagExists(gitrepo.TagName(m.TagFormat, r.cur)); !tagged {
				switch {
				case committed == r.cur:
					// A re-run after a prerelease that went through has
					// nothing to check.
					r.prepared, r.v = true, r.cur
				case isDev(committed):
					// Cut short before its commit: finish it when nothing
					// but the files it writes was changed.
					ok, _, err := cutShort(r.env, r.cur)
					if err != nil {
						return err
					}
					r.resume, r.v = ok, r.cur
				}
			}
		}
	}
	if r.resume {
		r.env.logf("resuming: a prerelease of %s wrote its files but was stopped before its commit", r.v)
		checks := []Step{branchCheck{r}, identityCheck{env: r.env}, tagFree{r}}
		return (&runner{env: r.env, report: r.report}).run(ctx, checks, []Step{prepareStep{r}})
	}
	checks := []Step{
		worktreeClean{env: r.env},
		branchCheck{r},
		identityCheck{env: r.env},
		versionCheck{r},
		changelogCheck{r},
		tagFree{r},
		configCheck{r},
		lockfileCheck{r},
	}
	if r.prepared {
		checks = nil
	}
	return (&runner{env: r.env, report: r.report}).run(ctx, checks, []Step{prepareStep{r}})
}

type branchCheck struct{ *prerelease }

func (branchCheck) Name() string { return "branch" }

func (c branchCheck) Run(context.Context) (string, error) {
	head, err := c.env.Repo.Head()
	switch {
	case err != nil:
		return "", err
	case head.Detached:
		return "", refuse("HEAD is detached: check out a release branch")
	case !branchAllowed(c.env.Manifest, head.Branch):
		return "", refuse("branch %s is not a release branch (release_branches: %s)", head.Branch, strings.Join(c.env.Manifest.ReleaseBranches, ", "))
	}
	return head.Branch, nil
}

// versionCheck decides the version and refuses one below the policy's.
type versionCheck struct{ *prerelease }

func (versionCheck) Name() string { return "version" }

func (c versionCheck) Run(context.Context) (string, error) {
	p, err := plan.Compute(c.env.Manifest, c.env.Repo, plan.Options{})
	if errors.Is(err, gitrepo.ErrShallow) {
		return "", refuse("%v", err)
	}
	if err != nil {
		return "", err
	}
	c.plan = p
	v := c.o.Version
	if v == "" {
		v = p.Next
	}
	if _, err := version.Parse("pypi", v); err != nil {
		return "", fmt.Errorf("--version: %w", err)
	}
	c.v = v
	if err := p.Check(v); err != nil {
		return "", refuse("%v", err)
	}
	since := "a first release"
	if p.Base != "" {
		since = p.Bump + " bump since " + p.Base
	}
	return fmt.Sprintf("%s (was %s; the policy requires %s, %s)", v, c.cur, p.Next, since), nil
}

type changelogCheck struct{ *prerelease }

func (changelogCheck) Name() string { return "changelog" }

func (c changelogCheck) Run(context.Context) (string, error) {
	unrel, err := c.cl.Unreleased()
	if err != nil {
		return "", refuse("%v", err)
	}
	if unrel.OnlyNothingChanged() {
		where := fmt.Sprintf("%s:%d: the unreleased entry says only \"Nothing changed yet.\"", c.env.Manifest.Changelog, unrel.Line)
		// The hint names dist changelog --write only when it would write
		// something: on a first release with nothing pinned, or with no
		// pin changed, it leaves the entry as it is.
		p := c.plan
		switch {
		case p == nil:
			// The version check could not plan; its refusal says why.
			return "", refuse("%s (write what changed there by hand)", where)
		case p.NothingToList() != "":
			return "", refuse("%s and dist changelog --write has nothing to generate (%s): write what changed there by hand", where, p.NothingToList())
		case p.FirstRelease:
			return "", refuse("%s (run dist changelog --write, which lists the pins this first release ships, or write what changed by hand)", where)
		}
		return "", refuse("%s (run dist changelog --write, which lists what changed since %s, or write what changed by hand)", where, p.Base)
	}
	return fmt.Sprintf("%s:%d: %s (unreleased)", c.env.Manifest.Changelog, unrel.Line, unrel.Version), nil
}

type tagFree struct{ *prerelease }

func (tagFree) Name() string { return "tag" }

func (c tagFree) Skip() string {
	if c.v == "" {
		return "no version"
	}
	return ""
}

func (c tagFree) Run(context.Context) (string, error) {
	tag := gitrepo.TagName(c.env.Manifest.TagFormat, c.v)
	ok, err := c.env.Repo.TagExists(tag)
	if err != nil {
		return "", err
	}
	if ok {
		return "", refuse("tag %s already exists", tag)
	}
	return tag + " is free", nil
}

// configCheck is dist config render --check: the committed outputs are
// what their templates give for the current VERSION.
type configCheck struct{ *prerelease }

func (configCheck) Name() string { return "config" }

func (c configCheck) Skip() string {
	if len(c.env.Manifest.Configs) == 0 {
		return "no configs: in dist.yaml"
	}
	return ""
}

func (c configCheck) Run(context.Context) (string, error) {
	outs, err := render.Render(c.env.Manifest, nil)
	if err != nil {
		// A template that does not render is broken configuration, as
		// dist config render says, not a reason found not to release.
		return "", err
	}
	drifts, err := render.Check(outs)
	if err != nil {
		return "", err
	}
	var why refusal
	for _, d := range drifts {
		why = append(why, fmt.Sprintf("%s is out of date with its template (run dist config render)", d.Path))
	}
	if len(why) > 0 {
		return "", why
	}
	return fmt.Sprintf("%d %s up to date", len(outs), plural(len(outs), "config", "configs")), nil
}

func plural(n int, one, more string) string {
	if n == 1 {
		return one
	}
	return more
}

// lockfileCheck is dist lock verify with the completeness check: a release
// ships what it pins.
type lockfileCheck struct{ *prerelease }

func (lockfileCheck) Name() string { return "lockfiles" }

func (c lockfileCheck) Skip() string {
	switch {
	case c.o.SkipVerify:
		return "--skip verify"
	case c.o.Open == nil || len(c.env.Manifest.Lockfiles) == 0:
		return "no lockfiles"
	}
	return ""
}

func (c lockfileCheck) Run(ctx context.Context) (string, error) {
	m := c.env.Manifest
	targets, err := lockset.Load(m, "", c.o.Open)
	if err != nil {
		return "", err
	}
	set, err := lockset.NewPySet(m, targets)
	if err != nil {
		return "", err
	}
	res, err := lock.Verify(ctx, targets, lock.VerifyOptions{Set: set})
	if err != nil {
		return "", fmt.Errorf("lock verify: %w (skip with --skip verify)", err)
	}
	var why refusal
	for _, pr := range res.Problems {
		why = append(why, fmt.Sprintf("lock verify: %s", pr))
	}
	if res.Malformed() {
		// An entry that is no pin is a broken lockfile, exit 2 as from
		// dist lock verify, not a reason found not to release (so not a
		// refusal, which the runner would collect as one).
		return "", failure.Usagef("%s", strings.Join(why, "; "))
	}
	if len(why) > 0 {
		return "", why
	}
	return fmt.Sprintf("%d %s verified", len(targets), plural(len(targets), "lockfile", "lockfiles")), nil
}

// prepareStep dates the entry, writes VERSION, re-renders the configs
// for the new version and commits them together.
type prepareStep struct{ *prerelease }

func (prepareStep) Name() string { return "commit" }

func (s prepareStep) Done(context.Context) (string, bool, error) {
	if !s.prepared {
		return "", false, nil
	}
	return fmt.Sprintf("%s is already prepared (VERSION and a dated changelog entry)", s.cur), true, nil
}

func (s prepareStep) Preview() string {
	m := s.env.Manifest
	what := fmt.Sprintf("would date %s %s (%s), set %s %s (was %s)", m.Changelog, s.v, s.env.today(), m.VersionFile, s.v, s.cur)
	if outs, err := s.rendered(); err == nil && len(outs) > 0 {
		what += ", re-render " + strings.Join(outs, ", ")
	}
	return what + fmt.Sprintf(" and commit \"Preparing release %s\"", s.v)
}

// rendered lists the config outputs that the new version changes.
func (s prepareStep) rendered() ([]string, error) {
	changes, err := renderChanges(s.env, s.v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range changes {
		out = append(out, c.path)
	}
	return out, nil
}

func (s prepareStep) Run(context.Context) (string, error) {
	m := s.env.Manifest
	render := renderChanges
	if s.resume {
		// The entry is dated already; every output HEAD lacks goes in.
		render = allRendered
	} else if err := s.cl.SetRelease(s.v, s.env.today()); err != nil {
		return "", err
	}
	configs, err := render(s.env, s.v)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("Preparing release %s", s.v)
	changes := append([]change{
		{m.Changelog, s.cl.Bytes()},
		{m.VersionFile, []byte(s.v + "\n")},
	}, configs...)
	commit, files, err := commitChanges(s.env, msg, changes)
	if err != nil {
		return "", err
	}
	s.report.Commit, s.report.Files = commit, files
	what := fmt.Sprintf("dated %s, %s %s", m.Changelog, m.VersionFile, s.v)
	if len(configs) > 0 {
		var outs []string
		for _, c := range configs {
			outs = append(outs, c.path)
		}
		what += ", re-rendered " + strings.Join(outs, ", ")
	}
	return what + fmt.Sprintf(", committed %q", msg), nil
}

// renderChanges renders every config for version and returns the outputs
// whose content that changes. A release commit changes VERSION, and a
// template that reads .Version must change with it, or the commit would
// fail dist config render --check and the image would ship the old text.
func renderChanges(env *Env, version string) ([]change, error) {
	outs, err := renderAll(env, version)
	if len(outs) == 0 || err != nil {
		return nil, err
	}
	drifts, err := render.Check(outs)
	if err != nil {
		return nil, err
	}
	differs := map[string]bool{}
	for _, d := range drifts {
		differs[d.Path] = true
	}
	var out []change
	for _, o := range outs {
		if differs[o.Path] {
			out = append(out, change{path: o.Path, data: o.Content})
		}
	}
	return out, nil
}

// allRendered renders every config for version: a resumed run commits each
// output that differs from HEAD, written already or not.
func allRendered(env *Env, version string) ([]change, error) {
	outs, err := renderAll(env, version)
	var out []change
	for _, o := range outs {
		out = append(out, change{path: o.Path, data: o.Content})
	}
	return out, err
}

func renderAll(env *Env, version string) ([]render.Output, error) {
	if len(env.Manifest.Configs) == 0 {
		return nil, nil
	}
	outs, err := render.RenderVersion(env.Manifest, nil, version)
	if err != nil {
		return nil, fmt.Errorf("config render: %w", err)
	}
	return outs, nil
}
