package pep508

import (
	"strings"
	"unicode/utf8"

	"github.com/distbuild/dist/internal/pep440"
)

// Marker is a parsed PEP 508 environment marker: comparisons combined with
// "and", "or" and parentheses. A nil *Marker is the empty marker, which is
// always true. Markers are immutable and safe for concurrent use.
type Marker struct {
	kind  markerKind
	terms []*Marker // for and/or: two or more, never of the same kind as the node
	lhs   operand   // for comparisons
	op    string    // "==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"
	rhs   operand
}

type markerKind uint8

const (
	kindCompare markerKind = iota
	kindAnd
	kindOr
)

// operand is an environment variable (variable != "") or a string literal.
type operand struct {
	variable string
	value    string
}

// variables are the PEP 508 marker variables. "extra" is the one set by the
// requesting layer (Env.Extras).
var variables = map[string]bool{
	"python_version": true, "python_full_version": true, "os_name": true, "sys_platform": true,
	"platform_release": true, "platform_system": true, "platform_version": true,
	"platform_machine": true, "platform_python_implementation": true,
	"implementation_name": true, "implementation_version": true, "extra": true,
}

// legacyVariables are spellings from PEP 345 that old metadata still uses and
// that pypa/packaging accepts; they are read as, and printed as, the PEP 508
// name.
var legacyVariables = map[string]string{
	"os.name":                        "os_name",
	"sys.platform":                   "sys_platform",
	"platform.version":               "platform_version",
	"platform.machine":               "platform_machine",
	"platform.python_implementation": "platform_python_implementation",
	"python_implementation":          "platform_python_implementation",
}

// ParseMarker parses a PEP 508 environment marker such as
// `python_version >= "3.8" and (sys_platform == "linux" or extra == "fast")`.
//
// Either side of a comparison may be a variable or a string in single or
// double quotes; the operators are ==, !=, <, <=, >, >=, ~=, ===, in and
// not in. "and" binds tighter than "or". Unknown variable names are an error,
// as is an empty marker. Errors are *SyntaxError values giving the column and
// what was expected there.
func ParseMarker(s string) (*Marker, error) {
	sc := &scanner{in: s}
	m, err := sc.marker()
	if err != nil {
		return nil, err
	}
	sc.skipSpace()
	if !sc.eof() {
		return nil, sc.errorf(sc.pos, `expected "and", "or" or end of marker, found %s`, sc.found(sc.pos))
	}
	return m, nil
}

// marker parses an "or" expression from s.pos.
func (s *scanner) marker() (*Marker, error) {
	var terms []*Marker
	for {
		t, err := s.markerAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		if !s.keyword("or") {
			break
		}
	}
	return combine(kindOr, terms), nil
}

func (s *scanner) markerAnd() (*Marker, error) {
	var terms []*Marker
	for {
		t, err := s.markerAtom()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		if !s.keyword("and") {
			break
		}
	}
	return combine(kindAnd, terms), nil
}

// combine builds an and/or node, flattening nested nodes of the same kind so
// that a and (b and c) and (a and b) and c print alike.
func combine(kind markerKind, terms []*Marker) *Marker {
	var flat []*Marker
	for _, t := range terms {
		if t.kind == kind {
			flat = append(flat, t.terms...)
		} else {
			flat = append(flat, t)
		}
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return &Marker{kind: kind, terms: flat}
}

func (s *scanner) markerAtom() (*Marker, error) {
	s.skipSpace()
	if s.peek() == '(' {
		open := s.pos
		s.pos++
		m, err := s.marker()
		if err != nil {
			return nil, err
		}
		s.skipSpace()
		if s.peek() != ')' {
			return nil, s.errorf(s.pos, `expected ")" to close "(" at column %d, found %s`, s.column(open), s.found(s.pos))
		}
		s.pos++
		return m, nil
	}
	lhs, err := s.operand()
	if err != nil {
		return nil, err
	}
	op, err := s.markerOp()
	if err != nil {
		return nil, err
	}
	rhs, err := s.operand()
	if err != nil {
		return nil, err
	}
	return &Marker{kind: kindCompare, lhs: lhs, op: op, rhs: rhs}, nil
}

func (s *scanner) column(pos int) int {
	return utf8.RuneCountInString(s.in[:pos]) + 1
}

func isWordByte(c byte) bool { return isAlnum(c) || c == '_' || c == '.' }

// word returns the identifier-like word at pos without consuming it.
func (s *scanner) word() string {
	end := s.pos
	for end < len(s.in) && isWordByte(s.in[end]) {
		end++
	}
	return s.in[s.pos:end]
}

// keyword consumes kw if it is the next word.
func (s *scanner) keyword(kw string) bool {
	save := s.pos
	s.skipSpace()
	if s.word() == kw {
		s.pos += len(kw)
		return true
	}
	s.pos = save
	return false
}

func (s *scanner) operand() (operand, error) {
	s.skipSpace()
	start := s.pos
	switch c := s.peek(); {
	case c == '"' || c == '\'':
		end := strings.IndexByte(s.in[start+1:], c)
		if end < 0 {
			return operand{}, s.errorf(start, "unterminated string: no closing %c", c)
		}
		s.pos = start + 1 + end + 1
		return operand{value: s.in[start+1 : start+1+end]}, nil
	case isWordByte(c):
		w := s.word()
		name := w
		if canon, ok := legacyVariables[w]; ok {
			name = canon
		}
		if !variables[name] {
			if c >= '0' && c <= '9' || c == '.' {
				return operand{}, s.errorf(start, "expected a marker variable or a quoted string, found %s (strings must be quoted)", s.found(start))
			}
			return operand{}, s.errorf(start, "unknown marker variable %q (expected one of python_version, python_full_version, os_name, sys_platform, platform_release, platform_system, platform_version, platform_machine, platform_python_implementation, implementation_name, implementation_version, extra)", w)
		}
		s.pos += len(w)
		return operand{variable: name}, nil
	default:
		return operand{}, s.errorf(start, "expected a marker variable or a quoted string, found %s", s.found(start))
	}
}

// markerOps are tried longest first so "===" is not read as "==" and "=".
var markerOps = []string{"===", "==", "!=", "<=", ">=", "~=", "<", ">"}

func (s *scanner) markerOp() (string, error) {
	s.skipSpace()
	start := s.pos
	for _, op := range markerOps {
		if strings.HasPrefix(s.in[s.pos:], op) {
			s.pos += len(op)
			return op, nil
		}
	}
	switch s.word() {
	case "in":
		s.pos += 2
		return "in", nil
	case "not":
		s.pos += 3
		if isSpace(s.peek()) {
			s.skipSpace()
			if s.word() == "in" {
				s.pos += 2
				return "not in", nil
			}
		}
		return "", s.errorf(s.pos, `expected "in" after "not", found %s`, s.found(s.pos))
	}
	return "", s.errorf(start, "expected a comparison operator (==, !=, <, <=, >, >=, ~=, ===, in, not in), found %s", s.found(start))
}

// String returns the marker in canonical form: single spaces, strings in
// double quotes (single quotes only for a string containing '"'), variables
// by their PEP 508 names, and parentheses only where "or" is inside "and":
// `python_version >= "3.8" and (sys_platform == "linux" or extra == "fast")`.
// A nil marker is "". String re-parses to an equal marker.
func (m *Marker) String() string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	m.write(&b)
	return b.String()
}

func (m *Marker) write(b *strings.Builder) {
	switch m.kind {
	case kindCompare:
		m.lhs.write(b)
		b.WriteByte(' ')
		b.WriteString(m.op)
		b.WriteByte(' ')
		m.rhs.write(b)
	case kindAnd, kindOr:
		sep := " and "
		if m.kind == kindOr {
			sep = " or "
		}
		for i, t := range m.terms {
			if i > 0 {
				b.WriteString(sep)
			}
			if m.kind == kindAnd && t.kind == kindOr {
				b.WriteByte('(')
				t.write(b)
				b.WriteByte(')')
			} else {
				t.write(b)
			}
		}
	}
}

func (o operand) write(b *strings.Builder) {
	if o.variable != "" {
		b.WriteString(o.variable)
		return
	}
	q := byte('"')
	if strings.IndexByte(o.value, '"') >= 0 {
		q = '\''
	}
	b.WriteByte(q)
	b.WriteString(o.value)
	b.WriteByte(q)
}

// UsesExtra reports whether the marker mentions the "extra" variable, i.e.
// whether the requirement it guards belongs to an extra.
func (m *Marker) UsesExtra() bool {
	if m == nil {
		return false
	}
	if m.kind == kindCompare {
		return m.lhs.variable == "extra" || m.rhs.variable == "extra"
	}
	for _, t := range m.terms {
		if t.UsesExtra() {
			return true
		}
	}
	return false
}

// Evaluate reports whether the marker holds in env. A nil marker is true.
//
// Following PEP 508 and pypa/packaging: when the operator is a version
// operator, the right-hand side with it forms a valid PEP 440 specifier and
// the left-hand side is a valid PEP 440 version, the comparison is a PEP 440
// one with pre-releases allowed (python_full_version < "3.8.1",
// python_version == "3.*"). Otherwise ==, != and the ordering operators compare
// strings, in and not in test for a substring, and ~= is false. === is always
// a case-insensitive string comparison. "extra" compares normalized names
// and stands for the set Env.Extras: extra == "x" holds when x is one of
// them, extra != "x" when it is none of them; with no extras, extra is "".
func (m *Marker) Evaluate(env Env) bool {
	if m == nil {
		return true
	}
	switch m.kind {
	case kindAnd:
		for _, t := range m.terms {
			if !t.Evaluate(env) {
				return false
			}
		}
		return true
	case kindOr:
		for _, t := range m.terms {
			if t.Evaluate(env) {
				return true
			}
		}
		return false
	}
	if m.lhs.variable != "extra" && m.rhs.variable != "extra" {
		return compare(env.value(m.lhs), m.op, env.value(m.rhs))
	}
	extras := env.Extras
	if len(extras) == 0 {
		extras = []string{""}
	}
	side := func(o operand, extra string) string {
		if o.variable == "extra" {
			return NormalizeName(extra)
		}
		return NormalizeName(env.value(o))
	}
	// A negative operator must hold for every requested extra, so that it
	// stays the negation of its positive form.
	negative := m.op == "!=" || m.op == "not in"
	for _, e := range extras {
		if compare(side(m.lhs, e), m.op, side(m.rhs, e)) != negative {
			return !negative
		}
	}
	return negative
}

func compare(lhs, op, rhs string) bool {
	switch op {
	case "in":
		return strings.Contains(rhs, lhs)
	case "not in":
		return !strings.Contains(rhs, lhs)
	case "===":
		return strings.EqualFold(lhs, rhs)
	}
	if versionOperand(rhs) && pep440.Valid(lhs) {
		if spec, err := pep440.ParseSpecifiers(op + rhs); err == nil {
			return spec.Contains(lhs, true)
		}
	}
	switch op {
	case "==":
		return lhs == rhs
	case "!=":
		return lhs != rhs
	case "<":
		return lhs < rhs
	case "<=":
		return lhs <= rhs
	case ">":
		return lhs > rhs
	case ">=":
		return lhs >= rhs
	}
	return false // ~= between strings that are not versions is undefined
}

// versionOperand reports whether rhs could be the version of a single
// specifier clause: a "," would make several clauses of it, and a leading
// operator character another operator (python_version < "=3" is not <=3).
func versionOperand(rhs string) bool {
	rhs = strings.TrimSpace(rhs)
	return rhs != "" && !strings.Contains(rhs, ",") && !strings.ContainsRune("<>=!~", rune(rhs[0]))
}
