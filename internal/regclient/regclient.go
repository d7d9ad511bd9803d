// Package regclient is how dist talks to registries, from the image
// packages, the oci source and the channels alike: references parsed with
// dist's plain-HTTP rule, credentials from the Docker keychain, every
// request through fetch's client (one concurrency limit, retries), and
// errors that name the registry and never carry a secret.
package regclient

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Options configures a Client.
type Options struct {
	// Transport carries every request; fetch.Client.Transport() in dist, so
	// that registry traffic shares the concurrency limit and the retries.
	Transport http.RoundTripper
	// Jobs is how many blobs move at once; fetch.Client.Jobs().
	Jobs int
	// Insecure allows plain HTTP to any registry; loopback registries may
	// always use it.
	Insecure bool
	// Keychain finds credentials; authn.DefaultKeychain when nil
	// (~/.docker/config.json, $DOCKER_CONFIG, credential helpers).
	Keychain authn.Keychain
}

// Client talks to registries.
type Client struct {
	opts      Options
	transport http.RoundTripper

	mu    sync.Mutex
	conns map[string]*conn
}

// conn is what one registry needs: credentials resolved once, and the
// puller and pusher that keep its token exchanges to once per run.
type conn struct {
	puller  *remote.Puller
	pusher  *remote.Pusher
	secrets []string
}

// New returns a Client.
func New(o Options) *Client {
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	return &Client{
		opts:      o,
		transport: &schemeGuard{next: o.Transport, insecure: o.Insecure},
		conns:     map[string]*conn{},
	}
}

// Jobs reports how many blobs move at once.
func (c *Client) Jobs() int { return c.opts.Jobs }

// IsLoopback reports whether a registry host (with or without port) is this
// machine.
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

func (c *Client) nameOpts(s string) []name.Option {
	reg := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		reg = s[:i]
	}
	if c.opts.Insecure || IsLoopback(reg) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// ParseReference parses "host/repo:tag" or "host/repo@sha256:...".
func (c *Client) ParseReference(s string) (name.Reference, error) {
	return name.ParseReference(s, c.nameOpts(s)...)
}

// ParseRepository parses "host/repo".
func (c *Client) ParseRepository(s string) (name.Repository, error) {
	return name.NewRepository(s, c.nameOpts(s)...)
}

// ParseTag parses "host/repo:tag"; unlike ParseReference it refuses a
// digest.
func (c *Client) ParseTag(s string) (name.Tag, error) {
	return name.NewTag(s, c.nameOpts(s)...)
}

// Canonical spells a repository the way people and lockfiles do:
// "docker.io/library/python", not "index.docker.io/library/python".
func Canonical(r name.Repository) string {
	reg := r.RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + r.RepositoryStr()
}

// spell is how errors name a reference: the repository as Canonical spells
// it, then the tag or digest.
func spell(ref name.Reference) string {
	if _, ok := ref.(name.Digest); ok {
		return Canonical(ref.Context()) + "@" + ref.Identifier()
	}
	return Canonical(ref.Context()) + ":" + ref.Identifier()
}

// never turns off go-containerregistry's own retries where fetch's
// transport already retries each request: both together would multiply the
// attempts and the waiting.
func never(error) bool { return false }

// uploadSession decides which failed blob uploads go-containerregistry
// starts over with a new upload session. A request retried inside a session
// cannot fix a session the registry has already given up on, or one that
// holds the bytes of a half-finished earlier attempt (the final digest check
// then fails), but a new session can.
func uploadSession(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusRequestedRangeNotSatisfiable {
		return true
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.BlobUploadInvalidErrorCode, transport.BlobUploadUnknownErrorCode, transport.DigestInvalidErrorCode, transport.SizeInvalidErrorCode:
			return true
		}
	}
	return false
}

func (c *Client) conn(ctx context.Context, reg name.Registry) (*conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := reg.Name()
	if cn, ok := c.conns[key]; ok {
		return cn, nil
	}
	// Credentials are resolved here rather than with WithAuthFromKeychain
	// so that their secret parts are known and can be scrubbed from errors.
	auth, err := authn.Resolve(ctx, c.opts.Keychain, reg)
	if err != nil {
		return nil, fmt.Errorf("reading registry credentials for %s: %w", reg.RegistryStr(), err)
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
	common := []remote.Option{
		remote.WithTransport(c.transport),
		remote.WithAuth(auth),
		remote.WithUserAgent("dist"),
		remote.WithJobs(c.opts.Jobs),
		remote.WithRetryStatusCodes(),
	}
	puller, err := remote.NewPuller(append(common, remote.WithRetryPredicate(never))...)
	if err != nil {
		return nil, err
	}
	pusher, err := remote.NewPusher(append(common,
		remote.WithRetryPredicate(uploadSession),
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 3}),
	)...)
	if err != nil {
		return nil, err
	}
	cn := &conn{puller: puller, pusher: pusher, secrets: secrets}
	c.conns[key] = cn
	return cn, nil
}

// Head returns the descriptor ref points at; ErrNotFound when there is none.
func (c *Client) Head(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	cn, err := c.conn(ctx, ref.Context().Registry)
	if err != nil {
		return nil, err
	}
	d, err := cn.puller.Head(ctx, ref)
	if err != nil {
		return nil, cn.wrap(ctx, spell(ref), ref.Context().RegistryStr(), err)
	}
	return d, nil
}

// Resolve returns the descriptor ref points at, like Head, but falls back
// to fetching the manifest from registries that answer HEAD without the
// digest or length headers, or not at all. HEAD is tried first because
// registries (Docker Hub among them) do not count it against pull limits.
func (c *Client) Resolve(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	cn, err := c.conn(ctx, ref.Context().Registry)
	if err != nil {
		return nil, err
	}
	d, err := cn.puller.Head(ctx, ref)
	if err == nil {
		return d, nil
	}
	if !headUnsupported(err) {
		return nil, cn.wrap(ctx, spell(ref), ref.Context().RegistryStr(), err)
	}
	rd, err := cn.puller.Get(ctx, ref)
	if err != nil {
		return nil, cn.wrap(ctx, spell(ref), ref.Context().RegistryStr(), err)
	}
	return &rd.Descriptor, nil
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

// List returns the tags of a repository in the registry's order.
func (c *Client) List(ctx context.Context, repo name.Repository) ([]string, error) {
	cn, err := c.conn(ctx, repo.Registry)
	if err != nil {
		return nil, err
	}
	tags, err := cn.puller.List(ctx, repo)
	if err != nil {
		return nil, cn.wrap(ctx, Canonical(repo), repo.RegistryStr(), err)
	}
	return tags, nil
}

// Get returns the manifest ref points at, without any blob.
func (c *Client) Get(ctx context.Context, ref name.Reference) (*remote.Descriptor, error) {
	cn, err := c.conn(ctx, ref.Context().Registry)
	if err != nil {
		return nil, err
	}
	d, err := cn.puller.Get(ctx, ref)
	if err != nil {
		return nil, cn.wrap(ctx, spell(ref), ref.Context().RegistryStr(), err)
	}
	return d, nil
}

// Layer returns a blob of a repository; its bytes are read when asked for.
func (c *Client) Layer(ctx context.Context, d name.Digest) (v1.Layer, error) {
	cn, err := c.conn(ctx, d.Context().Registry)
	if err != nil {
		return nil, err
	}
	l, err := cn.puller.Layer(ctx, d)
	if err != nil {
		return nil, cn.wrap(ctx, spell(d), d.Context().RegistryStr(), err)
	}
	return l, nil
}

// Push uploads t (an image or an index) and everything it refers to, blobs
// the repository already has excepted, and puts its manifest at ref.
func (c *Client) Push(ctx context.Context, ref name.Reference, t remote.Taggable) error {
	cn, err := c.conn(ctx, ref.Context().Registry)
	if err != nil {
		return err
	}
	if err := cn.pusher.Push(ctx, ref, t); err != nil {
		return cn.wrap(ctx, "pushing "+spell(ref), ref.Context().RegistryStr(), err)
	}
	return nil
}

// Tag puts t's manifest at tag; the blobs must already be there.
func (c *Client) Tag(ctx context.Context, tag name.Tag, t remote.Taggable) error {
	cn, err := c.conn(ctx, tag.Context().Registry)
	if err != nil {
		return err
	}
	if err := cn.pusher.Put(ctx, tag, t); err != nil {
		return cn.wrap(ctx, "tagging "+spell(tag), tag.Context().RegistryStr(), err)
	}
	return nil
}

// Remote returns the go-containerregistry options that reach reg as c
// does: the puller and pusher c keeps for it, with its transport,
// credentials, retries and token exchanges. They are for code that calls
// package remote itself (package channel, through package referrers);
// its errors must go through Scrub before anyone sees them.
func (c *Client) Remote(ctx context.Context, reg name.Registry) ([]remote.Option, error) {
	cn, err := c.conn(ctx, reg)
	if err != nil {
		return nil, err
	}
	return []remote.Option{remote.Reuse(cn.puller), remote.Reuse(cn.pusher)}, nil
}

// Scrub makes err, from a call made with Remote's options for reg, safe
// to show, as the Client's own errors are: when its message holds a
// secret of reg's credentials, it becomes an *Error with the secret
// replaced, which unwraps only to ErrNotFound or ErrUnauthorized. An
// error that holds none is returned as it is, with its chain.
func (c *Client) Scrub(reg name.Registry, err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	cn := c.conns[reg.Name()]
	c.mu.Unlock()
	if cn == nil {
		return err
	}
	msg := err.Error()
	for _, s := range cn.secrets {
		msg = strings.ReplaceAll(msg, s, "REDACTED")
	}
	if kind(err) == ErrUnauthorized {
		// What the caller said, then the advice the Client's own errors
		// give, in place of the registry's words.
		var te *transport.Error
		errors.As(err, &te)
		prefix, _ := strings.CutSuffix(msg, te.Error())
		return &Error{msg: prefix + refusedAccess(reg.RegistryStr(), te.StatusCode), kind: ErrUnauthorized}
	}
	if msg == err.Error() {
		return err
	}
	return &Error{msg: msg, kind: kind(err)}
}

// ErrNotFound is a registry's answer that a manifest, blob or repository
// does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnauthorized is a registry's refusal.
var ErrUnauthorized = errors.New("unauthorized")

func kind(err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return nil
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			return ErrNotFound
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return ErrUnauthorized
		}
	}
	switch te.StatusCode {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrUnauthorized
	}
	return nil
}

// Error is a registry error whose message has been scrubbed of secrets. It
// unwraps only to ErrNotFound or ErrUnauthorized, never to the original
// error, whose text may hold what was scrubbed.
type Error struct {
	msg  string
	kind error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.kind }

func (cn *conn) wrap(ctx context.Context, what, registry string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &Error{msg: fmt.Sprintf("%s: %v", what, ctxErr), kind: ctxErr}
	}
	switch k := kind(err); k {
	case ErrNotFound:
		return &Error{msg: what + ": not found", kind: k}
	case ErrUnauthorized:
		var te *transport.Error
		errors.As(err, &te)
		return &Error{msg: what + ": " + refusedAccess(registry, te.StatusCode), kind: k}
	}
	msg := err.Error()
	for _, s := range cn.secrets {
		msg = strings.ReplaceAll(msg, s, "REDACTED")
	}
	return &Error{msg: what + ": " + msg}
}

// refusedAccess says that registry refused the credentials, and where
// they come from.
func refusedAccess(registry string, status int) string {
	return fmt.Sprintf("%s refused access (%d %s): check the credentials for %s in $DOCKER_CONFIG/config.json or ~/.docker/config.json (docker login), and that the repository exists",
		registry, status, http.StatusText(status), registry)
}

// schemeGuard refuses plain HTTP except to loopback registries or when
// allowed. go-containerregistry on its own also falls back to HTTP for
// private (RFC 1918) addresses and *.local names, where a tampered answer
// would go unnoticed.
//
// Where plain HTTP is allowed, go-containerregistry tries HTTPS first; the
// retrying transport would then retry the failed TLS handshake with
// backoff, a second lost before every push to a local registry. So the
// first HTTPS request to such a host is made once, without retries: a
// server that answers it in plain HTTP is remembered, and later HTTPS
// requests to it fail at once.
type schemeGuard struct {
	next     http.RoundTripper
	insecure bool

	mu    sync.Mutex
	plain map[string]bool // host → speaks plain HTTP only
	probe http.RoundTripper
}

func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	plainOK := g.insecure || IsLoopback(req.URL.Host)
	if req.URL.Scheme == "http" && !plainOK {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("refusing plain HTTP to %s (allow it with --insecure)", req.URL.Host)
	}
	if req.URL.Scheme == "https" && plainOK && req.Body == nil {
		if plain, err := g.speaksPlainHTTP(req); plain {
			return nil, err
		}
	}
	return g.next.RoundTrip(req)
}

var errPlainHTTP = errors.New("http: server gave HTTP response to HTTPS client")

func (g *schemeGuard) speaksPlainHTTP(req *http.Request) (bool, error) {
	host := req.URL.Host
	g.mu.Lock()
	known, seen := g.plain[host]
	if g.plain == nil {
		g.plain = map[string]bool{}
		g.probe = &http.Transport{TLSHandshakeTimeout: 5 * time.Second}
	}
	g.mu.Unlock()
	if seen {
		return known, fmt.Errorf("%s: %w", host, errPlainHTTP)
	}
	probe, err := http.NewRequestWithContext(req.Context(), http.MethodGet, "https://"+host+"/v2/", nil)
	if err != nil {
		return false, nil
	}
	resp, err := g.probe.RoundTrip(probe)
	// A TLS record header that is not TLS: the server answered in HTTP.
	var rh tls.RecordHeaderError
	plain := err != nil && (errors.As(err, &rh) || strings.Contains(err.Error(), errPlainHTTP.Error()))
	if resp != nil {
		resp.Body.Close()
	}
	g.mu.Lock()
	g.plain[host] = plain
	g.mu.Unlock()
	return plain, fmt.Errorf("%s: %w", host, errPlainHTTP)
}
