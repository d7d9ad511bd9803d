package github

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/testenv/ghapi"
)

func client(s *ghapi.Server, token string) *Client {
	return &Client{API: s.URL, Repo: "mozilla-services/kinto-dist", Token: token, Wait: time.Millisecond}
}

func TestEnsureDraft(t *testing.T) {
	s := ghapi.Start(t, "mozilla-services/kinto-dist", "t0ken")
	ctx := context.Background()
	c := client(s, "t0ken")
	r, out, err := c.EnsureDraft(ctx, "15.0.0", "15.0.0", "notes")
	if err != nil || out != Created || !r.Draft || r.TagName != "15.0.0" {
		t.Fatalf("%v %v %+v", err, out, r)
	}
	// A re-run finds it; changed notes update the draft.
	if _, out, err := c.EnsureDraft(ctx, "15.0.0", "15.0.0", "notes"); err != nil || out != Existed {
		t.Fatalf("rerun: %v %v", err, out)
	}
	if _, out, err := c.EnsureDraft(ctx, "15.0.0", "15.0.0", "better notes"); err != nil || out != Updated {
		t.Fatalf("update: %v %v", err, out)
	}
	if rs := s.Releases(); len(rs) != 1 || rs[0].Body != "better notes" {
		t.Fatalf("releases: %+v", rs)
	}
	// A published release is left alone.
	s.Publish("15.0.0")
	if _, out, err := c.EnsureDraft(ctx, "15.0.0", "15.0.0", "other"); err != nil || out != Existed {
		t.Fatalf("published: %v %v", err, out)
	}
}

func TestRetriesWithoutDuplicates(t *testing.T) {
	s := ghapi.Start(t, "mozilla-services/kinto-dist", "t0ken")
	ctx := context.Background()
	s.FailNext(1)
	if _, out, err := client(s, "t0ken").EnsureDraft(ctx, "1.0.0", "1.0.0", "n"); err != nil || out != Created {
		t.Fatalf("500 once: %v %v", err, out)
	}
	// The create lands but the answer is lost: no second draft.
	s.FailAfterCreate(1)
	if _, _, err := client(s, "t0ken").EnsureDraft(ctx, "2.0.0", "2.0.0", "n"); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range s.Releases() {
		if r.TagName == "2.0.0" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d drafts for 2.0.0", n)
	}
}

func TestBadToken(t *testing.T) {
	s := ghapi.Start(t, "mozilla-services/kinto-dist", "t0ken")
	_, _, err := client(s, "wrong-s3cret").EnsureDraft(context.Background(), "1.0.0", "1.0.0", "n")
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized: Bad credentials (check the token)") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v", err)
	}
	if _, _, err := client(s, "").EnsureDraft(context.Background(), "1.0.0", "1.0.0", "n"); err == nil {
		t.Fatal("no token accepted")
	}
}

// TestCheckRepository: the check a release runs before tagging. Every
// refusal names the repository and what to fix, and never the token.
func TestCheckRepository(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := ghapi.Start(t, "mozilla-services/kinto-dist", "t0ken")
	if err := client(s, "t0ken").CheckRepository(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Requests(); len(got) != 1 || got[0] != "GET /repos/mozilla-services/kinto-dist" {
		t.Errorf("requests: %v", got)
	}

	check := func(c *Client, status int, want ...string) {
		t.Helper()
		err := c.CheckRepository(ctx)
		var ae *AccessError
		if !errors.As(err, &ae) || ae.Status != status || ae.Repo != c.Repo {
			t.Fatalf("want an AccessError %d, got %v", status, err)
		}
		var api *APIError
		if !errors.As(err, &api) || api.Status != status {
			t.Errorf("no APIError %d inside: %v", status, err)
		}
		for _, w := range append(want, c.Repo) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q not in %v", w, err)
			}
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the token is shown: %v", err)
		}
	}
	bad := client(s, "wrong-s3cret")
	bad.TokenEnv = "GITHUB_TOKEN"
	check(bad, 401, "GitHub rejected the token in GITHUB_TOKEN", "401 Unauthorized: Bad credentials", "wrong, expired or revoked")

	s.Forbid("sso-s3cret", "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.")
	check(client(s, "sso-s3cret"), 403, "refused the token access", "SAML", "lacks access")

	other := client(s, "t0ken")
	other.Repo = "mozilla-services/no-such-repo"
	check(other, 404, "GitHub repository mozilla-services/no-such-repo not found at "+s.URL, "github.repository", "lacks access")

	// No token: refused without a request.
	n := len(s.Requests())
	noTok := client(s, "")
	noTok.TokenEnv = "DIST_GH_TOKEN"
	if err := noTok.CheckRepository(ctx); !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "set DIST_GH_TOKEN") {
		t.Errorf("no token: %v", err)
	}
	if len(s.Requests()) != n {
		t.Error("a request was sent without a token")
	}

	// A 5xx is retried.
	s.FailNext(2)
	if err := client(s, "t0ken").CheckRepository(ctx); err != nil {
		t.Errorf("after two 500s: %v", err)
	}
}
