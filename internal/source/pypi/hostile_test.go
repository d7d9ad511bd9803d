package pypi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// TestPageTooLarge: a project page over the cap is refused with a clear
// error, not read into memory whole.
func TestPageTooLarge(t *testing.T) {
	old := maxPage
	maxPage = 1 << 10
	defer func() { maxPage = old }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>")
		fmt.Fprint(w, strings.Repeat("<!-- padding -->", 1000))
	}))
	defer srv.Close()
	_, _, err := New(client(t), srv.URL+"/simple", Options{}).Versions(context.Background(), "big")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v", err)
	}
}

// TestCredentialsOnlyForIndexOrigin: the index's credentials go with its
// own files, not with a file on another port of the same host, whether
// linked to directly or reached by a redirect.
func TestCredentialsOnlyForIndexOrigin(t *testing.T) {
	auth := make(chan string, 4)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth <- r.Header.Get("Authorization")
		fmt.Fprint(w, "wheel bytes")
	}))
	defer other.Close()
	index := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); !ok {
			http.Error(w, "no auth", 401)
			return
		}
		switch r.URL.Path {
		case "/simple/demo/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<a href="%s/files/demo-1.0-py3-none-any.whl">demo-1.0-py3-none-any.whl</a>`, other.URL)
			fmt.Fprint(w, `<a href="/redirect/demo-2.0-py3-none-any.whl">demo-2.0-py3-none-any.whl</a>`)
		case "/redirect/demo-2.0-py3-none-any.whl":
			http.Redirect(w, r, other.URL+"/files/demo-2.0-py3-none-any.whl", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer index.Close()
	u, _ := url.Parse(index.URL + "/simple")
	u.User = url.UserPassword("u", "s3cret")
	src := New(client(t), u.String(), Options{})
	for _, v := range []string{"1.0", "2.0"} {
		rel, err := src.Release(context.Background(), "demo", v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Rehash(context.Background(), rel); err != nil {
			t.Fatal(err)
		}
		if a := <-auth; a != "" {
			t.Errorf("%s: the other port got Authorization %q", v, a)
		}
	}
}

// TestIndexRetryAfterCapped: an index answering 429 and 503 with
// "Retry-After: 86400" is retried after a capped wait, not a day.
func TestIndexRetryAfterCapped(t *testing.T) {
	srv := pyindex.Start(t, kinto())
	c := fetch.New(fetch.Options{CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond})
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		srv.Throttle(2, status, "86400")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, vs, err := New(c, srv.IndexURL(), Options{}).Versions(ctx, "kinto")
		cancel()
		if err != nil || len(vs) == 0 {
			t.Fatalf("%d: %v %v", status, vs, err)
		}
	}
}

// TestIndexStalls: a page or a file that stops coming after its headers
// fails after the idle timeout with a clear error.
func TestIndexStalls(t *testing.T) {
	srv := pyindex.Start(t, kinto())
	c := fetch.New(fetch.Options{CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond, IdleTimeout: 100 * time.Millisecond})
	src := New(c, srv.IndexURL(), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.StallNext(1, 5*time.Second)
	if _, _, err := src.Versions(ctx, "kinto"); !errors.Is(err, fetch.ErrStalled) {
		t.Fatalf("page: %v", err)
	}
	src = New(c, srv.IndexURL(), Options{})
	rel, err := src.Release(ctx, "kinto", "14.3.0")
	if err != nil {
		t.Fatal(err)
	}
	srv.StallNext(1, 5*time.Second)
	if _, err := src.Fetch(ctx, rel, rel.Artifacts[0]); !errors.Is(err, fetch.ErrStalled) || !strings.Contains(err.Error(), "stopped sending") {
		t.Fatalf("file: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("hung until the test's deadline")
	}
}
