// Package lockfile reads, edits and writes hashed requirement files in pip's
// format without losing a byte: comments, blank lines, options, continuation
// style and line endings survive, and changing one entry rewrites only that
// entry's lines.
//
// pip's own parser (and pip-requirements-parser) normalise what they read, so
// they cannot give the file back unchanged; this one keeps every line's raw
// text and re-formats only an entry that was edited.
package lockfile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/distbuild/dist/internal/fileerr"
)

// File is a parsed lockfile.
type File struct {
	Path   string
	blocks []*block
}

// A block is one or more physical lines kept verbatim unless its entry is
// edited. Blocks without an entry are comments, blank lines and options.
type block struct {
	raw   string
	entry *Entry
	dirty bool
}

// Entry is one requirement with its hashes.
type Entry struct {
	Name    string   // as written
	Extras  string   // "[socks]" as written, or ""
	Op      string   // "==" for a pin
	Version string   // as written
	Marker  string   // environment marker without the ";", or ""
	Hashes  []string // "sha256:<hex>", "h1:<base64>"
	Line    int      // 1-based line of the entry's first line

	comment    string // trailing "# ..." of the entry's last line
	indent     string // leading white space of the first line
	hashIndent string // leading white space of hash lines
	trailer    string // indented comment lines after the entry (pip-compile's "# via")
	nl         string // line ending
}

// Parse reads a lockfile. path is used in errors only.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	// Each line keeps its ending, so joining them gives the input back.
	lines := slices.Collect(strings.Lines(string(data)))
	for i := 0; i < len(lines); {
		start := i
		// Gather one logical line the way pip joins them: a trailing
		// backslash continues, and a comment line ends the run.
		for i < len(lines) && continues(lines[i]) {
			i++
		}
		if i < len(lines) {
			i++
		}
		raw := strings.Join(lines[start:i], "")
		logical := joinLogical(lines[start:i])
		trimmed := strings.TrimSpace(stripComment(logical))
		if trimmed == "" || strings.HasPrefix(trimmed, "-") && !strings.HasPrefix(trimmed, "--hash") || isPathLine(trimmed) {
			f.blocks = append(f.blocks, &block{raw: raw})
			continue
		}
		e, err := parseEntry(logical)
		if err != nil {
			return nil, fileerr.Wrap(path, start+1, err)
		}
		e.Line = start + 1
		e.indent = leadingSpace(lines[start])
		e.nl = lineEnding(lines[i-1])
		e.hashIndent = "    "
		if i-start > 1 {
			e.hashIndent = leadingSpace(lines[start+1])
		}
		// Indented comments right below an entry belong to it.
		for i < len(lines) && isIndentedComment(lines[i]) {
			e.trailer += lines[i]
			raw += lines[i]
			i++
		}
		f.blocks = append(f.blocks, &block{raw: raw, entry: e})
	}
	return f, nil
}

// isPathLine reports whether a logical line is a bare archive path or URL
// ("./wheels/x-1.0-py3-none-any.whl --hash=…", "https://host/x.tar.gz"),
// which pip installs without a name: it pins nothing dist can look up, so
// it is kept like an option line.
func isPathLine(trimmed string) bool {
	w := firstWord(trimmed)
	for _, p := range []string{"./", "../", "/", "~/", `.\`, `..\`} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return urlSchemeRE.MatchString(w) || winPathRE.MatchString(w)
}

var (
	urlSchemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	winPathRE   = regexp.MustCompile(`^[A-Za-z]:[\\/]`)
)

func trimEOL(l string) string { return strings.TrimRight(l, "\r\n") }

func lineEnding(l string) string {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(l, "\n"):
		return "\n"
	}
	return ""
}

var commentRE = regexp.MustCompile(`(^|\s+)#.*$`)

func stripComment(s string) string { return commentRE.ReplaceAllString(s, "") }

func continues(l string) bool {
	t := trimEOL(l)
	return strings.HasSuffix(t, `\`) && !commentRE.MatchString(t)
}

func joinLogical(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		t := trimEOL(l)
		b.WriteString(strings.TrimSuffix(t, `\`))
		b.WriteByte(' ')
	}
	return b.String()
}

func leadingSpace(l string) string {
	return l[:len(l)-len(strings.TrimLeft(l, " \t"))]
}

func isIndentedComment(l string) bool {
	t := trimEOL(l)
	return len(t) > 0 && (t[0] == ' ' || t[0] == '\t') && strings.HasPrefix(strings.TrimSpace(t), "#")
}

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._/:+~-]*[A-Za-z0-9_])?`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9._+!*~-]+$`)
	opRE      = regexp.MustCompile(`^\s*(===|==|~=|!=|>=|<=|<|>|@)\s*`)
)

// parseEntry reads "name[extras]OPversion ; marker --hash=... # comment".
func parseEntry(logical string) (*Entry, error) {
	e := &Entry{}
	s := logical
	if m := commentRE.FindStringIndex(s); m != nil {
		e.comment = strings.TrimSpace(s[m[0]:])
		s = s[:m[0]]
	}
	s = strings.TrimSpace(s)
	name := nameRE.FindString(s)
	if name == "" {
		return nil, fmt.Errorf("expected a requirement, found %q", firstWord(s))
	}
	// Names end at an operator; "~" may appear in Go module paths, but not
	// right before "=".
	if strings.HasSuffix(name, "~") {
		name = name[:len(name)-1]
	}
	e.Name = name
	s = s[len(name):]
	if strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			return nil, fmt.Errorf("%s: unclosed extras", name)
		}
		e.Extras = s[:j+1]
		s = s[j+1:]
	}
	rest := s
	if m := opRE.FindStringSubmatch(s); m != nil {
		e.Op = m[1]
		s = s[len(m[0]):]
		end := strings.IndexAny(s, " \t;")
		if end < 0 {
			end = len(s)
		}
		e.Version = s[:end]
		if e.Version == "" || strings.HasPrefix(e.Version, "--") {
			return nil, fmt.Errorf("%s: %s with no version", name, e.Op)
		}
		// A range cannot be a lock; say so rather than "invalid version".
		if strings.ContainsAny(e.Version, ",") || strings.HasPrefix(strings.TrimSpace(rest), ",") {
			return nil, fmt.Errorf("%s: version ranges are not supported in a lockfile; pin with ==", name)
		}
		if e.Op != "@" && !versionRE.MatchString(strings.TrimSuffix(e.Version, ",")) {
			return nil, fmt.Errorf("%s: invalid version %q", name, e.Version)
		}
		rest = s[end:]
	} else if t := strings.TrimSpace(s); t != "" && !strings.HasPrefix(t, ";") && !strings.HasPrefix(t, "--") {
		return nil, fmt.Errorf("%s: expected ==VERSION, found %q", name, firstWord(t))
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, ";") {
		rest = rest[1:]
		j := strings.Index(rest, " --")
		if j < 0 {
			j = len(rest)
		}
		e.Marker = strings.TrimSpace(rest[:j])
		if strings.ContainsAny(e.Marker, "#\\") || strings.HasPrefix(e.Marker, "-") || strings.Contains(e.Marker, " -") {
			return nil, fmt.Errorf("%s: invalid environment marker %q", name, e.Marker)
		}
		rest = rest[j:]
	}
	fields := strings.Fields(rest)
	for k := 0; k < len(fields); k++ {
		f := fields[k]
		switch {
		case strings.HasPrefix(f, "--hash="):
			e.Hashes = append(e.Hashes, strings.TrimPrefix(f, "--hash="))
		case f == "--hash" && k+1 < len(fields):
			k++
			e.Hashes = append(e.Hashes, fields[k])
		default:
			return nil, fmt.Errorf("%s: unexpected %q (only --hash options may follow a requirement)", name, f)
		}
	}
	for _, h := range e.Hashes {
		algo, val, ok := strings.Cut(h, ":")
		if !ok || algo == "" || val == "" {
			return nil, fmt.Errorf("%s: malformed hash %q (want ALGO:VALUE)", name, h)
		}
	}
	return e, nil
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

// Bytes returns the file's content: the original bytes for every block not
// edited.
func (f *File) Bytes() []byte {
	var b strings.Builder
	for _, bl := range f.blocks {
		if bl.dirty {
			b.WriteString(bl.entry.format())
		} else {
			b.WriteString(bl.raw)
		}
	}
	return []byte(b.String())
}

// format lays out an entry the way hashin does: the requirement, then one
// hash per continuation line.
func (e *Entry) format() string {
	nl := e.nl
	if nl == "" {
		nl = "\n"
	}
	var b strings.Builder
	b.WriteString(e.indent)
	b.WriteString(e.Spec())
	if e.Marker != "" {
		b.WriteString(" ; ")
		b.WriteString(e.Marker)
	}
	for _, h := range e.Hashes {
		b.WriteString(" \\")
		b.WriteString(nl)
		b.WriteString(e.hashIndent)
		b.WriteString("--hash=")
		b.WriteString(h)
	}
	if e.comment != "" {
		b.WriteString("  ")
		b.WriteString(e.comment)
	}
	b.WriteString(nl)
	b.WriteString(e.trailer)
	return b.String()
}

// Spec is "name[extras]==version".
func (e *Entry) Spec() string { return e.Name + e.Extras + e.Op + e.Version }

// Comment returns the entry's trailing comment, "# ..." or "".
func (e *Entry) Comment() string { return e.comment }

// Pinned reports whether the entry names exactly one version.
func (e *Entry) Pinned() bool { return e.Op == "==" || e.Op == "===" }

// Entries returns the entries in file order. The pointers stay valid for
// Set and Remove.
func (f *File) Entries() []*Entry {
	var out []*Entry
	for _, b := range f.blocks {
		if b.entry != nil {
			out = append(out, b.entry)
		}
	}
	return out
}

// Find returns the entry whose name equals name under norm, or nil.
func (f *File) Find(name string, norm func(string) string) *Entry {
	n := norm(name)
	for _, e := range f.Entries() {
		if norm(e.Name) == n {
			return e
		}
	}
	return nil
}

// Update sets an existing entry's name, version and hashes in place,
// keeping its extras, marker, indentation, trailing comment and trailer.
// It reports whether anything changed.
func (f *File) Update(e *Entry, name, version string, hashes []string) bool {
	if e.Name == name && e.Version == version && e.Op == "==" && equal(e.Hashes, hashes) {
		return false
	}
	e.Name, e.Op, e.Version = name, "==", version
	e.Hashes = append([]string(nil), hashes...)
	f.touch(e)
	return true
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Add inserts a new pinned entry: in alphabetical place when the file's
// entries are sorted by norm, at the end otherwise.
func (f *File) Add(name, version string, hashes []string, norm func(string) string) *Entry {
	e := &Entry{Name: name, Op: "==", Version: version, Hashes: append([]string(nil), hashes...), hashIndent: "    ", nl: f.newline()}
	nb := &block{entry: e, dirty: true}
	entries := f.Entries()
	if len(entries) > 0 {
		e.hashIndent = entries[0].hashIndent
	}
	at := len(f.blocks)
	if f.sorted(norm) {
		n := norm(name)
		var prev *block
		for i, b := range f.blocks {
			if b.entry == nil {
				continue
			}
			if norm(b.entry.Name) > n {
				if prev == nil {
					at = i
				}
				break
			}
			prev = b
			at = i + 1
		}
	}
	if at == len(f.blocks) && len(f.blocks) > 0 {
		last := f.blocks[len(f.blocks)-1]
		if !last.dirty && !strings.HasSuffix(last.raw, "\n") {
			last.raw += e.nl
		}
	}
	f.blocks = append(f.blocks[:at], append([]*block{nb}, f.blocks[at:]...)...)
	return e
}

// Remove deletes an entry and its lines.
func (f *File) Remove(e *Entry) {
	for i, b := range f.blocks {
		if b.entry == e {
			f.blocks = append(f.blocks[:i], f.blocks[i+1:]...)
			return
		}
	}
}

func (f *File) sorted(norm func(string) string) bool {
	prev := ""
	for _, e := range f.Entries() {
		n := norm(e.Name)
		if n < prev {
			return false
		}
		prev = n
	}
	return true
}

func (f *File) newline() string {
	for _, b := range f.blocks {
		if strings.Contains(b.raw, "\r\n") {
			return "\r\n"
		}
	}
	return "\n"
}
