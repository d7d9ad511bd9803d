package pep508

import (
	"strings"

	"github.com/distbuild/dist/internal/pep440"
)

// Requirement is one PEP 508 dependency specification, as in Requires-Dist:
// "requests[socks,security]>=2.8.1,==2.8.*; python_version < '2.7'".
type Requirement struct {
	Name       string            // as written
	Extras     []string          // as written, order kept, normalized (lowercase, runs of -_. to "-") by NormalizeName
	Specifiers pep440.Specifiers // empty when none; "(>=1.0)" parenthesised form accepted
	URL        string            // for "name @ URL", else ""
	Marker     *Marker           // nil when none
}

// ParseRequirement parses a PEP 508 dependency specification:
//
//	name [ "[" extra, ... "]" ] ( versionspec | "@" URL ) [ ";" marker ]
//
// where versionspec is a PEP 440 specifier set, optionally in parentheses,
// and the URL runs to the next whitespace (so "name @ URL ; marker" needs the
// space before ";"). Whitespace is allowed around every part. Errors are
// *SyntaxError values saying what was expected at which column.
func ParseRequirement(s string) (Requirement, error) {
	sc := &scanner{in: s}
	var r Requirement
	var err error
	parenthesised := false

	sc.skipSpace()
	if r.Name, err = sc.identifier("a distribution name"); err != nil {
		return Requirement{}, err
	}

	sc.skipSpace()
	if sc.peek() == '[' {
		if r.Extras, err = sc.extras(); err != nil {
			return Requirement{}, err
		}
		sc.skipSpace()
	}

	switch c := sc.peek(); {
	case c == '@':
		sc.pos++
		sc.skipSpace()
		start := sc.pos
		for !sc.eof() && !isSpace(sc.peek()) {
			sc.pos++
		}
		if sc.pos == start {
			return Requirement{}, sc.errorf(start, `expected a URL after "@", found %s`, sc.found(start))
		}
		r.URL = s[start:sc.pos]
		sc.skipSpace()
		if !sc.eof() && sc.peek() != ';' {
			return Requirement{}, sc.errorf(sc.pos, `expected ";" or end after URL, found %s`, sc.found(sc.pos))
		}
	case c == '(':
		open := sc.pos
		end := strings.IndexByte(s[open:], ')')
		if end < 0 {
			return Requirement{}, sc.errorf(open, `expected ")" to close "(" of the version specifier`)
		}
		if r.Specifiers, err = sc.specifiers(open+1, open+end); err != nil {
			return Requirement{}, err
		}
		sc.pos = open + end + 1
		parenthesised = true
		sc.skipSpace()
	case strings.IndexByte("<>=!~", c) >= 0:
		end := len(s)
		if i := strings.IndexByte(s[sc.pos:], ';'); i >= 0 {
			end = sc.pos + i
		}
		if r.Specifiers, err = sc.specifiers(sc.pos, end); err != nil {
			return Requirement{}, err
		}
		sc.pos = end
	}

	if sc.eof() {
		return r, nil
	}
	if sc.peek() != ';' {
		expected := `";" or end`
		switch {
		case r.URL != "" || !r.Specifiers.Empty() || parenthesised:
		case r.Extras != nil:
			expected = `a version specifier, "@", ";" or end`
		default:
			expected = `"[", a version specifier, "@", ";" or end`
		}
		return Requirement{}, sc.errorf(sc.pos, "expected %s, found %s", expected, sc.found(sc.pos))
	}
	sc.pos++
	sc.skipSpace()
	if sc.eof() {
		return Requirement{}, sc.errorf(sc.pos, `expected a marker after ";", found end of input`)
	}
	if r.Marker, err = sc.marker(); err != nil {
		return Requirement{}, err
	}
	sc.skipSpace()
	if !sc.eof() {
		return Requirement{}, sc.errorf(sc.pos, `expected "and", "or" or end of marker, found %s`, sc.found(sc.pos))
	}
	return r, nil
}

// extras parses "[a, b]" at s.pos.
func (s *scanner) extras() ([]string, error) {
	s.pos++ // "["
	var extras []string
	s.skipSpace()
	if s.peek() == ']' {
		s.pos++
		return nil, nil
	}
	for {
		s.skipSpace()
		e, err := s.identifier("an extra name")
		if err != nil {
			return nil, err
		}
		extras = append(extras, NormalizeName(e))
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return extras, nil
		default:
			return nil, s.errorf(s.pos, `expected "," or "]" in extras, found %s`, s.found(s.pos))
		}
	}
}

// specifiers parses the version specifier in s.in[start:end], reporting an
// error at the column of the clause at fault.
func (s *scanner) specifiers(start, end int) (pep440.Specifiers, error) {
	text := s.in[start:end]
	set, err := pep440.ParseSpecifiers(text)
	if err == nil {
		return set, nil
	}
	at := start
	for off := 0; ; {
		i := strings.IndexByte(text[off:], ',')
		clause := text[off:]
		if i >= 0 {
			clause = text[off : off+i]
		}
		if _, cerr := pep440.ParseSpecifiers(clause); cerr != nil {
			at = start + off + len(clause) - len(strings.TrimLeft(clause, " \t\r\n"))
			err = cerr
			break
		}
		if i < 0 {
			break
		}
		off += i + 1
	}
	return pep440.Specifiers{}, s.errorf(at, "invalid version specifier: %v", err)
}

// String returns the requirement in canonical form:
// name[extra1,extra2]specifiers ; marker, or name[extras] @ URL ; marker,
// e.g. `speedup[fast]>=1.0 ; python_version >= "3.8"`. Name and URL are as
// written; String re-parses to an equal Requirement.
func (r Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(r.Extras, ","))
		b.WriteByte(']')
	}
	if r.URL != "" {
		b.WriteString(" @ ")
		b.WriteString(r.URL)
	} else {
		b.WriteString(r.Specifiers.String())
	}
	if r.Marker != nil {
		b.WriteString(" ; ")
		b.WriteString(r.Marker.String())
	}
	return b.String()
}
