// Package gobuild compiles a Go server from the modules a gomod lockfile
// pins, with the go command, so that the binary holds exactly those modules
// and nothing the lockfile does not vouch for.
//
// The go command is given a generated build module whose go.mod requires
// every pinned version and whose go.sum holds the lockfile's zip hashes:
// under -mod=readonly it then checks every module it downloads against the
// lockfile, and refuses any module the lockfile does not pin (it finds no
// go.sum line for it). dist adds the go.mod hashes the go command needs to
// read the module graph, checked against the checksum database; those
// decide no code, only which versions are required.
package gobuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	goversion "go/version"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/source/gomod"
)

// BuildModule is the module path of the generated build module. The
// binary's build info does not show it: there the main package's module is
// the main module.
const BuildModule = "dist.local/build"

// Errors that Build wraps, for errors.Is.
var (
	// ErrNotPinned: the build needs a module version the lockfile does not
	// pin, an incomplete set; a failed check (*failure.CheckError).
	ErrNotPinned = failure.Check(errors.New("not pinned"))
	// ErrHashMismatch: a downloaded module does not hash to its pin; a
	// failed check (*failure.CheckError).
	ErrHashMismatch = failure.Check(errors.New("hash mismatch"))
	// ErrBuildFailed: the go command failed for another reason (the
	// compiler, most often).
	ErrBuildFailed = errors.New("go build failed")
)

// Options says what to build, for which platform, and from where.
type Options struct {
	// Lockfile is the parsed gomod lockfile; its Path names it in errors.
	Lockfile *lockfile.File
	// Main is the import path of the main package, such as
	// github.com/mccutchen/go-httpbin/v2/cmd/go-httpbin.
	Main string
	// GOOS and GOARCH are the target; the host's when empty.
	GOOS, GOARCH string
	// Variant is an OCI platform variant: v5, v6 or v7 for arm (GOARM), v1
	// to v4 for amd64 (GOAMD64), v8 or v8.N/v9.N for arm64 (GOARM64).
	Variant string
	// Source reads go.mod files through GOPROXY and checks their hashes
	// against the checksum database.
	Source *gomod.Source
	// Env is the GOPROXY/GOSUMDB/... configuration the go command gets;
	// Source.Env() when zero, which is best: the go command then downloads
	// from where dist hashed.
	Env gomod.Env
	// Output is where the binary is written. When empty, Build writes it
	// into a new directory under WorkDir, which the caller removes.
	Output string
	// WorkDir holds the temporary build module; os.TempDir() when empty.
	WorkDir string
	// Go is the go command; "go" from PATH when empty.
	Go string
	// GOMODCACHE and GOCACHE default to the user's, as `go env` reports them.
	GOMODCACHE, GOCACHE string
	// Step, when set, is told each step worth a line of progress, since
	// a cold build can take minutes: "building NAME for PLATFORM", and
	// "downloading modules for PLATFORM" as the go command starts
	// downloading. One line per call, printf-style.
	Step func(format string, args ...any)
	// Log, when set, is the verbose log: each go command Build runs, with
	// the GO* and CGO_* settings it gives it (passwords in GOPROXY and
	// GOSUMDB URLs hidden), and each module the go command downloads.
	Log func(format string, args ...any)
}

// Result describes a built binary.
type Result struct {
	// Binary is the path of the program, Options.Output when set.
	Binary string
	Size   int64
	// SHA256 is "sha256:<hex>" of the binary's bytes.
	SHA256 string
	// GoVersion is the toolchain that built it, as the binary records it.
	GoVersion string
	// Modules lists the modules linked into the binary, from its build
	// info, sorted by path; each matched its pin.
	Modules []Module
	// GoMod and GoSum are the build module's files, to show or ship.
	GoMod, GoSum []byte
}

// Module is one module linked into a binary.
type Module struct {
	Path    string
	Version string
	// Sum is the h1: zip hash the go command checked it against.
	Sum string
}

// pin is one lockfile entry.
type pin struct {
	path, version, sum string
	line               int
}

// Build compiles opts.Main from the modules opts.Lockfile pins. The same
// lockfile and toolchain give the same bytes, whatever the module cache or
// working directory: -trimpath keeps paths out, -buildid= the build ID, and
// no environment setting of the caller reaches the go command except where
// modules come from.
func Build(ctx context.Context, opts Options) (*Result, error) {
	if opts.Lockfile == nil || opts.Source == nil {
		return nil, errors.New("gobuild: Lockfile and Source are required")
	}
	lockName := opts.Lockfile.Path
	if opts.GOOS == "" {
		opts.GOOS = runtime.GOOS
	}
	if opts.GOARCH == "" {
		opts.GOARCH = runtime.GOARCH
	}
	platform := opts.GOOS + "/" + opts.GOARCH
	if opts.Variant != "" {
		platform += "/" + opts.Variant
	}
	fail := func(err error) (*Result, error) {
		return nil, fmt.Errorf("build %s for %s: %w", opts.Main, platform, err)
	}
	archEnv, err := variantEnv(opts.GOARCH, opts.Variant)
	if err != nil {
		return fail(err)
	}
	pins, err := readPins(opts.Lockfile)
	if err != nil {
		return fail(err)
	}
	if err := module.CheckImportPath(opts.Main); err != nil {
		return fail(fmt.Errorf("invalid main package: %w", err))
	}
	mainPin := mainModule(pins, opts.Main)
	if mainPin == nil {
		return fail(fmt.Errorf("main package %s is not in any module pinned in %s", opts.Main, lockName))
	}
	if opts.Env == (gomod.Env{}) {
		opts.Env = opts.Source.Env()
	}
	if opts.Go == "" {
		opts.Go = "go"
	}
	goEnv, err := goEnvOf(ctx, opts.Go, opts.Log)
	if err != nil {
		return fail(err)
	}
	if opts.GOMODCACHE == "" {
		opts.GOMODCACHE = goEnv.GOMODCACHE
	}
	if opts.GOCACHE == "" {
		opts.GOCACHE = goEnv.GOCACHE
	}

	goMod, goSum, graph, err := buildModule(ctx, opts.Source, pins, mainPin)
	if err != nil {
		return fail(err)
	}

	dir, err := os.MkdirTemp(opts.WorkDir, "dist-gobuild-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	for name, data := range map[string][]byte{"go.mod": goMod, "go.sum": goSum} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fail(err)
		}
	}
	bin := filepath.Join(dir, "out", ExecName(opts.Main))
	if opts.GOOS == "windows" {
		bin += ".exe"
	}

	cmd := exec.CommandContext(ctx, opts.Go, "build",
		"-mod=readonly", "-trimpath", "-buildvcs=false", "-ldflags=-buildid=",
		"-o", bin, opts.Main)
	cmd.Dir = dir
	cmd.Env = append(commandEnv(os.Environ(), goEnv),
		"GOPROXY="+opts.Env.GOPROXY,
		"GOSUMDB="+opts.Env.GOSUMDB,
		"GONOSUMDB="+opts.Env.GONOSUMDB,
		"GONOPROXY="+opts.Env.GONOPROXY,
		"GOPRIVATE="+opts.Env.GOPRIVATE,
		"GOMODCACHE="+opts.GOMODCACHE,
		"GOCACHE="+opts.GOCACHE,
		"GOOS="+opts.GOOS,
		"GOARCH="+opts.GOARCH,
		"CGO_ENABLED=0",
		"GOFLAGS=",
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"GOENV=off",
		"GO111MODULE=on",
	)
	cmd.Env = append(cmd.Env, archEnv...)
	var stderr bytes.Buffer
	// The go command says "go: downloading MODULE VERSION" as it starts
	// each download: the one sign of what a cold build spends its minutes
	// on.
	downloading := false
	out := &lineWriter{w: &stderr, line: func(l string) {
		if mod, ok := strings.CutPrefix(l, "go: downloading "); ok {
			if !downloading {
				downloading = true
				report(opts.Step, "downloading modules for %s", platform)
			}
			report(opts.Log, "downloading %s", mod)
		}
	}}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	report(opts.Step, "building %s for %s", ExecName(opts.Main), platform)
	report(opts.Log, "%s", commandLine(goVars(cmd.Env), cmd.Args))
	err = cmd.Run()
	out.flush()
	if err != nil {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		return fail(goError(stderr.String(), err, buildContext{
			lockName: lockName, pins: pins, graph: graph, main: opts.Main, mainPin: mainPin,
			dir: dir, modCache: opts.GOMODCACHE,
		}))
	}

	mods, goVersion, err := checkBinary(bin, opts, pins, mainPin, lockName)
	if err != nil {
		return fail(err)
	}

	dest := opts.Output
	if dest == "" {
		d, err := os.MkdirTemp(opts.WorkDir, "dist-gobuild-bin-")
		if err != nil {
			return fail(err)
		}
		dest = filepath.Join(d, filepath.Base(bin))
	}
	sum, size, err := install(bin, dest)
	if err != nil {
		return fail(err)
	}
	return &Result{
		Binary:    dest,
		Size:      size,
		SHA256:    sum,
		GoVersion: goVersion,
		Modules:   mods,
		GoMod:     goMod,
		GoSum:     goSum,
	}, nil
}

// readPins takes every entry of a gomod lockfile as a pin, refusing what a
// go.sum cannot express.
func readPins(f *lockfile.File) ([]pin, error) {
	var pins []pin
	seen := map[string]int{}
	for _, e := range f.Entries() {
		at := fmt.Sprintf("%s:%d: %s", f.Path, e.Line, e.Name)
		switch {
		case e.Op != "==":
			return nil, fmt.Errorf("%s: a gomod lockfile pins with ==, not %q", at, e.Op)
		case e.Extras != "" || e.Marker != "":
			return nil, fmt.Errorf("%s: extras and environment markers mean nothing to Go modules", at)
		}
		if err := module.Check(e.Name, e.Version); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		if e.Version != module.CanonicalVersion(e.Version) {
			return nil, fmt.Errorf("%s: version %s is not canonical (the go command writes %s)", at, e.Version, module.CanonicalVersion(e.Version))
		}
		// The go command checks a download against the first h1: line it
		// has for the module, so a second hash could only be ignored or
		// refused, never an alternative.
		if len(e.Hashes) != 1 || !strings.HasPrefix(e.Hashes[0], "h1:") {
			return nil, fmt.Errorf("%s: want exactly one h1: hash (the go.sum hash of the module zip), found %d hashes %v", at, len(e.Hashes), e.Hashes)
		}
		if line, dup := seen[e.Name]; dup {
			return nil, fmt.Errorf("%s: pinned again (first at line %d); a build uses one version of a module", at, line)
		}
		seen[e.Name] = e.Line
		pins = append(pins, pin{path: e.Name, version: e.Version, sum: e.Hashes[0], line: e.Line})
	}
	if len(pins) == 0 {
		return nil, fmt.Errorf("%s pins no module", f.Path)
	}
	sort.Slice(pins, func(i, j int) bool { return pins[i].path < pins[j].path })
	return pins, nil
}

// mainModule is the pinned module providing pkg: the longest module path
// that is a prefix of it, as the go command resolves an import.
func mainModule(pins []pin, pkg string) *pin {
	var best *pin
	for i, p := range pins {
		if (pkg == p.path || strings.HasPrefix(pkg, p.path+"/")) && (best == nil || len(p.path) > len(best.path)) {
			best = &pins[i]
		}
	}
	return best
}

// buildModule writes the build module's go.mod and go.sum.
//
// The go directive is the main package's module's, raised to the highest
// one in the graph: that is what `go install pkg@version` uses for the
// same module, and below it -mod=readonly stops with "updates to go.mod
// needed". It also decides the binary's default GODEBUG settings, which is
// why the module's own godebug lines are carried over too.
func buildModule(ctx context.Context, src *gomod.Source, pins []pin, mainPin *pin) (goMod, goSum []byte, graph *gomod.ModGraph, err error) {
	data, err := src.GoMod(ctx, mainPin.path, mainPin.version)
	if err != nil {
		return nil, nil, nil, err
	}
	mf, err := modfile.Parse(mainPin.path+"@"+mainPin.version+"/go.mod", data, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	// `go install pkg@version` refuses these for the same reason: the
	// module would build differently as a dependency than as itself, and a
	// replacement is pinned under a path the code does not import.
	if len(mf.Replace) > 0 || len(mf.Exclude) > 0 {
		return nil, nil, nil, fmt.Errorf("%s@%s: its go.mod has replace or exclude directives, which apply only to a module built in its own source tree; like `go install pkg@version`, dist cannot honour them",
			mainPin.path, mainPin.version)
	}
	goLine := ""
	if mf.Go != nil {
		goLine = mf.Go.Version
	}
	roots := make([]source.Pin, len(pins))
	for i, p := range pins {
		roots[i] = source.Pin{Name: p.path, Version: p.version}
	}
	graph, err = src.ModGraph(ctx, goLine, roots)
	if err != nil {
		return nil, nil, nil, err
	}
	// Raising the go directive past 1.17 makes the go command prune the
	// graph it reads, which only needs fewer of the go.mod lines.
	if graph.GoVersion != "" && (goLine == "" || goversion.Compare("go"+graph.GoVersion, "go"+goLine) > 0) {
		goLine = graph.GoVersion
	}
	if goLine == "" {
		// What the go command assumes of a go.mod without one; writing it
		// keeps -mod=readonly from wanting to add it.
		goLine = "1.16"
	}

	var b strings.Builder
	fmt.Fprintf(&b, "// Generated by dist to build %s@%s from a lockfile.\n\nmodule %s\n\ngo %s\n", mainPin.path, mainPin.version, BuildModule, goLine)
	if len(mf.Godebug) > 0 {
		b.WriteString("\ngodebug (\n")
		for _, g := range mf.Godebug {
			fmt.Fprintf(&b, "\t%s=%s\n", g.Key, g.Value)
		}
		b.WriteString(")\n")
	}
	b.WriteString("\nrequire (\n")
	for _, p := range pins {
		fmt.Fprintf(&b, "\t%s %s\n", modfile.AutoQuote(p.path), modfile.AutoQuote(p.version))
	}
	b.WriteString(")\n")

	lines := append([]string(nil), graph.GoSum...)
	for _, p := range pins {
		lines = append(lines, p.path+" "+p.version+" "+p.sum)
	}
	sortGoSum(lines)
	return []byte(b.String()), []byte(strings.Join(lines, "\n") + "\n"), graph, nil
}

// sortGoSum orders lines as the go command writes go.sum: by module path,
// then version, a zip line before its /go.mod line.
func sortGoSum(lines []string) {
	key := func(l string) (string, string, bool) {
		f := strings.Fields(l)
		v, isMod := strings.CutSuffix(f[1], "/go.mod")
		return f[0], v, isMod
	}
	sort.SliceStable(lines, func(i, j int) bool {
		pi, vi, mi := key(lines[i])
		pj, vj, mj := key(lines[j])
		if pi != pj {
			return pi < pj
		}
		if c := semver.Compare(vi, vj); c != 0 {
			return c < 0
		}
		return !mi && mj
	})
}

// checkBinary reads the module list the go command embedded and holds it
// against the lockfile: the go.sum check happened at download time, this
// one shows what actually got linked.
func checkBinary(bin string, opts Options, pins []pin, mainPin *pin, lockName string) ([]Module, string, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		// Given a package that is not main, go build -o writes its archive.
		if head, _ := readHead(bin, 8); string(head) == "!<arch>\n" {
			return nil, "", fmt.Errorf("%s is not a main package: go build made a package archive, not a program", opts.Main)
		}
		return nil, "", fmt.Errorf("reading the build info of the binary: %w", err)
	}
	if info.Path != opts.Main || info.Main.Path != mainPin.path {
		return nil, "", fmt.Errorf("the binary says it is %s of module %s, not %s of %s", info.Path, info.Main.Path, opts.Main, mainPin.path)
	}
	for _, s := range info.Settings {
		want := map[string]string{"GOOS": opts.GOOS, "GOARCH": opts.GOARCH, "CGO_ENABLED": "0"}[s.Key]
		if want != "" && s.Value != want {
			return nil, "", fmt.Errorf("the binary was built with %s=%s, not %s", s.Key, s.Value, want)
		}
	}
	byPath := map[string]pin{}
	for _, p := range pins {
		byPath[p.path] = p
	}
	var mods []Module
	// The build info names the main package's module as the main module,
	// with its version and hash like any dependency, and the build module
	// nowhere.
	for _, d := range append([]*debug.Module{&info.Main}, info.Deps...) {
		if d.Replace != nil {
			return nil, "", fmt.Errorf("module %s was replaced by %s %s in the build", d.Path, d.Replace.Path, d.Replace.Version)
		}
		p, ok := byPath[d.Path]
		switch {
		case !ok:
			return nil, "", &kindError{ErrNotPinned, fmt.Sprintf("the binary holds %s %s, which %s does not pin", d.Path, d.Version, lockName)}
		case d.Version != p.version:
			return nil, "", &kindError{ErrNotPinned, fmt.Sprintf("the binary holds %s %s, but %s:%d pins %s", d.Path, d.Version, lockName, p.line, p.version)}
		case d.Sum != p.sum:
			return nil, "", &kindError{ErrHashMismatch, fmt.Sprintf("%s %s: hash mismatch: the binary records %s, but %s:%d pins %s", d.Path, d.Version, d.Sum, lockName, p.line, p.sum)}
		}
		mods = append(mods, Module{Path: d.Path, Version: d.Version, Sum: d.Sum})
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, info.GoVersion, nil
}

func readHead(name string, n int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	n, err = io.ReadFull(f, b)
	return b[:n], err
}

// install moves the binary to dest, or copies it there when a rename
// cannot (another file system), and returns its digest and size.
func install(src, dest string) (string, int64, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", 0, err
	}
	if dir := filepath.Dir(dest); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", 0, err
		}
	}
	if err := os.Chmod(src, 0o755); err != nil {
		return "", 0, err
	}
	if err := os.Rename(src, dest); err != nil {
		if err := atomicfile.WriteFile(dest, data, 0o755); err != nil {
			return "", 0, err
		}
	}
	h := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(h[:]), int64(len(data)), nil
}

// ExecName is the file name the go command gives the program built from
// the package pkg: its last element, or the one before a major version
// suffix (example.com/cmd/tool/v2 builds "tool").
func ExecName(pkg string) string {
	dir, elem := path.Split(pkg)
	if dir != "" && isMajorSuffix(elem) {
		elem = path.Base(strings.TrimSuffix(dir, "/"))
	}
	return elem
}

func isMajorSuffix(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' || s == "v1" {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// variantEnv maps an OCI platform variant to the go command's setting for
// it; an unknown one is an error rather than a binary for the wrong CPU.
func variantEnv(goarch, variant string) ([]string, error) {
	if variant == "" {
		return nil, nil
	}
	switch goarch {
	case "arm":
		switch variant {
		case "v5", "v6", "v7":
			return []string{"GOARM=" + variant[1:]}, nil
		}
	case "amd64":
		switch variant {
		case "v1", "v2", "v3", "v4":
			return []string{"GOAMD64=" + variant}, nil
		}
	case "arm64":
		if variant == "v8" {
			return nil, nil
		}
		if len(variant) == 4 && (variant[:3] == "v8." || variant[:3] == "v9.") && variant[3] >= '0' && variant[3] <= '9' {
			return []string{"GOARM64=" + variant}, nil
		}
	}
	return nil, fmt.Errorf("platform variant %q is not supported for GOARCH=%s", variant, goarch)
}

// goEnvValues is what Build takes from the user's go configuration.
type goEnvValues struct {
	GOMODCACHE, GOCACHE string
	// GOPATH only because the go command wants one; with GOMODCACHE set,
	// nothing is read from it.
	GOPATH string
	// GOAUTH and GOINSECURE only say how to reach proxies, which changes no
	// byte of the binary.
	GOAUTH, GOINSECURE string
	// GOVERSION is the toolchain that builds, for GoVersion.
	GOVERSION string
}

var goEnvCache sync.Map // go command → goEnvValues

// GoVersion is the version of the toolchain Build runs as goCmd ("go" when
// empty), "go1.24.2": what `go env GOVERSION` says with GOTOOLCHAIN=local,
// as Build runs it. It is asked with the rest of the settings Build reads,
// once per process for every caller, so that a cache keyed on it and the
// build it stands for name the same toolchain. logf, when not nil, is
// told the go command run, if one is.
func GoVersion(ctx context.Context, goCmd string, logf func(string, ...any)) (string, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	v, err := goEnvOf(ctx, goCmd, logf)
	return v.GOVERSION, err
}

// goEnvOf asks the go command for the user's settings, once per process,
// because the build itself runs with GOENV=off and so would not see what
// `go env -w` wrote.
func goEnvOf(ctx context.Context, goCmd string, logf func(string, ...any)) (goEnvValues, error) {
	if v, ok := goEnvCache.Load(goCmd); ok {
		return v.(goEnvValues), nil
	}
	cmd := exec.CommandContext(ctx, goCmd, "env", "-json", "GOMODCACHE", "GOCACHE", "GOPATH", "GOAUTH", "GOINSECURE", "GOVERSION")
	set := []string{"GOTOOLCHAIN=local", "GOFLAGS="}
	cmd.Env = append(os.Environ(), set...)
	report(logf, "%s", commandLine(set, cmd.Args))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var notFound *exec.Error
		if errors.As(err, &notFound) {
			return goEnvValues{}, fmt.Errorf("building a Go server needs the go command: %w", err)
		}
		return goEnvValues{}, fmt.Errorf("go env: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var v goEnvValues
	if err := json.Unmarshal(out, &v); err != nil {
		return goEnvValues{}, fmt.Errorf("go env: %w", err)
	}
	goEnvCache.Store(goCmd, v)
	return v, nil
}

// commandEnv is the process environment without any Go setting: those
// (GOFLAGS, GOAMD64, GOEXPERIMENT, CGO_CFLAGS, ...) would make the binary
// depend on who built it. Build sets the ones it wants after this.
func commandEnv(environ []string, v goEnvValues) []string {
	var env []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO_") {
			continue
		}
		env = append(env, kv)
	}
	if v.GOPATH != "" {
		env = append(env, "GOPATH="+v.GOPATH)
	}
	if v.GOAUTH != "" {
		env = append(env, "GOAUTH="+v.GOAUTH)
	}
	if v.GOINSECURE != "" {
		env = append(env, "GOINSECURE="+v.GOINSECURE)
	}
	return env
}
