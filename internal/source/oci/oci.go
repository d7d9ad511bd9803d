// Package oci is the source for container images: the name is an image
// repository, a version is a tag, and the one artifact of a release is the
// manifest (or multi-platform index) the tag points at, hashed by its digest.
package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/source"
)

// Options configures a Source.
type Options struct {
	// Insecure allows plain HTTP to any registry. Loopback registries
	// (localhost, 127.0.0.0/8, ::1) may always use it.
	Insecure bool
}

// Source resolves image tags against OCI registries. All registry traffic
// goes through a regclient.Client: its plain-HTTP rule, credentials,
// scrubbed errors and per-registry connections (one ping and token exchange
// per run rather than per call) are the image commands' too.
type Source struct {
	client *regclient.Client
}

var _ source.Source = (*Source)(nil)

// New returns a Source whose requests go through client, so that registry
// traffic shares dist's concurrency limit and retries.
func New(client *fetch.Client, opts Options) *Source {
	return &Source{client: regclient.New(regclient.Options{
		Transport: client.Transport(),
		Jobs:      client.Jobs(),
		Insecure:  opts.Insecure,
	})}
}

// Ecosystem implements source.Source.
func (s *Source) Ecosystem() string { return source.OCI }

func (s *Source) repository(repo string) (name.Repository, error) {
	r, err := s.client.ParseRepository(repo)
	if err != nil {
		return name.Repository{}, fmt.Errorf("oci: invalid repository %q: %w", repo, err)
	}
	return r, nil
}

func (s *Source) tag(repo, tag string) (name.Tag, error) {
	r, err := s.repository(repo)
	if err != nil {
		return name.Tag{}, err
	}
	t, err := s.client.ParseTag(r.Name() + ":" + tag)
	if err != nil {
		return name.Tag{}, fmt.Errorf("oci: invalid tag %q for %s: %w", tag, regclient.Canonical(r), err)
	}
	return t, nil
}

// Versions implements source.Source. Tags are returned in the registry's
// order; picking one is the caller's business.
func (s *Source) Versions(ctx context.Context, repo string) (string, []string, error) {
	r, err := s.repository(repo)
	if err != nil {
		return "", nil, err
	}
	tags, err := s.client.List(ctx, r)
	if err != nil {
		return "", nil, wrap("repository", err)
	}
	return regclient.Canonical(r), tags, nil
}

// Release implements source.Source. It asks for the manifest's headers only,
// which registries (Docker Hub among them) do not count against pull limits.
func (s *Source) Release(ctx context.Context, repo, tag string) (*source.Release, error) {
	t, err := s.tag(repo, tag)
	if err != nil {
		return nil, err
	}
	desc, err := s.client.Resolve(ctx, t)
	if err != nil {
		return nil, wrap("image", err)
	}
	repoName := regclient.Canonical(t.Repository)
	ref := repoName + "@" + desc.Digest.String()
	return &source.Release{
		Name:    repoName,
		Version: tag,
		Artifacts: []source.Artifact{{
			Filename: ref,
			URL:      ref,
			Hash:     desc.Digest.String(),
			Size:     desc.Size,
		}},
		ProjectURL: projectURL(t.Repository),
	}, nil
}

// Rehash implements source.Source. The manifest is fetched by tag, not by the
// recorded digest: a digest always names the same bytes, so only the tag can
// tell that an image was moved.
func (s *Source) Rehash(ctx context.Context, rel *source.Release) ([]string, error) {
	if len(rel.Artifacts) == 0 {
		return nil, nil
	}
	t, err := s.tag(rel.Name, rel.Version)
	if err != nil {
		return nil, err
	}
	d, err := s.client.Get(ctx, t)
	if err != nil {
		return nil, wrap("image", err)
	}
	sum := sha256.Sum256(d.Manifest)
	h := "sha256:" + hex.EncodeToString(sum[:])
	out := make([]string, len(rel.Artifacts))
	for i := range out {
		out[i] = h
	}
	return out, nil
}

func projectURL(r name.Repository) string {
	if r.RegistryStr() != name.DefaultRegistry {
		return ""
	}
	if rest, ok := strings.CutPrefix(r.RepositoryStr(), "library/"); ok {
		return "https://hub.docker.com/_/" + rest
	}
	return "https://hub.docker.com/r/" + r.RepositoryStr()
}

// wrap maps a registry client's error to the source's: the registry's "not
// found" becomes source.ErrNotFound, and the message, already scrubbed of
// secrets and naming the registry, says what was asked for.
func wrap(what string, err error) error {
	var re *regclient.Error
	if !errors.As(err, &re) {
		return fmt.Errorf("oci: %w", err)
	}
	if errors.Is(err, regclient.ErrNotFound) {
		return source.NotFound("%s %v", what, err)
	}
	return fmt.Errorf("%s %w", what, err)
}
