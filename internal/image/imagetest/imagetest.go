// Package imagetest holds what the image tests share: the second-opinion
// tools (crane, skopeo), a registry proxy that injects faults and counts
// requests, and small repositories committed with git at a fixed time.
package imagetest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tool finds a command the tests use for a second opinion: on PATH, or
// where `go install` puts it. Without it the test is skipped, except under
// CI=true, where a missing tool is a broken CI setup and fails the test.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	var dirs []string
	for _, v := range []string{"GOBIN", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			continue
		}
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if d == "" {
				continue
			}
			if v == "GOPATH" {
				d = filepath.Join(d, "bin")
			}
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found on PATH or in %s (see .ci/run for how to install it)", name, strings.Join(dirs, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI must install it")
	}
	t.Skip(msg)
	return ""
}

// Run runs a command and returns its combined output; a failure fails the
// test with that output.
func Run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// WriteFiles writes files (path → content) under dir; a path ending in
// "*" is made executable (the star is dropped), a content starting with
// "-> " makes a symlink.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, "*") {
			p, mode = strings.TrimSuffix(p, "*"), 0o755
		}
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// Commit commits everything in dir (running git init first if needed),
// with author and committer time when, and returns the commit hash.
func Commit(t testing.TB, dir string, when time.Time) string {
	t.Helper()
	date := when.Format(time.RFC3339)
	env := []string{
		"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date,
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.org",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.org",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		Run(t, dir, env, "git", "init", "-q", "-b", "main")
	}
	Run(t, dir, env, "git", "add", "-A")
	Run(t, dir, env, "git", "commit", "-q", "--allow-empty", "-m", "commit")
	return strings.TrimSpace(Run(t, dir, env, "git", "rev-parse", "HEAD"))
}

// Fault is what the proxy does to a blob upload.
type Fault int

// The faults a Proxy can inject into blob uploads (PATCH requests).
const (
	// Fail500 answers 500 without passing the request on.
	Fail500 Fault = iota
	// Fail500After passes the request on, so the registry has the bytes,
	// then answers 500 anyway.
	Fail500After
	// Drop reads part of the upload and closes the connection.
	Drop
)

// Proxy sits in front of a registry, counts requests by kind and injects
// faults into blob uploads.
type Proxy struct {
	// Host is the proxy's "127.0.0.1:port".
	Host string

	mu     sync.Mutex
	counts map[string]int
	faults []Fault
	next   http.Handler
}

// NewProxy proxies to the registry at host ("127.0.0.1:port").
func NewProxy(t testing.TB, host string) *Proxy {
	t.Helper()
	target, err := url.Parse("http://" + host)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p.next = rp
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// FailNext makes the next blob uploads fail, one fault each.
func (p *Proxy) FailNext(faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, faults...)
}

// Count returns how many requests of a kind went through: "upload-start"
// (POST), "upload-data" (PATCH), "upload-commit" (PUT), "blob-get",
// "blob-head", "manifest-get", "manifest-head", "manifest-put", "other".
func (p *Proxy) Count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[kind]
}

// Reset zeroes the counts.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
}

func kind(r *http.Request) string {
	switch {
	case strings.Contains(r.URL.Path, "/blobs/uploads"):
		switch r.Method {
		case http.MethodPost:
			return "upload-start"
		case http.MethodPatch:
			return "upload-data"
		}
		return "upload-commit"
	case strings.Contains(r.URL.Path, "/blobs/"):
		return "blob-" + strings.ToLower(r.Method)
	case strings.Contains(r.URL.Path, "/manifests/"):
		return "manifest-" + strings.ToLower(r.Method)
	}
	return "other"
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := kind(r)
	p.mu.Lock()
	p.counts[k]++
	var fault *Fault
	if k == "upload-data" && len(p.faults) > 0 {
		f := p.faults[0]
		p.faults = p.faults[1:]
		fault = &f
	}
	p.mu.Unlock()
	if fault == nil {
		p.next.ServeHTTP(w, r)
		return
	}
	switch *fault {
	case Fail500:
		io.Copy(io.Discard, r.Body)
		http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}`, http.StatusInternalServerError)
	case Fail500After:
		rec := httptest.NewRecorder()
		p.next.ServeHTTP(rec, r)
		http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected failure after the upload"}]}`, http.StatusInternalServerError)
	case Drop:
		io.CopyN(io.Discard, r.Body, 512)
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("imagetest: cannot hijack")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				// A reset, not a clean close: what a dropped link looks like.
				tc.SetLinger(0)
			}
			conn.Close()
		}
	}
}

// Contains fails the test unless out contains every one of want.
func Contains(t testing.TB, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !bytes.Contains([]byte(out), []byte(w)) {
			t.Errorf("output does not contain %q:\n%s", w, out)
		}
	}
}
