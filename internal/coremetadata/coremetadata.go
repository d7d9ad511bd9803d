// Package coremetadata reads the core metadata of a Python distribution: a
// wheel's .dist-info/METADATA, an sdist's PKG-INFO, or the PEP 658 metadata
// file an index serves beside a wheel
// (https://packaging.python.org/specifications/core-metadata/).
//
// The format is a block of email-style header fields, "Field: value" one a
// line, a line that starts with a space or tab continuing the one before,
// ended by a blank line after which the description may follow as a body.
package coremetadata

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Metadata is what dist reads of a distribution's core metadata
// (https://packaging.python.org/specifications/core-metadata/). Fields the
// file leaves out are "" or nil.
type Metadata struct {
	MetadataVersion string
	Name, Version   string
	RequiresPython  string // "" when absent
	// RequiresDist are the Requires-Dist fields as written, PEP 508
	// requirements, in file order.
	RequiresDist  []string
	ProvidesExtra []string
	// Dynamic lists the fields an sdist's PKG-INFO leaves to its build
	// (PEP 643), as written.
	Dynamic                    []string
	License, LicenseExpression string
	Classifiers                []string
}

// maxMajor is the newest major Metadata-Version this package reads: the
// specification has a tool fail on a newer major version, whose fields may
// mean something else.
const maxMajor = 2

// Parse reads the header block of a METADATA or PKG-INFO file, up to the
// first blank line; the body after it is the description and is not read.
// Field names are case-insensitive. A value continued on further lines
// (those starting with a space or tab) keeps its line breaks, each line
// trimmed of surrounding white space. Lines may end in LF or CRLF.
//
// Metadata-Version, Name and Version are required, and a Metadata-Version
// of a major version after 2 is refused. A field that may appear once but
// appears twice, an empty Requires-Dist or Provides-Extra, and a line that
// is not a field are errors naming the line by its number.
func Parse(data []byte) (*Metadata, error) {
	m := &Metadata{}
	single := map[string]*string{
		"metadata-version":   &m.MetadataVersion,
		"name":               &m.Name,
		"version":            &m.Version,
		"requires-python":    &m.RequiresPython,
		"license":            &m.License,
		"license-expression": &m.LicenseExpression,
	}
	multi := map[string]*[]string{
		"requires-dist":  &m.RequiresDist,
		"provides-extra": &m.ProvidesExtra,
		"dynamic":        &m.Dynamic,
		"classifier":     &m.Classifiers,
	}
	seen := map[string]int{} // single-use field to the line that set it
	var mvLine int

	fields, err := split(data)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		key := strings.ToLower(f.name)
		if p, ok := single[key]; ok {
			if first, dup := seen[key]; dup {
				return nil, fmt.Errorf("line %d: %s given again (first on line %d)", f.line, f.name, first)
			}
			seen[key] = f.line
			*p = f.value
			if key == "metadata-version" {
				mvLine = f.line
			}
			continue
		}
		if p, ok := multi[key]; ok {
			if f.value == "" && (key == "requires-dist" || key == "provides-extra") {
				return nil, fmt.Errorf("line %d: empty %s", f.line, f.name)
			}
			*p = append(*p, f.value)
		}
	}

	for _, req := range []struct{ key, name string }{
		{"metadata-version", "Metadata-Version"}, {"name", "Name"}, {"version", "Version"},
	} {
		if _, ok := seen[req.key]; !ok {
			return nil, fmt.Errorf("no %s field", req.name)
		}
		if *single[req.key] == "" {
			return nil, fmt.Errorf("line %d: empty %s", seen[req.key], req.name)
		}
	}
	major, _, ok := m.version()
	if !ok {
		return nil, fmt.Errorf("line %d: Metadata-Version %q is not major.minor", mvLine, m.MetadataVersion)
	}
	if major > maxMajor {
		return nil, fmt.Errorf("line %d: Metadata-Version %s is newer than this dist reads (%d.x)", mvLine, m.MetadataVersion, maxMajor)
	}
	return m, nil
}

// version reads Metadata-Version as two numbers. A third part ("2.1.0"),
// which no tool writes but the specification does not forbid, is ignored.
func (m *Metadata) version() (major, minor int, ok bool) {
	parts := strings.Split(m.MetadataVersion, ".")
	if len(parts) < 2 {
		return 0, 0, false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return 0, 0, false
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, 0, false // too long to be a number
		}
		nums[i] = n
	}
	return nums[0], nums[1], true
}

// SdistUsable reports whether an sdist's PKG-INFO can be trusted for
// dependencies (PEP 643): Metadata-Version is 2.2 or later, and neither
// Requires-Dist nor Provides-Extra is listed in Dynamic (compared
// case-insensitively). Before 2.2 any field may differ in the built wheel.
func (m *Metadata) SdistUsable() bool {
	major, minor, ok := m.version()
	if !ok || major < 2 || major == 2 && minor < 2 {
		return false
	}
	for _, d := range m.Dynamic {
		if strings.EqualFold(d, "Requires-Dist") || strings.EqualFold(d, "Provides-Extra") {
			return false
		}
	}
	return true
}

type field struct {
	name, value string
	line        int
}

// split cuts the header block into fields.
//
// net/textproto's ReadMIMEHeader reads the same shape, but it refuses
// control characters in a value, as HTTP does, and real metadata has them:
// the form feeds of a GPL text pasted into License, escape codes in a
// Description written as a header before Metadata-Version 2.1. Refusing
// the whole file for a field dist never reads would leave the release
// unresolvable. It also folds lines into one and names no line number.
func split(data []byte) ([]field, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	var out []field
	var cont []string // lines of the current field's value
	flush := func() {
		if len(out) > 0 && cont != nil {
			out[len(out)-1].value = strings.TrimSpace(strings.Join(cont, "\n"))
		}
		cont = nil
	}
	for n := 1; len(data) > 0; n++ {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		line := string(bytes.TrimSuffix(raw, []byte("\r")))
		if line == "" {
			break // the description, if any, follows
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(out) == 0 {
				return nil, fmt.Errorf("line %d: continuation line %s before any field", n, quote(line))
			}
			cont = append(cont, strings.TrimSpace(line))
			continue
		}
		flush()
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validName(name) {
			return nil, fmt.Errorf("line %d: %s is not a \"Field: value\" line", n, quote(line))
		}
		out = append(out, field{name: name, line: n})
		cont = []string{strings.TrimSpace(value)}
	}
	flush()
	return out, nil
}

// validName reports whether s is a field name as Python's email parser
// knows one: printable ASCII but for space and colon.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// quote shows a line in an error, cut short: a malformed file may hold a
// whole description on one line.
func quote(s string) string {
	const limit = 80
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}
