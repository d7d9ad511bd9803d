package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// logTransport logs every attempt of every request, redirects included,
// after its response headers arrive: "GET URL 200 12ms". It sits below the
// retries, so that each retried attempt has its own line.
type logTransport struct {
	next http.RoundTripper
	logf func(format string, args ...any)
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	ms := time.Since(start).Milliseconds()
	if err != nil {
		t.logf("%s %s: %v (%dms)", req.Method, LogURL(req.URL), unwrapURLError(err), ms)
		return nil, err
	}
	t.logf("%s %s %d %dms", req.Method, LogURL(req.URL), resp.StatusCode, ms)
	return resp, nil
}

// attemptKey keys the *attempt a request's context carries through the
// retries, since go-retryablehttp tells its retry policy neither the
// request nor the attempt number.
type attemptKey struct{}

type attempt struct {
	req *http.Request
	n   int // 0 for the first try
}

// withAttempts gives each request a place for its attempt number.
type withAttempts struct{ next http.RoundTripper }

func (w withAttempts) RoundTrip(req *http.Request) (*http.Response, error) {
	return w.next.RoundTrip(req.WithContext(context.WithValue(req.Context(), attemptKey{}, &attempt{req: req})))
}

// logRetries makes rc log, before it waits, each retry it decides on: the
// request, the wait, the attempt coming and the reason.
func logRetries(rc *retryablehttp.Client, logf func(format string, args ...any)) {
	rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, n int) {
		if a, ok := req.Context().Value(attemptKey{}).(*attempt); ok {
			a.n = n
		}
	}
	policy := rc.CheckRetry
	if policy == nil {
		policy = retryablehttp.DefaultRetryPolicy
	}
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		retry, perr := policy(ctx, resp, err)
		a, ok := ctx.Value(attemptKey{}).(*attempt)
		// go-retryablehttp stops after RetryMax retries whatever the
		// policy says.
		if !retry || !ok || a.n >= rc.RetryMax {
			return retry, perr
		}
		// The same computation go-retryablehttp makes next: the backoff is
		// deterministic (no jitter) given the attempt and the response.
		wait := rc.Backoff(rc.RetryWaitMin, rc.RetryWaitMax, a.n, resp)
		reason := ""
		switch {
		case err != nil:
			reason = unwrapURLError(err).Error()
		case resp != nil:
			reason = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		}
		logf("retrying %s %s in %s (attempt %d of %d): %s", a.req.Method, LogURL(a.req.URL), wait.Round(time.Millisecond), a.n+2, rc.RetryMax+1, reason)
		return retry, perr
	}
}

// LogURL is u as a log may show it: no password, and the value of any
// query parameter that looks like a credential (a presigned URL's
// X-Amz-Signature, an access_token) replaced by "***".
func LogURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			k, _, ok := strings.Cut(p, "=")
			if ok && secretParam(k) {
				parts[i] = k + "=***"
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return Redact(c.String())
}

func secretParam(key string) bool {
	if k, err := url.QueryUnescape(key); err == nil {
		key = k
	}
	key = strings.ToLower(key)
	for _, s := range []string{"sig", "token", "secret", "password", "credential", "key", "auth"} {
		if strings.Contains(key, s) {
			return true
		}
	}
	return false
}
