// Package lock carries out dist's lock commands: add, upgrade, verify and
// outdated, over the lockfiles a manifest lists and the sources behind them.
// It prints nothing; the CLI renders what it returns.
package lock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/textdiff"
	"github.com/distbuild/dist/internal/version"
)

// Opener returns the source for a lockfile of the manifest.
type Opener func(l *manifest.Lockfile) (source.Source, error)

// Target is one lockfile loaded for an operation.
type Target struct {
	Lock   *manifest.Lockfile
	Path   string // on disk
	File   *lockfile.File
	Source source.Source
	orig   []byte
}

// Load reads the lockfiles to act on: the one named by file, or every one the
// manifest lists. A lockfile that does not exist yet is empty.
func Load(m *manifest.Manifest, file string, open Opener) ([]*Target, error) {
	var locks []*manifest.Lockfile
	if file != "" {
		l, err := m.Lockfile(file)
		if err != nil {
			return nil, err
		}
		locks = append(locks, l)
	} else {
		for i := range m.Lockfiles {
			locks = append(locks, &m.Lockfiles[i])
		}
	}
	if len(locks) == 0 {
		return nil, failure.Usagef("%s lists no lockfiles", m.Path)
	}
	var out []*Target
	for _, l := range locks {
		abs, err := m.Checked("lockfile", l.Path)
		if err != nil {
			return nil, err
		}
		t := &Target{Lock: l, Path: abs}
		data, err := os.ReadFile(t.Path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		t.orig = data
		f, err := lockfile.Parse(l.Path, data)
		if err != nil {
			return nil, err
		}
		t.File = f
		src, err := open(l)
		if err != nil {
			return nil, failure.Usagef("%s: %w", l.Path, err)
		}
		t.Source = src
		out = append(out, t)
	}
	return out, nil
}

// Changed reports whether the target's content differs from what was read.
func (t *Target) Changed() bool { return !bytes.Equal(t.orig, t.File.Bytes()) }

// Diff returns a unified diff of the pending change, "" when there is none.
func (t *Target) Diff() string {
	if !t.Changed() {
		return ""
	}
	return textdiff.Unified(t.Lock.Path, string(t.orig), string(t.File.Bytes()))
}

// Write saves the target atomically when it changed.
func (t *Target) Write() error {
	if !t.Changed() {
		return nil
	}
	// Compare and swap: a file that changed since it was read (another
	// writer that took no lock) is not overwritten, or its pins are lost.
	now, err := os.ReadFile(t.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if !bytes.Equal(now, t.orig) {
		return fmt.Errorf("%s changed since dist read it (another writer?): nothing written; run the command again", t.Lock.Path)
	}
	if err := os.MkdirAll(dirOf(t.Path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(t.Path, t.File.Bytes(), 0o644)
}

func dirOf(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[:i]
	}
	return "."
}

// lockHashes picks what a lockfile records of a release: for Go modules only
// the zip hash (go.sum's first line, what `go mod download -json` calls
// Sum); for the others every file's hash.
func lockHashes(ecosystem string, rel *source.Release) []string {
	hs := rel.Hashes()
	if ecosystem == source.GoMod && len(hs) > 1 {
		return hs[:1]
	}
	// Sorted, as pip-compile and hashin write them, so that the order an
	// index lists files in never shows up as a change.
	sort.Strings(hs)
	return hs
}

// Spec is one thing to pin, parsed from the command line.
type Spec struct {
	Name    string
	Version string // "" for the latest stable
	// Extras are a pypi project's extras as written ("[socks]"), or "".
	Extras string
}

// ParseSpec reads name, name==ver, module@ver or image:tag; a pypi name
// may carry extras (name[extra]==ver).
func ParseSpec(ecosystem, s string) (Spec, error) {
	if ecosystem == source.PyPI {
		if i := strings.IndexByte(s, '['); i > 0 {
			j := strings.IndexByte(s, ']')
			if j < i {
				return Spec{}, failure.Usagef("%q: unclosed extras", s)
			}
			sp, err := ParseSpec(ecosystem, s[:i]+s[j+1:])
			sp.Extras = s[i : j+1]
			return sp, err
		}
	}
	if name, v, ok := strings.Cut(s, "=="); ok {
		if name == "" || v == "" {
			return Spec{}, failure.Usagef("%q: want NAME==VERSION", s)
		}
		return Spec{Name: name, Version: v}, nil
	}
	switch ecosystem {
	case source.GoMod:
		if name, v, ok := strings.Cut(s, "@"); ok {
			if v == "latest" {
				v = ""
			}
			return Spec{Name: name, Version: v}, nil
		}
	case source.OCI:
		slash := strings.LastIndexByte(s, '/')
		if i := strings.LastIndexByte(s, ':'); i > slash {
			return Spec{Name: s[:i], Version: s[i+1:]}, nil
		}
	}
	if strings.ContainsAny(s, " <>=!~;@") {
		return Spec{}, failure.Usagef("%q: want %s", s, map[string]string{source.PyPI: "NAME, NAME[EXTRA] or NAME==VERSION", source.GoMod: "NAME, NAME==VERSION or MODULE@VERSION", source.OCI: "NAME, NAME==VERSION or IMAGE:TAG"}[ecosystem])
	}
	return Spec{Name: s}, nil
}

// Pinned is one entry written by add or upgrade.
type Pinned struct {
	File    string `json:"file"`
	Name    string `json:"name"`
	From    string `json:"from,omitempty"`
	Version string `json:"version"`
	Hashes  int    `json:"hashes"`
	Level   string `json:"level,omitempty"`
	// Kind is added, required (a dependency added), upgraded, downgraded,
	// rehashed, noted (marker or via note changed), removed or unchanged.
	Kind string `json:"kind"`
	// Via lists the pins that require a dependency pin.
	Via []string `json:"via,omitempty"`
	// Marker is the environment marker a dependency needed only in some
	// targets carries.
	Marker string `json:"marker,omitempty"`
	// Why says why a pin moved or went: "kinto 15.0.0 requires
	// pyramid>=2".
	Why string `json:"why,omitempty"`
}

// Options shared by add and upgrade.
type Options struct {
	IncludePre bool
	// NoDeps pins only what is named, as hashin does; otherwise a pypi
	// lockfile is resolved with the rest of its set.
	NoDeps bool
	// Set is the pypi pin set the target belongs to; nil resolves nothing.
	Set *PySet
}

// resolve finds the release to pin for a spec.
func resolve(ctx context.Context, src source.Source, sp Spec, o Options) (*source.Release, error) {
	eco := src.Ecosystem()
	v := sp.Version
	if v == "" {
		canon, versions, err := src.Versions(ctx, sp.Name)
		if err != nil {
			return nil, err
		}
		var like *version.V
		if eco == source.OCI {
			// An image without a tag follows plain X.Y.Z releases.
			p, _ := version.Parse(eco, "1.0.0")
			like = &p
		}
		latest, ok := version.Latest(eco, versions, o.IncludePre, like)
		if !ok {
			return nil, fmt.Errorf("%s: no stable version found (use --include-prereleases or NAME==VERSION)", canon)
		}
		v = latest.Raw
		sp.Name = canon
	}
	return src.Release(ctx, sp.Name, v)
}

// Add pins every spec in the target lockfile. A pypi lockfile is resolved
// with its set (unless NoDeps): what the specs need is pinned too, in the
// lockfile its dependencies: names.
func Add(ctx context.Context, t *Target, specs []string, o Options) ([]Pinned, error) {
	eco := t.Source.Ecosystem()
	parsed := make([]Spec, len(specs))
	for i, s := range specs {
		sp, err := ParseSpec(eco, s)
		if err != nil {
			return nil, err
		}
		parsed[i] = sp
	}
	if eco == source.PyPI && !o.NoDeps && o.Set != nil {
		into := o.Set.target(t.Lock)
		if into == nil {
			return nil, failure.Usagef("%s is not a pypi lockfile of the set", t.Lock.Path)
		}
		if o.Set.isDepsFile(into) {
			return nil, failure.Usagef("%s holds the dependencies of %s: add to that lockfile instead", t.Lock.Path, o.Set.M.DependentsOf(into.Lock)[0].Path)
		}
		return o.Set.resolve(ctx, resolveRequest{into: into, specs: parsed, opts: o})
	}
	rels := make([]*source.Release, len(parsed))
	var extra [][]*source.Release
	extra = make([][]*source.Release, len(parsed))
	g, gctx := errgroup.WithContext(ctx)
	for i, sp := range parsed {
		g.Go(func() error {
			rel, err := resolve(gctx, t.Source, sp, o)
			if err != nil {
				return err
			}
			rels[i] = rel
			if req, ok := t.Source.(source.Requirer); ok {
				deps, err := req.BuildList(gctx, rel.Name, rel.Version)
				if err != nil {
					return err
				}
				extra[i], err = releases(gctx, t.Source, deps)
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Pinned
	for i, rel := range rels {
		out = append(out, t.pin(rel, "added", true))
		for _, d := range extra[i] {
			if p := t.require(d); p != nil {
				out = append(out, *p)
			}
		}
	}
	return out, nil
}

// releases fetches many releases at once.
func releases(ctx context.Context, src source.Source, pins []source.Pin) ([]*source.Release, error) {
	out := make([]*source.Release, len(pins))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range pins {
		g.Go(func() error {
			rel, err := src.Release(gctx, p.Name, p.Version)
			out[i] = rel
			return err
		})
	}
	return out, g.Wait()
}

// pin writes rel into the file, replacing an existing entry in place.
func (t *Target) pin(rel *source.Release, kind string, force bool) Pinned {
	eco := t.Source.Ecosystem()
	norm := lockfile.Normalizer(eco)
	hs := lockHashes(eco, rel)
	p := Pinned{File: t.Lock.Path, Name: rel.Name, Version: rel.Version, Hashes: len(hs), Kind: kind}
	if e := t.File.Find(rel.Name, norm); e != nil {
		p.From = e.Version
		p.Kind = classify(eco, e.Version, rel.Version, &p)
		// The user's spelling of the name stays: only the pin changes.
		if !t.File.Update(e, e.Name, rel.Version, hs) {
			p.Kind = "unchanged"
		} else if p.Kind == "unchanged" {
			p.Kind = "rehashed"
		}
		return p
	}
	t.File.Add(rel.Name, rel.Version, hs, norm)
	return p
}

// require raises or adds a pin that another pin's build needs; it never
// lowers one. It returns nil when nothing changed.
func (t *Target) require(rel *source.Release) *Pinned {
	eco := t.Source.Ecosystem()
	if e := t.File.Find(rel.Name, lockfile.Normalizer(eco)); e != nil {
		a, err1 := version.Parse(eco, e.Version)
		b, err2 := version.Parse(eco, rel.Version)
		if err1 == nil && err2 == nil && version.Compare(a, b) >= 0 && len(e.Hashes) > 0 {
			return nil
		}
	}
	p := t.pin(rel, "required", false)
	if p.Kind == "unchanged" {
		return nil
	}
	if p.From == "" {
		p.Kind = "required"
	}
	return &p
}

func classify(eco, from, to string, p *Pinned) string {
	if from == to {
		return "unchanged"
	}
	a, err1 := version.Parse(eco, from)
	b, err2 := version.Parse(eco, to)
	if err1 != nil || err2 != nil {
		return "upgraded"
	}
	p.Level = version.Classify(a, b).String()
	if version.Compare(a, b) > 0 {
		return "downgraded"
	}
	return "upgraded"
}

// Outdated is one pin with a newer version available.
type Outdated struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Current string `json:"current"`
	Latest  string `json:"latest"`
	Level   string `json:"level"`
}

// plan computes the upgrades for a target: which entries move to which
// release. names limits it; empty means all.
func plan(ctx context.Context, t *Target, names []string, o Options) ([]*lockfile.Entry, []*source.Release, error) {
	eco := t.Source.Ecosystem()
	norm := lockfile.Normalizer(eco)
	var entries []*lockfile.Entry
	if len(names) == 0 {
		entries = t.File.Entries()
	} else {
		for _, n := range names {
			if e := t.File.Find(n, norm); e != nil {
				entries = append(entries, e)
			}
		}
	}
	rels := make([]*source.Release, len(entries))
	g, gctx := errgroup.WithContext(ctx)
	for i, e := range entries {
		g.Go(func() error {
			canon, versions, err := t.Source.Versions(gctx, e.Name)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
			}
			cur, err := version.Parse(eco, e.Version)
			var like *version.V
			if err == nil && eco == source.OCI {
				like = &cur
			}
			latest, ok := version.Latest(eco, versions, o.IncludePre || (err == nil && cur.Pre), like)
			if !ok {
				return nil
			}
			if err == nil && version.Compare(latest, cur) < 0 {
				return nil
			}
			// Images move under a fixed tag; other ecosystems publish a
			// version once, so an unchanged version needs no request.
			if latest.Raw == e.Version && eco != source.OCI && e.Pinned() {
				return nil
			}
			rel, err := t.Source.Release(gctx, canon, latest.Raw)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
			}
			rels[i] = rel
			return nil
		})
	}
	return entries, rels, g.Wait()
}

// Upgrade moves pins to their latest version: every pin when names is
// empty, else the named ones wherever they are pinned.
func Upgrade(ctx context.Context, targets []*Target, names []string, o Options) ([]Pinned, error) {
	if !o.NoDeps && o.Set != nil {
		var rest []*Target
		var py []*Target
		for _, t := range targets {
			if t.Source.Ecosystem() == source.PyPI {
				py = append(py, t)
			} else {
				rest = append(rest, t)
			}
		}
		if len(py) > 0 {
			// The set is resolved as a whole, whichever of its files were
			// named: a pin's move can move its dependencies anywhere.
			var mine []string
			for _, n := range names {
				if len(o.Set.present(n)) > 0 {
					mine = append(mine, n)
				}
			}
			all := len(names) == 0
			if all && len(py) < len(o.Set.Targets) {
				// --all with -f: every pin of that file moves, the rest of
				// the set only as far as it must.
				all = false
				for _, t := range py {
					for _, e := range t.File.Entries() {
						mine = append(mine, e.Name)
					}
				}
			}
			var out []Pinned
			if len(names) == 0 || len(mine) > 0 {
				p, err := o.Set.resolve(ctx, resolveRequest{into: o.Set.directTarget(), upgrade: mine, all: all, prune: true, opts: o})
				if err != nil {
					return nil, err
				}
				out = p
			}
			var left []string
			for _, n := range names {
				if !slices.Contains(mine, n) {
					left = append(left, n)
				}
			}
			if len(rest) == 0 {
				if len(left) > 0 {
					return nil, failure.Usagef("%s is not pinned in any lockfile acted on", left[0])
				}
				return out, nil
			}
			if len(names) > 0 && len(left) == 0 {
				return out, nil
			}
			more, err := Upgrade(ctx, rest, left, Options{IncludePre: o.IncludePre})
			return append(out, more...), err
		}
	}
	found := map[string]bool{}
	var out []Pinned
	for _, t := range targets {
		var mine []string
		if len(names) > 0 {
			if mine = t.Present(names); len(mine) == 0 {
				continue
			}
			for _, n := range mine {
				found[n] = true
			}
		}
		p, err := upgrade(ctx, t, mine, o)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	for _, n := range names {
		if !found[n] {
			return nil, failure.Usagef("%s is not pinned in any lockfile acted on", n)
		}
	}
	return out, nil
}

func upgrade(ctx context.Context, t *Target, names []string, o Options) ([]Pinned, error) {
	_, rels, err := plan(ctx, t, names, o)
	if err != nil {
		return nil, err
	}
	var out []Pinned
	var mu sync.Mutex
	var moved []*source.Release
	for _, rel := range rels {
		if rel == nil {
			continue
		}
		p := t.pin(rel, "upgraded", false)
		if p.Kind != "unchanged" {
			out = append(out, p)
			moved = append(moved, rel)
		}
	}
	if req, ok := t.Source.(source.Requirer); ok && len(moved) > 0 {
		g, gctx := errgroup.WithContext(ctx)
		var extra []*source.Release
		for _, rel := range moved {
			g.Go(func() error {
				deps, err := req.BuildList(gctx, rel.Name, rel.Version)
				if err != nil {
					return err
				}
				rs, err := releases(gctx, t.Source, deps)
				mu.Lock()
				extra = append(extra, rs...)
				mu.Unlock()
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for _, d := range extra {
			if p := t.require(d); p != nil {
				out = append(out, *p)
			}
		}
	}
	return out, nil
}

// ListOutdated reports what Upgrade would change, without writing.
func ListOutdated(ctx context.Context, t *Target, o Options) ([]Outdated, error) {
	entries, rels, err := plan(ctx, t, nil, o)
	if err != nil {
		return nil, err
	}
	var out []Outdated
	eco := t.Source.Ecosystem()
	for i, rel := range rels {
		if rel == nil {
			continue
		}
		e := entries[i]
		row := Outdated{File: t.Lock.Path, Line: e.Line, Name: e.Name, Current: e.Version, Latest: rel.Version}
		if rel.Version == e.Version {
			if sameHashes(e.Hashes, lockHashes(eco, rel)) {
				continue
			}
			row.Level = "rehash"
		} else {
			var p Pinned
			classify(eco, e.Version, rel.Version, &p)
			row.Level = p.Level
			if row.Level == "" {
				row.Level = "major"
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func sameHashes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[string]bool{}
	for _, h := range a {
		set[lockfile.NormHash(h)] = true
	}
	for _, h := range b {
		if !set[lockfile.NormHash(h)] {
			return false
		}
	}
	return true
}

// Present returns those of names that the target pins.
func (t *Target) Present(names []string) []string {
	norm := lockfile.Normalizer(t.Source.Ecosystem())
	var out []string
	for _, n := range names {
		if t.File.Find(n, norm) != nil {
			out = append(out, n)
		}
	}
	return out
}
