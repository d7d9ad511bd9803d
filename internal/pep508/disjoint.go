package pep508

import (
	"slices"
	"strconv"
	"strings"
)

// maxDisjointEnvs bounds the environments Disjoint tries; past it the
// markers are taken to overlap.
const maxDisjointEnvs = 1 << 16

// Disjoint reports whether no environment satisfies both markers, so that
// two pins of one project under them are two pins, never installed
// together (numpy==1.21.6 ; python_version < "3.8" and numpy==1.24.0 ;
// python_version >= "3.8"). A nil marker holds everywhere, so it is
// disjoint from nothing.
//
// It decides by evaluating both markers over a set of environments built
// from what they compare against, rather than over the targets dist.yaml
// names: two pins conflict or not whatever Python and platforms the
// distribution builds for today, as pip sees them. For each variable the
// markers mention, the candidate values are each literal compared with
// it, each word of a literal (for "in"), a value equal to none of them,
// and for a version literal (3.8, 3.8.*, ~=3.8.1) the versions just below
// and just above it and above each of its prefixes (3.7.99999, 3.8.0.1,
// 3.9, 4): a point in every interval the literals cut (python_version's
// cut to X.Y, the only shape it takes). Variables are
// varied independently, which includes environments no machine has
// (sys_platform "win32" with os_name "posix"): the check may then call
// markers that no real target satisfies together overlapping, and report
// a conflict where there is none, but never the other way round.
func Disjoint(a, b *Marker) bool {
	if a == nil || b == nil {
		return false
	}
	cands := map[string][]string{}
	var vars []string
	a.literals(cands, &vars)
	b.literals(cands, &vars)
	n := 1
	for _, v := range vars {
		cands[v] = candidates(v, cands[v])
		n *= len(cands[v])
		if n > maxDisjointEnvs {
			return false
		}
	}
	var env Env
	var try func(i int) bool // reports whether some environment satisfies both
	try = func(i int) bool {
		if i == len(vars) {
			return a.Evaluate(env) && b.Evaluate(env)
		}
		for _, val := range cands[vars[i]] {
			env.set(vars[i], val)
			if try(i + 1) {
				return true
			}
		}
		return false
	}
	return !try(0)
}

// literals gathers, per variable, the strings the marker compares it with.
func (m *Marker) literals(out map[string][]string, vars *[]string) {
	if m.kind != kindCompare {
		for _, t := range m.terms {
			t.literals(out, vars)
		}
		return
	}
	for _, side := range [][2]operand{{m.lhs, m.rhs}, {m.rhs, m.lhs}} {
		v, lit := side[0], side[1]
		if v.variable == "" {
			continue
		}
		if _, seen := out[v.variable]; !seen {
			*vars = append(*vars, v.variable)
			out[v.variable] = nil
		}
		if lit.variable == "" {
			out[v.variable] = append(out[v.variable], lit.value)
		}
	}
}

// candidates turns a variable's literals into the values to try.
// python_version is always "X.Y": its versions are cut to two numbers, so
// that python_version < "3.10" and python_version > "3.9" are disjoint.
func candidates(variable string, lits []string) []string {
	// "\x7f" equals no literal, contains none and sorts after them all;
	// "" sorts before them.
	out := []string{"", "\x7f"}
	add := func(s string) {
		if r, ok := releaseOf(s); ok && variable == "python_version" && len(r) > 2 {
			s = dotted(r[:2])
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, l := range lits {
		add(l)
		for _, w := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
			add(w)
		}
		rel, ok := releaseOf(strings.TrimSuffix(strings.TrimSpace(l), ".*"))
		if !ok {
			continue
		}
		if b, ok := below(rel); ok {
			add(b)
		}
		add(dotted(rel) + ".0.1")
		// Above every prefix: where ~= and .* ranges end.
		for i := range rel {
			up := slices.Clone(rel[:i+1])
			up[i]++
			add(dotted(up))
			b, _ := below(up)
			add(b)
		}
	}
	return out
}

// releaseOf reads a release-only version ("3.8", "3.10.2").
func releaseOf(s string) ([]int, bool) {
	if s == "" {
		return nil, false
	}
	var out []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || p[0] == '+' {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// below returns a version just below rel: 3.8 gives 3.7.99999, 3.0 gives
// 2.99999. Nothing is below 0.
func below(rel []int) (string, bool) {
	r := slices.Clone(rel)
	for len(r) > 1 && r[len(r)-1] == 0 {
		r = r[:len(r)-1]
	}
	if r[len(r)-1] == 0 {
		return "", false
	}
	r[len(r)-1]--
	return dotted(r) + ".99999", true
}

func dotted(rel []int) string {
	parts := make([]string, len(rel))
	for i, n := range rel {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// set gives a marker variable a value.
func (e *Env) set(variable, value string) {
	switch variable {
	case "python_version":
		e.PythonVersion = value
	case "python_full_version":
		e.PythonFullVersion = value
	case "os_name":
		e.OSName = value
	case "sys_platform":
		e.SysPlatform = value
	case "platform_release":
		e.PlatformRelease = value
	case "platform_system":
		e.PlatformSystem = value
	case "platform_version":
		e.PlatformVersion = value
	case "platform_machine":
		e.PlatformMachine = value
	case "platform_python_implementation":
		e.PlatformPythonImplementation = value
	case "implementation_name":
		e.ImplementationName = value
	case "implementation_version":
		e.ImplementationVersion = value
	case "extra":
		e.Extras = nil
		if value != "" {
			e.Extras = []string{value}
		}
	}
}
