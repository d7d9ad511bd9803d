// Package promote moves a channel tag (stage, prod) to the image a version
// tag names, in the same repository, and records the move in the registry
// (package channel). Only manifests travel, and the record's two small
// blobs: the registry already has the image, so nothing is pulled or
// rebuilt. A channel is a movable name; a version is not, and promote
// never writes one.
package promote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
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
	Changed bool `json:"changed"`
	DryRun  bool `json:"dry_run,omitempty"`
	// Time is when the channel moved, in UTC.
	Time time.Time `json:"time"`
	// By is who moved it, as the record says.
	By string `json:"by"`
	// Record is the digest of the move's record in the registry; "" when
	// nothing moved.
	Record string `json:"record,omitempty"`
	// Key is the channel's stable key (channel.Key).
	Key string `json:"key"`
	// From is the channel the from: rule asked, "" without one.
	From string `json:"from,omitempty"`
}

// RefusedError is a promotion that a channel's from: rule refuses: the
// version's image was never on the channel it comes from. Nothing moved.
type RefusedError struct {
	Channel, From, Version, Digest string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s (%s) has never been on %s: %s takes only what %s has had (dist promote %s %s first)",
		e.Version, e.Digest, e.From, e.Channel, e.From, e.Version, e.From)
}

// Options configures Promote.
type Options struct {
	// Version is the released version whose image the channel is to
	// name: a tag of the repository.
	Version string
	// Channel is the channel tag to move.
	Channel string
	// Repository is the image repository, HOST/REPO (--repository); ""
	// for image.repository in dist.yaml.
	Repository string
	// Manifest loads dist.yaml. When it has channels:, Channel must be
	// one of them, and its from: rule holds; without any, any channel name
	// is taken, with no rule. With Repository given, a missing dist.yaml
	// (manifest.ErrNotFound) is no error. Nil stands for no dist.yaml.
	Manifest func() (*manifest.Manifest, error)
	// Client talks to the registry.
	Client *regclient.Client
	// By is who promotes, for the record (channel.By).
	By string
	// Now is the time of the move; time.Now() when zero.
	Now time.Time
	// DryRun says what would move, writing nothing; the from: rule is
	// still asked.
	DryRun bool
}

// Promote points REPOSITORY:CHANNEL at the digest of REPOSITORY:VERSION
// and records the move. Errors: no repository (neither o.Repository nor
// image.repository), one that does not parse, a channel that is no channel
// name or not in dist.yaml's channels:, or a bad version
// (*failure.UsageError); dist.yaml's own errors; a version that was never
// on the channel's from: channel (*RefusedError); a version not in the
// registry; the registry's refusal, with any secret of the credentials
// taken out.
func Promote(ctx context.Context, o Options) (*Result, error) {
	c, version, ch := o.Client, o.Version, o.Channel
	repo, channels, err := target(c, o)
	if err != nil {
		return nil, err
	}
	if err := channel.CheckName(ch); err != nil {
		return nil, failure.Usage(err)
	}
	var from string
	if len(channels) > 0 {
		cfg, ok := channels.Get(ch)
		if !ok {
			var names []string
			for _, c := range channels {
				names = append(names, c.Name)
			}
			return nil, failure.Usagef("channel %q is not one of the channels in dist.yaml (%s)", ch, strings.Join(names, ", "))
		}
		from = cfg.From
	}
	vt, err := name.NewTag(repo.Name()+":"+version, name.WeakValidation)
	if err != nil {
		return nil, failure.Usagef("version %q: %w", version, err)
	}
	// name.NewTag drops the plain-HTTP choice made for repo; keep it.
	vt = repo.Tag(vt.TagStr())
	desc, err := c.Head(ctx, vt)
	if errors.Is(err, regclient.ErrNotFound) {
		// Not dist build --output: it would push the work tree's build
		// under that version's tag. dist release pushes the image of the
		// version's own commit.
		return nil, fmt.Errorf("%s: not found: promote moves a channel to a version already pushed: push %s with dist release at its release commit, or name a version %s holds (crane ls %s)",
			vt, version, repo.Name(), repo.Name())
	}
	if err != nil {
		return nil, err
	}
	digest := desc.Digest.String()
	// What was typed may be a channel or any tag ("dist promote stage
	// prod"): the move records the version the image says it is.
	if recorded, err := imageVersion(ctx, c, repo.Digest(digest)); err != nil {
		return nil, err
	} else if recorded != "" {
		version = recorded
	}
	opts, err := c.Remote(ctx, repo.Registry)
	if err != nil {
		return nil, err
	}
	co := channel.Options{Remote: opts, Jobs: c.Jobs(), DryRun: o.DryRun}
	if from != "" {
		ok, err := channel.WasOn(ctx, repo, from, digest, co)
		if err != nil {
			return nil, c.Scrub(repo.Registry, fmt.Errorf("asking %s's history: %w", from, err))
		}
		if !ok {
			return nil, &RefusedError{Channel: ch, From: from, Version: version, Digest: digest}
		}
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	by := o.By
	if by == "" {
		by = "unknown"
	}
	mv, err := channel.Move(ctx, repo, ch, version, digest, by, now, co)
	if err != nil {
		return nil, c.Scrub(repo.Registry, err)
	}
	return &Result{
		Reference: repo.Tag(ch).String(), Repository: repo.String(), Version: version, Channel: ch,
		Digest: mv.Digest, Previous: mv.PreviousDigest, Changed: mv.Changed, DryRun: o.DryRun,
		Time: mv.Time.UTC(), By: mv.By, Record: mv.Record, Key: mv.Key, From: from,
	}, nil
}

// target is the repository promote moves a tag in, and dist.yaml's
// channels: (nil without a dist.yaml): the channels hold wherever
// dist.yaml is, and --repository works without one.
func target(c *regclient.Client, o Options) (name.Repository, channel.Config, error) {
	var m *manifest.Manifest
	if o.Manifest != nil {
		var err error
		m, err = o.Manifest()
		switch {
		case o.Repository != "" && errors.Is(err, manifest.ErrNotFound):
			m = nil
		case err != nil:
			return name.Repository{}, nil, err
		}
	}
	repoStr := o.Repository
	var channels channel.Config
	if m != nil {
		channels = m.Channels.Config
		if repoStr == "" {
			repoStr = m.ImageRepository()
		}
	}
	if repoStr == "" {
		return name.Repository{}, nil, failure.Usagef("no repository: set image.repository in dist.yaml or pass --repository")
	}
	repo, err := c.ParseRepository(repoStr)
	if err != nil {
		return name.Repository{}, nil, failure.Usagef("repository %q: %w", repoStr, err)
	}
	return repo, channels, nil
}

// imageVersion is the version an image built by dist records in its
// manifest's annotations (meta.Version), "" for an image that records
// none (one dist did not build).
func imageVersion(ctx context.Context, c *regclient.Client, ref name.Digest) (string, error) {
	d, err := c.Get(ctx, ref)
	if err != nil {
		return "", err
	}
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(d.Manifest, &m); err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	return m.Annotations[meta.Version], nil
}
