package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/testenv/fixtures"
	"github.com/distbuild/dist/internal/testenv/pyindex"
	"github.com/distbuild/dist/internal/textdiff"
	"github.com/distbuild/dist/internal/tour"
)

// The addresses README.md's examples use: where its readers start the test
// index and a registry. The tour serves both there when it can, and on free
// ports otherwise (so that it can run beside anything), translating.
const (
	readmeIndexAddr    = "127.0.0.1:8765"
	readmeRegistryPort = "5000"
)

// What the tour copies from this repository into its stand-in for the
// reader's clone (~/dist, the directory of `<!-- tour: in clone -->`): the
// files README.md's commands there read.
var readmeCloneFiles = []string{"dist.yaml", "VERSION", "CHANGELOG.md", "lockfiles", "templates", "config", "testdata/kinto-dist"}

// TestREADME runs every console example of README.md in order, in one
// shell, as a reader would type them, and compares what each command prints
// (stdout and stderr together, and its exit code) with what README.md shows,
// modulo hashes, dates, ports, durations and sizes (see package tour).
//
// The reader's machine is a temporary HOME holding a copy of this
// repository's distribution files and testdata/kinto-dist (the "clone"
// directory of `<!-- tour: in clone -->`); the test index serves the Kinto
// fixture and an in-process registry stands for the one README.md has the
// reader start, on README.md's 127.0.0.1:8765 and localhost:5000 when those
// are free, else on free ports that the tour writes as those. Blocks marked `network` need the Go
// module proxy (go-httpbin's module) and run only with DIST_TEST_NETWORK=1.
//
// UPDATE_README=1 rewrites README.md's outputs from this run instead of
// failing (make readme-update).
func TestREADME(t *testing.T) {
	readme, err := filepath.Abs(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := tour.ParseFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("UPDATE_README") != ""
	network := os.Getenv("DIST_TEST_NETWORK") == "1"

	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	clone := filepath.Join(home, "dist")
	scratch := filepath.Join(tmp, "scratch")
	for _, d := range []string{home, scratch, filepath.Join(tmp, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	idx, err := pyindex.New(fixtures.KintoProjects()...)
	if err != nil {
		t.Fatal(err)
	}
	hs := serveOn(readmeIndexAddr, idx)
	defer hs.Close()
	u, err := url.Parse(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	rs := serveOn("127.0.0.1:"+readmeRegistryPort, ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer rs.Close()
	reg := strings.TrimPrefix(rs.URL, "http://")
	_, regPort, err := net.SplitHostPort(reg)
	if err != nil {
		t.Fatal(err)
	}
	addrs := tour.Aliases{
		{Shown: readmeIndexAddr, Real: u.Host},
		{Shown: "127.0.0.1:" + readmeRegistryPort, Real: reg},
		{Shown: "localhost:" + readmeRegistryPort, Real: "localhost:" + regPort},
	}
	// Outputs also show the home directory as ~ and the temporary one as /tmp.
	shown := append(tour.Aliases{{Shown: "~", Real: home}, {Shown: "/tmp", Real: filepath.Join(tmp, "tmp")}}, addrs...)

	for _, name := range readmeCloneFiles {
		if err := copyTree(filepath.Join("..", "..", name), filepath.Join(clone, name), addrs); err != nil {
			t.Fatal(err)
		}
	}

	sh, err := tour.StartShell(home, scratch, readmeEnv(t, tmp, home))
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()

	results := map[*tour.Command]tour.Result{}
	failed := false
	for _, b := range f.Blocks {
		switch {
		case b.Skip != "":
			t.Logf("README.md:%d: skipped: %s", b.Line, b.Skip)
			continue
		case b.Network && !network:
			t.Logf("README.md:%d: skipped: needs the Go module proxy (set DIST_TEST_NETWORK=1)", b.Line)
			continue
		}
		dir := b.Dir
		if dir == "clone" {
			dir = clone
		}
		if out, code, err := sh.Run("cd "+dir, 10*time.Second); err != nil || code != 0 {
			t.Fatalf("README.md:%d: cd %s: %v %s", b.Line, b.Dir, err, out)
		}
		for _, c := range b.Commands {
			out, code, err := sh.Run(addrs.ToReal(c.Text), 5*time.Minute)
			if err != nil {
				t.Fatalf("README.md:%d: $ %s: %v", c.Line, c.Text, err)
			}
			got := tour.Result{Output: outputLines(shown.ToShown(out)), Exit: code}
			ok, lines := c.Check(got)
			results[c] = tour.Result{Output: lines, Exit: code}
			if !ok && update && slices.ContainsFunc(c.Want, func(l string) bool { return strings.TrimSpace(l) == tour.Ellipsis }) {
				t.Logf("README.md:%d: $ %s: the output changed, and is written whole: put its ... back where lines are better left out", c.Line, c.Text)
			}
			if !ok && !update {
				failed = true
				t.Errorf("README.md:%d: $ %s\n%s", c.Line, c.Text, textdiff.Unified("README.md", withExit(c.Want, c.WantExit), withExit(got.Output, got.Exit)))
			}
		}
	}
	if update {
		data := f.Update(results)
		old, err := os.ReadFile(readme)
		if err != nil {
			t.Fatal(err)
		}
		if string(old) == string(data) {
			t.Log("README.md is up to date")
			return
		}
		if err := atomicfile.WriteFile(readme, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote README.md's outputs:\n%s", textdiff.Unified("README.md", string(old), string(data)))
	} else if failed {
		t.Log("if the new outputs are right, UPDATE_README=1 (make readme-update) writes them into README.md")
	}
}

// serveOn serves h on addr, README.md's address, when it is free, and on a
// free port otherwise. On README.md's own addresses the copies' dist.yaml
// files, and so their commits, are the same from run to run, and
// make readme-update changes no commit in README.md.
func serveOn(addr string, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	if ln, err := net.Listen("tcp", addr); err == nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	return srv
}

// readmeEnv is the tour shell's whole environment: a reader's, with a fresh
// home, a fixed identity and dates, and the go command's settings carried
// over from this one (a new HOME would otherwise move its caches and lose
// its go env file).
func readmeEnv(t *testing.T, tmp, home string) []string {
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + filepath.Join(tmp, "tmp"),
		"LC_ALL=C", "TZ=UTC", "TERM=dumb", "NO_COLOR=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Jane Doe", "GIT_AUTHOR_EMAIL=jane@example.org",
		"GIT_COMMITTER_NAME=Jane Doe", "GIT_COMMITTER_EMAIL=jane@example.org",
		"GIT_AUTHOR_DATE=2026-11-22T10:00:00Z", "GIT_COMMITTER_DATE=2026-11-22T10:00:00Z",
		"DIST_TODAY=2026-11-22",
		"DIST_CACHE_DIR=" + filepath.Join(tmp, "cache"),
	}
	out, err := exec.Command("go", "env", "-json").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goenv map[string]string
	if err := json.Unmarshal(out, &goenv); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOFLAGS", "GOTOOLCHAIN", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE"} {
		if v := goenv[k]; v != "" {
			env = append(env, k+"="+v)
		}
	}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// copyTree copies a file or directory, with each Shown text of as replaced
// by its Real one (README.md's addresses by the tour's).
func copyTree(src, dst string, as tour.Aliases) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, []byte(as.ToReal(string(data))), info.Mode().Perm())
	})
}

// outputLines splits a command's output into lines without trailing
// blanks, and drops the blank lines at its end.
func outputLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if strings.TrimSpace(s) == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func withExit(lines []string, exit int) string {
	s := strings.Join(lines, "\n") + "\n"
	if exit != 0 {
		s += fmt.Sprintf("[%d]\n", exit)
	}
	return s
}
