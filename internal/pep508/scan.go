// Package pep508 parses PEP 508 dependency specifications ("requirements",
// as found in Requires-Dist and pyproject.toml) and evaluates their
// environment markers against a target environment.
//
// Version specifiers are delegated to internal/pep440. Behaviour follows
// PEP 508 and, where PEP 508 is silent, pypa/packaging.
package pep508

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SyntaxError is returned by ParseRequirement and ParseMarker. Column is the
// 1-based column (in characters) of Input where parsing stopped.
type SyntaxError struct {
	Input  string
	Column int
	Msg    string // what was expected, and what was found
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("pep508: %q: column %d: %s", e.Input, e.Column, e.Msg)
}

// scanner is shared by the requirement and marker parsers so that errors in a
// requirement's marker carry columns of the whole requirement.
type scanner struct {
	in  string
	pos int // byte offset
}

func (s *scanner) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{
		Input:  s.in,
		Column: utf8.RuneCountInString(s.in[:pos]) + 1,
		Msg:    fmt.Sprintf(format, args...),
	}
}

func (s *scanner) eof() bool { return s.pos >= len(s.in) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.in[s.pos]
}

// PEP 508 whitespace is space and tab; CR and LF are tolerated too, since
// metadata fields sometimes keep them.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (s *scanner) skipSpace() {
	for !s.eof() && isSpace(s.in[s.pos]) {
		s.pos++
	}
}

// found describes the text at pos for "expected X, found Y" messages.
func (s *scanner) found(pos int) string {
	if pos >= len(s.in) {
		return "end of input"
	}
	rest := s.in[pos:]
	if i := strings.IndexAny(rest, " \t\r\n"); i > 0 {
		rest = rest[:i]
	}
	if len(rest) > 20 {
		rest = rest[:20] + "..."
	}
	return fmt.Sprintf("%q", rest)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// identifier scans a PEP 508 identifier (a name or an extra): ASCII letters
// and digits, with "-", "_" and "." allowed inside but not at either end.
func (s *scanner) identifier(what string) (string, error) {
	start := s.pos
	if !isAlnum(s.peek()) {
		return "", s.errorf(start, "expected %s, found %s", what, s.found(start))
	}
	end := s.pos
	for i := s.pos; i < len(s.in); i++ {
		c := s.in[i]
		if isAlnum(c) {
			end = i + 1
		} else if c != '-' && c != '_' && c != '.' {
			break
		}
	}
	s.pos = end
	return s.in[start:end], nil
}

// NormalizeName normalizes a distribution or extra name per PEP 503:
// lowercase, with each run of "-", "_" and "." replaced by a single "-"
// ("Foo.Bar__baz" -> "foo-bar-baz"). It is dist's one PEP 503
// normalization: lockfiles, the pypi source and the wheel installer
// compare names with it, so that no two of them can disagree.
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}
