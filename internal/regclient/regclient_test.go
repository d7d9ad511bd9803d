package regclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

type countingRT struct{ n atomic.Int32 }

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

func TestSchemeGuard(t *testing.T) {
	next := &countingRT{}
	g := &schemeGuard{next: next}
	for _, u := range []string{"http://registry.example.org/v2/", "http://10.0.0.5:5000/v2/", "http://registry.local/v2/"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if _, err := g.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "refusing plain HTTP") {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:5000/v2/", "http://localhost:5000/v2/", "http://[::1]:5000/v2/", "https://registry.example.org/v2/", "https://registry.local/v2/"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if _, err := g.RoundTrip(req); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	insecure := &schemeGuard{next: next, insecure: true}
	for _, u := range []string{"http://registry.example.org/v2/", "http://10.0.0.5:5000/v2/", "http://registry.local/v2/"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if _, err := insecure.RoundTrip(req); err != nil {
			t.Errorf("--insecure %s: %v", u, err)
		}
	}
}

// A plain-HTTP loopback registry is found out once, without the retrying
// transport, and HTTPS to it then fails at once.
func TestSchemeGuardRemembersPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	next := &countingRT{}
	g := &schemeGuard{next: next}
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodGet, "https://"+host+"/v2/", nil)
		if _, err := g.RoundTrip(req); !errors.Is(err, errPlainHTTP) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if next.n.Load() != 0 {
		t.Errorf("%d HTTPS requests went to the retrying transport", next.n.Load())
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/v2/", nil)
	if _, err := g.RoundTrip(req); err != nil || next.n.Load() != 1 {
		t.Errorf("plain HTTP: %v", err)
	}
}

func TestUploadSessionRetry(t *testing.T) {
	te := func(status int, code transport.ErrorCode) error {
		e := &transport.Error{StatusCode: status}
		if code != "" {
			e.Errors = []transport.Diagnostic{{Code: code}}
		}
		return e
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{te(400, transport.DigestInvalidErrorCode), true},
		{te(404, transport.BlobUploadUnknownErrorCode), true},
		{te(416, ""), true},
		{te(500, transport.UnknownErrorCode), false},
		{te(401, transport.UnauthorizedErrorCode), false},
		{errors.New("connection reset"), false},
	} {
		if got := uploadSession(tc.err); got != tc.want {
			t.Errorf("%v: %v", tc.err, got)
		}
	}
}

func TestErrorsAreScrubbed(t *testing.T) {
	cn := &conn{secrets: []string{"hunter2", "YWxpY2U6aHVudGVyMg=="}}
	ctx := context.Background()
	err := cn.wrap(ctx, "pushing x", "r.example.org", errors.New("GET https://alice:hunter2@r.example.org/v2/ failed; auth YWxpY2U6aHVudGVyMg=="))
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "YWxpY2U6") {
		t.Errorf("secret in %q", err)
	}
	if errors.Unwrap(err) != nil {
		t.Error("the scrubbed error unwraps to the original")
	}
	err = cn.wrap(ctx, "pushing x", "r.example.org", &transport.Error{StatusCode: 401})
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "r.example.org refused access (401 Unauthorized)") {
		t.Errorf("401: %v", err)
	}
	err = cn.wrap(ctx, "x:1", "r", &transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode}}})
	if !errors.Is(err, ErrNotFound) || err.Error() != "x:1: not found" {
		t.Errorf("404: %v", err)
	}
}

// TestRemoteScrub: the options Remote gives carry the credentials, and
// Scrub takes their secrets out of an error of a call made with them.
func TestRemoteScrub(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		if a == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "who?", http.StatusUnauthorized)
			return
		}
		auth.Store(a)
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer srv.Close()
	c := New(Options{Keychain: staticKeychain{authn.FromConfig(authn.AuthConfig{Username: "alice", Password: "hunter2"})}})
	repo, err := c.ParseRepository(strings.TrimPrefix(srv.URL, "http://") + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts, err := c.Remote(ctx, repo.Registry)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(repo.Tag("x"), append(opts, remote.WithContext(ctx))...); err == nil {
		t.Fatal("HEAD: no error from a failing registry")
	}
	if a, _ := auth.Load().(string); a != "Basic YWxpY2U6aHVudGVyMg==" {
		t.Errorf("Authorization %q: the options do not carry the credentials", a)
	}
	err = c.Scrub(repo.Registry, fmt.Errorf("moving stage: %w", errors.New("password hunter2, auth YWxpY2U6aHVudGVyMg==")))
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "YWxpY2U6") || !strings.Contains(err.Error(), "moving stage: password REDACTED") {
		t.Errorf("scrubbed: %q", err)
	}
	plain := fmt.Errorf("x: %w", ErrNotFound)
	if got := c.Scrub(repo.Registry, plain); got != plain {
		t.Errorf("an error without a secret became %v", got)
	}
	if c.Scrub(repo.Registry, nil) != nil {
		t.Error("Scrub(nil) is not nil")
	}
	// A refusal keeps what the caller said, and gives the Client's advice.
	err = c.Scrub(repo.Registry, fmt.Errorf("listing the tags of x: %w", &transport.Error{StatusCode: 401}))
	if !errors.Is(err, ErrUnauthorized) || !strings.HasPrefix(err.Error(), "listing the tags of x: "+repo.RegistryStr()+" refused access (401 Unauthorized): check the credentials") {
		t.Errorf("401: %v", err)
	}
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"python":                         "docker.io/library/python",
		"docker.io/library/python":       "docker.io/library/python",
		"index.docker.io/library/python": "docker.io/library/python",
		"docker.io/bitnami/redis":        "docker.io/bitnami/redis",
		"ghcr.io/owner/app":              "ghcr.io/owner/app",
		"localhost:5000/x":               "localhost:5000/x",
		"127.0.0.1:5000/a/b":             "127.0.0.1:5000/a/b",
	} {
		r, err := name.NewRepository(in)
		if err != nil {
			t.Errorf("NewRepository(%q): %v", in, err)
			continue
		}
		if got := Canonical(r); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:5000": true, "127.0.0.1:5000": true, "127.1.2.3": true,
		"[::1]:5000": true, "::1": true,
		"docker.io": false, "10.0.0.1:5000": false, "192.168.1.2": false, "registry.local:5000": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
