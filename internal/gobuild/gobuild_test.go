package gobuild

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/source/gomod"
	"github.com/distbuild/dist/internal/testenv/goproxy"
)

var ctx = context.Background()

// The test server: a real HTTP server in example.com/server, with its
// JSON answer built in example.com/lib, which needs example.com/util.
// example.com/tools is required but never imported, so it is pinned and
// not linked. lib's go 1.23 is above server's go 1.22, so the build module
// must raise its go directive; server's godebug line must survive.
var modules = []goproxy.Module{
	{Path: "example.com/server", Version: "v1.0.0", Files: map[string]string{
		"go.mod": `module example.com/server

go 1.22

godebug panicnil=1

require (
	example.com/lib v1.1.0
	example.com/tools v1.0.0
)

require example.com/util v0.3.0 // indirect
`,
		"cmd/server/main.go": `package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"example.com/lib"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening on", ln.Addr())
	http.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(lib.Get(r.URL.Query()))
	})
	fmt.Fprintln(os.Stderr, http.Serve(ln, nil))
}
`,
	}},
	{Path: "example.com/lib", Version: "v1.1.0", Go: "1.23", Requires: []string{"example.com/util v0.3.0"}, Files: map[string]string{
		"lib.go": `package lib

import (
	"encoding/json"
	"net/url"

	"example.com/util"
)

// Get answers GET /get.
func Get(args url.Values) []byte {
	b, _ := json.Marshal(map[string]any{"args": args, "server": util.Name()})
	return b
}
`,
	}},
	{Path: "example.com/util", Version: "v0.3.0", Files: map[string]string{
		"util.go": "package util\n\nfunc Name() string { return \"dist-test\" }\n",
	}},
	{Path: "example.com/tools", Version: "v1.0.0"},
	{Path: "example.com/broken", Version: "v1.0.0", Files: map[string]string{
		"cmd/broken/main.go": "package main\n\nfunc main() { undefinedThing() }\n",
	}},
}

const serverMain = "example.com/server/cmd/server"

var serverPins = []module.Version{
	{Path: "example.com/lib", Version: "v1.1.0"},
	{Path: "example.com/server", Version: "v1.0.0"},
	{Path: "example.com/tools", Version: "v1.0.0"},
	{Path: "example.com/util", Version: "v0.3.0"},
}

func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
}

func newSource(t *testing.T, env gomod.Env) *gomod.Source {
	t.Helper()
	return gomod.New(fetch.New(fetch.Options{CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond}), env)
}

// lock writes a lockfile pinning mods with the hashes the proxy serves now.
func lock(t *testing.T, s *gomod.Source, mods ...module.Version) *lockfile.File {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test lockfile\n")
	for _, m := range mods {
		rel, err := s.Release(ctx, m.Path, m.Version)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s==%s \\\n    --hash=%s\n", m.Path, m.Version, rel.Artifacts[0].Hash)
	}
	f, err := lockfile.Parse("lockfiles/go.txt", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// modCache is an empty module cache, removable once the test ends (the go
// command makes the extracted modules read-only).
func modCache(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	return filepath.Join(dir, "mod")
}

// options builds against p with a fresh module cache and work directory.
// The build cache is the user's, as in any `go test`: a fresh one would
// compile the standard library again for every build.
func options(t *testing.T, s *gomod.Source, lf *lockfile.File, main string) Options {
	t.Helper()
	return Options{
		Lockfile:   lf,
		Main:       main,
		Source:     s,
		WorkDir:    t.TempDir(),
		Output:     filepath.Join(t.TempDir(), "bin", ExecName(main)),
		GOMODCACHE: modCache(t),
	}
}

type fixture struct {
	proxy *goproxy.Proxy
	src   *gomod.Source
	lock  *lockfile.File
}

func setup(t *testing.T) fixture {
	t.Helper()
	needGo(t)
	p := goproxy.Start(t, modules...)
	s := newSource(t, gomod.Env{GOPROXY: p.URL, GOSUMDB: p.SumDB})
	return fixture{proxy: p, src: s, lock: lock(t, s, serverPins...)}
}

func TestBuildRunsServer(t *testing.T) {
	f := setup(t)
	opts := options(t, f.src, f.lock, serverMain)
	res, err := Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Binary != opts.Output {
		t.Errorf("Binary = %s, want %s", res.Binary, opts.Output)
	}
	data, err := os.ReadFile(res.Binary)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	if res.SHA256 != "sha256:"+hex.EncodeToString(h[:]) || res.Size != int64(len(data)) {
		t.Errorf("SHA256 %s Size %d do not describe the file", res.SHA256, res.Size)
	}

	// Linked: lib, server, util with their pinned hashes; tools is pinned
	// but nothing imports it.
	var want []Module
	for _, e := range f.lock.Entries() {
		if e.Name != "example.com/tools" {
			want = append(want, Module{Path: e.Name, Version: e.Version, Sum: e.Hashes[0]})
		}
	}
	if !reflect.DeepEqual(res.Modules, want) {
		t.Errorf("Modules =\n%v\nwant\n%v", res.Modules, want)
	}
	if res.GoVersion != runtime.Version() {
		t.Errorf("GoVersion = %s, want %s", res.GoVersion, runtime.Version())
	}
	for _, s := range []string{"module dist.local/build", "\ngo 1.23\n", "panicnil=1", "example.com/tools v1.0.0"} {
		if !strings.Contains(string(res.GoMod), s) {
			t.Errorf("go.mod lacks %q:\n%s", s, res.GoMod)
		}
	}
	info, err := buildinfo.ReadFile(res.Binary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info.String(), "panicnil=1") {
		t.Errorf("the main module's godebug line did not reach the binary:\n%s", info)
	}

	addr := startServer(t, res.Binary, "-addr", "127.0.0.1:0")
	resp, err := http.Get("http://" + addr + "/get?answer=42")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Args   map[string][]string
		Server string
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body.Server != "dist-test" || body.Args["answer"][0] != "42" {
		t.Errorf("GET /get: %s %+v", resp.Status, body)
	}
}

// startServer runs the test server and returns the address it printed.
func startServer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("server said %q (%v)", line, err)
	}
	return addr
}

func TestBuildCrossArm64(t *testing.T) {
	f := setup(t)
	opts := options(t, f.src, f.lock, serverMain)
	opts.GOOS, opts.GOARCH = "linux", "arm64"
	res, err := Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(res.Binary)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Machine != elf.EM_AARCH64 {
		t.Errorf("ELF machine %v, want EM_AARCH64", ef.Machine)
	}
}

func TestBuildReproducible(t *testing.T) {
	f := setup(t)
	// Different work directories, module caches and outputs, and a
	// different proxy URL (file:// here), must not show in the bytes.
	a, err := Build(ctx, options(t, f.src, f.lock, serverMain))
	if err != nil {
		t.Fatal(err)
	}
	other := newSource(t, gomod.Env{GOPROXY: f.proxy.FileURL(), GOSUMDB: f.proxy.SumDB + " " + f.proxy.URL + "/sumdb/" + goproxy.SumDBName})
	b, err := Build(ctx, options(t, other, f.lock, serverMain))
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 {
		t.Errorf("two builds of one lockfile differ: %s and %s", a.SHA256, b.SHA256)
	}
	if !bytes.Equal(a.GoMod, b.GoMod) || !bytes.Equal(a.GoSum, b.GoSum) {
		t.Errorf("two builds of one lockfile wrote different build modules")
	}
}

func TestBuildErrors(t *testing.T) {
	f := setup(t)
	withoutUtil := lock(t, f.src, serverPins[0], serverPins[1], serverPins[2])
	for _, tc := range []struct {
		name  string
		lock  *lockfile.File
		main  string
		is    error
		wants []string
	}{
		{"unpinned", withoutUtil, serverMain, ErrNotPinned,
			[]string{"example.com/util v0.3.0", "provides package example.com/util, imported by example.com/lib", "lockfiles/go.txt does not pin"}},
		{"broken", lock(t, f.src, module.Version{Path: "example.com/broken", Version: "v1.0.0"}), "example.com/broken/cmd/broken", ErrBuildFailed,
			[]string{"go build failed", "example.com/broken@v1.0.0/cmd/broken/main.go:3:", "undefined: undefinedThing"}},
		{"main unpinned", f.lock, "example.com/elsewhere/cmd/x", nil,
			[]string{"main package example.com/elsewhere/cmd/x is not in any module pinned in lockfiles/go.txt"}},
		{"no such package", f.lock, "example.com/server/cmd/nope", ErrBuildFailed,
			[]string{"example.com/server@v1.0.0 has no package example.com/server/cmd/nope"}},
		{"not main", f.lock, "example.com/lib", nil,
			[]string{"example.com/lib is not a main package"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := options(t, f.src, tc.lock, tc.main)
			res, err := Build(ctx, opts)
			if err == nil {
				t.Fatalf("built %s", res.Binary)
			}
			t.Log(err)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error is not %v: %v", tc.is, err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if _, err := os.Stat(opts.Output); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed build left %s (%v)", opts.Output, err)
			}
			if left, _ := os.ReadDir(opts.WorkDir); len(left) > 0 {
				t.Errorf("a failed build left %v in its work directory", left)
			}
		})
	}
}

func TestBuildTamperedZip(t *testing.T) {
	f := setup(t)
	f.proxy.Tamper(t, "example.com/lib", "v1.1.0")
	_, err := Build(ctx, options(t, f.src, f.lock, serverMain))
	if !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("error is not ErrHashMismatch: %v", err)
	}
	t.Log(err)
	pinned := f.lock.Find("example.com/lib", func(s string) string { return s }).Hashes[0]
	for _, w := range []string{"example.com/lib v1.1.0", "lockfiles/go.txt:2 pins " + pinned} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

func TestReadPins(t *testing.T) {
	const h = " --hash=h1:JbKBrX9F9wjwXedIJkWe+jjYRjysHZrWKgJRPDSIxVw="
	for _, tc := range []struct{ text, want string }{
		{"example.com/a>=v1.0.0" + h + "\n", "pins with =="},
		{"example.com/a==v1.0.0\n", "want exactly one h1: hash"},
		{"example.com/a==v1.0.0 --hash=sha256:abcd\n", "want exactly one h1: hash"},
		{"example.com/a==v1.0.0" + h + h + "\n", "want exactly one h1: hash"},
		{"example.com/a==v1.0" + h + "\n", "not canonical"},
		{"example.com/a==1.0.0" + h + "\n", "example.com/a"},
		{"example.com/a==v1.0.0" + h + "\nexample.com/a==v1.1.0" + h + "\n", "lockfiles/go.txt:2: example.com/a: pinned again (first at line 1)"},
		{"example.com/a==v1.0.0 ; python_version>'3'" + h + "\n", "markers"},
		{"# nothing\n", "pins no module"},
	} {
		lf, err := lockfile.Parse("lockfiles/go.txt", []byte(tc.text))
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		if _, err := readPins(lf); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestExecName(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/mccutchen/go-httpbin/v2/cmd/go-httpbin": "go-httpbin",
		"example.com/tool/v2":                               "tool",
		"example.com/tool/v1":                               "v1",
		"example.com/tool/v02":                              "v02",
		"example.com/x":                                     "x",
	} {
		if got := ExecName(in); got != want {
			t.Errorf("ExecName(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestVariantEnv(t *testing.T) {
	for _, tc := range []struct {
		arch, variant string
		want          []string
		ok            bool
	}{
		{"amd64", "", nil, true},
		{"arm", "v7", []string{"GOARM=7"}, true},
		{"arm", "v8", nil, false},
		{"arm64", "v8", nil, true},
		{"arm64", "v9.2", []string{"GOARM64=v9.2"}, true},
		{"amd64", "v3", []string{"GOAMD64=v3"}, true},
		{"riscv64", "v1", nil, false},
	} {
		got, err := variantEnv(tc.arch, tc.variant)
		if (err == nil) != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("variantEnv(%s, %s) = %v, %v", tc.arch, tc.variant, got, err)
		}
	}
}

func TestCommandEnvDropsGoSettings(t *testing.T) {
	env := commandEnv([]string{"PATH=/bin", "GOFLAGS=-mod=mod", "GOAMD64=v3", "CGO_CFLAGS=-O3", "HOME=/h", "GOEXPERIMENT=x"}, goEnvValues{GOPATH: "/h/go", GOAUTH: "netrc"})
	if want := []string{"PATH=/bin", "HOME=/h", "GOPATH=/h/go", "GOAUTH=netrc"}; !reflect.DeepEqual(env, want) {
		t.Errorf("commandEnv = %v, want %v", env, want)
	}
}

// TestNetwork builds the repository's own server, go-httpbin, from
// lockfiles/go.txt through the real module proxy, and runs it.
func TestNetwork(t *testing.T) {
	if os.Getenv("DIST_TEST_NETWORK") != "1" {
		t.Skip("set DIST_TEST_NETWORK=1 to use proxy.golang.org")
	}
	needGo(t)
	const lockPath = "../../lockfiles/go.txt"
	data, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := lockfile.Parse("lockfiles/go.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	const main = "github.com/mccutchen/go-httpbin/v2/cmd/go-httpbin"
	s := newSource(t, gomod.EnvFromOS())
	opts := Options{Lockfile: lf, Main: main, Source: s, GOOS: "linux", GOARCH: "amd64", WorkDir: t.TempDir(), Output: filepath.Join(t.TempDir(), "go-httpbin")}
	start := time.Now()
	res, err := Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s (%d bytes, %s) in %v; modules %v", res.Binary, res.Size, res.SHA256, time.Since(start).Round(time.Millisecond), res.Modules)
	if len(res.Modules) != 1 || res.Modules[0].Path != "github.com/mccutchen/go-httpbin/v2" {
		t.Errorf("Modules = %v", res.Modules)
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("built for linux/amd64, which this machine cannot run")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(res.Binary, "-host", "127.0.0.1", "-port", strconv.Itoa(port))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d/get?dist=1", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"dist"`)) {
				t.Fatalf("GET /get: %s\n%s", resp.Status, body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("go-httpbin did not answer on port %d: %v\n%s", port, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBuildLogs: a build says what it is doing (the steps), and the
// verbose log shows the go command it runs with the Go settings dist
// gives it, the user's own Go settings and other variables left out, and
// no password of the proxy URL.
func TestBuildLogs(t *testing.T) {
	f := setup(t)
	t.Setenv("GOFLAGS", "-tags=user-flag")
	t.Setenv("DIST_TEST_UNRELATED", "x")
	opts := options(t, f.src, f.lock, serverMain)
	// The go command sends no password over plain HTTP, and falls back
	// after "|" on any error: a proxy with one that refuses connections.
	opts.Env = gomod.Env{GOPROXY: "https://gopher:s3cret@127.0.0.1:1|" + f.proxy.URL, GOSUMDB: f.proxy.SumDB}
	var steps, logged []string
	opts.Step = func(format string, args ...any) { steps = append(steps, fmt.Sprintf(format, args...)) }
	opts.Log = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	if _, err := Build(ctx, opts); err != nil {
		t.Fatal(err)
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	// The module cache is empty: the go command downloads, and says so
	// after the build has started.
	if want := []string{"building server for " + platform, "downloading modules for " + platform}; !reflect.DeepEqual(steps, want) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	all := strings.Join(logged, "\n")
	var build string
	for _, l := range logged {
		if strings.Contains(l, " go build ") {
			build = l
		}
	}
	for _, w := range []string{
		"GOPROXY='https://gopher:***@127.0.0.1:1|" + f.proxy.URL + "' ",
		"GOOS=" + runtime.GOOS + " GOARCH=" + runtime.GOARCH + " CGO_ENABLED=0 GOFLAGS= ",
		"GOMODCACHE=" + opts.GOMODCACHE + " ",
		"GOTOOLCHAIN=local GOWORK=off GOENV=off GO111MODULE=on ",
		" go build -mod=readonly -trimpath -buildvcs=false -ldflags=-buildid= -o ",
		" " + serverMain,
	} {
		if !strings.Contains(build, w) {
			t.Errorf("the go build line lacks %q:\n%s", w, build)
		}
	}
	for _, no := range []string{"s3cret", "user-flag", "DIST_TEST_UNRELATED", " PATH=", "\nPATH="} {
		if strings.Contains("\n"+all, no) {
			t.Errorf("the log shows %q:\n%s", no, all)
		}
	}
	for _, w := range []string{"downloading example.com/lib v1.1.0", "downloading example.com/util v0.3.0"} {
		if !slices.Contains(logged, w) {
			t.Errorf("the log lacks %q:\n%s", w, all)
		}
	}

	// Again with the modules in the cache: nothing to download.
	steps, logged = nil, nil
	opts.Output = filepath.Join(t.TempDir(), "server")
	if _, err := Build(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if want := []string{"building server for " + platform}; !reflect.DeepEqual(steps, want) {
		t.Errorf("warm steps %q, want %q", steps, want)
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine(
		[]string{"GOPROXY=https://u:p%zz@proxy.example|https://v:q@other.example,direct", "GOSUMDB=sum.example+key https://w:r@sum.example", "GOFLAGS=", "GOPRIVATE=*.corp"},
		[]string{"/usr/local/go/bin/go", "build", "-ldflags=-X main.v=1", "-o", "/tmp/a b/out", "example.com/x@v1"})
	want := `GOPROXY='https://u:***@proxy.example|https://v:***@other.example,direct' GOSUMDB='sum.example+key https://w:***@sum.example' GOFLAGS= GOPRIVATE='*.corp' go build '-ldflags=-X main.v=1' -o '/tmp/a b/out' example.com/x@v1`
	if got != want {
		t.Errorf("commandLine =\n%s\nwant\n%s", got, want)
	}
}

// GoVersion asks the go command once per process, with GOTOOLCHAIN=local
// as Build runs it, whoever asks first: a cache key and the build it
// stands for name the same toolchain.
func TestGoVersionAskedOnce(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in go command is a shell script")
	}
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	fake := filepath.Join(dir, "go")
	script := "#!/bin/sh\necho \"$GOTOOLCHAIN $*\" >> '" + calls + "'\n" +
		`echo '{"GOVERSION": "go1.99.1", "GOMODCACHE": "/m", "GOCACHE": "/c", "GOPATH": "/p"}'` + "\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var logged []string
	logf := func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	for range 2 {
		v, err := GoVersion(ctx, fake, logf)
		if err != nil || v != "go1.99.1" {
			t.Fatalf("GoVersion = %q, %v", v, err)
		}
	}
	if env, err := goEnvOf(ctx, fake, nil); err != nil || env.GOMODCACHE != "/m" {
		t.Errorf("goEnvOf after GoVersion: %+v, %v", env, err)
	}
	got, _ := os.ReadFile(calls)
	if want := "local env -json GOMODCACHE GOCACHE GOPATH GOAUTH GOINSECURE GOVERSION\n"; string(got) != want {
		t.Errorf("the go command ran as\n%swant once as\n%s", got, want)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "GOTOOLCHAIN=local") {
		t.Errorf("logged %q", logged)
	}
}
