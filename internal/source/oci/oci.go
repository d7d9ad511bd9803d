// Package oci is the source for container images: the name is an image
// repository, a version is a tag, and the one artifact of a release is the
// manifest (or multi-platform index) the tag points at, hashed by its digest.
package oci

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
)

// Options configures a Source.
type Options struct {
	// Insecure allows plain HTTP to any registry. Loopback registries
	// (localhost, 127.0.0.0/8, ::1) may always use it.
	Insecure bool
}

// Source resolves image tags against OCI registries.
type Source struct {
	opts      Options
	transport http.RoundTripper

	mu sync.Mutex
	// One puller per repository keeps the ping and token exchange of a
	// registry to once per run instead of once per call.
	pullers map[string]*puller
}

type puller struct {
	*remote.Puller
	secrets []string
}

var _ source.Source = (*Source)(nil)

// New returns a Source whose requests go through client, so that registry
// traffic shares dist's concurrency limit and retries.
func New(client *fetch.Client, opts Options) *Source {
	return &Source{
		opts:      opts,
		transport: &schemeGuard{next: client.Transport(), insecure: opts.Insecure},
		pullers:   map[string]*puller{},
	}
}

// Ecosystem implements source.Source.
func (s *Source) Ecosystem() string { return source.OCI }

// CanonicalName returns the fully qualified repository name: "python" is
// "docker.io/library/python".
func CanonicalName(repo string) (string, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return "", err
	}
	return canonical(r), nil
}

func canonical(r name.Repository) string {
	reg := r.RegistryStr()
	// index.docker.io is an implementation detail of Docker Hub; people and
	// lockfiles write docker.io.
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + r.RepositoryStr()
}

// IsLoopback reports whether a registry host (with or without port) is
// this machine.
func IsLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (s *Source) repository(repo string) (name.Repository, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return name.Repository{}, fmt.Errorf("oci: invalid repository %q: %w", repo, err)
	}
	if s.opts.Insecure || IsLoopback(r.RegistryStr()) {
		r, err = name.NewRepository(repo, name.Insecure)
		if err != nil {
			return name.Repository{}, fmt.Errorf("oci: invalid repository %q: %w", repo, err)
		}
	}
	return r, nil
}

func (s *Source) tag(repo, tag string) (name.Tag, error) {
	r, err := s.repository(repo)
	if err != nil {
		return name.Tag{}, err
	}
	var opts []name.Option
	if s.opts.Insecure || IsLoopback(r.RegistryStr()) {
		opts = append(opts, name.Insecure)
	}
	t, err := name.NewTag(r.Name()+":"+tag, opts...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("oci: invalid tag %q for %s: %w", tag, canonical(r), err)
	}
	return t, nil
}

func (s *Source) puller(ctx context.Context, r name.Repository) (*puller, error) {
	key := r.Name()
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pullers[key]; ok {
		return p, nil
	}
	// Credentials are resolved here rather than through WithAuthFromKeychain
	// so that their secret parts are known and can be scrubbed from errors.
	auth, err := authn.Resolve(ctx, authn.DefaultKeychain, r)
	if err != nil {
		return nil, fmt.Errorf("oci: reading registry credentials for %s: %w", r.RegistryStr(), err)
	}
	var secrets []string
	if cfg, err := auth.Authorization(); err == nil && cfg != nil {
		for _, v := range []string{cfg.Password, cfg.Auth, cfg.IdentityToken, cfg.RegistryToken} {
			if v != "" {
				secrets = append(secrets, v)
			}
		}
		if cfg.Password != "" {
			secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password)))
		}
	}
	rp, err := remote.NewPuller(
		remote.WithTransport(s.transport),
		remote.WithAuth(auth),
		remote.WithUserAgent("dist"),
		// fetch's transport already retries; retrying here as well would
		// multiply the attempts and the waiting.
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
	)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	p := &puller{Puller: rp, secrets: secrets}
	s.pullers[key] = p
	return p, nil
}

// Versions implements source.Source. Tags are returned in the registry's
// order; picking one is the caller's business.
func (s *Source) Versions(ctx context.Context, repo string) (string, []string, error) {
	r, err := s.repository(repo)
	if err != nil {
		return "", nil, err
	}
	p, err := s.puller(ctx, r)
	if err != nil {
		return "", nil, err
	}
	tags, err := p.List(ctx, r)
	if err != nil {
		return "", nil, p.wrap(ctx, "repository "+canonical(r), r.RegistryStr(), err)
	}
	return canonical(r), tags, nil
}

// Release implements source.Source. It asks for the manifest's headers only,
// which registries (Docker Hub among them) do not count against pull limits.
func (s *Source) Release(ctx context.Context, repo, tag string) (*source.Release, error) {
	t, err := s.tag(repo, tag)
	if err != nil {
		return nil, err
	}
	p, err := s.puller(ctx, t.Repository)
	if err != nil {
		return nil, err
	}
	what := "image " + canonical(t.Repository) + ":" + tag
	desc, err := p.Head(ctx, t)
	if err != nil {
		if !headUnsupported(err) {
			return nil, p.wrap(ctx, what, t.RegistryStr(), err)
		}
		// Some registries answer HEAD without the digest or length headers,
		// or not at all; the manifest itself says the same.
		d, gerr := p.Get(ctx, t)
		if gerr != nil {
			return nil, p.wrap(ctx, what, t.RegistryStr(), gerr)
		}
		desc = &d.Descriptor
	}
	repoName := canonical(t.Repository)
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
	p, err := s.puller(ctx, t.Repository)
	if err != nil {
		return nil, err
	}
	d, err := p.Get(ctx, t)
	if err != nil {
		return nil, p.wrap(ctx, "image "+canonical(t.Repository)+":"+rel.Version, t.RegistryStr(), err)
	}
	sum := sha256.Sum256(d.Manifest)
	h := "sha256:" + hex.EncodeToString(sum[:])
	out := make([]string, len(rel.Artifacts))
	for i := range out {
		out[i] = h
	}
	return out, nil
}

// headUnsupported tells a registry that cannot answer HEAD usefully from one
// that answered, or could not be reached, for which a GET would only repeat
// the failure.
func headUnsupported(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode == http.StatusMethodNotAllowed || te.StatusCode == http.StatusNotImplemented
	}
	var ue *url.Error
	var ne net.Error
	return !errors.As(err, &ue) && !errors.As(err, &ne) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
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

// errUnauthorized marks a registry's refusal, so that the message can point
// at the credentials.
var errUnauthorized = errors.New("unauthorized")

// kind classifies a registry error as source.ErrNotFound, errUnauthorized
// or nil for anything else.
func kind(err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return nil
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return source.ErrNotFound
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return errUnauthorized
		}
	}
	switch te.StatusCode {
	case http.StatusNotFound:
		return source.ErrNotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		return errUnauthorized
	}
	return nil
}

// registryError carries a message already scrubbed of secrets. It unwraps
// only to a sentinel, never to the original error, whose text may hold
// what was scrubbed.
type registryError struct {
	msg  string
	kind error
}

func (e *registryError) Error() string { return e.msg }
func (e *registryError) Unwrap() error { return e.kind }

func (p *puller) wrap(ctx context.Context, what, registry string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &registryError{msg: fmt.Sprintf("%s: %v", what, ctxErr), kind: ctxErr}
	}
	switch k := kind(err); k {
	case source.ErrNotFound:
		return &registryError{msg: what + ": not found", kind: k}
	case errUnauthorized:
		var te *transport.Error
		errors.As(err, &te)
		status := fmt.Sprintf("%d %s", te.StatusCode, http.StatusText(te.StatusCode))
		return &registryError{msg: fmt.Sprintf(
			"%s: %s refused access (%s): check the credentials for %s in $DOCKER_CONFIG/config.json or ~/.docker/config.json (docker login), and that the repository exists",
			what, registry, status, registry), kind: k}
	}
	msg := err.Error()
	for _, s := range p.secrets {
		msg = strings.ReplaceAll(msg, s, "REDACTED")
	}
	return &registryError{msg: what + ": " + msg}
}

// schemeGuard refuses plain HTTP except to loopback registries or when
// allowed. go-containerregistry on its own falls back to HTTP for private
// (RFC 1918) addresses and *.local names too, where a tampered answer would
// go unnoticed.
type schemeGuard struct {
	next     http.RoundTripper
	insecure bool
}

func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure && !IsLoopback(req.URL.Host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("refusing plain HTTP to %s (allow it with the insecure option)", req.URL.Host)
	}
	return g.next.RoundTrip(req)
}
