// Package promote moves a channel tag (stage, prod) to the image a version
// tag names, in the same repository. Only manifests travel: the registry
// already has every blob, so nothing is pulled or rebuilt. A channel is a
// movable name; a version is not, and promote never writes one.
package promote

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/image/regclient"
)

// Result records a promotion.
type Result struct {
	// Reference is the channel tag moved, REPO:CHANNEL: in JSON an image's
	// place is always reference.
	Reference  string `json:"reference"`
	Repository string `json:"-"`
	Version    string `json:"version"`
	Channel    string `json:"channel"`
	Digest     string `json:"digest"`
	// Previous is the digest the channel named before, empty for a new
	// channel.
	Previous string `json:"previous,omitempty"`
	// Changed is false when the channel already named the version's image.
	Changed bool   `json:"changed"`
	DryRun  bool   `json:"dry_run,omitempty"`
	Time    string `json:"time"`
}

var versionLike = regexp.MustCompile(`^v?[0-9]`)

// Promote points repo:channel at the digest of repo:version. A channel or
// version that cannot be used as given is a *failure.UsageError.
func Promote(ctx context.Context, c *regclient.Client, repo name.Repository, version, channel string, dryRun bool) (*Result, error) {
	if versionLike.MatchString(channel) || channel == version {
		return nil, failure.Usagef("channel %q looks like a version: channels are names such as stage or prod, and a version tag never moves", channel)
	}
	vt, err := name.NewTag(repo.Name()+":"+version, name.WeakValidation)
	if err != nil {
		return nil, failure.Usagef("version %q: %w", version, err)
	}
	ct, err := name.NewTag(repo.Name()+":"+channel, name.WeakValidation)
	if err != nil {
		return nil, failure.Usagef("channel %q: %w", channel, err)
	}
	// name.NewTag drops the plain-HTTP choice made for repo; keep it.
	vt, ct = repo.Tag(vt.TagStr()), repo.Tag(ct.TagStr())

	desc, err := c.Get(ctx, vt)
	if errors.Is(err, regclient.ErrNotFound) {
		return nil, fmt.Errorf("%s: not found: push the release first (dist build --output %s)", vt, vt)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{
		Reference: ct.String(), Repository: repo.String(), Version: version, Channel: channel,
		Digest: desc.Digest.String(), DryRun: dryRun,
		Time: time.Now().UTC().Format(time.RFC3339),
	}
	prev, err := c.Head(ctx, ct)
	switch {
	case errors.Is(err, regclient.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		res.Previous = prev.Digest.String()
	}
	res.Changed = res.Previous != res.Digest
	if !res.Changed || dryRun {
		return res, nil
	}
	// The version's own manifest bytes go under the channel tag, so the
	// channel names the very same digest.
	if err := c.Tag(ctx, ct, desc); err != nil {
		return nil, err
	}
	return res, nil
}
