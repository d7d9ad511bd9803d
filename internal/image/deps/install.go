package deps

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/gobuild"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/source/gomod"
	"github.com/distbuild/dist/internal/wheel"
)

// Logs are where an installer reports; either may be nil.
type Logs struct {
	// Step is told each step of a platform worth a line of progress
	// ("installing 12 wheels for linux/amd64", "building NAME for
	// linux/amd64").
	Step func(format string, args ...any)
	// Log is the verbose log: the go commands run, binaries reused.
	Log func(format string, args ...any)
}

// New returns the installer for a distribution: pypi pins unpacked as
// wheels into image.python, or the base image's own Python when
// image.python is unset (ImageLayout), and a Go server built from the
// gomod lockfile when image.go.main is set. Neither runs anything inside
// the image. A distribution with pypi lockfiles always gets an installer:
// pins with no Python to go into are an error, not an image without them.
func New(m *manifest.Manifest, client *fetch.Client, open lockset.Opener, logs Logs) build.Installer {
	hasPyPI := false
	for _, l := range m.Lockfiles {
		hasPyPI = hasPyPI || l.Ecosystem == source.PyPI
	}
	if !hasPyPI && goMain(m) == "" {
		return build.None{}
	}
	return &installer{m: m, client: client, open: open, logs: logs}
}

func goMain(m *manifest.Manifest) string {
	if m.Image == nil || m.Image.Go == nil {
		return ""
	}
	return m.Image.Go.Main
}

type installer struct {
	m      *manifest.Manifest
	client *fetch.Client
	open   lockset.Opener
	logs   Logs
	// rebuild: build the Go server again even when the cache has it.
	rebuild bool

	once    sync.Once
	targets []*lockset.Target
	err     error

	// installed is what each platform's Entries installed, by platform
	// (Recorder).
	mu        sync.Mutex
	installed map[string][]Package
}

func (in *installer) load() ([]*lockset.Target, error) {
	in.once.Do(func() {
		if len(in.m.Lockfiles) > 0 {
			in.targets, in.err = lockset.Load(in.m, "", in.open)
		}
	})
	return in.targets, in.err
}

// Rebuild implements build.Rebuilder: an installer that builds the Go
// server's binary again rather than reading it from the cache. Wheels
// are always unpacked again; the wheel files themselves are downloads,
// checked against the lockfiles' hashes, and may come from the cache.
func (in *installer) Rebuild() build.Installer {
	return &installer{m: in.m, client: in.client, open: in.open, logs: in.logs, rebuild: true}
}

// Check implements build.Checker: what Entries checks of the lockfiles
// before it installs anything, for a dry run, without downloading a
// wheel, a module or the base image: every pypi entry a pin
// (lockset.Target.RequirePins: a *fileerr.Error), the pypi set complete in
// each platform's environment (core metadata from the index or the cache;
// a *lockset.IncompleteError, a failed check), image.go.main pinned by a
// gomod lockfile. The environments' Python is the one dist.yaml spells
// (wheel.ManifestPython); when only the base image can tell, completeness
// is left to the build.
func (in *installer) Check(ctx context.Context, platforms []v1.Platform) error {
	targets, err := in.load()
	if err != nil {
		return err
	}
	if err := requirePins(targets); err != nil {
		return err
	}
	if pyVer, ok := wheel.ManifestPython(in.m); ok {
		var envs []pep508.Env
		for _, p := range platforms {
			env, err := in.env(pyVer, platformString(p))
			if err != nil {
				return err
			}
			envs = append(envs, env)
		}
		if err := in.requireComplete(ctx, targets, envs); err != nil {
			return err
		}
	}
	if goMain(in.m) != "" {
		if _, _, err := in.mainPin(targets); err != nil {
			return err
		}
	}
	return nil
}

// requirePins refuses a pypi lockfile entry that is no pin: an image
// ships what its lockfiles pin, and such an entry would install and then
// fail at import, so it is refused with the same report as lock verify.
func requirePins(targets []*lockset.Target) error {
	for _, t := range targets {
		if t.Source.Ecosystem() == source.PyPI {
			if err := t.RequirePins(); err != nil {
				return err
			}
		}
	}
	return nil
}

// requireComplete refuses a pypi set that misses a requirement in one of
// envs, for the reason requirePins gives.
func (in *installer) requireComplete(ctx context.Context, targets []*lockset.Target, envs []pep508.Env) error {
	set, err := lockset.PySetFor(in.m, targets, envs)
	if err != nil || set == nil {
		return err
	}
	return set.RequireComplete(ctx)
}

// env is the environment markers are evaluated in for a Python version on
// a platform ("linux/amd64"); a bad version is dist.yaml's error.
func (in *installer) env(python, platform string) (pep508.Env, error) {
	env, err := pep508.EnvFor(python, platform)
	if err != nil {
		return env, fileerr.Wrap(in.m.Path, 0, err)
	}
	return env, nil
}

// platformString spells p as image.platforms does: OS/ARCH[/VARIANT].
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Entries implements Installer.
func (in *installer) Entries(ctx context.Context, p v1.Platform, baseImg v1.Image) ([]tarlayer.Entry, []string, error) {
	targets, err := in.load()
	if err != nil {
		return nil, nil, err
	}
	var out []tarlayer.Entry
	var warnings []string
	if in.pythonSet() || pypiPins(targets) != "" {
		es, ws, err := in.wheels(ctx, targets, p, baseImg)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, es...)
		warnings = append(warnings, ws...)
	}
	if goMain(in.m) != "" {
		e, err := in.goServer(ctx, targets, p)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, e)
	}
	seen := map[string]string{}
	for _, e := range out {
		if prev, ok := seen[e.Path]; ok {
			return nil, nil, fmt.Errorf("%s and %s both install /%s", prev, e.Source, e.Path)
		}
		seen[e.Path] = e.Source
	}
	return out, warnings, nil
}

func (in *installer) pythonSet() bool { return in.m.Image != nil && in.m.Image.Python != nil }

// pypiPins says what the pypi lockfiles pin ("lockfiles/default.txt pins
// 2 pypi packages"), "" when nothing.
func pypiPins(targets []*lockset.Target) string {
	n, files := 0, []string{}
	for _, t := range targets {
		if t.Source.Ecosystem() != source.PyPI {
			continue
		}
		if k := len(t.File.Entries()); k > 0 {
			n += k
			files = append(files, t.Lock.Path)
		}
	}
	if n == 0 {
		return ""
	}
	verb, what := "pin", "pypi packages"
	if len(files) == 1 {
		verb = "pins"
	}
	if n == 1 {
		what = "pypi package"
	}
	return fmt.Sprintf("%s %s %d %s", strings.Join(files, " and "), verb, n, what)
}

// layout is the Python the wheels go into: image.python, checked by
// ImagePython, or the base image's own (ImageLayout). files is the base's
// tree, read when first asked for.
func (in *installer) layout(targets []*lockset.Target, baseImg v1.Image, files func() (*base.Files, error)) (manifest.Python, Python, error) {
	if in.pythonSet() {
		py := *in.m.Image.Python
		if py.SitePackages == "" || py.Interpreter == "" {
			return py, Python{}, fileerr.New(in.m.Path, 0, "image.python needs site_packages and interpreter")
		}
		pyVer, err := ImagePython(in.m, baseImg)
		return py, pyVer, err
	}
	var tree *base.Files
	if baseImg != nil {
		var err error
		if tree, err = files(); err != nil {
			return manifest.Python{}, Python{}, err
		}
	}
	return ImageLayout(in.m, pypiPins(targets), baseImg, tree)
}

// scriptWarning says which of files are scripts that run interpreter
// (console and GUI script wrappers, .data/scripts whose "#!python" was
// rewritten: the files the install wrote itself into the interpreter's
// directory) when the base image does not have it: the image builds, and
// a base layered under it later may bring the interpreter, but as built
// those scripts cannot start. "" when there is nothing to say.
func scriptWarning(files []wheel.File, interpreter string, baseImg v1.Image, tree func() (*base.Files, error)) (string, error) {
	bin := path.Dir(interpreter)
	var scripts []string
	for _, f := range files {
		head := f.Data
		if len(head) > 256 {
			head = head[:256]
		}
		if f.Data != nil && f.Mode&0o111 != 0 && path.Dir(f.Path) == bin && bytes.Contains(head, []byte(interpreter)) {
			scripts = append(scripts, path.Base(f.Path))
		}
	}
	if len(scripts) == 0 {
		return "", nil
	}
	where := "the base is scratch"
	if baseImg != nil {
		t, err := tree()
		if err != nil {
			return "", err
		}
		if t.Exists(interpreter) {
			return "", nil
		}
		where = "the base image does not have it"
	}
	sort.Strings(scripts)
	list := strings.Join(scripts, ", ")
	if len(scripts) > 5 {
		list = strings.Join(scripts[:5], ", ") + fmt.Sprintf(" and %d more", len(scripts)-5)
	}
	return fmt.Sprintf("console scripts %s run %s, but %s: they cannot start unless a base image with %s is layered under this one (image.base)", list, interpreter, where, interpreter), nil
}

// wheels installs every pin of every pypi lockfile: a lockfile holds a
// complete, resolved set (constraints files included), so nothing is
// resolved here. A pin listed in two files at one version installs once.
// The Python the wheels are for is image.python's (ImagePython) or the
// base image's own (ImageLayout), asked per platform since each platform
// has a base image of its own. The warnings are scriptWarning's.
func (in *installer) wheels(ctx context.Context, targets []*lockset.Target, p v1.Platform, baseImg v1.Image) ([]tarlayer.Entry, []string, error) {
	// The base's tree is read once, and only when a question needs it.
	tree := sync.OnceValues(func() (*base.Files, error) {
		t, err := base.FilesOf(baseImg)
		if err != nil {
			return nil, fmt.Errorf("reading the base image's files: %w", err)
		}
		return t, nil
	})
	py, pyVer, err := in.layout(targets, baseImg, tree)
	if err != nil {
		return nil, nil, err
	}
	platform := platformString(p)
	tgt := wheel.Target{Platform: platform, Python: pyVer.XY}
	layout := wheel.Layout{SitePackages: py.SitePackages, Interpreter: py.Interpreter, Python: pyVer.XY}
	env, err := in.env(pyVer.Version, platform)
	if err != nil {
		return nil, nil, err
	}
	if err := requirePins(targets); err != nil {
		return nil, nil, err
	}
	if err := in.requireComplete(ctx, targets, []pep508.Env{env}); err != nil {
		return nil, nil, err
	}

	type job struct {
		t *lockset.Target
		e *lockfile.Entry
	}
	var jobs []job
	seen := map[string]bool{}
	for _, t := range targets {
		if t.Source.Ecosystem() != source.PyPI {
			continue
		}
		norm := lockfile.Normalizer(source.PyPI)
		for _, e := range t.File.Entries() {
			key := norm(e.Name) + "==" + e.Version
			if seen[key] {
				continue
			}
			// Only what this environment needs: a pin whose marker is
			// false here is for another target.
			if e.Marker != "" {
				m, err := pep508.ParseMarker(e.Marker)
				if err != nil {
					return nil, nil, fmt.Errorf("%s:%d: environment marker %q: %w", t.Lock.Path, e.Line, e.Marker, err)
				}
				if !m.Evaluate(env) {
					continue
				}
			}
			seen[key] = true
			jobs = append(jobs, job{t, e})
		}
	}
	// Every wheel is chosen before any is fetched, so that the download
	// bar knows its total from the start.
	arts := make([]source.Artifact, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	for i, j := range jobs {
		g.Go(func() error {
			pin := wheel.Pin{Name: j.e.Name, Version: j.e.Version, Hashes: j.e.Hashes}
			where := fmt.Sprintf("%s:%d", j.t.Lock.Path, j.e.Line)
			rel, err := j.t.Source.Release(gctx, j.e.Name, j.e.Version)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			art, err := wheel.Select(pin, rel.Artifacts, tgt)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			arts[i] = art
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if in.logs.Step != nil && len(jobs) > 0 {
		in.logs.Step("installing %d %s for %s", len(jobs), plural(len(jobs), "wheel"), platform)
	}
	planned := make([]fetch.Planned, len(arts))
	for i, a := range arts {
		planned[i] = fetch.Planned{URL: a.URL, Want: a.Hash, Size: a.Size}
	}
	in.client.Expect(planned)
	files := make([][]wheel.File, len(jobs))
	g, gctx = errgroup.WithContext(ctx)
	for i, j := range jobs {
		g.Go(func() error {
			pin := wheel.Pin{Name: j.e.Name, Version: j.e.Version, Hashes: j.e.Hashes}
			where := fmt.Sprintf("%s:%d", j.t.Lock.Path, j.e.Line)
			art := arts[i]
			local, err := in.client.Download(gctx, art.URL, art.Hash)
			if err != nil {
				return fmt.Errorf("%s: %s: %s: %w", where, pin, art.Filename, err)
			}
			fs, err := wheel.InstallFile(local, pin, layout)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			files[i] = fs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	pkgs := make([]Package, len(jobs))
	for i, j := range jobs {
		pkgs[i] = Package{Ecosystem: source.PyPI, Name: j.e.Name, Version: j.e.Version, Hashes: []string{arts[i].Hash}, License: wheelLicense(files[i])}
	}
	in.record(p, source.PyPI, pkgs)
	var all []wheel.File
	var out []tarlayer.Entry
	for i, fs := range files {
		all = append(all, fs...)
		src := fmt.Sprintf("%s==%s", jobs[i].e.Name, jobs[i].e.Version)
		for _, f := range fs {
			// Members are read from the wheel as the layer is written,
			// not held here; the Stat is the one tarlayer.Bytes would give.
			out = append(out, tarlayer.Entry{
				Path: strings.TrimPrefix(f.Path, "/"), Kind: tarlayer.File,
				Exec: f.Mode&0o111 != 0, Size: f.Size, Open: f.Open, Source: src,
				Stat: "sha256:" + hex.EncodeToString(f.SHA256[:]),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if !in.pythonSet() {
		// The interpreter is the base's own: ImageLayout found it there.
		return out, nil, nil
	}
	w, err := scriptWarning(all, py.Interpreter, baseImg, tree)
	if err != nil || w == "" {
		return out, nil, err
	}
	return out, []string{w}, nil
}

// goServer builds image.go.main from the gomod lockfile that pins its
// module, for the platform, and places the binary.
func (in *installer) goServer(ctx context.Context, targets []*lockset.Target, p v1.Platform) (tarlayer.Entry, error) {
	g := in.m.Image.Go
	lt, pin, err := in.mainPin(targets)
	if err != nil {
		return tarlayer.Entry{}, err
	}
	src, ok := lt.Source.(*gomod.Source)
	if !ok {
		return tarlayer.Entry{}, errors.New("gomod lockfile without a Go module source")
	}
	data, err := in.cachedBuild(ctx, lt, src, p)
	if err != nil {
		// The error says what it built and for which platform; the pin
		// of the main package's module says from what.
		return tarlayer.Entry{}, fmt.Errorf("%s:%d: %s==%s: %w", lt.Lock.Path, pin.Line, pin.Name, pin.Version, err)
	}
	in.record(p, source.GoMod, goModules(data))
	dst := g.Path
	if dst == "" {
		dst = path.Join("/usr/local/bin", gobuild.ExecName(g.Main))
	}
	e := tarlayer.Bytes(strings.TrimPrefix(path.Clean(dst), "/"), data, g.Main)
	e.Exec = true
	return e, nil
}

// mainPin finds the gomod pin of the module that holds image.go.main, the
// longest such module path; a *fileerr.Error at dist.yaml when none.
func (in *installer) mainPin(targets []*lockset.Target) (*lockset.Target, *lockfile.Entry, error) {
	main := in.m.Image.Go.Main
	var lt *lockset.Target
	var pin *lockfile.Entry
	for _, t := range targets {
		if t.Source.Ecosystem() != source.GoMod {
			continue
		}
		for _, e := range t.File.Entries() {
			if (main == e.Name || strings.HasPrefix(main, e.Name+"/")) && (pin == nil || len(e.Name) > len(pin.Name)) {
				pin, lt = e, t
			}
		}
	}
	if lt == nil {
		return nil, nil, fileerr.New(in.m.Path, 0, "image.go.main %s is not in any module a gomod lockfile pins (dist lock add MODULE)", main)
	}
	return lt, pin, nil
}

// cachedBuild returns the server binary for a platform, from dist's cache
// when the same toolchain already built the same main package from the same
// pins: the go command caches packages but not the linked binary, and a
// warm rebuild of an unchanged image should not link again. The build is
// reproducible (-trimpath, no build ID), so a cached binary is the binary a
// fresh build would give. With rebuild set the cache is not read (it is
// still written: the fresh binary is as good as any).
func (in *installer) cachedBuild(ctx context.Context, lt *lockset.Target, src *gomod.Source, p v1.Platform) ([]byte, error) {
	// The toolchain is in the key: gobuild asks it once per process, the
	// way Build runs it.
	goVersion, err := gobuild.GoVersion(ctx, "", in.logs.Log)
	key := ""
	if err == nil {
		h := sha256.New()
		fmt.Fprintf(h, "dist gobuild 1\n%s\n%s/%s/%s\n%s\n", goVersion, p.OS, p.Architecture, p.Variant, in.m.Image.Go.Main)
		for _, e := range lt.File.Entries() {
			fmt.Fprintf(h, "%s==%s %s\n", e.Name, e.Version, strings.Join(e.Hashes, " "))
		}
		key = hex.EncodeToString(h.Sum(nil))
	}
	cached := filepath.Join(in.client.Cache().Dir, "gobin", key)
	if key != "" && !in.rebuild {
		if data, err := os.ReadFile(cached); err == nil {
			if in.logs.Log != nil {
				in.logs.Log("cache hit %s for %s/%s: built earlier from the same pins and toolchain", in.m.Image.Go.Main, p.OS, p.Architecture)
			}
			return data, nil
		}
	}
	dir, err := os.MkdirTemp("", "dist-gobuild-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	res, err := gobuild.Build(ctx, gobuild.Options{
		Lockfile: lt.File, Main: in.m.Image.Go.Main, Source: src,
		GOOS: p.OS, GOARCH: p.Architecture, Variant: p.Variant,
		Output: dir + "/server",
		Step:   in.logs.Step, Log: in.logs.Log,
	})
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(res.Binary)
	if err != nil {
		return nil, err
	}
	if key != "" && os.MkdirAll(filepath.Dir(cached), 0o755) == nil {
		// A lost cache entry only costs a rebuild.
		atomicfile.WriteFile(cached, data, 0o755)
	}
	return data, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
