package pydeps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/distbuild/dist/internal/pep440"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/resolver"
	"github.com/distbuild/dist/internal/source"
)

// Direct is one requirement the user asked for.
type Direct struct {
	Req pep508.Requirement
	// Where names its place, "lockfiles/default.txt:3", or "" for the
	// command line.
	Where string
}

// Request is what to resolve.
type Request struct {
	Direct []Direct
	// Prefer maps normalized names to the version to keep when it is
	// allowed: the pins the set has today.
	Prefer map[string]string
	// Where maps normalized names to "file:line" of today's pin, for
	// messages.
	Where map[string]string
	// Pinned maps normalized names to today's pins, preferred or not: a
	// project pinned at a prerelease may stay on prereleases.
	Pinned map[string]string
	// IncludePre admits prereleases everywhere, not only where a
	// specifier names one.
	IncludePre bool
	// Constraints bound the versions of the projects they name (by
	// normalized name) wherever the set needs them, as pip's -c
	// constraints and pip-compile's --upgrade-package NAME==VERSION do:
	// they require nothing and make no pin direct. A prerelease they
	// admit is still picked only as PEP 440 allows (IncludePre, or named by
	// a specifier, or the only versions left).
	Constraints map[string]pep440.Specifiers
}

// Pin is one resolved project.
type Pin struct {
	Name    string // PEP 503-normalized
	Version string
	Direct  bool
	// Via lists the normalized names of the pins that require it, sorted.
	Via []string
	// Marker is "" when every target needs the pin, else the environment
	// marker that selects the targets that do (PEP 508, canonical form).
	Marker string
	// Asked lists each way the project is asked for, sorted by extras.
	// pip's hash mode treats "lib" and "lib[fast]" as two requirements,
	// each needing its own pinned, hashed line.
	Asked []Ask

	asked map[string][]bool // by extras key: the targets that ask it
}

// Ask is one way a project is asked for.
type Ask struct {
	Extras []string // sorted and normalized; nil for the bare name
	// Marker selects the targets that ask it this way, "" for all.
	Marker string
}

// Result is a resolved pin set.
type Result struct {
	Pins []*Pin // sorted by name
}

// Find returns the pin of a name, nil when there is none.
func (r *Result) Find(name string) *Pin {
	n := pep508.NormalizeName(name)
	for _, p := range r.Pins {
		if p.Name == n {
			return p
		}
	}
	return nil
}

// Resolve picks one version of every project the direct requirements need,
// in every target environment, newest first but keeping Prefer's pins where
// they are allowed. An impossible set is a *resolver.Conflict whose chain
// names each requirement that takes part.
func Resolve(ctx context.Context, g *Graph, req Request) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	p := &provider{g: g, req: req, versions: map[string]*versionsEntry{}, bg: ctx}
	// No prefetch outlives the resolution: what it still reads is not
	// needed, and it must not write to the cache after the caller is done.
	defer func() {
		cancel()
		p.prefetch.Wait()
	}()
	var roots []resolver.Dependency
	for _, d := range req.Direct {
		if !anyEnv(d.Req, g.envs, nil) {
			continue
		}
		text := reqText(d.Req)
		if d.Where != "" {
			text += " (" + d.Where + ")"
		}
		roots = append(roots, p.deps(d.Req, text)...)
	}
	sol, err := resolver.Solve(ctx, p, roots, resolver.Options{Prefer: func(key string) string {
		name, _ := splitKey(key)
		return req.Prefer[name]
	}})
	if err != nil {
		return nil, err
	}
	return p.result(ctx, sol)
}

func anyEnv(r pep508.Requirement, envs []pep508.Env, extras []string) bool {
	for _, e := range envs {
		if active(r, e, extras) {
			return true
		}
	}
	return false
}

// provider is the resolver's view of the index: packages are normalized
// names, or "name[extra]" for the requirements an extra adds.
type provider struct {
	g   *Graph
	req Request
	// bg outlives each call: prefetches started while listing versions
	// must not end with the call that started them.
	bg       context.Context
	prefetch sync.WaitGroup

	mu       sync.Mutex
	versions map[string]*versionsEntry
}

type versionsEntry struct {
	done chan struct{}
	vs   []string
	err  error
}

var _ resolver.Describer = (*provider)(nil)

// Describe says where today's pin of a version is.
func (p *provider) Describe(key, version string) string {
	name, _ := splitKey(key)
	if p.req.Prefer[name] == version && p.req.Where[name] != "" {
		return "(" + p.req.Where[name] + ")"
	}
	return ""
}

// Versions lists the versions with a file for every target Python.
func (p *provider) Versions(ctx context.Context, key string) ([]string, error) {
	name, _ := splitKey(key)
	p.mu.Lock()
	e := p.versions[name]
	if e == nil {
		e = &versionsEntry{done: make(chan struct{})}
		p.versions[name] = e
		p.mu.Unlock()
		e.vs, e.err = p.load(ctx, name)
		close(e.done)
	} else {
		p.mu.Unlock()
		<-e.done
	}
	return e.vs, e.err
}

func (p *provider) load(ctx context.Context, name string) ([]string, error) {
	_, all, err := p.g.idx.Versions(ctx, name)
	if errors.Is(err, source.ErrNotFound) {
		return nil, fmt.Errorf("%w: %v", resolver.ErrNoPackage, err)
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range all {
		rel, err := p.g.idx.Release(ctx, name, v)
		if errors.Is(err, source.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if p.g.pythonOK(rel) {
			out = append(out, v)
		}
	}
	if len(out) == 0 && len(all) > 0 {
		return nil, fmt.Errorf("%w: %s has no version for %s", resolver.ErrNoPackage, name, p.pythons())
	}
	if c, ok := p.req.Constraints[name]; ok {
		// Prereleases stay in: the requirements' filters decide on them.
		if out = c.Filter(out, true); len(out) == 0 {
			return nil, fmt.Errorf("%w: no version of %s for %s meets %s", resolver.ErrNoPackage, name, p.pythons(), c)
		}
	}
	// Read the metadata of the version the resolver will most likely pick
	// while it works on other packages: resolution waits on the network,
	// and this overlaps the waits.
	want := p.req.Prefer[name]
	if !slices.Contains(out, want) && len(out) > 0 {
		want = out[len(out)-1]
	}
	if want != "" {
		p.prefetch.Go(func() { p.g.Requirements(p.bg, name, want) })
	}
	return out, nil
}

func (p *provider) pythons() string {
	var ps []string
	for _, e := range p.g.envs {
		if !slices.Contains(ps, "python "+e.PythonVersion) {
			ps = append(ps, "python "+e.PythonVersion)
		}
	}
	return strings.Join(ps, ", ")
}

// Dependencies of "name" are its requirements without an extra; those of
// "name[extra]" are name itself at the same version plus what the extra
// adds.
func (p *provider) Dependencies(ctx context.Context, key, version string) ([]resolver.Dependency, error) {
	name, extra := splitKey(key)
	reqs, err := p.g.Requirements(ctx, name, version)
	if err != nil {
		return nil, err
	}
	var out []resolver.Dependency
	if extra != "" {
		out = append(out, resolver.Dependency{Package: name, Text: name + "==" + version, Allowed: func(vs []string) []bool {
			ok := make([]bool, len(vs))
			for i, v := range vs {
				ok[i] = v == version
			}
			return ok
		}})
	}
	for _, r := range reqs {
		if extra == "" {
			if !anyEnv(r, p.g.envs, nil) {
				continue
			}
		} else if !anyEnv(r, p.g.envs, []string{extra}) || anyEnv(r, p.g.envs, nil) {
			continue
		}
		out = append(out, p.deps(r, reqText(r))...)
	}
	return out, nil
}

// deps turns one requirement into the resolver's: the project, and each
// extra asked for.
func (p *provider) deps(r pep508.Requirement, text string) []resolver.Dependency {
	name := pep508.NormalizeName(r.Name)
	allowed := p.allowed(name, r.Specifiers)
	out := []resolver.Dependency{{Package: name, Text: text, Allowed: allowed}}
	for _, x := range r.Extras {
		out = append(out, resolver.Dependency{Package: name + "[" + pep508.NormalizeName(x) + "]", Text: text, Allowed: allowed})
	}
	return out
}

// allowed filters versions by a specifier, with PEP 440's prerelease rule:
// only when asked for, named by the specifier, already pinned, or the only
// versions that match.
func (p *provider) allowed(name string, spec pep440.Specifiers) func([]string) []bool {
	pre := p.req.IncludePre || pep440.IsPrerelease(p.req.Pinned[name])
	return func(vs []string) []bool {
		keep := map[string]bool{}
		for _, v := range spec.Filter(vs, pre) {
			keep[v] = true
		}
		out := make([]bool, len(vs))
		for i, v := range vs {
			out[i] = keep[v]
		}
		return out
	}
}

// result walks the solution once per target to learn who needs each pin
// where: the via notes and the markers.
func (p *provider) result(ctx context.Context, sol resolver.Solution) (*Result, error) {
	pins := map[string]*Pin{}
	for key, v := range sol {
		if name, extra := splitKey(key); extra == "" {
			pins[name] = &Pin{Name: name, Version: v}
		}
	}
	need := map[string][]bool{}
	via := map[string]map[string]bool{}
	release := func(name string) (string, bool) {
		if pin := pins[name]; pin != nil {
			return pin.Version, true
		}
		return "", false
	}
	for ei, env := range p.g.envs {
		var roots []pep508.Requirement
		for _, d := range p.req.Direct {
			if active(d.Req, env, nil) {
				roots = append(roots, d.Req)
			}
		}
		reached, err := p.g.reach(ctx, env, roots, release, func(from string, r pep508.Requirement) {
			name := pep508.NormalizeName(r.Name)
			if pin := pins[name]; pin != nil {
				pin.ask(r.Extras, ei, len(p.g.envs))
				if from == "" {
					pin.Direct = true
				}
			}
			if from == "" {
				return
			}
			if via[name] == nil {
				via[name] = map[string]bool{}
			}
			if name != from {
				via[name][from] = true
			}
		})
		if err != nil {
			return nil, err
		}
		for name := range reached {
			if need[name] == nil {
				need[name] = make([]bool, len(p.g.envs))
			}
			need[name][ei] = true
		}
	}
	res := &Result{}
	for name, pin := range pins {
		if need[name] == nil {
			// Picked only to satisfy a requirement no target reaches.
			continue
		}
		for v := range via[name] {
			pin.Via = append(pin.Via, v)
		}
		sort.Strings(pin.Via)
		pin.Marker = markerFor(p.g.envs, need[name])
		for _, key := range sortedKeys(pin.asked) {
			a := Ask{Marker: markerFor(p.g.envs, pin.asked[key])}
			if key != "" {
				a.Extras = strings.Split(key, ",")
			}
			pin.Asked = append(pin.Asked, a)
		}
		res.Pins = append(res.Pins, pin)
	}
	sort.Slice(res.Pins, func(i, j int) bool { return res.Pins[i].Name < res.Pins[j].Name })
	return res, nil
}

// ask records that target ei asks for the project with extras.
func (p *Pin) ask(extras []string, ei, n int) {
	var xs []string
	for _, x := range extras {
		if x = pep508.NormalizeName(x); !slices.Contains(xs, x) {
			xs = append(xs, x)
		}
	}
	sort.Strings(xs)
	key := strings.Join(xs, ",")
	if p.asked == nil {
		p.asked = map[string][]bool{}
	}
	if p.asked[key] == nil {
		p.asked[key] = make([]bool, n)
	}
	p.asked[key][ei] = true
}

// markerFor writes the marker that holds in exactly the targets need marks:
// a Python clause and a machine clause when the set is a product of the
// two, else one clause per target.
func markerFor(envs []pep508.Env, need []bool) string {
	all := true
	for _, n := range need {
		all = all && n
	}
	if all {
		return ""
	}
	var pys, machines, needPys, needMachines []string
	for i, e := range envs {
		if !slices.Contains(pys, e.PythonVersion) {
			pys = append(pys, e.PythonVersion)
		}
		if !slices.Contains(machines, e.PlatformMachine) {
			machines = append(machines, e.PlatformMachine)
		}
		if need[i] {
			if !slices.Contains(needPys, e.PythonVersion) {
				needPys = append(needPys, e.PythonVersion)
			}
			if !slices.Contains(needMachines, e.PlatformMachine) {
				needMachines = append(needMachines, e.PlatformMachine)
			}
		}
	}
	product := true
	for i, e := range envs {
		if need[i] != (slices.Contains(needPys, e.PythonVersion) && slices.Contains(needMachines, e.PlatformMachine)) {
			product = false
		}
	}
	clause := func(variable string, values []string) string {
		var parts []string
		for _, v := range values {
			parts = append(parts, fmt.Sprintf("%s == %q", variable, v))
		}
		if len(parts) == 1 {
			return parts[0]
		}
		return "(" + strings.Join(parts, " or ") + ")"
	}
	if product {
		var parts []string
		if len(needPys) < len(pys) {
			parts = append(parts, clause("python_version", needPys))
		}
		if len(needMachines) < len(machines) {
			parts = append(parts, clause("platform_machine", needMachines))
		}
		return canonical(strings.Join(parts, " and "))
	}
	var ors []string
	for i, e := range envs {
		if need[i] {
			ors = append(ors, fmt.Sprintf("(python_version == %q and platform_machine == %q)", e.PythonVersion, e.PlatformMachine))
		}
	}
	return canonical(strings.Join(ors, " or "))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func canonical(m string) string {
	if pm, err := pep508.ParseMarker(m); err == nil {
		return pm.String()
	}
	return m
}
