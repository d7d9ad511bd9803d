package lockset

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

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
	// Manifest is the dist.yaml the lockfiles are listed in, which says
	// which of them holds another's dependencies.
	Manifest *manifest.Manifest
	Targets  []*Target
	Envs     []pep508.Env
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
	s := &PySet{Manifest: m, Envs: envs}
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

// Graph returns the dependency graph over the set's index (the first
// lockfile's source, the one a user's pins come from) for the set's
// environments; the set's URL lines are read from their files. It fails
// when that source cannot read core metadata.
func (s *PySet) Graph() (*pydeps.Graph, error) {
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

// IsDepsFile reports whether a lockfile receives another's dependencies.
func (s *PySet) IsDepsFile(t *Target) bool { return len(s.Manifest.DependentsOf(t.Lock)) > 0 }

// Direct tells a direct pin from a dependency (DESIGN §2): every pin of a
// lockfile that names dependencies: is direct, every pin of the lockfile it
// names is not, and in a lockfile that holds both a pin is direct unless a
// "# via" note names another pin.
func (s *PySet) Direct(t *Target, e *lockfile.Entry) bool {
	switch {
	case t.Lock.Dependencies != "":
		return true
	case s.IsDepsFile(t):
		return false
	}
	return len(e.Via()) == 0
}

// Located is one line of the set and the lockfile it is in.
type Located struct {
	Target *Target
	Entry  *lockfile.Entry
}

// Where is the line's place, "file:line", as pydeps carries it and
// SplitWhere reads it back.
func (l Located) Where() string { return fmt.Sprintf("%s:%d", l.Target.Lock.Path, l.Entry.Line) }

// Entries lists every pin of the set, in file order.
func (s *PySet) Entries() []Located {
	var out []Located
	for _, t := range s.Targets {
		for _, e := range t.File.Entries() {
			out = append(out, Located{t, e})
		}
	}
	return out
}

// DepEntries turns the set into what pydeps checks; a line it cannot read
// (an unpinned or URL requirement, a bad marker) becomes a problem instead,
// a malformed one.
func (s *PySet) DepEntries() ([]pydeps.Entry, []Problem) {
	var out []pydeps.Entry
	var problems []Problem
	for _, l := range s.Entries() {
		bad := func(format string, args ...any) {
			problems = append(problems, Problem{File: l.Target.Lock.Path, Line: l.Entry.Line, Name: l.Entry.Name, Version: l.Entry.Version, Problem: fmt.Sprintf(format, args...), Malformed: true})
		}
		v := l.Entry.Version
		if l.Entry.IsURL() {
			// A file, read at the version its name states (see
			// urlIndex); PipRefusals says whether pip takes it.
			var ok bool
			if v, ok = urlVersion(l.Entry); !ok || len(l.Entry.Hashes) == 0 {
				continue
			}
		} else if !l.Entry.Pinned() {
			continue // Verify reports it already
		}
		pe := pydeps.Entry{Name: l.Entry.Name, Version: v, Extras: l.Entry.ExtraNames(), Where: l.Where(), Direct: s.Direct(l.Target, l.Entry)}
		if l.Entry.Marker != "" {
			m, err := pep508.ParseMarker(l.Entry.Marker)
			if err != nil {
				bad("environment marker %q: %v", l.Entry.Marker, err)
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
		problems = append(problems, PipRefusals(t)...)
	}
	return problems, nil
}

// Exact is Complete, and also reports the dependency pins nothing
// requires any more: what lock verify checks.
func (s *PySet) Exact(ctx context.Context) ([]Problem, error) {
	return s.check(ctx, true)
}

func (s *PySet) check(ctx context.Context, unrequired bool) ([]Problem, error) {
	g, err := s.Graph()
	if err != nil {
		return nil, err
	}
	return s.checkGraph(ctx, g, unrequired)
}

// checkGraph is check over the requirements g reads.
func (s *PySet) checkGraph(ctx context.Context, g *pydeps.Graph, unrequired bool) ([]Problem, error) {
	entries, problems := s.DepEntries()
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
		file, line := SplitWhere(p.Where)
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

// SplitWhere reads a Where back into file and line (0 when w has none).
func SplitWhere(w string) (file string, line int) {
	i := strings.LastIndexByte(w, ':')
	if i < 0 {
		return w, 0
	}
	n := 0
	fmt.Sscan(w[i+1:], &n)
	return w[:i], n
}

// TargetOf returns the set's target for lockfile l, nil when l is not
// one of the set's.
func (s *PySet) TargetOf(l *manifest.Lockfile) *Target {
	for _, t := range s.Targets {
		if filepath.Clean(t.Lock.Path) == filepath.Clean(l.Path) {
			return t
		}
	}
	return nil
}
