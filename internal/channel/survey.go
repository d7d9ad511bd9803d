package channel

import (
	"context"
	"errors"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/regclient"
)

// SurveyOptions says which channels Survey reads, and where.
type SurveyOptions struct {
	// Client reads the registry.
	Client *regclient.Client
	// Repository is image.repository, HOST/REPO: the channels are its
	// tags.
	Repository string
	// Config is dist.yaml's channels:, validated.
	Config Config
	// Names are the channels asked for, all of Config when empty.
	Names []string
}

// Report is where the channels of one repository stand: what dist status
// prints, and its --json.
type Report struct {
	// Reference is the repository, as the registry client spells it.
	Reference string  `json:"reference"`
	Channels  []State `json:"channels"`
}

// Survey reports the channels o names in o.Repository (Status), through
// o.Client. Errors: no channels in o.Config, a repository that does not
// parse, a name that is not a channel of o.Config (*failure.UsageError); a
// registry that cannot be reached or refuses (*failure.CheckError, with
// any secret of the credentials taken out).
func Survey(ctx context.Context, o SurveyOptions) (*Report, error) {
	if len(o.Config) == 0 {
		return nil, failure.Usagef("dist.yaml has no channels: (e.g. channels: {dev: {track: main}, stage: {}, prod: {from: stage}})")
	}
	c := o.Client
	repo, err := c.ParseRepository(o.Repository)
	if err != nil {
		return nil, failure.Usagef("image.repository %q: %w", o.Repository, err)
	}
	opts, err := c.Remote(ctx, repo.Registry)
	if err != nil {
		return nil, failure.Check(err)
	}
	states, err := Status(ctx, repo, o.Config, o.Names, Options{Remote: opts, Jobs: c.Jobs()})
	if ce := (*Error)(nil); errors.As(err, &ce) {
		return nil, failure.Usage(err)
	}
	if err != nil {
		return nil, failure.Check(c.Scrub(repo.Registry, err))
	}
	return &Report{Reference: repo.String(), Channels: states}, nil
}
