package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRedactUnparseable(t *testing.T) {
	raw := "https://user:s3cret%zz@example.com/simple"
	if got := Redact(raw); strings.Contains(got, "s3cret") {
		t.Errorf("Redact(%q) = %q", raw, got)
	}
	_, err := newClient(t, 1).Get(context.Background(), raw, nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Get: %v", err)
	}
}

// TestRetryAfterCapped: a day's Retry-After is waited no longer than
// RetryWaitMax, and each retry is logged.
func TestRetryAfterCapped(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "86400")
			http.Error(w, "later", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var logged []string
	c := New(Options{CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond, RetryWaitMax: 50 * time.Millisecond,
		Log: func(f string, a ...any) { mu.Lock(); logged = append(logged, fmt.Sprintf(f, a...)); mu.Unlock() }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	b, _, err := c.GetBytes(ctx, srv.URL, nil)
	if err != nil || string(b) != "ok" {
		t.Fatalf("got %q %v", b, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	mu.Lock()
	defer mu.Unlock()
	var retries []string
	for _, l := range logged {
		if strings.HasPrefix(l, "retrying ") {
			retries = append(retries, l)
		}
	}
	if len(retries) != 1 || !strings.HasPrefix(retries[0], "retrying GET "+srv.URL+" in 50ms ") {
		t.Errorf("logged %q", logged)
	}
}

// TestStalledBody: a server that stops sending after its headers fails
// the transfer after the idle timeout.
func TestStalledBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := New(Options{CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond, IdleTimeout: 200 * time.Millisecond})
	for _, get := range []func() error{
		func() error { _, err := c.Download(context.Background(), srv.URL+"/f.whl", ""); return err },
		func() error { _, _, err := c.GetBytes(context.Background(), srv.URL+"/page", nil); return err },
		func() error { // go-containerregistry's way, through Transport
			resp, err := (&http.Client{Transport: c.Transport()}).Get(srv.URL + "/blob")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = io.ReadAll(resp.Body)
			return err
		},
	} {
		done := make(chan error, 1)
		go func() { done <- get() }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrStalled) {
				t.Errorf("got %v, want ErrStalled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("hung")
		}
	}
}

// TestCredentialsStayOnOrigin: credentials given for one origin are not
// sent to another port of the same host a redirect points at.
func TestCredentialsStayOnOrigin(t *testing.T) {
	got := make(chan string, 2)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		fmt.Fprint(w, "other")
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			got <- r.Header.Get("Authorization")
			fmt.Fprint(w, "same")
			return
		}
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "no auth", 401)
			return
		}
		if r.URL.Path == "/here" {
			http.Redirect(w, r, "/same", http.StatusFound)
			return
		}
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	}))
	defer first.Close()
	u, _ := url.Parse(first.URL)
	u.User = url.UserPassword("u", "s3cret")
	c := newClient(t, 2)
	if b, _, err := c.GetBytes(context.Background(), u.String()+"/away", nil); err != nil || string(b) != "other" {
		t.Fatalf("got %q %v", b, err)
	}
	if a := <-got; a != "" {
		t.Errorf("the other port got Authorization %q", a)
	}
	if b, _, err := c.GetBytes(context.Background(), u.String()+"/here", nil); err != nil || string(b) != "same" {
		t.Fatalf("got %q %v", b, err)
	}
	if a := <-got; a == "" {
		t.Errorf("the same origin lost Authorization")
	}
}

func TestSameOrigin(t *testing.T) {
	p := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"https://h/x", "https://h:443/y", true},
		{"https://h/x", "http://h/x", false},
		{"http://h:1/x", "http://h:2/x", false},
		{"http://H:1/x", "http://h:1/y", true},
	} {
		if got := SameOrigin(p(c.a), p(c.b)); got != c.want {
			t.Errorf("SameOrigin(%s, %s) = %v", c.a, c.b, got)
		}
	}
}
