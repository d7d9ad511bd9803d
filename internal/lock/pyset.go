package lock

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/pydeps"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/wheel"
)

// PySet is the pypi lockfiles of a manifest seen as one pin set, the way
// `pip install -r default.txt -r constraints.txt` installs them: resolved
// together, complete together.
type PySet struct {
	M       *manifest.Manifest
	Targets []*Target
	Envs    []pep508.Env
}

// NewPySet picks the pypi targets out of targets loaded by Load, to be
// resolved and checked for the environments dist.yaml names (Pythons ×
// image.platforms). It returns nil when there is no pypi target.
func NewPySet(m *manifest.Manifest, targets []*Target) (*PySet, error) {
	if !slices.ContainsFunc(targets, func(t *Target) bool { return t.Lock.Ecosystem == source.PyPI }) {
		return nil, nil
	}
	pythons, err := Pythons(m)
	if err != nil {
		return nil, err
	}
	var platforms []string
	if m.Image != nil {
		platforms = m.Image.Platforms
	}
	envs, err := pydeps.Envs(pythons, platforms)
	if err != nil {
		return nil, failure.Usagef("%s: %w", m.Path, err)
	}
	return PySetFor(m, targets, envs)
}

// PySetFor picks the pypi targets out of targets, to be checked for the
// given environments (an image's: its Python on one platform) rather than
// the ones dist.yaml names. It returns nil when there is no pypi target.
func PySetFor(m *manifest.Manifest, targets []*Target, envs []pep508.Env) (*PySet, error) {
	s := &PySet{M: m, Envs: envs}
	for _, t := range targets {
		if t.Lock.Ecosystem == source.PyPI {
			s.Targets = append(s.Targets, t)
		}
	}
	if len(s.Targets) == 0 {
		return nil, nil
	}
	return s, nil
}

// Pythons returns the Python versions a distribution's pypi lockfiles are
// resolved for: the lockfiles' python_version lists, else
// image.python.version, else the version in image.python's paths.
func Pythons(m *manifest.Manifest) ([]string, error) {
	var out []string
	for _, l := range m.Lockfiles {
		if l.Ecosystem != source.PyPI {
			continue
		}
		for _, v := range l.PythonVersion {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if v, ok := wheel.ManifestPython(m); ok {
		return []string{v}, nil
	}
	return nil, failure.Usagef("%s: no Python version to resolve the pypi lockfiles for: set python_version on a pypi lockfile or image.python.version", m.Path)
}

// graph returns the dependency graph over the set's index: the first
// lockfile's source, the one a user's pins come from.
func (s *PySet) graph() (*pydeps.Graph, error) {
	idx, ok := s.Targets[0].Source.(pydeps.Index)
	if !ok {
		return nil, fmt.Errorf("%s: its source cannot read core metadata", s.Targets[0].Lock.Path)
	}
	if files := s.urlPins(); len(files) > 0 {
		fm, _ := idx.(fileMetadata)
		idx = urlIndex{Index: idx, files: files, src: fm}
	}
	return pydeps.New(idx, s.Envs), nil
}

// isDepsFile reports whether a lockfile receives another's dependencies.
func (s *PySet) isDepsFile(t *Target) bool { return len(s.M.DependentsOf(t.Lock)) > 0 }

// direct tells a direct pin from a dependency (DESIGN §2): every pin of a
// lockfile that names dependencies: is direct, every pin of the lockfile it
// names is not, and in a lockfile that holds both a pin is direct unless a
// "# via" note names another pin.
func (s *PySet) direct(t *Target, e *lockfile.Entry) bool {
	switch {
	case t.Lock.Dependencies != "":
		return true
	case s.isDepsFile(t):
		return false
	}
	return len(e.Via()) == 0
}

type located struct {
	t *Target
	e *lockfile.Entry
}

func (l located) where() string { return fmt.Sprintf("%s:%d", l.t.Lock.Path, l.e.Line) }

// entries lists every pin of the set, in file order.
func (s *PySet) entries() []located {
	var out []located
	for _, t := range s.Targets {
		for _, e := range t.File.Entries() {
			out = append(out, located{t, e})
		}
	}
	return out
}

// depEntries turns the set into what pydeps checks; a line it cannot read
// (an unpinned or URL requirement, a bad marker) becomes a problem instead,
// a malformed one.
func (s *PySet) depEntries() ([]pydeps.Entry, []Problem) {
	var out []pydeps.Entry
	var problems []Problem
	for _, l := range s.entries() {
		bad := func(format string, args ...any) {
			problems = append(problems, Problem{File: l.t.Lock.Path, Line: l.e.Line, Name: l.e.Name, Version: l.e.Version, Problem: fmt.Sprintf(format, args...), Malformed: true})
		}
		v := l.e.Version
		if l.e.IsURL() {
			// A file, read at the version its name states (see
			// urlIndex); pipRefusals says whether pip takes it.
			var ok bool
			if v, ok = urlVersion(l.e); !ok || len(l.e.Hashes) == 0 {
				continue
			}
		} else if !l.e.Pinned() {
			continue // Verify reports it already
		}
		pe := pydeps.Entry{Name: l.e.Name, Version: v, Extras: l.e.ExtraNames(), Where: l.where(), Direct: s.direct(l.t, l.e)}
		if l.e.Marker != "" {
			m, err := pep508.ParseMarker(l.e.Marker)
			if err != nil {
				bad("environment marker %q: %v", l.e.Marker, err)
				continue
			}
			pe.Marker = m
		}
		out = append(out, pe)
	}
	return out, problems
}

// Complete checks the set's completeness in every target environment, and
// that pip installs every line of it in --require-hashes mode.
func (s *PySet) Complete(ctx context.Context) ([]Problem, error) {
	problems, err := s.check(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, t := range s.Targets {
		problems = append(problems, pipRefusals(t)...)
	}
	return problems, nil
}

// Exact is Complete, and also reports the dependency pins nothing
// requires any more: what lock verify checks.
func (s *PySet) Exact(ctx context.Context) ([]Problem, error) {
	return s.check(ctx, true)
}

func (s *PySet) check(ctx context.Context, unrequired bool) ([]Problem, error) {
	g, err := s.graph()
	if err != nil {
		return nil, err
	}
	return s.checkGraph(ctx, g, unrequired)
}

// checkGraph is check over the requirements g reads.
func (s *PySet) checkGraph(ctx context.Context, g *pydeps.Graph, unrequired bool) ([]Problem, error) {
	entries, problems := s.depEntries()
	found, err := pydeps.Check(ctx, g, entries)
	if err != nil {
		return nil, err
	}
	if unrequired {
		more, err := pydeps.Unrequired(ctx, g, entries)
		if err != nil {
			return nil, err
		}
		found = append(found, more...)
	}
	for _, p := range found {
		file, line := splitWhere(p.Where)
		problems = append(problems, Problem{File: file, Line: line, Name: p.Name, Version: p.Version, Problem: p.Message})
	}
	return problems, nil
}

// IncompleteError is a pin set that misses requirements: the problems, as
// lock verify reports them.
type IncompleteError struct {
	Envs     []pep508.Env
	Problems []Problem
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	b.WriteString("the pypi lockfiles are not complete")
	if len(e.Envs) == 1 {
		b.WriteString(" for " + e.Envs[0].String())
	}
	b.WriteString(" (dist lock add or dist lock upgrade resolves them):")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// RequireComplete is Complete for the commands that ship the set (build,
// bundle): an incomplete set is an *IncompleteError, a failed check
// (*failure.CheckError) as lock verify's report of it is.
func (s *PySet) RequireComplete(ctx context.Context) error {
	problems, err := s.Complete(ctx)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return failure.Check(&IncompleteError{Envs: s.Envs, Problems: problems})
	}
	return nil
}

func splitWhere(w string) (string, int) {
	i := strings.LastIndexByte(w, ':')
	if i < 0 {
		return w, 0
	}
	n := 0
	fmt.Sscan(w[i+1:], &n)
	return w[:i], n
}

// Link is one step of a chain lock why shows: the pin reached, where it is
// pinned, and the requirement that reached it ("" for the direct pin a
// chain starts at).
type Link struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Requirement string `json:"requirement,omitempty"`
	File        string `json:"file,omitempty"`
	Line        int    `json:"line,omitempty"`
}

// Why returns every chain of requirements that brings name into the set,
// each from a direct pin to the named one.
func (s *PySet) Why(ctx context.Context, name string) ([][]Link, error) {
	g, err := s.graph()
	if err != nil {
		return nil, err
	}
	entries, _ := s.depEntries()
	found := false
	for _, e := range entries {
		found = found || pep508.NormalizeName(e.Name) == pep508.NormalizeName(name)
	}
	if !found {
		return nil, failure.Usagef("%s is not pinned in any pypi lockfile", name)
	}
	chains, err := pydeps.Why(ctx, g, entries, name, 100)
	if err != nil {
		return nil, err
	}
	out := make([][]Link, len(chains))
	for i, c := range chains {
		for _, l := range c {
			file, line := splitWhere(l.Where)
			out[i] = append(out[i], Link{Name: l.Name, Version: l.Version, Requirement: l.Requirement, File: file, Line: line})
		}
	}
	return out, nil
}

// resolveRequest says what the set asks for: every direct pin, as a
// requirement free to move but preferring its version, with the new specs
// (which win over a direct pin of the same name).
type resolveRequest struct {
	into    *Target // where new direct pins go
	specs   []Spec
	upgrade []string // names whose pins are not preferred
	all     bool     // upgrade everything
	prune   bool     // remove dependency pins nothing requires
	opts    Options
}

// Resolve runs the resolver over the set and writes the result into its
// lockfiles (in memory; the caller writes or diffs them).
func (s *PySet) resolve(ctx context.Context, rq resolveRequest) ([]Pinned, error) {
	g, err := s.graph()
	if err != nil {
		return nil, err
	}
	req := pydeps.Request{Prefer: map[string]string{}, Where: map[string]string{}, Pinned: map[string]string{}, IncludePre: rq.opts.IncludePre}
	asked := map[string]bool{}
	for _, sp := range rq.specs {
		asked[pep508.NormalizeName(sp.Name)] = true
	}
	upgrading := map[string]bool{}
	for _, n := range rq.upgrade {
		upgrading[pep508.NormalizeName(n)] = true
	}
	existing := map[string]located{}
	for _, l := range s.entries() {
		n := pep508.NormalizeName(l.e.Name)
		if _, dup := existing[n]; dup || !l.e.Pinned() {
			continue
		}
		existing[n] = l
		req.Pinned[n] = l.e.Version
		if !rq.all && !upgrading[n] && !asked[n] {
			req.Prefer[n] = l.e.Version
		}
		req.Where[n] = l.where()
		if !s.direct(l.t, l.e) || asked[n] {
			continue
		}
		r, err := entryRequirement(l)
		if err != nil {
			return nil, err
		}
		req.Direct = append(req.Direct, pydeps.Direct{Req: r, Where: l.where()})
	}
	// A project or version the index lacks is said as the index says it,
	// before resolving turns it into a conflict. Asked all at once: each
	// is a round trip.
	eg, ectx := errgroup.WithContext(ctx)
	for _, sp := range rq.specs {
		eg.Go(func() error {
			if sp.Version != "" {
				_, err := rq.into.Source.Release(ectx, sp.Name, sp.Version)
				return err
			}
			_, _, err := rq.into.Source.Versions(ectx, sp.Name)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for _, sp := range rq.specs {
		text := sp.requirement()
		r, err := pep508.ParseRequirement(text)
		if err != nil {
			return nil, failure.Usagef("%s: %w", text, err)
		}
		req.Direct = append(req.Direct, pydeps.Direct{Req: r})
	}
	res, err := pydeps.Resolve(ctx, g, req)
	if err != nil {
		return nil, err
	}
	return s.apply(ctx, g, rq, req, res, existing)
}

// entryRequirement reads a direct pin as the requirement it stands for:
// its name, extras and marker, any version.
func entryRequirement(l located) (pep508.Requirement, error) {
	text := l.e.Name + l.e.Extras
	if l.e.Marker != "" {
		text += " ; " + l.e.Marker
	}
	r, err := pep508.ParseRequirement(text)
	if err != nil {
		return r, fmt.Errorf("%s: %w", l.where(), err)
	}
	return r, nil
}

// apply writes a resolution into the set's files.
func (s *PySet) apply(ctx context.Context, g *pydeps.Graph, rq resolveRequest, req pydeps.Request, res *pydeps.Result, existing map[string]located) ([]Pinned, error) {
	depsFile := s.target(s.M.DependenciesOf(rq.into.Lock))
	if depsFile == nil {
		depsFile = rq.into
	}
	// Every release's files at once, from the file each pin will live in
	// (its narrowing decides which hashes it keeps).
	home := make([]*Target, len(res.Pins))
	rels := make([]*source.Release, len(res.Pins))
	eg, ectx := errgroup.WithContext(ctx)
	for i, p := range res.Pins {
		l, had := existing[p.Name]
		switch {
		case had && isAsked(rq, p.Name) && !s.direct(l.t, l.e):
			// A dependency the user now asks for moves to the direct file.
			home[i] = rq.into
		case had:
			home[i] = l.t
		case p.Direct:
			home[i] = rq.into
		default:
			home[i] = depsFile
		}
		eg.Go(func() error {
			rel, err := home[i].Source.Release(ectx, p.Name, p.Version)
			rels[i] = rel
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	var out []Pinned
	kept := map[string]bool{}
	for i, p := range res.Pins {
		t := home[i]
		kept[p.Name] = true
		l, had := existing[p.Name]
		movedFrom := ""
		if had && l.t != t {
			for _, e := range findAllPins(l.t.File, p.Name, lockfile.Normalizer(source.PyPI)) {
				l.t.File.Remove(e)
			}
			had, movedFrom = false, l.t.Lock.Path
		}
		pin := t.pin(rels[i], Added, true)
		if movedFrom != "" {
			// Moved from the dependencies file: say so, and say it if the
			// version moved too.
			pin.From = l.e.Version
			pin.Kind = classify(source.PyPI, l.e.Version, pin.Version, &pin)
			if pin.Kind == Unchanged {
				pin.Kind = Added
			}
			pin.Why = "moved from " + movedFrom
		}
		if had {
			pin.Name = l.e.Name
		} else if !p.Direct {
			pin.Kind = Required
		}
		e := findPin(t.File, p.Name, lockfile.Normalizer(source.PyPI))
		if sp, ok := askedSpec(rq, p.Name); ok && sp.Extras != "" {
			t.File.SetExtras(e, sp.Extras)
			pin.Extras = sp.Extras
		}
		noted := false
		if !p.Direct {
			// A dependency carries the marker the resolver derived and a
			// note of what needs it; a direct pin's marker and notes are
			// the user's.
			noted = t.File.SetMarker(e, p.Marker)
			noted = t.File.SetVia(e, p.Via) || noted
		} else if !had {
			t.File.SetMarker(e, p.Marker)
		} else if isAsked(rq, p.Name) && len(e.Via()) > 0 {
			// Asked for by name, a dependency becomes a direct pin: in a
			// lockfile that holds both, that is a pin without a via note.
			t.File.SetVia(e, nil)
			pin.Kind = Added
		}
		noted = syncAsked(t, e, p) || noted
		if noted && (pin.Kind == Unchanged || pin.Kind == Rehashed) {
			pin.Kind = Noted
		}
		if !p.Direct {
			// A direct pin is there because it was asked for, whoever
			// else needs it.
			pin.Via = p.Via
		}
		pin.Marker = p.Marker
		if pin.From != "" && pin.From != pin.Version && req.Prefer[p.Name] != "" {
			pin.Why = s.moved(ctx, g, res, p.Name, pin.From)
		}
		if pin.Kind != Unchanged || isAsked(rq, p.Name) {
			out = append(out, pin)
		}
	}
	for n, l := range existing {
		if kept[n] || s.direct(l.t, l.e) || !rq.prune {
			continue
		}
		for _, e := range findAllPins(l.t.File, n, lockfile.Normalizer(source.PyPI)) {
			l.t.File.Remove(e)
		}
		out = append(out, Pinned{File: l.t.Lock.Path, Name: l.e.Name, From: l.e.Version, Kind: Removed, Why: "nothing requires it any more"})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return pep508.NormalizeName(out[i].Name) < pep508.NormalizeName(out[j].Name)
	})
	return out, nil
}

// syncAsked keeps one line per way a project is asked for, "lib" and
// "lib[fast]": pip's hash mode treats them as two requirements and wants
// each pinned and hashed (pypa/pip#9644), so one line would leave the
// other to a fresh, unhashed pick. The main entry is one of them; the
// others follow it with its version, hashes and marker. It reports
// whether anything changed.
func syncAsked(t *Target, main *lockfile.Entry, p *pydeps.Pin) bool {
	want := map[string]pydeps.Ask{}
	for _, a := range p.Asked {
		want[strings.Join(a.Extras, ",")] = a
	}
	have := map[string]bool{extrasKey(main): true}
	changed := false
	last := main
	for _, e := range findAllPins(t.File, p.Name, lockfile.Normalizer(source.PyPI)) {
		if e == main {
			continue
		}
		k := extrasKey(e)
		a, ok := want[k]
		if !ok || have[k] {
			t.File.Remove(e)
			changed = true
			continue
		}
		have[k] = true
		changed = t.File.Update(e, e.Name, main.Version, main.Hashes) || changed
		changed = t.File.SetMarker(e, a.Marker) || changed
		last = e
	}
	for _, a := range p.Asked {
		k := strings.Join(a.Extras, ",")
		if have[k] {
			continue
		}
		have[k] = true
		extras := ""
		if k != "" {
			extras = "[" + k + "]"
		}
		ne := t.File.AddAfter(last, main.Name, extras, main.Version, main.Hashes)
		// A line asks its extras only where it applies: where some
		// requirement asks for them.
		t.File.SetMarker(ne, a.Marker)
		last, changed = ne, true
	}
	return changed
}

// extrasKey is a line's extras ("[Socks, tls]") as Pin.Asked spells them:
// normalized, sorted, comma-joined; "" for none.
func extrasKey(e *lockfile.Entry) string {
	var xs []string
	for _, x := range e.ExtraNames() {
		xs = append(xs, pep508.NormalizeName(x))
	}
	slices.Sort(xs)
	return strings.Join(xs, ",")
}

func isAsked(rq resolveRequest, name string) bool {
	_, ok := askedSpec(rq, name)
	return ok
}

func askedSpec(rq resolveRequest, name string) (Spec, bool) {
	for _, sp := range rq.specs {
		if pep508.NormalizeName(sp.Name) == name {
			return sp, true
		}
	}
	return Spec{}, false
}

// present returns the targets that pin name.
func (s *PySet) present(name string) []*Target {
	var out []*Target
	for _, t := range s.Targets {
		if len(t.Present([]string{name})) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// directTarget is where new direct pins of an upgrade would go: the first
// lockfile that is not a dependencies file.
func (s *PySet) directTarget() *Target {
	for _, t := range s.Targets {
		if !s.isDepsFile(t) {
			return t
		}
	}
	return s.Targets[0]
}

func (s *PySet) target(l *manifest.Lockfile) *Target {
	for _, t := range s.Targets {
		if filepath.Clean(t.Lock.Path) == filepath.Clean(l.Path) {
			return t
		}
	}
	return nil
}

// moved says why a pin left its version: the requirements of the new set
// that rule the old version out.
func (s *PySet) moved(ctx context.Context, g *pydeps.Graph, res *pydeps.Result, name, old string) string {
	var why []string
	for _, p := range res.Pins {
		reqs, err := g.Requirements(ctx, p.Name, p.Version)
		if err != nil {
			continue
		}
		for _, r := range reqs {
			if pep508.NormalizeName(r.Name) == name && !r.Specifiers.Contains(old, true) {
				r.Marker = nil
				why = append(why, fmt.Sprintf("%s %s requires %s", p.Name, p.Version, r.String()))
			}
		}
	}
	if len(why) == 0 {
		return ""
	}
	return strings.Join(why, "; ")
}
