package pep440

import (
	"fmt"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

// Specifiers is a parsed PEP 440 specifier set (">=1.0,!=1.3.*,<2"); the empty
// set (the zero value) matches every valid version. A Specifiers is immutable
// and safe for concurrent use.
type Specifiers struct {
	clauses []clause
}

type clause struct {
	op       string // one of operators
	text     string // the version as written, with any ".*"
	wildcard bool
	ver      version // parsed text (without ".*"); unset for a non-version "===" text
	verOK    bool
	// lib checks the clause for the operators the library gets right; nil
	// for the ones implemented here.
	lib *pep440.Specifiers
}

// operators, longest first so that "===" is not read as "==" and "=1".
var operators = []string{"===", "==", "!=", "<=", ">=", "~=", "<", ">"}

// ParseSpecifiers parses a PEP 440 specifier set: clauses separated by commas,
// each an operator (==, !=, <=, >=, <, >, ~=, ===) and a version, with
// optional whitespace around operators and commas. "" is the empty set. Empty
// clauses (">=1,,<2", a trailing comma) are skipped, as pypa/packaging does.
//
// Clauses are checked as PEP 440 says: ".*" only with == and != and not after a
// dev or local version; local versions only with ==, != and ===; ~= needs at
// least two release components. The error names the offending clause.
func ParseSpecifiers(s string) (Specifiers, error) {
	var set Specifiers
	for _, raw := range strings.Split(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		c, err := parseClause(raw)
		if err != nil {
			return Specifiers{}, fmt.Errorf("pep440: invalid specifier clause %q in %q: %w", raw, s, err)
		}
		set.clauses = append(set.clauses, c)
	}
	return set, nil
}

func parseClause(raw string) (clause, error) {
	var c clause
	for _, op := range operators {
		if strings.HasPrefix(raw, op) {
			c.op = op
			break
		}
	}
	if c.op == "" {
		return c, fmt.Errorf("missing comparison operator (one of %s)", strings.Join(operators, " "))
	}
	c.text = strings.TrimSpace(raw[len(c.op):])
	if c.text == "" {
		return c, fmt.Errorf("missing version after %q", c.op)
	}
	if strings.ContainsAny(c.text, " \t\r\n\v\f") {
		return c, fmt.Errorf("whitespace inside version %q", c.text)
	}
	if c.op == "===" {
		// Arbitrary equality takes any string; it is a prerelease request only
		// when the string happens to be a pre-release version.
		c.ver, c.verOK = tryParse(c.text)
		return c, nil
	}

	vtext := c.text
	if strings.HasSuffix(vtext, ".*") {
		if c.op != "==" && c.op != "!=" {
			return c, fmt.Errorf("a \".*\" suffix is only allowed with == and !=")
		}
		c.wildcard = true
		vtext = strings.TrimSuffix(vtext, ".*")
	}
	v, err := parseVersion(vtext)
	if err != nil {
		return c, err
	}
	c.ver, c.verOK = v, true
	switch {
	case c.wildcard && v.dev:
		return c, fmt.Errorf("a \".*\" prefix match cannot contain a dev release")
	case c.wildcard && v.local != "":
		return c, fmt.Errorf("a \".*\" prefix match cannot contain a local version")
	case v.local != "" && c.op != "==" && c.op != "!=":
		return c, fmt.Errorf("a local version is only allowed with ==, != and ===")
	case c.op == "~=" && len(v.release) < 2:
		return c, fmt.Errorf("~= needs a version with at least two release components")
	}

	switch {
	case c.wildcard:
		// The library's prefix matching is wrong; see prefixMatch.
	case c.op == "~=":
		// The library drops only post/dev suffixes for the ~= prefix, not
		// pre-release ones; see matchVersion. The >= half is the library's.
		lib, err := pep440.NewSpecifiers(">=" + v.norm)
		if err != nil {
			return c, fmt.Errorf("internal: library rejected %q: %w", ">="+v.norm, err)
		}
		c.lib = &lib
	default:
		// The library regexp is case-sensitive and knows no "-" / "_" in
		// local labels, so it is given the normalized version.
		lib, err := pep440.NewSpecifiers(c.op + v.norm)
		if err != nil {
			return c, fmt.Errorf("internal: library rejected %q: %w", c.op+v.norm, err)
		}
		c.lib = &lib
	}
	return c, nil
}

func tryParse(s string) (version, bool) {
	v, err := parseVersion(s)
	return v, err == nil
}

// String returns the set in canonical form: the clauses in the order written,
// each the operator followed by the version as written, joined by "," with no
// spaces (">= 1.0 , <2" -> ">=1.0,<2"). The empty set is "".
func (s Specifiers) String() string {
	parts := make([]string, len(s.clauses))
	for i, c := range s.clauses {
		parts[i] = c.op + c.text
	}
	return strings.Join(parts, ",")
}

// Empty reports whether the set has no clauses (and so admits every version).
func (s Specifiers) Empty() bool { return len(s.clauses) == 0 }

// NamesPrerelease reports whether a clause names a pre-release version
// (">=2.0b1", "==1.0rc1", "~=1.0a1"), which per PEP 440 is an explicit request
// for pre-releases. Following pypa/packaging only inclusive clauses (==, ===,
// >=, <=, ~=) count, and also > (a pre-release lower bound asks for
// pre-releases, as uv reads it); != and < do not, because "!=2.0b1" and
// "<2.0.dev0" exclude pre-releases rather than ask for them.
// A prefix match names one only through its own suffix: ==1.0a1.* does,
// ==1.0.* keeps pre-releases excluded (PEP 440 "Version matching").
func (s Specifiers) NamesPrerelease() bool {
	for _, c := range s.clauses {
		switch c.op {
		case "!=", "<":
			continue
		}
		if c.verOK && c.ver.isPrerelease() {
			return true
		}
	}
	return false
}

// Contains reports whether version v (a PEP 440 string) is in the set.
// Pre-releases (a, b, rc, dev) are excluded unless pre is true or the set
// itself names a pre-release (PEP 440 "Handling of pre-releases"; see
// NamesPrerelease). A version that does not parse is in the set only when
// the set is made of "===" clauses that all match it.
func (s Specifiers) Contains(v string, pre bool) bool {
	pv, ok := tryParse(v)
	if ok && pv.isPrerelease() && !pre && !s.NamesPrerelease() {
		return false
	}
	return s.matches(v, pv, ok)
}

// Filter returns the versions the set admits, in the order given. When pre is
// false and the set names no pre-release, pre-releases are left out unless no
// final (or post) release matches, in which case the matching pre-releases
// are returned: PEP 440 accepts a pre-release when it is the only way to
// satisfy a specifier, as pypa/packaging's filter does.
func (s Specifiers) Filter(versions []string, pre bool) []string {
	admitPre := pre || s.NamesPrerelease()
	var finals, pres []string
	for _, v := range versions {
		pv, ok := tryParse(v)
		if !s.matches(v, pv, ok) {
			continue
		}
		if ok && pv.isPrerelease() && !admitPre {
			pres = append(pres, v)
		} else {
			finals = append(finals, v)
		}
	}
	if len(finals) == 0 {
		return pres
	}
	return finals
}

// matches checks every clause, without the set-level pre-release exclusion.
func (s Specifiers) matches(raw string, v version, ok bool) bool {
	if !ok {
		if len(s.clauses) == 0 {
			return false
		}
		for _, c := range s.clauses {
			if c.op != "===" || !arbitraryEqual(raw, c.text) {
				return false
			}
		}
		return true
	}
	for _, c := range s.clauses {
		if !c.matches(raw, v) {
			return false
		}
	}
	return true
}

func (c clause) matches(raw string, v version) bool {
	switch {
	case c.op == "===":
		return arbitraryEqual(raw, c.text)
	case c.wildcard && c.op == "==":
		return prefixMatch(v, c.ver, false)
	case c.wildcard && c.op == "!=":
		return !prefixMatch(v, c.ver, false)
	case c.op == "~=":
		// PEP 440: ~=V.N.suffix is >=V.N.suffix plus ==V.* — every suffix,
		// pre-releases included, is dropped before the last release
		// component is.
		return c.lib.Check(v.lib) && prefixMatch(v, c.ver, true)
	default:
		// v is parsed per Contains/Filter call and never shared: the library
		// pads the candidate's release slice in place while comparing.
		return c.lib.Check(v.lib)
	}
}

// arbitraryEqual is PEP 440 "===": a case-insensitive comparison of the
// strings as written. The library compares the candidate's normalized form
// (so ===1.0-1 cannot match "1.0-1", which it normalizes to 1.0.post1) and
// only takes parseable candidates (so ===foobar matches nothing).
func arbitraryEqual(candidate, spec string) bool {
	return strings.EqualFold(strings.TrimSpace(candidate), spec)
}

// prefixMatch reports whether v matches the prefix match ==spec.*. With
// compatible set it matches the ~= prefix: spec's release without its last
// component, and without any suffix.
//
// PEP 440: when the spec is only a release segment, the candidate's release
// is zero-padded to the spec's length and compared on that length, so ==1.0.*
// matches 1, 1.0.5 and 1.0rc1 but not 1.1. A spec with a pre- or
// post-release suffix matches the candidates that equal it up to that
// suffix (==1.0a1.* matches 1.0a1.post2 and 1.0.0a1.dev3). Local labels are
// ignored and epochs must be equal. The library's padVersion takes the
// candidate's suffix from the spec slice, so it gets 1 vs ==1.0.* wrong and
// mishandles epochs; hence this implementation.
func prefixMatch(v, spec version, compatible bool) bool {
	if v.epoch != spec.epoch {
		return false
	}
	release := spec.release
	if compatible {
		release = release[:len(release)-1]
	} else if spec.pre != "" || spec.post {
		if !releaseEqual(v.release, spec.release) || v.pre != spec.pre || v.preN != spec.preN {
			return false
		}
		return !spec.post || (v.post && v.postN == spec.postN)
	}
	for i, want := range release {
		var got uint64
		if i < len(v.release) {
			got = v.release[i]
		}
		if got != want {
			return false
		}
	}
	return true
}
