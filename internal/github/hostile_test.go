package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTimeout: an API that never answers fails each request after the
// client's timeout instead of hanging.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &Client{API: srv.URL, Repo: "o/r", Token: "t0ken", Wait: time.Millisecond, Timeout: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- c.CheckRepository(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("got %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("hung")
	}
}

// TestAPIURLPasswordNeverPrinted: a password in github.api_url is shown
// in no error, whether the URL parses or not.
func TestAPIURLPasswordNeverPrinted(t *testing.T) {
	for _, api := range []string{
		"http://user:s3cret@127.0.0.1:1",       // connection refused
		"http://user:s3cret%zz@127.0.0.1:1",    // does not parse
		"http://user:s3cret%2F@127.0.0.1:1/x/", // escaped
	} {
		c := &Client{API: api, Repo: "o/r", Token: "t0ken", Wait: time.Millisecond}
		err := c.CheckRepository(context.Background())
		if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "t0ken") {
			t.Errorf("%s: got %v", api, err)
		}
		_, _, err = c.EnsureDraft(context.Background(), "1.0", "1.0", "notes")
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: got %v", api, err)
		}
	}
}

// TestTokenStaysOnOrigin: a redirect to another port of the same host does
// not carry the token.
func TestTokenStaysOnOrigin(t *testing.T) {
	got := make(chan string, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		w.Write([]byte(`{"full_name":"o/r"}`))
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	c := &Client{API: api.URL, Repo: "o/r", Token: "t0ken", Wait: time.Millisecond}
	if err := c.CheckRepository(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a != "" {
		t.Errorf("the other port got Authorization %q", a)
	}
}
