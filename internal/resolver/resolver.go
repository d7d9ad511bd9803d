// Package resolver picks one version of every package a set of
// requirements needs, so that every requirement of every picked version is
// met: the backtracking resolution pip and uv do for Python, with
// conflict-driven learning so that a trap is explored once, not once per
// combination.
//
// It is written here because no Go resolver is served by the module proxy.
// The algorithm is PubGrub (Natalie Weizenbaum's, as Dart's pub and uv use
// it): unit propagation over incompatibilities, decisions newest-first, and
// conflict resolution that derives a new incompatibility and backjumps. A
// failure comes with the chain of facts that proves it.
//
// The resolver knows nothing of Python: packages are opaque names, versions
// are the strings a Provider lists (oldest first), and a requirement is a
// filter over that list. Extras are the caller's business (a "name[extra]"
// package whose every version requires "name" at that version, as pip's
// resolver models them).
package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Provider answers what the resolver asks of an index. Calls may run
// concurrently.
type Provider interface {
	// Versions lists a package's candidate versions, oldest first. A
	// package the index does not have is an error wrapping ErrNoPackage
	// (the resolver then treats it as having no versions, and says so).
	Versions(ctx context.Context, pkg string) ([]string, error)
	// Dependencies returns the requirements of one version. An error makes
	// that version unusable, with the error as the reason, rather than
	// ending the resolution: another version may do.
	Dependencies(ctx context.Context, pkg, version string) ([]Dependency, error)
}

// Describer may be implemented by a Provider to say where a version comes
// from in messages: "app 1.0 (default.txt:1)".
type Describer interface {
	Describe(pkg, version string) string
}

// ErrNoPackage is wrapped by a Provider's error for an unknown package.
var ErrNoPackage = errors.New("no such package")

// Dependency is one requirement of a package version (or of the root).
type Dependency struct {
	// Package is the required package's name, as the Provider knows it.
	Package string
	// Allowed reports, for each of the package's versions (as Versions
	// listed them), whether the requirement admits it.
	Allowed func(versions []string) []bool
	// Text is how messages show the requirement: "lib>=2,<3".
	Text string
}

// Options tune a resolution.
type Options struct {
	// Prefer returns the version to try first for a package ("" for
	// none): an existing pin, so that adding a project moves no pin that
	// does not have to move.
	Prefer func(pkg string) string
}

// Solution maps each package to its picked version. The root's
// requirements' packages and everything they need are in it.
type Solution map[string]string

// Conflict is the error for requirements no set of versions meets.
type Conflict struct {
	// Chain lists the facts that together rule out every choice, each
	// "w 1.0 requires lib>=2" or "no version of lib matches".
	Chain []string
}

func (c *Conflict) Error() string {
	return "no set of versions meets every requirement: " + strings.Join(c.Chain, "; ")
}

// Solve resolves the root requirements. It returns a *Conflict when they
// cannot all be met, and other errors only for failures to ask (a
// cancelled context, an index that cannot be read).
func Solve(ctx context.Context, p Provider, roots []Dependency, o Options) (Solution, error) {
	s := &solver{ctx: ctx, p: p, o: o, pkgs: map[string]*pkgInfo{}, incompats: map[string][]*incompat{}}
	s.pkgs[rootPkg] = &pkgInfo{name: rootPkg, versions: []string{""}, index: map[string]int{"": 0}}
	s.rootDeps = roots
	s.direct = map[string]bool{}
	for _, d := range roots {
		s.direct[d.Package] = true
	}
	return s.run()
}

const rootPkg = "\x00root"

type pkgInfo struct {
	name     string
	versions []string
	index    map[string]int
	err      error // why the package has no versions, when it has none
}

func (pi *pkgInfo) n() int { return len(pi.versions) }

type solver struct {
	ctx       context.Context
	p         Provider
	o         Options
	pkgs      map[string]*pkgInfo
	rootDeps  []Dependency
	direct    map[string]bool // the packages the root requires
	incompats map[string][]*incompat
	ps        partial
}

// load asks for the versions of every package not known yet, in parallel:
// a version's dependencies are all needed at once.
func (s *solver) load(names []string) error {
	var todo []string
	seen := map[string]bool{}
	for _, n := range names {
		if s.pkgs[n] == nil && !seen[n] {
			seen[n] = true
			todo = append(todo, n)
		}
	}
	infos := make([]*pkgInfo, len(todo))
	g, gctx := errgroup.WithContext(s.ctx)
	for i, n := range todo {
		g.Go(func() error {
			vs, err := s.p.Versions(gctx, n)
			pi := &pkgInfo{name: n, index: map[string]int{}}
			if err != nil {
				if !errors.Is(err, ErrNoPackage) {
					return err
				}
				pi.err = err
				vs = nil
			}
			for _, v := range vs {
				if _, dup := pi.index[v]; !dup {
					pi.index[v] = len(pi.versions)
					pi.versions = append(pi.versions, v)
				}
			}
			infos[i] = pi
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, pi := range infos {
		s.pkgs[pi.name] = pi
	}
	return nil
}

func (s *solver) run() (Solution, error) {
	s.addIncompat(&incompat{terms: []term{{pkg: rootPkg, set: fullSet(1), pos: false}}, kind: causeRoot})
	next := rootPkg
	for {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.propagate(next); err != nil {
			return nil, err
		}
		var err error
		next, err = s.decide()
		if err != nil {
			return nil, err
		}
		if next == "" {
			break
		}
	}
	out := Solution{}
	for pkg, idx := range s.ps.decisions {
		if pkg != rootPkg {
			out[pkg] = s.pkgs[pkg].versions[idx]
		}
	}
	return out, nil
}

func (s *solver) addIncompat(ic *incompat) {
	for _, t := range ic.terms {
		s.incompats[t.pkg] = append(s.incompats[t.pkg], ic)
	}
}

// propagate is PubGrub's unit propagation from one changed package.
func (s *solver) propagate(start string) error {
	changed := []string{start}
	for len(changed) > 0 {
		pkg := changed[len(changed)-1]
		changed = changed[:len(changed)-1]
		ics := s.incompats[pkg]
		// Newest first: learned incompatibilities are the most useful.
		for i := len(ics) - 1; i >= 0; i-- {
			ic := ics[i]
			res, derived := s.propagateOne(ic)
			switch res {
			case propConflict:
				root, err := s.resolveConflict(ic)
				if err != nil {
					return err
				}
				res, derived = s.propagateOne(root)
				if res != propDerived {
					return fmt.Errorf("resolver: internal error: learned incompatibility %s does not propagate", s.show(root))
				}
				changed = []string{derived}
			case propDerived:
				changed = append(changed, derived)
				continue
			default:
				continue
			}
			break
		}
	}
	return nil
}

type propResult int

const (
	propNone propResult = iota
	propDerived
	propConflict
)

func (s *solver) propagateOne(ic *incompat) (propResult, string) {
	var unsat *term
	for i := range ic.terms {
		t := &ic.terms[i]
		switch s.ps.relation(t) {
		case contradicted:
			return propNone, ""
		case inconclusive:
			if unsat != nil {
				return propNone, ""
			}
			unsat = t
		}
	}
	if unsat == nil {
		return propConflict, ""
	}
	s.ps.derive(unsat.negate(), ic)
	return propDerived, unsat.pkg
}

// resolveConflict derives, from an incompatibility the partial solution
// satisfies, one that shows where to backjump to, and backjumps.
func (s *solver) resolveConflict(ic *incompat) (*incompat, error) {
	original := ic
	for {
		if ic.failure() {
			return nil, s.explain(ic)
		}
		var recentTerm *term
		recent, previousLevel := -1, 1
		for i := range ic.terms {
			t := &ic.terms[i]
			sat := s.ps.satisfier(t)
			switch {
			case recent < 0:
				recent, recentTerm = sat, t
			case recent < sat:
				previousLevel = max(previousLevel, s.ps.list[recent].level)
				recent, recentTerm = sat, t
			default:
				previousLevel = max(previousLevel, s.ps.list[sat].level)
			}
			if recentTerm == t {
				// When the satisfier alone does not satisfy the term, an
				// earlier assignment satisfies the rest of it, and
				// backjumping must not go below that one's level.
				if diff, ok := s.ps.list[recent].t.difference(*t); ok {
					previousLevel = max(previousLevel, s.ps.list[s.ps.satisfier(ptr(diff.negate()))].level)
				}
			}
		}
		sat := s.ps.list[recent]
		if sat.cause == nil || previousLevel != sat.level {
			if ic != original {
				s.addIncompat(ic)
			}
			s.ps.backtrack(previousLevel)
			return ic, nil
		}
		var terms []term
		for _, t := range ic.terms {
			if t.pkg != recentTerm.pkg {
				terms = append(terms, t)
			}
		}
		for _, t := range sat.cause.terms {
			if t.pkg != sat.t.pkg {
				terms = append(terms, t)
			}
		}
		if diff, ok := sat.t.difference(*recentTerm); ok {
			terms = append(terms, diff.negate())
		}
		ic = newDerived(terms, ic, sat.cause)
	}
}

func ptr(t term) *term { return &t }

// decide picks the next package and version; "" when every package has
// one.
func (s *solver) decide() (string, error) {
	var pick string
	var allowed vset
	best := -1
	// The root's own requirements first, as pip decides what the user
	// asked for first: newest-first then holds for them, and what they
	// pull in adapts. Then the package with the fewest versions left: it
	// is the likeliest to fail, and failing early is cheap. Ties by name,
	// for output that does not depend on map order.
	bestDirect := false
	for pkg, t := range s.ps.acc {
		if !t.pos {
			continue
		}
		if _, done := s.ps.decisions[pkg]; done {
			continue
		}
		c, direct := t.set.count(), s.direct[pkg]
		better := best < 0 || (direct && !bestDirect) ||
			(direct == bestDirect && (c < best || (c == best && pkg < pick)))
		if better {
			pick, allowed, best, bestDirect = pkg, t.set, c, direct
		}
	}
	if pick == "" {
		return "", nil
	}
	pi := s.pkgs[pick]
	idx := -1
	if s.o.Prefer != nil && pick != rootPkg {
		if v := s.o.Prefer(pick); v != "" {
			if i, ok := pi.index[v]; ok && allowed.has(i) {
				idx = i
			}
		}
	}
	if idx < 0 {
		idx = allowed.highest()
	}
	if idx < 0 {
		s.addIncompat(&incompat{terms: []term{{pkg: pick, set: allowed, pos: true}}, kind: causeNoVersions})
		return pick, nil
	}
	var deps []Dependency
	if pick == rootPkg {
		deps = s.rootDeps
	} else {
		var err error
		deps, err = s.p.Dependencies(s.ctx, pick, pi.versions[idx])
		if err != nil {
			if s.ctx.Err() != nil {
				return "", s.ctx.Err()
			}
			s.addIncompat(&incompat{terms: []term{{pkg: pick, set: single(pi.n(), idx), pos: true}}, kind: causeUnavailable, reason: err.Error()})
			return pick, nil
		}
	}
	names := make([]string, len(deps))
	for i, d := range deps {
		names[i] = d.Package
	}
	if err := s.load(names); err != nil {
		return "", err
	}
	conflict := false
	self := single(pi.n(), idx)
	// Requirements on one package are one term: their intersection.
	merged := map[string]*incompat{}
	var order []string
	for _, d := range deps {
		dp := s.pkgs[d.Package]
		set := emptySet(dp.n())
		for i, ok := range d.Allowed(dp.versions) {
			if ok && i < dp.n() {
				set.add(i)
			}
		}
		if prev := merged[d.Package]; prev != nil {
			prev.terms[1].set = prev.terms[1].set.and(set)
			prev.texts = append(prev.texts, d.Text)
			continue
		}
		if d.Package == pick {
			// A package requiring itself (as extras do through their base)
			// constrains nothing when its own version is allowed.
			if set.has(idx) {
				continue
			}
		}
		ic := &incompat{terms: []term{{pkg: pick, set: self, pos: true}, {pkg: d.Package, set: set, pos: false}}, kind: causeDependency, texts: []string{d.Text}}
		merged[d.Package] = ic
		order = append(order, d.Package)
	}
	for _, name := range order {
		ic := merged[name]
		if name == pick {
			ic.terms = ic.terms[:1]
		}
		s.addIncompat(ic)
		// Would the decision at once satisfy it? Then do not decide: unit
		// propagation finds the conflict and backjumps.
		sat := true
		for i := range ic.terms {
			t := &ic.terms[i]
			if t.pkg == pick {
				continue
			}
			if s.ps.relation(t) != satisfied {
				sat = false
			}
		}
		conflict = conflict || sat
	}
	if !conflict {
		s.ps.decide(pick, idx, pi.n())
	}
	return pick, nil
}

// versionsText lists a set's versions for messages, shortened when long.
func (s *solver) versionsText(pkg string, set vset) string {
	if set.count() == s.pkgs[pkg].n() {
		return "any version"
	}
	return s.listVersions(pkg, set)
}

// listVersions names a set's versions, shortened when long.
func (s *solver) listVersions(pkg string, set vset) string {
	pi := s.pkgs[pkg]
	ms := set.members()
	var vs []string
	for _, i := range ms {
		vs = append(vs, pi.versions[i])
	}
	if len(vs) > 6 {
		vs = append(vs[:3], "…", vs[len(vs)-1])
	}
	return strings.Join(vs, ", ")
}
