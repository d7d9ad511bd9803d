package image

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/regclient"
)

// moveChannels moves, after the image was pushed to repo, the channels of
// dist.yaml that follow what was built (channel.Config.Tracking): those
// whose track: is the branch HEAD is on, and, when the version's release
// tag names the commit built, those that track releases. Only a push to
// image.repository moves them: a channel is a tag there. Each move is
// recorded in the registry (channel.Move). An image built from a work
// tree that differs from HEAD is no commit of the branch: it moves
// nothing, and a warning says which channels it left. Under DryRun it
// says what would move, reading nothing.
func (b *Built) moveChannels(ctx context.Context, repo name.Repository) ([]*channel.MoveResult, error) {
	m := b.o.Manifest
	if len(m.Channels.Config) == 0 || m.Image == nil || m.Image.Repository == "" {
		return nil, nil
	}
	home, err := b.rc.ParseRepository(m.Image.Repository)
	if err != nil || regclient.Canonical(home) != regclient.Canonical(repo) {
		return nil, nil
	}
	names := m.Channels.Tracking(b.branch, b.isReleaseTag())
	if len(names) == 0 {
		return nil, nil
	}
	if len(b.Report.Dirty) > 0 {
		b.Report.Warnings = append(b.Report.Warnings, fmt.Sprintf(
			"channel %s not moved: a channel follows commits, and this image is built from a work tree that differs from HEAD",
			strings.Join(names, ", ")))
		return nil, nil
	}
	by := b.o.By
	if by == "" {
		by = "unknown"
	}
	var out []*channel.MoveResult
	if b.o.DryRun {
		for _, n := range names {
			out = append(out, &channel.MoveResult{Reference: repo.Tag(n).String(), Channel: n, Version: b.version, By: by, Key: channel.Key(repo, n), DryRun: true})
		}
		return out, nil
	}
	opts, err := b.rc.Remote(ctx, repo.Registry)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, n := range names {
		if b.o.Step != nil {
			b.o.Step("moving channel %s", repo.Tag(n))
		}
		r, err := channel.Move(ctx, repo, n, b.version, b.Report.Digest, by, now, channel.Options{Remote: opts, Jobs: b.rc.Jobs()})
		if err != nil {
			return out, fmt.Errorf("moving channel %s: %w", n, b.rc.Scrub(repo.Registry, err))
		}
		out = append(out, r)
	}
	return out, nil
}

// isReleaseTag reports whether the tag tag_format gives the version names
// the commit built: a release, which channels with track: release follow.
// dist release builds before it tags, and publishes after.
func (b *Built) isReleaseTag() bool {
	if b.commit == "" || b.o.Manifest.Dir == "" {
		return false
	}
	repo, err := gitrepo.Open(b.o.Manifest.Dir)
	if err != nil {
		return false
	}
	defer repo.Close()
	t, err := repo.TagTarget(gitrepo.TagName(b.m.TagFormat, b.version))
	return err == nil && t.Commit == b.commit
}
