package resolver

import (
	"fmt"
	"strings"
)

// term is PubGrub's statement about one package: "pkg is picked at a
// version in set" (pos), or "pkg is not picked at a version in set" (neg,
// which also holds when pkg is not picked at all).
type term struct {
	pkg string
	set vset
	pos bool
}

func (t term) negate() term { return term{pkg: t.pkg, set: t.set, pos: !t.pos} }

// intersect is the term both t and o say. Both name the same package.
func (t term) intersect(o term) term {
	switch {
	case t.pos && o.pos:
		return term{t.pkg, t.set.and(o.set), true}
	case t.pos:
		return term{t.pkg, t.set.andNot(o.set), true}
	case o.pos:
		return term{t.pkg, o.set.andNot(t.set), true}
	}
	return term{t.pkg, t.set.or(o.set), false}
}

// difference is t and not o; false when nothing is left.
func (t term) difference(o term) (term, bool) {
	d := t.intersect(o.negate())
	if d.pos && d.set.empty() {
		return d, false
	}
	return d, true
}

// satisfies reports whether every selection t allows, o allows too.
func (t term) satisfies(o term) bool {
	switch {
	case t.pos && o.pos:
		return t.set.subsetOf(o.set)
	case t.pos:
		return t.set.and(o.set).empty()
	case o.pos:
		return false
	}
	return o.set.subsetOf(t.set)
}

// contradicts reports whether no selection is allowed by both.
func (t term) contradicts(o term) bool {
	switch {
	case t.pos && o.pos:
		return t.set.and(o.set).empty()
	case t.pos:
		return t.set.subsetOf(o.set)
	case o.pos:
		return o.set.subsetOf(t.set)
	}
	return false
}

type causeKind int

const (
	causeRoot causeKind = iota
	causeDependency
	causeNoVersions
	causeUnavailable
	causeDerived
)

// incompat is a set of terms that cannot all hold.
type incompat struct {
	terms  []term
	kind   causeKind
	texts  []string // causeDependency: the requirement as written
	reason string   // causeUnavailable
	c1, c2 *incompat
}

// newDerived merges terms on one package (by intersection) and drops the
// root's positive term, which always holds.
func newDerived(terms []term, c1, c2 *incompat) *incompat {
	byPkg := map[string]int{}
	var out []term
	for _, t := range terms {
		if i, ok := byPkg[t.pkg]; ok {
			out[i] = out[i].intersect(t)
			continue
		}
		byPkg[t.pkg] = len(out)
		out = append(out, t)
	}
	if len(out) > 1 {
		kept := out[:0]
		for _, t := range out {
			if !(t.pkg == rootPkg && t.pos) {
				kept = append(kept, t)
			}
		}
		out = kept
	}
	return &incompat{terms: out, kind: causeDerived, c1: c1, c2: c2}
}

// failure reports whether the incompatibility rules out the root itself.
func (ic *incompat) failure() bool {
	return len(ic.terms) == 0 || (len(ic.terms) == 1 && ic.terms[0].pkg == rootPkg && ic.terms[0].pos)
}

type assignment struct {
	t     term
	level int
	cause *incompat // nil for a decision
}

type relationKind int

const (
	satisfied relationKind = iota
	contradicted
	inconclusive
)

// partial is the partial solution: assignments in order, the decisions, and
// per package the intersection of its assignments.
type partial struct {
	list      []assignment
	decisions map[string]int
	acc       map[string]term
	level     int
}

func (ps *partial) init() {
	if ps.acc == nil {
		ps.acc = map[string]term{}
		ps.decisions = map[string]int{}
	}
}

func (ps *partial) add(a assignment) {
	ps.init()
	ps.list = append(ps.list, a)
	if prev, ok := ps.acc[a.t.pkg]; ok {
		ps.acc[a.t.pkg] = prev.intersect(a.t)
	} else {
		ps.acc[a.t.pkg] = a.t
	}
}

func (ps *partial) decide(pkg string, idx, n int) {
	ps.init()
	ps.level++
	ps.decisions[pkg] = idx
	ps.add(assignment{t: term{pkg: pkg, set: single(n, idx), pos: true}, level: ps.level})
}

func (ps *partial) derive(t term, cause *incompat) {
	ps.add(assignment{t: t, level: ps.level, cause: cause})
}

func (ps *partial) relation(t *term) relationKind {
	ps.init()
	a, ok := ps.acc[t.pkg]
	if !ok {
		return inconclusive
	}
	switch {
	case a.satisfies(*t):
		return satisfied
	case a.contradicts(*t):
		return contradicted
	}
	return inconclusive
}

// satisfier returns the index of the earliest assignment after which the
// partial solution satisfies t.
func (ps *partial) satisfier(t *term) int {
	var acc term
	have := false
	for i, a := range ps.list {
		if a.t.pkg != t.pkg {
			continue
		}
		if have {
			acc = acc.intersect(a.t)
		} else {
			acc, have = a.t, true
		}
		if acc.satisfies(*t) {
			return i
		}
	}
	panic(fmt.Sprintf("resolver: no satisfier for a term on %q", t.pkg))
}

// backtrack drops every assignment above level.
func (ps *partial) backtrack(level int) {
	keep := 0
	for keep < len(ps.list) && ps.list[keep].level <= level {
		keep++
	}
	ps.list = ps.list[:keep]
	ps.level = level
	ps.acc = map[string]term{}
	ps.decisions = map[string]int{}
	for _, a := range ps.list {
		if prev, ok := ps.acc[a.t.pkg]; ok {
			ps.acc[a.t.pkg] = prev.intersect(a.t)
		} else {
			ps.acc[a.t.pkg] = a.t
		}
		if a.cause == nil {
			ps.decisions[a.t.pkg] = a.t.set.highest()
		}
	}
}

// explain turns the incompatibility that rules out the root into the chain
// of external facts it was derived from, in the order a reader follows
// them: each fact once.
func (s *solver) explain(ic *incompat) error {
	var chain []string
	seen := map[*incompat]bool{}
	var walk func(*incompat)
	walk = func(ic *incompat) {
		if ic == nil || seen[ic] {
			return
		}
		seen[ic] = true
		if ic.kind == causeDerived {
			walk(ic.c1)
			walk(ic.c2)
			return
		}
		if line := s.external(ic); line != "" {
			chain = append(chain, line)
		}
	}
	walk(ic)
	if len(chain) == 0 {
		chain = []string{"the requirements conflict"}
	}
	return &Conflict{Chain: chain}
}

// external says one fact the index or the requirements state.
func (s *solver) external(ic *incompat) string {
	switch ic.kind {
	case causeDependency:
		who := ic.terms[0]
		req := strings.Join(ic.texts, ", ")
		if len(ic.terms) > 1 && ic.terms[1].set.empty() {
			// No version at all can meet it: say why here, since no
			// other fact in the chain will.
			dep := s.pkgs[ic.terms[1].pkg]
			switch {
			case dep.err != nil:
				req += " (" + dep.err.Error() + ")"
			case dep.n() == 0:
				req += " (it has no versions)"
			default:
				req += " (it has " + s.listVersions(dep.name, fullSet(dep.n())) + ")"
			}
		}
		if who.pkg == rootPkg {
			return req + " is required"
		}
		return s.describe(who) + " requires " + req
	case causeNoVersions:
		t := ic.terms[0]
		pi := s.pkgs[t.pkg]
		if pi.n() == 0 {
			if pi.err != nil {
				return pi.err.Error()
			}
			return "no version of " + t.pkg + " is available"
		}
		return fmt.Sprintf("no version of %s meets those requirements (it has %s)", t.pkg, s.listVersions(t.pkg, fullSet(pi.n())))
	case causeUnavailable:
		if t := ic.terms[0]; strings.HasPrefix(ic.reason, t.pkg+" ") {
			return ic.reason // it names the version itself
		}
		return s.describe(ic.terms[0]) + ": " + ic.reason
	}
	return ""
}

// describe shows a positive term of one version as "pkg 1.0", with the
// provider's note on where it comes from.
func (s *solver) describe(t term) string {
	pi := s.pkgs[t.pkg]
	ms := t.set.members()
	if len(ms) != 1 {
		return t.pkg + " " + s.versionsText(t.pkg, t.set)
	}
	v := pi.versions[ms[0]]
	if d, ok := s.p.(Describer); ok {
		if note := d.Describe(t.pkg, v); note != "" {
			return t.pkg + " " + v + " " + note
		}
	}
	return t.pkg + " " + v
}

// show renders an incompatibility for internal errors.
func (s *solver) show(ic *incompat) string {
	var parts []string
	for _, t := range ic.terms {
		sign := ""
		if !t.pos {
			sign = "not "
		}
		parts = append(parts, sign+t.pkg+" "+s.versionsText(t.pkg, t.set))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
