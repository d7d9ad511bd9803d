package github

import (
	"context"
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
