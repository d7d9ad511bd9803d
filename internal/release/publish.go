package release

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/github"
	"github.com/distbuild/dist/internal/gitrepo"
)

// Options configures Release.
type Options struct {
	NoPush     bool
	SkipImage  bool
	SkipGitHub bool
	Remote     string
	Auth       gitrepo.Auth
	SignKey    *openpgp.Entity
	// Image builds and pushes the image for a version and returns what it
	// did in one line; nil when the distribution has no image.
	Image func(ctx context.Context, version string) (string, error)
	// GitHub drafts the release; nil when dist.yaml has no github:.
	GitHub *github.Client
}

// Release tags HEAD, builds and pushes the image, pushes the branch and the
// tag, and drafts the GitHub release. Every step first looks at whether it
// is already done, so a re-run after any failure carries on; an existing
// tag is never moved.
func Release(ctx context.Context, env *Env, o Options) (string, error) {
	m, repo := env.M, env.Repo
	v, err := readVersionFile(m)
	if err != nil {
		return "", err
	}
	if isDev(v) {
		return "", &Refusal{Step: "release", Reasons: []string{fmt.Sprintf("VERSION is %s, a development version: run dist prerelease first", v)}}
	}
	cl, err := changelog.Load(m.Abs(m.Changelog))
	if err != nil {
		return "", err
	}
	entry, err := cl.Entry(v)
	if err != nil || entry.Date == "" {
		return "", &Refusal{Step: "release", Reasons: []string{fmt.Sprintf("%s has no dated entry for %s: run dist prerelease first", m.Changelog, v)}}
	}
	notes := cl.Notes(entry)
	// The token is checked before anything is tagged: a release that
	// cannot finish should not start.
	if !o.SkipGitHub && o.GitHub != nil && o.GitHub.Token == "" {
		return "", &Refusal{Step: "release", Reasons: []string{"no GitHub token: set GITHUB_TOKEN (or github.token_env), or use --skip github"}}
	}
	head, _, detached, err := repo.Head()
	if err != nil {
		return "", err
	}
	tag := gitrepo.TagName(m.TagFormat, v)

	// 1. Tag.
	exists, err := repo.TagExists(tag)
	if err != nil {
		return "", err
	}
	switch {
	case exists:
		t, err := repo.TagTarget(tag)
		if err != nil {
			return "", err
		}
		if t.Commit != head {
			return "", &Refusal{Step: "release", Reasons: []string{fmt.Sprintf("tag %s exists at %.12s, not at HEAD %.12s: dist never moves a tag", tag, t.Commit, head)}}
		}
		env.logf("tag %s: already at HEAD", tag)
	case env.DryRun:
		env.logf("would tag %s at %.12s: \"Tagging %s\"%s", tag, head, v, signedNote(o.SignKey))
	default:
		if _, err := repo.CreateAnnotatedTag(tag, "Tagging "+v, o.SignKey); err != nil {
			return "", err
		}
		env.logf("tag %s: created at %.12s (annotated%s)", tag, head, signedNote(o.SignKey))
	}
	killPoint("tag")

	// 2. Image.
	switch {
	case o.SkipImage || o.Image == nil:
	case env.DryRun:
		env.logf("would build and push the image for %s", v)
	default:
		line, err := o.Image(ctx, v)
		if err != nil {
			return "", fmt.Errorf("image: %w (the tag %s is made; fix this and run dist release again)", err, tag)
		}
		env.logf("image: %s", line)
	}
	killPoint("image")

	// 3. Push the branch and the tag.
	switch {
	case o.NoPush:
		env.logf("push: skipped (--no-push)")
	case env.DryRun:
		env.logf("would push the branch and tag %s to %s", tag, remoteName(o.Remote))
	default:
		if detached {
			return "", errors.New("push: HEAD is detached")
		}
		_, branch, _, _ := repo.Head()
		if err := repo.Push(ctx, o.Remote, []string{"refs/heads/" + branch, "refs/tags/" + tag}, o.Auth); err != nil {
			return "", fmt.Errorf("%w (the tag %s is made; run dist release again to carry on)", err, tag)
		}
		env.logf("push: %s and tag %s to %s", branch, tag, remoteName(o.Remote))
	}
	killPoint("push")

	// 4. GitHub draft.
	switch {
	case o.SkipGitHub || o.GitHub == nil:
	case env.DryRun:
		env.logf("would draft the GitHub release %s on %s", tag, o.GitHub.Repo)
	default:
		r, outcome, err := o.GitHub.EnsureDraft(ctx, tag, v, notes)
		if err != nil {
			return "", fmt.Errorf("github: %w (run dist release again to carry on)", err)
		}
		env.logf("github: draft release %s %s (%s)", tag, outcome, r.HTMLURL)
	}
	return v, nil
}

func signedNote(k *openpgp.Entity) string {
	if k == nil {
		return ""
	}
	return ", signed"
}

// SigningKey loads --sign-key or DIST_SIGNING_KEY (a path or an armored
// key), with DIST_SIGNING_PASSPHRASE when the key is protected.
func SigningKey(flag string) (*openpgp.Entity, error) {
	src := flag
	if src == "" {
		src = os.Getenv("DIST_SIGNING_KEY")
	}
	if src == "" {
		return nil, nil
	}
	return gitrepo.LoadSigningKey(src, []byte(os.Getenv("DIST_SIGNING_PASSPHRASE")))
}
