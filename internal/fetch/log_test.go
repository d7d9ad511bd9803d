package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logger collects what a Client logs.
type logger struct {
	mu    sync.Mutex
	lines []string
}

func (l *logger) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logger) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// want fails unless the log holds, in order, a line matching each pattern.
func (l *logger) want(t *testing.T, patterns ...string) {
	t.Helper()
	lines := l.all()
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile("^" + p + "$")
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("no line matches %q after the previous one; logged:\n%s", p, strings.Join(lines, "\n"))
		}
		i++
	}
}

func loggedClient(t *testing.T, l *logger) *Client {
	return New(Options{Jobs: 2, CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond, Log: l.logf})
}

func TestLogRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var l logger
	if _, _, err := loggedClient(t, &l).GetBytes(context.Background(), srv.URL+"/old", nil); err != nil {
		t.Fatal(err)
	}
	u := regexp.QuoteMeta(srv.URL)
	l.want(t, "GET "+u+"/old 302 \\d+ms", "GET "+u+"/new 200 \\d+ms")
	if n := len(l.all()); n != 2 {
		t.Errorf("%d lines, want 2: %q", n, l.all())
	}
}

func TestLogRetry(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var l logger
	if _, _, err := loggedClient(t, &l).GetBytes(context.Background(), srv.URL+"/x", nil); err != nil {
		t.Fatal(err)
	}
	u := regexp.QuoteMeta(srv.URL)
	l.want(t,
		"GET "+u+"/x 503 \\d+ms",
		"retrying GET "+u+"/x in 1ms \\(attempt 2 of 4\\): 503 Service Unavailable",
		"GET "+u+"/x 200 \\d+ms",
	)

	// A connection error: the reason is the error; the last attempt is
	// not followed by a retry line.
	var l2 logger
	c := New(Options{CacheDir: t.TempDir(), Retries: 1, RetryWaitMin: time.Millisecond, Log: l2.logf})
	if _, _, err := c.GetBytes(context.Background(), "http://127.0.0.1:1/y", nil); err == nil {
		t.Fatal("no error from a closed port")
	}
	l2.want(t,
		"GET http://127.0.0.1:1/y: .*connection refused \\(\\d+ms\\)",
		"retrying GET http://127.0.0.1:1/y in 1ms \\(attempt 2 of 2\\): .*connection refused",
		"GET http://127.0.0.1:1/y: .*connection refused \\(\\d+ms\\)",
	)
	if n := len(l2.all()); n != 3 {
		t.Errorf("%d lines, want 3: %q", n, l2.all())
	}
}

func TestLogCacheHit(t *testing.T) {
	body := []byte("wheel")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	var l logger
	c := loggedClient(t, &l)
	for _, want := range []string{digest(body), digest(body), "", ""} {
		if _, err := c.Download(context.Background(), srv.URL+"/f.whl", want); err != nil {
			t.Fatal(err)
		}
	}
	u := regexp.QuoteMeta(srv.URL)
	l.want(t, "GET "+u+"/f.whl 200 \\d+ms", "cache hit "+u+"/f.whl", "GET "+u+"/f.whl 200 \\d+ms", "cache hit "+u+"/f.whl")
	if n := len(l.all()); n != 4 {
		t.Errorf("%d lines, want 4: %q", n, l.all())
	}
}

// TestLogNoCredentials: a password in a URL, in ~/.netrc or in a
// redirect's presigned query never reaches the log.
func TestLogNoCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/blob" {
			http.Redirect(w, r, "/signed?X-Amz-Signature=s1gnature&X-Amz-Credential=AKIAKEY&access_token=t0ken&digest=sha256:ab", http.StatusTemporaryRedirect)
			return
		}
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var l logger
	c := loggedClient(t, &l)
	withPass := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1)
	ctx := context.Background()
	if _, _, err := c.GetBytes(ctx, withPass+"/blob", nil); err != nil {
		t.Fatal(err)
	}
	c.GetBytes(ctx, withPass+"/fail", nil)
	if _, err := c.Download(ctx, withPass+"/file", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Download(ctx, withPass+"/file", ""); err != nil {
		t.Fatal(err)
	}
	log := strings.Join(l.all(), "\n")
	for _, secret := range []string{"s3cret", "s1gnature", "AKIAKEY", "t0ken"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows %s:\n%s", secret, log)
		}
	}
	u := regexp.QuoteMeta(srv.URL)
	l.want(t,
		"GET "+u+"/signed\\?X-Amz-Signature=\\*\\*\\*&X-Amz-Credential=\\*\\*\\*&access_token=\\*\\*\\*&digest=sha256:ab 200 \\d+ms",
		"retrying GET "+u+"/fail in \\d+ms \\(attempt 2 of 4\\): 502 Bad Gateway",
		"cache hit http://alice@127\\.0\\.0\\.1:\\d+/file",
	)
}

func TestLogURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:p@h/x?a=1&Signature=zz":                          "https://u@h/x?a=1&Signature=***",
		"https://h/x?sig=1&api%5Fkey=2&k":                           "https://h/x?sig=***&api%5Fkey=***&k",
		"https://h/v2/r/blobs/uploads/x?_state=abc&digest=sha256:1": "https://h/v2/r/blobs/uploads/x?_state=abc&digest=sha256:1",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := LogURL(u); got != want {
			t.Errorf("LogURL(%s) = %s, want %s", in, got, want)
		}
	}
}
