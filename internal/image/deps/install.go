package deps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/source/gomod"
	"github.com/distbuild/dist/internal/wheel"
)

// New returns the installer for a distribution: pypi pins unpacked as
// wheels when image.python is set, and a Go server built from the gomod
// lockfile when image.go.main is. Neither runs anything inside the image.
func New(m *manifest.Manifest, client *fetch.Client, open lock.Opener) Installer {
	if m.Image == nil || (m.Image.Python == nil && (m.Image.Go == nil || m.Image.Go.Main == "")) {
		return None{}
	}
	return &installer{m: m, client: client, open: open, goVersion: sync.OnceValues(func() (string, error) {
		out, err := exec.Command("go", "env", "GOVERSION").Output()
		return strings.TrimSpace(string(out)), err
	})}
}

type installer struct {
	m      *manifest.Manifest
	client *fetch.Client
	open   lock.Opener

	once    sync.Once
	targets []*lock.Target
	err     error

	// goVersion names the toolchain in the binary cache key; asked once
	// per build, not once per platform.
	goVersion func() (string, error)
}

func (in *installer) load() ([]*lock.Target, error) {
	in.once.Do(func() {
		if len(in.m.Lockfiles) > 0 {
			in.targets, in.err = lock.Load(in.m, "", in.open)
		}
	})
	return in.targets, in.err
}

// Entries implements Installer.
func (in *installer) Entries(ctx context.Context, p v1.Platform, base v1.Image) ([]tarlayer.Entry, error) {
	targets, err := in.load()
	if err != nil {
		return nil, err
	}
	var out []tarlayer.Entry
	if in.m.Image.Python != nil {
		es, err := in.wheels(ctx, targets, p, base)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	if g := in.m.Image.Go; g != nil && g.Main != "" {
		e, err := in.goServer(ctx, targets, p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	seen := map[string]string{}
	for _, e := range out {
		if prev, ok := seen[e.Path]; ok {
			return nil, fmt.Errorf("%s and %s both install /%s", prev, e.Source, e.Path)
		}
		seen[e.Path] = e.Source
	}
	return out, nil
}

// wheels installs every pin of every pypi lockfile: a lockfile holds a
// complete, resolved set (constraints files included), so nothing is
// resolved here. A pin listed in two files at one version installs once.
// The Python the wheels are for is ImagePython's, asked per platform since
// each platform has a base image of its own.
func (in *installer) wheels(ctx context.Context, targets []*lock.Target, p v1.Platform, base v1.Image) ([]tarlayer.Entry, error) {
	py := in.m.Image.Python
	if py.SitePackages == "" || py.Interpreter == "" {
		return nil, fileerr.New(in.m.Path, 0, "image.python needs site_packages and interpreter")
	}
	pyVer, err := ImagePython(in.m, base)
	if err != nil {
		return nil, err
	}
	platform := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		platform += "/" + p.Variant
	}
	tgt := wheel.Target{Platform: platform, Python: pyVer.XY}
	layout := wheel.Layout{SitePackages: py.SitePackages, Interpreter: py.Interpreter, Python: pyVer.XY}
	env, err := pep508.EnvFor(pyVer.Version, platform)
	if err != nil {
		return nil, &fileerr.Error{Path: in.m.Path, Msg: err.Error(), Err: err}
	}
	// An image ships what its lockfiles pin: an entry that is no pin, or a
	// set that misses a requirement in this image's environment, would
	// install and then fail at import, so it is refused with the same
	// report as lock verify.
	for _, t := range targets {
		if t.Source.Ecosystem() == source.PyPI {
			if err := t.RequirePins(); err != nil {
				return nil, err
			}
		}
	}
	set, err := lock.PySetFor(in.m, targets, []pep508.Env{env})
	if err != nil {
		return nil, err
	}
	if set != nil {
		if err := set.RequireComplete(ctx); err != nil {
			return nil, err
		}
	}

	type job struct {
		t *lock.Target
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
					return nil, fmt.Errorf("%s:%d: environment marker %q: %w", t.Lock.Path, e.Line, e.Marker, err)
				}
				if !m.Evaluate(env) {
					continue
				}
			}
			seen[key] = true
			jobs = append(jobs, job{t, e})
		}
	}
	files := make([][]wheel.File, len(jobs))
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
		return nil, err
	}
	var out []tarlayer.Entry
	for i, fs := range files {
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
	return out, nil
}

// goServer builds image.go.main from the gomod lockfile that pins its
// module, for the platform, and places the binary.
func (in *installer) goServer(ctx context.Context, targets []*lock.Target, p v1.Platform) (tarlayer.Entry, error) {
	g := in.m.Image.Go
	var lt *lock.Target
	var pin *lockfile.Entry
	for _, t := range targets {
		if t.Source.Ecosystem() != source.GoMod {
			continue
		}
		for _, e := range t.File.Entries() {
			if (g.Main == e.Name || strings.HasPrefix(g.Main, e.Name+"/")) && (pin == nil || len(e.Name) > len(pin.Name)) {
				pin, lt = e, t
			}
		}
	}
	if lt == nil {
		return tarlayer.Entry{}, fileerr.New(in.m.Path, 0, "image.go.main %s is not in any module a gomod lockfile pins (dist lock add MODULE)", g.Main)
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
	dst := g.Path
	if dst == "" {
		dst = path.Join("/usr/local/bin", gobuild.ExecName(g.Main))
	}
	e := tarlayer.Bytes(strings.TrimPrefix(path.Clean(dst), "/"), data, g.Main)
	e.Exec = true
	return e, nil
}

// cachedBuild returns the server binary for a platform, from dist's cache
// when the same toolchain already built the same main package from the same
// pins: the go command caches packages but not the linked binary, and a
// warm rebuild of an unchanged image should not link again. The build is
// reproducible (-trimpath, no build ID), so a cached binary is the binary a
// fresh build would give.
func (in *installer) cachedBuild(ctx context.Context, lt *lock.Target, src *gomod.Source, p v1.Platform) ([]byte, error) {
	goVersion, err := in.goVersion()
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
	if key != "" {
		if data, err := os.ReadFile(cached); err == nil {
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
