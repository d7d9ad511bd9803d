package lockfile

import (
	"slices"
	"strings"
)

// Via returns the names a "# via" note under the entry lists, in
// pip-compile's two spellings ("# via a, b" on one line, or "# via" then
// one "#   name" per line). Sources that are not pins ("-r
// requirements.in", "-c constraints.txt") are left out: they mark a direct
// requirement, not a dependency.
func (e *Entry) Via() []string {
	var out []string
	in := false
	for _, l := range strings.Split(e.trailer, "\n") {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if rest, ok := strings.CutPrefix(t, "via"); ok && (rest == "" || rest[0] == ' ') {
			in = true
			t = strings.TrimSpace(rest)
		} else if !in {
			continue
		}
		for _, n := range strings.Split(t, ",") {
			n = strings.TrimSpace(n)
			if n != "" && !strings.HasPrefix(n, "-") && !strings.HasPrefix(n, "(") {
				out = append(out, n)
			}
		}
	}
	return out
}

// HasVia reports whether the entry carries a "# via" note at all, even one
// that names only a requirements file.
func (e *Entry) HasVia() bool {
	for _, l := range strings.Split(e.trailer, "\n") {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if t == "via" || strings.HasPrefix(t, "via ") {
			return true
		}
	}
	return false
}

// SetVia replaces the entry's "# via" note with one naming names, written
// the way pip-compile writes it: on one line for one name, one name a line
// for several. No names removes the note. It reports whether anything
// changed.
func (f *File) SetVia(e *Entry, names []string) bool {
	nl := e.nl
	if nl == "" {
		nl = "\n"
	}
	var b strings.Builder
	switch len(names) {
	case 0:
	case 1:
		b.WriteString(e.hashIndent + "# via " + names[0] + nl)
	default:
		b.WriteString(e.hashIndent + "# via" + nl)
		for _, n := range names {
			b.WriteString(e.hashIndent + "#   " + n + nl)
		}
	}
	if e.trailer == b.String() || slices.Equal(e.Via(), names) && e.HasVia() == (len(names) > 0) {
		return false
	}
	e.trailer = b.String()
	f.touch(e)
	return true
}

// SetMarker sets the entry's environment marker ("" for none). It reports
// whether anything changed.
func (f *File) SetMarker(e *Entry, marker string) bool {
	if e.Marker == marker {
		return false
	}
	e.Marker = marker
	f.touch(e)
	return true
}

// ExtraNames returns the extras a pin asks for ("[socks, tls]" gives
// socks and tls), as written, in order; none for a pin without extras.
func (e *Entry) ExtraNames() []string {
	var out []string
	for _, x := range strings.Split(strings.Trim(e.Extras, "[]"), ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// SetExtras sets the extras a pin asks for, written "[socks]" ("" for
// none). It reports whether anything changed.
func (f *File) SetExtras(e *Entry, extras string) bool {
	if e.Extras == extras {
		return false
	}
	e.Extras = extras
	f.touch(e)
	return true
}

// FindAll returns every entry whose name equals name under norm, in file
// order: a project pinned once bare and once with extras has two.
func (f *File) FindAll(name string, norm func(string) string) []*Entry {
	n := norm(name)
	var out []*Entry
	for _, e := range f.Entries() {
		if norm(e.Name) == n {
			out = append(out, e)
		}
	}
	return out
}

// AddAfter inserts a new pinned entry right after prev, with prev's
// indentation and line endings.
func (f *File) AddAfter(prev *Entry, name, extras, version string, hashes []string) *Entry {
	e := &Entry{Name: name, Extras: extras, Op: "==", Version: version, Hashes: append([]string(nil), hashes...),
		indent: prev.indent, hashIndent: prev.hashIndent, nl: prev.nl}
	for i, b := range f.blocks {
		if b.entry == prev {
			f.blocks = append(f.blocks[:i+1], append([]*block{{entry: e, dirty: true}}, f.blocks[i+1:]...)...)
			break
		}
	}
	return e
}

func (f *File) touch(e *Entry) {
	for _, b := range f.blocks {
		if b.entry == e {
			b.dirty = true
		}
	}
}

// Option is a line that is not a requirement: "-r other.txt", "-e .",
// "--index-url …".
type Option struct {
	Line int
	Text string // the logical line, comments stripped
}

// Options returns the option lines in file order.
func (f *File) Options() []Option {
	var out []Option
	line := 1
	for _, b := range f.blocks {
		if b.entry == nil {
			if t := strings.TrimSpace(stripComment(joinLogical(slices.Collect(strings.Lines(b.raw))))); strings.HasPrefix(t, "-") {
				out = append(out, Option{Line: line, Text: t})
			}
		}
		line += strings.Count(b.raw, "\n")
	}
	return out
}
