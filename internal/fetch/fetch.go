// Package fetch is dist's one way onto the network: an HTTP client with
// timeouts, retries with backoff and a single concurrency limit shared by every
// ecosystem, and a content-addressed download cache so that no artifact is
// fetched twice.
package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/jdx/go-netrc"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/redact"
)

// DefaultJobs is the default number of requests in flight at once.
const DefaultJobs = 8

// Client performs every HTTP request dist makes.
type Client struct {
	http  *http.Client
	cache *Cache
	sem   chan struct{}

	// Progress, when set, is told about downloads so that the CLI can
	// draw a progress bar; fetch itself never writes to the terminal.
	Progress Progress

	logf func(format string, args ...any)

	progressMu sync.Mutex
	expected   map[string]int // announced by Expect, not yet started
	pending    int            // announced by Expect, not yet ended

	netrcPath string // Options.Netrc
	netrcOnce sync.Once
	netrc     *netrc.Netrc
}

func min2(a, b time.Duration) time.Duration {
	if a > b {
		return b
	}
	return a
}

// SameOriginAuth is an http.Client CheckRedirect that follows up to 10
// redirects and drops the Authorization and Cookie headers on any that
// leaves the first request's origin (scheme, host and port): Go's own
// policy keeps them for another port of the same host.
func SameOriginAuth(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if len(via) > 0 && !SameOrigin(req.URL, via[0].URL) {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
	}
	return nil
}

// SameOrigin reports whether two URLs have the same scheme, host and port
// (a missing port is the scheme's default).
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// Options configures a Client.
type Options struct {
	Jobs     int           // concurrency limit; DefaultJobs when 0
	Retries  int           // attempts after the first; 3 when 0, none when negative
	Timeout  time.Duration // per request; 60s when 0
	CacheDir string        // the CLI's DIST_CACHE_DIR; DefaultCacheDir() when empty
	// Netrc is the netrc file that gives credentials by host for a URL
	// that carries none (the CLI's $NETRC, else ~/.netrc, as curl and pip
	// read it); none when empty. A file that is missing or does not parse
	// gives none.
	Netrc string
	// RetryWaitMin is the first backoff; tests shorten it.
	RetryWaitMin time.Duration
	// RetryWaitMax caps every wait between attempts, a server's
	// Retry-After included; 5s when 0.
	RetryWaitMax time.Duration
	// IdleTimeout bounds how long a response body may send nothing before
	// the transfer fails; Timeout when 0.
	IdleTimeout time.Duration
	// Log, when set, is dist's verbose log (the CLI's -v): one line per
	// request attempt ("GET URL 200 12ms"), per retry (the wait and the
	// reason) and per cache hit ("cache hit URL"). URLs are shown without
	// passwords or credential-like query values (LogURL).
	Log func(format string, args ...any)
}

// MaxDocument is the largest document GetBytes reads.
const MaxDocument = 64 << 20

// ErrStalled: a response body sent nothing for the idle timeout.
var ErrStalled = errors.New("the server stopped sending data")

// New returns a Client.
func New(o Options) *Client {
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs
	}
	if o.Retries == 0 {
		o.Retries = 3
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.RetryWaitMin == 0 {
		o.RetryWaitMin = 200 * time.Millisecond
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.RetryWaitMax == 0 {
		o.RetryWaitMax = 5 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = o.Timeout
	}
	c := &Client{cache: &Cache{Dir: o.CacheDir}, sem: make(chan struct{}, o.Jobs), logf: o.Log, netrcPath: o.Netrc}

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = o.Jobs
	base.ResponseHeaderTimeout = o.Timeout
	var attempts http.RoundTripper = base
	if o.Log != nil {
		attempts = &logTransport{next: base, logf: o.Log}
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: attempts, CheckRedirect: SameOriginAuth}
	rc.RetryMax = o.Retries
	rc.RetryWaitMin = o.RetryWaitMin
	rc.RetryWaitMax = o.RetryWaitMax
	// go-retryablehttp's backoff returns a Retry-After header's value as
	// is, a day if the server says so: every wait is capped.
	rc.Backoff = func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		return min2(retryablehttp.DefaultBackoff(min, max, attempt, resp), max)
	}
	rc.Logger = nil
	var retrying http.RoundTripper = &retryablehttp.RoundTripper{Client: rc}
	if o.Log != nil {
		logRetries(rc, o.Log)
		retrying = withAttempts{next: retrying}
	}
	// Hand the last response back instead of a bare "giving up" error, so the
	// caller can name the status the server kept answering with.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.http = &http.Client{Transport: &limited{sem: c.sem, idle: o.IdleTimeout, next: retrying}}
	return c
}

func (c *Client) log(format string, args ...any) {
	if c.logf != nil {
		c.logf(format, args...)
	}
}

// Jobs reports the concurrency limit.
func (c *Client) Jobs() int { return cap(c.sem) }

// Transport returns the client's round tripper (limit, retries, credentials
// already handled) for libraries that take one, such as go-containerregistry.
func (c *Client) Transport() http.RoundTripper { return c.http.Transport }

// Cache returns the content-addressed cache.
func (c *Client) Cache() *Cache { return c.cache }

// limited holds one slot of the shared limit from the moment a request is sent
// until its body is closed, so that the limit counts transfers, not headers.
// It also fails a body that sends nothing for the idle timeout, for every
// user of the client (Get, Download, Transport).
type limited struct {
	sem  chan struct{}
	idle time.Duration
	next http.RoundTripper
}

func (l *limited) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case l.sem <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	resp, err := l.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel(nil)
		<-l.sem
		return nil, err
	}
	body := io.ReadCloser(resp.Body)
	if l.idle > 0 {
		body = newIdleBody(ctx, body, l.idle, cancel)
	}
	release := func() { cancel(nil); <-l.sem }
	small := resp.ContentLength >= 0 && resp.ContentLength <= maxHeldBody
	if small || resp.StatusCode < 200 || resp.StatusCode > 299 || req.Method == http.MethodHead {
		// An answer that is no transfer (an error's few bytes, a HEAD, a
		// manifest, an empty PUT answer) is read now and its slot given
		// back: a caller that asks again before closing it, as
		// go-containerregistry's referrers lookup does after a 404 to
		// try the fallback tag, and its referrers write after a PUT,
		// would otherwise wait for its own slot, for ever under --jobs 1.
		buf, rerr := io.ReadAll(io.LimitReader(body, maxHeldBody+1))
		if rerr == nil && len(buf) <= maxHeldBody {
			body.Close()
			release()
			resp.Body = io.NopCloser(bytes.NewReader(buf))
			return resp, nil
		}
		body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), body), body}
	}
	resp.Body = &releaseOnClose{ReadCloser: body, release: release}
	return resp, nil
}

// maxHeldBody bounds what limited reads of an answer to give its slot back
// at once (bytes); a longer one, a blob being downloaded, keeps its slot
// until closed.
const maxHeldBody = 64 << 10

type releaseOnClose struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (r *releaseOnClose) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}

// StatusError is returned for a response that is not 2xx.
type StatusError struct {
	URL    string // redacted
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// IsNotFound reports whether err is a 404 or 410 from the server.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusGone)
}

// Redact removes any password from a URL so that it can be printed; from
// one that does not parse too.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redact.URL(raw)
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// Get performs a GET with the given headers and returns the response when it
// is 2xx. Credentials in the URL, or for its host in Options.Netrc, are moved into
// an Authorization header so that they never appear in an error.
func (c *Client) Get(ctx context.Context, rawURL string, header http.Header) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL, password included.
		return nil, fmt.Errorf("%s: not a valid URL", Redact(rawURL))
	}
	user, pass, hasAuth := c.credentials(u)
	u.User = nil
	shown := u.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, shown, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "dist")
	if hasAuth {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown, unwrapURLError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return nil, &StatusError{URL: shown, Status: resp.StatusCode}
	}
	return resp, nil
}

// idleBody fails a transfer that sends nothing for the idle timeout, by
// cancelling its request, so that a server that stalls after its headers
// cannot hang dist.
type idleBody struct {
	rc     io.ReadCloser
	ctx    context.Context
	idle   time.Duration
	timer  *time.Timer
	cancel context.CancelCauseFunc
}

func newIdleBody(ctx context.Context, rc io.ReadCloser, idle time.Duration, cancel context.CancelCauseFunc) *idleBody {
	b := &idleBody{rc: rc, ctx: ctx, idle: idle, cancel: cancel}
	b.timer = time.AfterFunc(idle, func() { cancel(ErrStalled) })
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.idle)
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), ErrStalled) {
		err = fmt.Errorf("no data for %s: %w", b.idle, ErrStalled)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		var ne net.Error
		if errors.As(ue.Err, &ne) && ne.Timeout() {
			return errors.New("timed out")
		}
		return ue.Err
	}
	return err
}

// GetBytes GETs a document and returns its body.
func (c *Client) GetBytes(ctx context.Context, rawURL string, header http.Header) ([]byte, http.Header, error) {
	resp, err := c.Get(ctx, rawURL, header)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocument+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", Redact(rawURL), err)
	}
	if len(b) > MaxDocument {
		return nil, nil, fmt.Errorf("%s: larger than %d MiB", Redact(rawURL), MaxDocument>>20)
	}
	return b, resp.Header, nil
}

func (c *Client) credentials(u *url.URL) (user, pass string, ok bool) {
	if u.User != nil {
		p, _ := u.User.Password()
		return u.User.Username(), p, true
	}
	c.netrcOnce.Do(func() {
		if c.netrcPath == "" {
			return
		}
		if n, err := netrc.Parse(c.netrcPath); err == nil {
			c.netrc = n
		}
	})
	if c.netrc == nil {
		return "", "", false
	}
	m := c.netrc.Machine(u.Hostname())
	if m == nil {
		return "", "", false
	}
	return m.Get("login"), m.Get("password"), true
}

// Download fetches rawURL into the cache and returns the cached file's path.
// When want ("sha256:<hex>") is given, a cached copy is used without any
// request, and the bytes are checked against it; a mismatch is an error and
// nothing is cached. Without want, the URL itself is the cache key.
//
// A file:// URL (RFC 8089: an absolute path, no host or "localhost"), as a
// wheelhouse's files have, is copied from the local file into the cache
// the same way, checked against want. Without want it is read again each
// time, since a local file may change between calls.
func (c *Client) Download(ctx context.Context, rawURL, want string) (string, error) {
	name := Redact(rawURL)
	if want != "" {
		if p, ok := c.cache.Lookup(want); ok {
			c.hit(name)
			return p, nil
		}
	}
	if local, ok, err := localPath(rawURL); ok {
		if err != nil {
			return "", err
		}
		return c.copyLocal(ctx, local, want)
	}
	if want == "" {
		if d, ok := c.cache.lookupURL(rawURL); ok {
			if p, ok := c.cache.Lookup(d); ok {
				c.hit(name)
				return p, nil
			}
		}
	}
	resp, err := c.Get(ctx, rawURL, nil)
	if err != nil {
		c.endAnnounced(name)
		return "", err
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if t := c.track(name, resp.ContentLength); t != nil {
		defer t.Done()
		body = &progressReader{r: body, t: t}
	}
	p, got, err := c.cache.Put(body, want)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if want == "" {
		c.cache.rememberURL(rawURL, got)
	}
	return p, nil
}

// hit logs a download served from the cache and, when it was announced,
// ends it for Progress.
func (c *Client) hit(name string) {
	c.log("cache hit %s", name)
	c.endAnnounced(name)
}

// endAnnounced tells Progress that an announced download of name ended
// without transferring anything.
func (c *Client) endAnnounced(name string) {
	if c.Progress != nil && c.claim(name) {
		t := &pendingTransfer{Transfer: c.Progress.Start(name, 0, true), c: c}
		t.Done()
	}
}

// FileURL returns the file:// URL of a local file, which Download reads.
func FileURL(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive, "/C:/wheelhouse/x.whl"
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// localPath reads a file:// URL. ok says the URL is one; err that it names
// no local absolute path.
func localPath(rawURL string) (path string, ok bool, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "file" {
		return "", false, nil
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", true, fmt.Errorf("%s: a file URL on another host cannot be read", Redact(rawURL))
	}
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // "/C:/x", a Windows drive
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		return "", true, fmt.Errorf("%s: not an absolute path", Redact(rawURL))
	}
	return p, true, nil
}

// copyLocal puts a local file's bytes into the cache, checked against want.
func (c *Client) copyLocal(ctx context.Context, path, want string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c.log("reading %s", path)
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	p, _, err := c.cache.Put(f, want)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// DefaultCacheDir is dist/ under the user's cache directory
// (os.UserCacheDir), or dist-cache/ under the temporary directory where
// there is none.
func DefaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "dist")
	}
	return filepath.Join(os.TempDir(), "dist-cache")
}

// Cache is a directory of files named by the sha256 of their content.
type Cache struct {
	Dir string
}

// HashMismatchError reports bytes that do not hash to what was expected. It
// comes wrapped in a *failure.CheckError: a failed check.
type HashMismatchError struct {
	Want, Got string
}

func (e *HashMismatchError) Error() string {
	return fmt.Sprintf("hash mismatch: expected %s, got %s", e.Want, e.Got)
}

func (c *Cache) path(digest string) (string, bool) {
	hexs, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexs) != 64 {
		return "", false
	}
	return filepath.Join(c.Dir, "sha256", hexs[:2], hexs), true
}

// Lookup returns the path of the cached blob with the given digest.
func (c *Cache) Lookup(digest string) (string, bool) {
	p, ok := c.path(strings.ToLower(digest))
	if !ok {
		return "", false
	}
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// Put stores r's bytes and returns their path and digest. When want is not
// empty, bytes that hash otherwise are refused.
func (c *Cache) Put(r io.Reader, want string) (string, string, error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", "", err
	}
	tmp, err := os.CreateTemp(c.Dir, ".part-*")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := tmp.Close(); err != nil {
		return "", "", err
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if want != "" && !strings.EqualFold(want, got) {
		return "", got, failure.Check(&HashMismatchError{Want: want, Got: got})
	}
	p, _ := c.path(got)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", "", err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", "", err
	}
	return p, got, nil
}

func (c *Cache) urlKey(rawURL string) string {
	s := sha256.Sum256([]byte(Redact(rawURL)))
	return filepath.Join(c.Dir, "urls", hex.EncodeToString(s[:]))
}

func (c *Cache) lookupURL(rawURL string) (string, bool) {
	b, err := os.ReadFile(c.urlKey(rawURL))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

func (c *Cache) rememberURL(rawURL, digest string) {
	p := c.urlKey(rawURL)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	// A lost URL record only costs a second download, so errors are ignored.
	tmp := fmt.Sprintf("%s.%d", p, os.Getpid())
	if os.WriteFile(tmp, []byte(digest+"\n"), 0o644) == nil {
		os.Rename(tmp, p)
	}
}
