package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newClient(t *testing.T, jobs int) *Client {
	return New(Options{Jobs: jobs, CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond})
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestRetriesThenSucceeds(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "boom", 503)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	b, _, err := newClient(t, 2).GetBytes(context.Background(), srv.URL, nil)
	if err != nil || string(b) != "ok" || n.Load() != 3 {
		t.Fatalf("got %q %v after %d requests", b, err, n.Load())
	}
}

func TestGivesUpWithStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", 500) }))
	defer srv.Close()
	_, _, err := newClient(t, 2).GetBytes(context.Background(), srv.URL+"/a", nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 500 || err.Error() != srv.URL+"/a: 500 Internal Server Error" {
		t.Fatalf("got %v", err)
	}
	srv404 := httptest.NewServer(http.NotFoundHandler())
	defer srv404.Close()
	if _, _, err := newClient(t, 2).GetBytes(context.Background(), srv404.URL, nil); !IsNotFound(err) {
		t.Fatalf("404: %v", err)
	}
}

// TestOneLimit: however many goroutines ask, no more than Jobs transfers
// are in flight, and a slot is held until the body is closed.
func TestOneLimit(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cur.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		fmt.Fprint(w, r.URL.Path)
	}))
	defer srv.Close()
	c := newClient(t, 3)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Go(func() {
			if _, _, err := c.GetBytes(context.Background(), fmt.Sprintf("%s/%d", srv.URL, i), nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() > 3 || peak.Load() < 2 {
		t.Errorf("peak in flight %d, limit 3", peak.Load())
	}
}

// TestErrorAnswerFreesItsSlot: under a limit of one, a caller that gets a
// 404 and asks again before closing the first body (go-containerregistry's
// referrers lookup falls back to the sha256-<hex> tag that way) is not
// left waiting for its own slot; a transfer's body still holds its slot.
func TestErrorAnswerFreesItsSlot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		// A transfer: longer than what an answer may be to give its slot
		// back at once.
		w.Write(bytes.Repeat([]byte("x"), maxHeldBody+1))
	}))
	defer srv.Close()
	c := newClient(t, 1)
	hc := &http.Client{Transport: c.Transport()}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp
	}
	first := get("/missing")
	if b, _ := io.ReadAll(first.Body); first.StatusCode != 404 || !strings.Contains(string(b), "not found") {
		t.Errorf("404 body %q", b)
	}
	second := get("/found") // would block for ever if the 404 held the slot
	defer first.Body.Close()
	blocked, bctx := make(chan struct{}), ctx
	go func() {
		defer close(blocked)
		short, cancel := context.WithTimeout(bctx, 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(short, http.MethodGet, srv.URL+"/found", nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			t.Error("a third request got a slot while a transfer was open under --jobs 1")
		}
	}()
	<-blocked
	second.Body.Close()
}

func TestDownloadCache(t *testing.T) {
	body := []byte("wheel bytes")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(body)
	}))
	defer srv.Close()
	c := newClient(t, 2)
	ctx := context.Background()
	p, err := c.Download(ctx, srv.URL+"/f.whl", digest(body))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(body) {
		t.Fatalf("cached %q", b)
	}
	// By digest and by URL: no second request.
	if _, err := c.Download(ctx, srv.URL+"/other-name.whl", digest(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Download(ctx, srv.URL+"/g.zip", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Download(ctx, srv.URL+"/g.zip", ""); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 2 {
		t.Errorf("%d requests, want 2", hits.Load())
	}
	// A mismatch names both digests and caches nothing under the wanted one.
	want := digest([]byte("something else"))
	_, err = c.Download(ctx, srv.URL+"/h.whl", want)
	var me *HashMismatchError
	if !errors.As(err, &me) || me.Got != digest(body) || me.Want != want {
		t.Fatalf("mismatch: %v", err)
	}
	if _, ok := c.Cache().Lookup(want); ok {
		t.Error("mismatched bytes cached under the wanted digest")
	}
	left, _ := filepath.Glob(filepath.Join(c.Cache().Dir, ".part-*"))
	if len(left) > 0 {
		t.Errorf("partial files left: %v", left)
	}
}

func TestCredentialsNeverShown(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		auth.Store(u + ":" + p)
		http.Error(w, "nope", 500)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
	_, _, err := newClient(t, 1).GetBytes(context.Background(), u+"/simple/", nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error shows the password: %v", err)
	}
	if auth.Load() != "alice:s3cret" {
		t.Errorf("server saw %v", auth.Load())
	}
	if got := Redact("https://bob:pw@example.org/x"); got != "https://bob@example.org/x" {
		t.Errorf("Redact: %s", got)
	}
}

func TestNetrc(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		auth.Store(u + ":" + p)
	}))
	defer srv.Close()
	rc := filepath.Join(t.TempDir(), "netrc")
	os.WriteFile(rc, []byte("machine 127.0.0.1 login carol password hunter2\n"), 0o600)
	c := New(Options{Jobs: 1, CacheDir: t.TempDir(), Netrc: rc})
	if _, _, err := c.GetBytes(context.Background(), srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	if auth.Load() != "carol:hunter2" {
		t.Errorf("server saw %v", auth.Load())
	}

	// The library reads no NETRC (nor ~/.netrc): the CLI passes the path.
	t.Setenv("NETRC", rc)
	t.Setenv("HOME", filepath.Dir(rc))
	os.WriteFile(filepath.Join(filepath.Dir(rc), ".netrc"), []byte("machine 127.0.0.1 login carol password hunter2\n"), 0o600)
	if _, _, err := newClient(t, 1).GetBytes(context.Background(), srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	if auth.Load() != ":" {
		t.Errorf("without Options.Netrc the server saw %v", auth.Load())
	}
}

func TestDownloadFileURL(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, "wheel house", "demo-1.0-py3-none-any.whl")
	os.MkdirAll(filepath.Dir(local), 0o755)
	body := []byte("built elsewhere")
	if err := os.WriteFile(local, body, 0o644); err != nil {
		t.Fatal(err)
	}
	u := FileURL(local)
	if !strings.HasPrefix(u, "file:///") || !strings.Contains(u, "wheel%20house") {
		t.Errorf("FileURL: %s", u)
	}
	c := newClient(t, 1)
	ctx := context.Background()

	p, err := c.Download(ctx, u, digest(body))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Cache().Lookup(digest(body)); !ok || got != p {
		t.Errorf("not in the cache under its digest: %s, %v", got, ok)
	}
	if b, _ := os.ReadFile(p); string(b) != string(body) {
		t.Fatalf("cached %q", b)
	}

	// The file changes: a wanted digest that bytes match is still served
	// from the cache, other bytes are a mismatch naming their digest, and
	// without a digest the file is read again.
	changed := []byte("rebuilt")
	os.WriteFile(local, changed, 0o644)
	if _, err := c.Download(ctx, u, digest(body)); err != nil {
		t.Fatal(err)
	}
	want := digest([]byte("neither"))
	_, err = c.Download(ctx, u, want)
	var me *HashMismatchError
	if !errors.As(err, &me) || me.Got != digest(changed) || !strings.Contains(err.Error(), local) {
		t.Fatalf("mismatch: %v", err)
	}
	p, err = c.Download(ctx, u, "")
	if b, _ := os.ReadFile(p); err != nil || string(b) != string(changed) {
		t.Fatalf("without a digest: %q, %v", b, err)
	}
	os.WriteFile(local, body, 0o644)
	p, err = c.Download(ctx, "file://localhost"+strings.TrimPrefix(u, "file://"), "")
	if b, _ := os.ReadFile(p); err != nil || string(b) != string(body) {
		t.Fatalf("file://localhost: %q, %v", b, err)
	}

	if _, err := c.Download(ctx, FileURL(filepath.Join(dir, "missing.whl")), ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := c.Download(ctx, "file://elsewhere.example/x.whl", ""); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Errorf("remote host: %v", err)
	}
}

// The cache is where Options says: DIST_CACHE_DIR is the CLI's to read
// and pass in, and this package does not read it behind the caller's back.
func TestCacheDirIsPassedIn(t *testing.T) {
	fromEnv := t.TempDir()
	t.Setenv("DIST_CACHE_DIR", fromEnv)
	if d := DefaultCacheDir(); d == fromEnv {
		t.Errorf("DefaultCacheDir read DIST_CACHE_DIR: %s", d)
	}
	passed := t.TempDir()
	if d := New(Options{CacheDir: passed}).cache.Dir; d != passed {
		t.Errorf("cache in %s, want %s", d, passed)
	}
}
