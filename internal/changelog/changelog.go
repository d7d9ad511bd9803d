// Package changelog reads and edits CHANGELOG.md and CHANGELOG.rst files the
// way zest.releaser writes them, newest entry first. In Markdown:
//
//	## 14.1.0 (unreleased)
//
//	- Nothing changed yet.
//
//	## 14.0.0 (2024-05-02)
//
//	**Breaking changes**
//
// and in ReST, with any underline character, optionally overlined too:
//
//	14.1.0 (unreleased)
//	-------------------
//
//	- Nothing changed yet.
//
// Editing is lossless: the file is kept as its lines, an edit rewrites only
// the lines it is about, and a file parsed and written back unchanged is
// byte-identical (CRLF endings, trailing spaces and a missing final newline
// included). Every edit is checked by parsing the result again and is undone
// when that fails, so a Changelog never holds a file dist cannot read back.
//
// Which heading is an entry is learnt from the file rather than fixed: the
// first heading that reads "VERSION (DATE)" or "VERSION (unreleased)" sets
// the entry level (a Markdown "#" count, or a ReST adornment style), so
// zest.releaser's "-" underlines, kinto-dist's "=" ones and a Markdown file
// that uses "# " (or setext underlines) all work. Sub-sections are
// sub-headings or whole-line bold text ("**Breaking changes**").
// Keep-a-changelog headings ("## [1.0.0] - 2024-05-02", "## [Unreleased]")
// are read, and generated sections merged into them, but dist does not
// rewrite them because their link definitions would need rewriting too.
//
// Only the topmost entry can be the one in preparation. An undated heading
// below a dated one is history (kinto-dist's "1.6 (unreleased)" was never
// dated): it is read like any entry and never edited; a second undated
// heading right below the unreleased one is an error.
//
// Content that dist generates (one block per changed component) is wrapped in
// comment markers so that a later run finds and replaces it without touching
// anything written by hand:
//
//	<!-- dist: generated 1a2b3c4d kinto-signer -->     .. dist: generated 1a2b3c4d kinto-signer
//	...                                                 ...
//	<!-- dist: end -->                                 .. dist: end
//
// The eight hex digits are a checksum of the block's content when dist wrote
// it: a block whose content no longer matches was edited by hand, and its
// lines are then kept as hand-written text rather than replaced. Notes
// written outside the markers are never touched; that is where hand-written
// remarks about an upgrade belong.
package changelog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/manifest"
)

// Format is the markup of a changelog.
type Format int

const (
	Markdown Format = iota + 1
	ReST
)

func (f Format) String() string {
	switch f {
	case Markdown:
		return "markdown"
	case ReST:
		return "rst"
	}
	return "unknown"
}

// ErrNoUnreleased is wrapped by the error Unreleased and the edits that need
// an unreleased entry return when the file has none.
var ErrNoUnreleased = errors.New("no unreleased entry")

// Changelog is a parsed changelog file. Entries and Sections handed out are
// snapshots: after an edit, ask again.
type Changelog struct {
	Path   string
	Format Format

	orig    string
	lines   []string // the file, split after each "\n"
	nl      string   // line ending for lines dist adds
	entries []*Entry
	heads   []heading
	entryAt style             // heading style of the newest entry, for new entries
	targets map[string]string // ReST hyperlink targets, for Notes
}

// Entry is one release in the changelog.
type Entry struct {
	Version  string    // as written, e.g. "14.0.0"; "" for keep-a-changelog's [Unreleased]
	Date     string    // "2024-05-02" as written; "" when unreleased
	Heading  string    // the heading text, e.g. "14.0.0 (2024-05-02)"
	Line     int       // 1-based line of the heading text
	Sections []Section // in file order; text before the first sub-heading has Title ""

	kac      bool // keep-a-changelog heading: read, never rewritten
	h        heading
	start    int // index of the heading's first line
	body     int // index of the first line below the heading
	end      int // index of the first line after the entry
	lines    []string
	subs     map[int]subHeading // by index into lines
	code     []bool             // lines inside a Markdown code fence
	format   Format
	unrelDay bool // the entry in preparation: the topmost, its heading saying "unreleased"
}

// Section is a part of an entry under a sub-heading or a bold line such as
// "**Breaking changes**". MergeGenerated takes Sections too: there Title,
// Lines and Key are read and the other fields ignored.
type Section struct {
	Title     string   // heading or bold text without markup; "" for text before any title
	Level     int      // 1 for the entry's first sub-heading level, 2 below it; 0 for a bold line
	Line      int      // 1-based line of the title, or of the first line
	Lines     []string // the lines below the title, without line endings or surrounding blank lines
	Generated bool     // inside a dist generated block
	Key       string   // the generated block's key; for MergeGenerated, defaults to Title
}

type subHeading struct {
	n     int // lines the heading takes
	depth int
	text  string
}

// Load reads and parses a changelog file. A file that cannot be read is an
// *fileerr.Error too, wrapping the *fs.PathError: a changelog dist.yaml names is
// configuration, whether it is missing or malformed.
func Load(path string) (*Changelog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &fileerr.Error{Path: path, Msg: msg, Err: err}
	}
	return Parse(path, data)
}

// LoadFor loads the changelog m names (changelog:), which must be inside
// the distribution's directory; its errors are Load's and m.Checked's.
func LoadFor(m *manifest.Manifest) (*Changelog, error) {
	path, err := m.Checked("changelog", m.Changelog)
	if err != nil {
		return nil, err
	}
	return Load(path)
}

// Parse reads a changelog. The format follows path's extension (".md" and
// ".markdown" are Markdown, ".rst" and ".txt" ReST); for any other name it
// is Markdown when a line reads like "## 1.0 (...)". path is also used in
// errors.
func Parse(path string, data []byte) (*Changelog, error) {
	c := &Changelog{Path: path, orig: string(data), lines: slices.Collect(strings.Lines(string(data))), nl: "\n"}
	// The first line ending decides, rather than any "\r\n" anywhere: a
	// stray "\r" line that gets an ending added must not switch the style
	// the next time the file is read.
	if len(c.lines) > 0 && strings.HasSuffix(c.lines[0], "\r\n") {
		c.nl = "\r\n"
	}
	c.Format = detectFormat(path, c.lines)
	if err := c.index(); err != nil {
		return nil, err
	}
	return c, nil
}

var sniffMD = regexp.MustCompile(`(?m)^#{1,6}[ \t]+\[?v?\d[^\n]*[\])]`)

func detectFormat(path string, lines []string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown", ".mdown", ".mkd":
		return Markdown
	case ".rst", ".rest", ".txt":
		return ReST
	}
	for _, l := range lines {
		if sniffMD.MatchString(l) {
			return Markdown
		}
	}
	return ReST
}

// Bytes returns the file as edited so far; with no edit, the bytes parsed.
func (c *Changelog) Bytes() []byte { return []byte(strings.Join(c.lines, "")) }

// Changed reports whether an edit changed the file.
func (c *Changelog) Changed() bool { return strings.Join(c.lines, "") != c.orig }

// Write saves the file atomically at c.Path when it changed.
func (c *Changelog) Write() error {
	if !c.Changed() {
		return nil
	}
	if err := atomicfile.WriteFile(c.Path, c.Bytes(), 0o644); err != nil {
		return err
	}
	c.orig = strings.Join(c.lines, "")
	return nil
}

// Entries returns every entry, newest (topmost) first.
func (c *Changelog) Entries() []*Entry { return append([]*Entry(nil), c.entries...) }

// Unreleased returns the entry in preparation: the topmost entry, when its
// heading says "(unreleased)". An undated heading further down, below a
// dated one, is history and never the unreleased entry.
func (c *Changelog) Unreleased() (*Entry, error) {
	if len(c.entries) > 0 && c.entries[0].unrelDay {
		return c.entries[0], nil
	}
	return nil, &fileerr.Error{Path: c.Path, Msg: "no unreleased entry (want a heading like " + c.example() + ")", Err: ErrNoUnreleased}
}

// example shows the entry heading this file would need, in its own style.
func (c *Changelog) example() string {
	st := c.entryAt
	if c.Format == Markdown || st.atx > 0 {
		n := st.atx
		if n == 0 {
			n = 2
		}
		return fmt.Sprintf("%q", strings.Repeat("#", n)+" 1.2.0 (unreleased)")
	}
	ch := st.char
	if ch == 0 {
		ch = '-'
	}
	return fmt.Sprintf("%q underlined with %q", "1.2.0 (unreleased)", string(ch))
}

// Entry returns the entry for version; a leading "v" on either side is
// ignored when there is no exact match.
func (c *Changelog) Entry(version string) (*Entry, error) {
	for _, e := range c.entries {
		if e.Version == version {
			return e, nil
		}
	}
	for _, e := range c.entries {
		if e.Version != "" && sameVersion(e.Version, version) {
			return e, nil
		}
	}
	return nil, &fileerr.Error{Path: c.Path, Msg: fmt.Sprintf("no entry for version %q", version)}
}

// LatestDated returns the topmost entry that has a date: the last release.
func (c *Changelog) LatestDated() (*Entry, error) {
	for _, e := range c.entries {
		if e.Date != "" {
			return e, nil
		}
	}
	return nil, &fileerr.Error{Path: c.Path, Msg: "no released entry yet"}
}

func sameVersion(a, b string) bool {
	return strings.TrimPrefix(a, "v") == strings.TrimPrefix(b, "v")
}

// Body returns the entry's text below its heading, without the blank lines
// around it, lines joined with "\n".
func (e *Entry) Body() string {
	return strings.Join(trimBlank(e.lines), "\n")
}

// HasSection reports whether the entry has a sub-heading or bold title
// equal to name, ignoring case, surrounding space and a trailing colon.
func (e *Entry) HasSection(name string) bool {
	return e.Section(name) != nil
}

// Section returns the first section titled name (compared as HasSection
// does), or nil.
func (e *Entry) Section(name string) *Section {
	want := normTitle(name)
	for i := range e.Sections {
		if normTitle(e.Sections[i].Title) == want {
			s := e.Sections[i]
			return &s
		}
	}
	return nil
}

func normTitle(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ":")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// OnlyNothingChanged reports whether the entry says nothing beyond
// zest.releaser's placeholder "- Nothing changed yet."; an empty entry
// counts too, since neither is worth releasing.
func (e *Entry) OnlyNothingChanged() bool {
	seen := 0
	for _, l := range e.lines {
		t := strings.TrimSpace(l)
		if t == "" || isMarker(e.format, l) {
			continue
		}
		if !nothingRE.MatchString(t) {
			return false
		}
		seen++
	}
	return seen <= 1
}

const nothingLine = "- Nothing changed yet."

var nothingRE = regexp.MustCompile(`(?i)^[-*+][ \t]+nothing changed yet\.?$`)

func trimBlank(ls []string) []string {
	for len(ls) > 0 && strings.TrimSpace(ls[0]) == "" {
		ls = ls[1:]
	}
	for len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

func cutEOL(l string) (text, eol string) {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return l[:len(l)-2], "\r\n"
	case strings.HasSuffix(l, "\n"):
		return l[:len(l)-1], "\n"
	}
	return l, ""
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
