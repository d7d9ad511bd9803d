package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/github"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/image/publish"
)

// Options configures Release.
type Options struct {
	NoPush     bool
	SkipImage  bool
	SkipGitHub bool
	Remote     string
	Auth       gitrepo.Auth
	SignKey    *openpgp.Entity
	// Image is how to build the image: the client, the installer, the
	// time. Release sets the commit and the outputs (the OCI layout under
	// build/, and image.repository:VERSION unless NoPush). Nil, or
	// ignored when dist.yaml names no image.repository: no image.
	Image *image.BuildOptions
	// GitHub drafts the release (GitHubClient); nil when dist.yaml has no
	// github:. Its TokenEnv names the variable a missing token is asked
	// for in.
	GitHub *github.Client
}

// releaseRun is one run's state, shared by its checks and steps.
type releaseRun struct {
	env    *Env
	o      Options
	report *Report

	// Found by the version check: HEAD, and what it releases.
	head, version, tag, notes string
	// tagAtHead is set when an earlier run made the tag.
	tagAtHead bool
	built     *image.Built
	remote    *remoteCheck
	push      *pushStep
}

// Release runs its checks (the release commit, the tag, the git identity,
// the GitHub token and repository, the push remote and its credentials),
// then builds the image from the tagged commit's files, tags HEAD,
// publishes the image, pushes the branch and the tag, and drafts the
// GitHub release. Every step first looks at whether it is already done,
// so a re-run after any failure carries on; an existing tag is never
// moved. A release that went through is recorded in build/release.json.
func Release(ctx context.Context, env *Env, o Options) (*Report, error) {
	r := &releaseRun{env: env, o: o, report: newReport("release", env.DryRun)}
	r.remote = &remoteCheck{env: env, name: o.Remote, auth: o.Auth, noPush: o.NoPush}
	r.push = &pushStep{env: env, remote: r.remote, report: r.report, again: "dist release", tag: func() string { return r.tag }}
	checks := []Step{
		commitCheck{r},
		worktreeNote{r},
		tagCheck{r},
		identityCheck{env: env, taggerOnly: true, skip: func() string {
			if r.tagAtHead {
				return "the tag exists"
			}
			return ""
		}},
		githubCheck{r},
		r.remote,
	}
	steps := []Step{imageStep{r}, tagStep{r}, publishStep{r}, r.push, draftStep{r}}
	err := (&runner{env: env, report: r.report}).run(ctx, checks, steps)
	r.report.Tag, r.report.Commit = r.tag, r.head
	if _, err := r.report.end(r.version, err); err != nil {
		return r.report, err
	}
	if !env.DryRun {
		if err := r.report.writeFile(env.Manifest.Abs(ReportFile)); err != nil {
			return r.report, err
		}
		env.logf("wrote %s", ReportFile)
	}
	return r.report, nil
}

// commitCheck reads what HEAD releases, from the commit and not from the
// work tree: VERSION must be a release, with a dated changelog entry.
type commitCheck struct{ *releaseRun }

func (commitCheck) Name() string { return "version" }

func (c commitCheck) Run(context.Context) (string, error) {
	m, repo := c.env.Manifest, c.env.Repo
	h, err := repo.Head()
	if err != nil {
		return "", err
	}
	head := h.Commit
	if head == "" {
		return "", refuse("the branch has no commits")
	}
	c.head = head
	pv, ok, err := m.VersionAt(repo, "HEAD")
	if err != nil {
		return "", err
	}
	if !ok {
		return "", refuse("commit %.12s has no %s: run dist prerelease first", head, m.VersionFile)
	}
	v := pv.Raw
	if isDev(v) {
		return "", refuse("VERSION is %s, a development version: run dist prerelease first", v)
	}
	c.version, c.tag = v, gitrepo.TagName(m.TagFormat, v)
	data, ok, err := repo.FileAtIn(head, m.Dir, m.Changelog)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", refuse("commit %.12s has no %s", head, m.Changelog)
	}
	cl, err := changelog.Parse(m.Changelog, data)
	if err != nil {
		return "", err
	}
	entry, err := cl.Entry(v)
	if err != nil || entry.Date == "" {
		return "", refuse("%s has no dated entry for %s: run dist prerelease first", m.Changelog, v)
	}
	c.notes = cl.Notes(entry)
	return fmt.Sprintf("%s, dated %s in %s, at %.12s", v, entry.Date, m.Changelog, head), nil
}

// worktreeNote says which modified files the release leaves out: it is
// built from the commit, so they cannot reach it.
type worktreeNote struct{ *releaseRun }

func (worktreeNote) Name() string { return "worktree" }

func (c worktreeNote) Run(context.Context) (string, error) {
	dirty, err := c.env.Repo.DirtyPaths()
	if err != nil {
		return "", err
	}
	if len(dirty) == 0 {
		return "no tracked file modified", nil
	}
	return fmt.Sprintf("modified, and not released (the release is the commit's files): %s", strings.Join(dirty, ", ")), nil
}

// tagCheck refuses a tag that exists at another commit: dist never moves
// a tag. One at HEAD is an earlier run's.
type tagCheck struct{ *releaseRun }

func (tagCheck) Name() string { return "tag" }

func (c tagCheck) Skip() string {
	if c.tag == "" {
		return "no version"
	}
	return ""
}

func (c tagCheck) Run(context.Context) (string, error) {
	exists, err := c.env.Repo.TagExists(c.tag)
	if err != nil || !exists {
		return c.tag + " is free", err
	}
	t, err := c.env.Repo.TagTarget(c.tag)
	if err != nil {
		return "", err
	}
	if t.Commit != c.head {
		return "", refuse("tag %s exists at %.12s, not at HEAD %.12s: dist never moves a tag", c.tag, t.Commit, c.head)
	}
	c.tagAtHead = true
	return c.tag + " exists at HEAD (an earlier run made it)", nil
}

// githubCheck makes sure the draft can be made before anything is tagged:
// a token, and one the API accepts for the repository. Under --dry-run a
// missing token is said, not refused, so the plan can be seen without one.
type githubCheck struct{ *releaseRun }

func (githubCheck) Name() string { return "github" }

func (c githubCheck) Skip() string { return c.githubSkip() }

func (r *releaseRun) githubSkip() string {
	switch {
	case r.o.SkipGitHub:
		return "--skip github"
	case r.o.GitHub == nil:
		return "no github: in dist.yaml"
	}
	return ""
}

func (c githubCheck) Run(ctx context.Context) (string, error) {
	gh := c.o.GitHub
	if gh.Token == "" {
		env := gh.TokenEnv
		if env == "" {
			env = defaultTokenEnv
		}
		missing := fmt.Sprintf("no GitHub token: set %s, or use --skip github", env)
		if c.env.DryRun {
			return missing + " (a release would be refused)", nil
		}
		return "", refuse("%s", missing)
	}
	if err := gh.CheckRepository(ctx); err != nil {
		if ue := (*failure.UsageError)(nil); errors.As(err, &ue) {
			// github.api_url that does not parse: dist.yaml is wrong,
			// as with a bad index URL, not a reason found not to release.
			return "", err
		}
		return "", refuse("%v", err)
	}
	return gh.Repo + " accepts the token", nil
}

func (r *releaseRun) imageSkip() string {
	switch {
	case r.o.SkipImage:
		return "--skip image"
	case r.o.Image == nil, r.env.Manifest.ImageRepository() == "":
		// A release pushes its image: without a repository, none.
		return "no image: in dist.yaml"
	}
	return ""
}

// outputs is where the image goes: the OCI layout, and the registry
// unless --no-push.
func (r *releaseRun) outputs() []string {
	outs := []string{image.DefaultOutput}
	if repo := r.o.Image.Manifest.ImageRepository(); !r.o.NoPush && repo != "" {
		outs = append(outs, repo+":"+r.version)
	}
	return outs
}

// imageStep builds the image from the files of the commit to be tagged,
// read from git objects, and asks the registry whether it may be pushed,
// before the tag: a build or a registry that fails leaves no tag.
type imageStep struct{ *releaseRun }

func (imageStep) Name() string { return "image" }

func (s imageStep) Skip() string { return s.imageSkip() }

func (s imageStep) Preview() string {
	return fmt.Sprintf("would build the image of %s from the files of commit %.12s", s.version, s.head)
}

func (s imageStep) Run(ctx context.Context) (string, error) {
	o := *s.o.Image
	o.Revision, o.Outputs, o.DryRun = s.head, s.outputs(), false
	o.SourceRef = "refs/tags/" + s.tag
	b, err := image.Make(ctx, o)
	if err != nil {
		return "", err
	}
	if b.Report.Version != s.version {
		return "", fmt.Errorf("the image is %s, the release %s", b.Report.Version, s.version)
	}
	// The registry is asked before the tag is made: a version tag that
	// names another image would stop the release after it.
	if err := b.Check(ctx); err != nil {
		return "", tagConflictHint(err)
	}
	s.built = b
	s.report.Image = &ImageResult{Digest: b.Report.Digest, Revision: b.Report.Commit, Platforms: b.Report.Platforms, Outputs: []image.OutputReport{}}
	var plats []string
	for _, p := range b.Report.Platforms {
		plats = append(plats, p.Platform)
	}
	return fmt.Sprintf("built %s from commit %.12s (%s)", b.Report.Digest, s.head, strings.Join(plats, ", ")), nil
}

// tagStep makes the annotated tag at HEAD; a later failure, before the
// tag can have left, deletes it again, so the refs are as they were.
type tagStep struct{ *releaseRun }

func (tagStep) Name() string { return "tag" }

func (s tagStep) Done(context.Context) (string, bool, error) {
	if !s.tagAtHead {
		return "", false, nil
	}
	return s.tag + " already at HEAD", true, nil
}

func (s tagStep) Preview() string {
	return fmt.Sprintf("would tag %s at %.12s: \"Tagging %s\"%s", s.tag, s.head, s.version, signedNote(s.o.SignKey))
}

func (s tagStep) Run(context.Context) (string, error) {
	t, err := s.env.Repo.CreateAnnotatedTag(s.tag, "Tagging "+s.version, s.o.SignKey)
	if err != nil {
		return "", err
	}
	if t.Commit != s.head {
		return "", fmt.Errorf("tag %s: HEAD moved during the release (%.12s, was %.12s)", s.tag, t.Commit, s.head)
	}
	return fmt.Sprintf("created %s at %.12s (annotated%s)", s.tag, s.head, signedNote(s.o.SignKey)), nil
}

func (s tagStep) Undo(ctx context.Context) (string, error) {
	if s.push.started {
		// The push may have delivered the tag: it goes only when the
		// remote says it does not have it.
		_, has, err := s.env.Repo.RemoteHasRef(ctx, s.remote.name, "refs/tags/"+s.tag, s.remote.auth)
		if err != nil {
			return "", fmt.Errorf("kept %s: cannot tell whether %s has it: %v", s.tag, s.remote.label(), err)
		}
		if has {
			return "", fmt.Errorf("kept %s: %s has it; run dist release again to carry on", s.tag, s.remote.label())
		}
	}
	name := plumbing.NewTagReferenceName(s.tag)
	if err := s.env.Repo.Go().Storer.RemoveReference(name); err != nil {
		return "", err
	}
	return fmt.Sprintf("deleted %s again: the release did not go through", s.tag), nil
}

func signedNote(k *openpgp.Entity) string {
	if k == nil {
		return ""
	}
	return ", signed"
}

// publishStep writes the built image to the OCI layout and pushes it to
// the registry (by digest, then the tag).
type publishStep struct{ *releaseRun }

func (publishStep) Name() string { return "publish" }

func (s publishStep) Skip() string { return s.imageSkip() }

func (s publishStep) Preview() string {
	return fmt.Sprintf("would write the image to %s", strings.Join(s.outputs(), " and "))
}

func (s publishStep) Run(ctx context.Context) (string, error) {
	if s.built == nil {
		return "", errors.New("publish: no image was built")
	}
	rep, err := s.built.Publish(ctx)
	if rep != nil {
		s.report.Image.Outputs = append(s.report.Image.Outputs, rep.Outputs...)
	}
	if err != nil {
		return "", tagConflictHint(err)
	}
	var to, moved []string
	for _, o := range rep.Outputs {
		to = append(to, o.Output)
		for _, c := range o.Channels {
			moved = append(moved, c.Channel)
		}
	}
	detail := fmt.Sprintf("%s to %s%s", rep.Digest, strings.Join(to, ", "), attachedNote(rep))
	if len(moved) > 0 {
		detail += "; moved channel " + strings.Join(moved, ", ")
	}
	return detail, nil
}

// attachedNote says what went with the image: its SBOM and provenance,
// and the signatures.
func attachedNote(rep *image.BuildReport) string {
	n, signed := 0, 0
	for _, o := range rep.Outputs {
		n += len(o.Referrers)
		if o.Signature != "" {
			signed++
		}
	}
	note := ""
	switch {
	case n > 0 && rep.NoProvenance != "":
		note = ", with an SBOM (no provenance: " + rep.NoProvenance + ")"
	case n > 0:
		note = ", with an SBOM and provenance"
	}
	if signed > 0 {
		note += ", signed"
	}
	return note
}

// draftStep makes (or updates) the GitHub release draft with the notes;
// one an earlier run made is left as it is.
type draftStep struct{ *releaseRun }

func (draftStep) Name() string { return "github" }

func (s draftStep) Skip() string { return s.githubSkip() }

func (s draftStep) Preview() string {
	return fmt.Sprintf("would draft the GitHub release %s on %s", s.tag, s.o.GitHub.Repo)
}

func (s draftStep) Run(ctx context.Context) (string, error) {
	r, outcome, err := s.o.GitHub.EnsureDraft(ctx, s.tag, s.version, s.notes)
	if err != nil {
		return "", fmt.Errorf("github: %w (run dist release again to carry on)", err)
	}
	s.report.ReleaseURL = r.HTMLURL
	what := fmt.Sprintf("draft release %s %s (%s)", s.tag, outcome, r.HTMLURL)
	if outcome == github.Existed {
		return "", AlreadyDone(what)
	}
	return what, nil
}

// tagConflictHint gives a registry tag conflict the advice that works for
// a release: the image package's own hint names dist build's --force,
// which release does not take.
func tagConflictHint(err error) error {
	var tc *publish.TagConflictError
	if !errors.As(err, &tc) {
		return err
	}
	return fmt.Errorf("%s already points at %s, not at this build's %s: a version tag does not move "+
		"(release the next version: dist postrelease, dist prerelease, dist release; "+
		"or overwrite the tag: dist build --force -o %s, then dist release --skip image)", tc.Tag, tc.Have, tc.Want, tc.Tag)
}
