package changelog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/distbuild/dist/internal/fileerr"
)

// edit runs fn, which changes c.lines, then parses the result again. When fn
// fails, the result does not parse, or check rejects it, the file is put back
// as it was: a failed edit changes nothing.
func (c *Changelog) edit(fn func() error, check func(before, after []*Entry) error) error {
	saved := append([]string(nil), c.lines...)
	before := c.entries
	restore := func() {
		c.lines = saved
		c.index() // it parsed before, so it parses again
	}
	if err := fn(); err != nil {
		restore()
		return err
	}
	if err := c.index(); err != nil {
		restore()
		return &fileerr.Error{Path: c.Path, Msg: "the edit would leave a changelog dist cannot read (" + err.Error() + "); nothing changed"}
	}
	if err := check(before, c.entries); err != nil {
		restore()
		return err
	}
	return nil
}

func (c *Changelog) internal(what string) error {
	return &fileerr.Error{Path: c.Path, Msg: what + " changed the file's entries unexpectedly; nothing changed"}
}

func (c *Changelog) readOnly(e *Entry) error {
	return &fileerr.Error{Path: c.Path, Line: e.Line, Msg: "keep-a-changelog headings are read-only; dist writes headings like " + c.example()}
}

func (c *Changelog) checkVersion(v string) error {
	if !versionRE.MatchString(v) {
		return &fileerr.Error{Path: c.Path, Msg: fmt.Sprintf("invalid version %q for a changelog heading", v)}
	}
	return nil
}

func (c *Changelog) checkNew(v string, except *Entry) error {
	for _, e := range c.entries {
		if e != except && e.Version != "" && sameVersion(e.Version, v) {
			return &fileerr.Error{Path: c.Path, Line: e.Line, Msg: fmt.Sprintf("version %s already has an entry", e.Version)}
		}
	}
	return nil
}

// SetRelease dates the unreleased entry: its heading becomes "VERSION
// (DATE)", renamed to version when the release uses another one than the
// heading announced, with a ReST underline resized to the new text.
func (c *Changelog) SetRelease(version, date string) error {
	u, err := c.Unreleased()
	if err != nil {
		return err
	}
	if u.kac {
		return c.readOnly(u)
	}
	if err := c.checkVersion(version); err != nil {
		return err
	}
	if date == "" || date != strings.TrimSpace(date) || strings.ContainsAny(date, "()\r\n") || strings.EqualFold(date, "unreleased") {
		return &fileerr.Error{Path: c.Path, Msg: fmt.Sprintf("invalid release date %q", date)}
	}
	if err := c.checkNew(version, u); err != nil {
		return err
	}
	idx := indexOf(c.entries, u)
	return c.edit(func() error {
		c.retitle(u.h, version+" ("+date+")")
		return nil
	}, func(before, after []*Entry) error {
		if len(after) != len(before) || after[idx].Version != version || after[idx].Date != date {
			return c.internal("dating the entry")
		}
		return nil
	})
}

func indexOf(es []*Entry, e *Entry) int {
	for i := range es {
		if es[i] == e {
			return i
		}
	}
	return -1
}

// retitle replaces a heading's text, keeping what surrounds it on the line,
// and resizes its adornment by as much as the text's width changed, so an
// underline that was exactly as long as its text still is.
func (c *Changelog) retitle(h heading, text string) {
	t, eol := cutEOL(c.lines[h.textLine])
	nt := t[:h.textStart] + text + t[h.textEnd:]
	c.lines[h.textLine] = nt + eol
	if h.st.atx > 0 {
		return
	}
	oldW := utf8.RuneCountInString(strings.TrimPrefix(strings.TrimRight(t, " \t"), bom))
	newW := utf8.RuneCountInString(strings.TrimPrefix(strings.TrimRight(nt, " \t"), bom))
	adorned := []int{h.first + h.n - 1}
	if h.st.over {
		adorned = append(adorned, h.first)
	}
	for _, i := range adorned {
		at, eol := cutEOL(c.lines[i])
		pre := ""
		if i == 0 && strings.HasPrefix(at, bom) {
			pre, at = bom, at[len(bom):]
		}
		_, n, _ := adornment(at)
		c.lines[i] = pre + strings.Repeat(string(h.st.char), max(newW, n+newW-oldW)) + eol
	}
}

// headingLines writes a heading in style st.
func headingLines(st style, text string) []string {
	if st.atx > 0 {
		return []string{strings.Repeat("#", st.atx) + " " + text}
	}
	ad := strings.Repeat(string(st.char), utf8.RuneCountInString(text))
	if st.over {
		return []string{ad, text, ad}
	}
	return []string{text, ad}
}

// AddUnreleased starts the next version: a heading "VERSION (unreleased)"
// and "- Nothing changed yet." above the newest entry, in that entry's
// heading style and with the blank lines the file puts between entries. It
// does nothing when the unreleased entry for version is already there, so a
// postrelease that is run again does not fail.
func (c *Changelog) AddUnreleased(version string) error {
	if err := c.checkVersion(version); err != nil {
		return err
	}
	if u, err := c.Unreleased(); err == nil {
		if u.kac {
			return c.readOnly(u)
		}
		if sameVersion(u.Version, version) {
			return nil
		}
		return &fileerr.Error{Path: c.Path, Line: u.Line, Msg: fmt.Sprintf("there is already an unreleased entry %q", u.Heading)}
	}
	if err := c.checkNew(version, nil); err != nil {
		return err
	}
	first := c.entries[0]
	if first.kac {
		return c.readOnly(first)
	}
	gap := 0
	if first.end < len(c.lines) {
		for i := first.end - 1; i >= first.body && c.blank(i); i-- {
			gap++
		}
	}
	if gap == 0 {
		for i := first.start - 1; i >= 0 && c.blank(i); i-- {
			gap++
		}
	}
	gap = max(gap, 1)
	add := headingLines(first.h.st, version+" (unreleased)")
	add = append(add, "", nothingLine)
	for range gap {
		add = append(add, "")
	}
	for i := range add {
		add[i] += c.nl
	}
	return c.edit(func() error {
		at := first.start
		if at == 0 && strings.HasPrefix(c.lines[0], bom) {
			// The mark belongs at the start of the file, not of the old entry.
			c.lines[0] = c.lines[0][len(bom):]
			add[0] = bom + add[0]
		}
		c.lines = append(c.lines[:at], append(add, c.lines[at:]...)...)
		return nil
	}, func(before, after []*Entry) error {
		if len(after) != len(before)+1 || after[0].Version != version || after[0].Date != "" {
			return c.internal("adding the unreleased entry")
		}
		return nil
	})
}

// A generated block, as found in the unreleased entry.
type block struct {
	key, sum string
	inner    []string // raw lines between the markers
}

type bodyItem struct {
	raw  string // a line, with its ending, when blk is nil
	blk  *block
	line int // index in the entry's content of the item's first line
}

// MergeGenerated makes the generated blocks of the unreleased entry equal
// to sections, one block per section, identified by Key (Title when Key is
// empty):
//
//   - a block whose key is in sections is replaced in place;
//   - a section with no block yet is added after the last generated block,
//     or else at the end of the entry's own text, above its first
//     sub-heading;
//   - a block whose key is not in sections any more is removed;
//   - a block edited by hand since dist wrote it (its checksum no longer
//     matches) is never lost: its lines stay as hand-written text, below the
//     fresh block when there is one;
//   - "- Nothing changed yet." goes when the entry has anything else, and
//     comes back when nothing is left.
//
// Lines outside the blocks are not touched. Merging the same sections again
// gives the same bytes. Each section is written as "**Title**", a blank
// line, then its Lines.
func (c *Changelog) MergeGenerated(sections []Section) error {
	u, err := c.Unreleased()
	if err != nil {
		return err
	}
	type gen struct {
		key, sum string
		lines    []string
	}
	var gens []gen
	byKey := map[string]int{}
	for i, s := range sections {
		inner, err := c.renderInner(i, s)
		if err != nil {
			return err
		}
		key := s.Key
		if key == "" {
			key = s.Title
		}
		if key == "" {
			key = trimBlank(s.Lines)[0]
		}
		key = strings.Join(strings.Fields(key), " ")
		if key == "" || strings.Contains(key, "--") {
			return &fileerr.Error{Path: c.Path, Msg: fmt.Sprintf("generated section %d: key %q is empty or contains \"--\"", i+1, key)}
		}
		if _, dup := byKey[key]; dup {
			return &fileerr.Error{Path: c.Path, Msg: fmt.Sprintf("generated section %d: key %q given twice", i+1, key)}
		}
		byKey[key] = i
		sum := checksum(inner)
		gens = append(gens, gen{key: key, sum: sum, lines: c.wrap(sum, key, inner)})
	}

	body := c.lines[u.body:u.end]
	lead := 0
	for lead < len(body) && isBlank(body[lead]) {
		lead++
	}
	trail := 0
	for trail < len(body)-lead && isBlank(body[len(body)-1-trail]) {
		trail++
	}
	content := body[lead : len(body)-trail]
	if at := openFence(u); at >= 0 {
		// Blocks added at the end would be read as code.
		return &fileerr.Error{Path: c.Path, Line: u.body + at + 1, Msg: "code fence not closed within the unreleased entry"}
	}

	var items []bodyItem
	for j := 0; j < len(content); j++ {
		t, _ := cutEOL(content[j])
		k, sum, key := notMarker, "", ""
		if !u.code[lead+j] {
			k, sum, key = marker(c.Format, t)
		}
		line := u.body + lead + j + 1
		switch k {
		case notMarker:
			items = append(items, bodyItem{raw: content[j], line: j})
			continue
		case badMarker:
			return &fileerr.Error{Path: c.Path, Line: line, Msg: fmt.Sprintf("unreadable dist marker %q (want %s)", t, c.markerHint())}
		case endMarker:
			return &fileerr.Error{Path: c.Path, Line: line, Msg: "dist end marker without a generated marker before it"}
		}
		m := j + 1
		for ; m < len(content); m++ {
			mt, _ := cutEOL(content[m])
			mk, _, _ := marker(c.Format, mt)
			if mk == endMarker {
				break
			}
			if mk != notMarker {
				return &fileerr.Error{Path: c.Path, Line: u.body + lead + m + 1, Msg: fmt.Sprintf("dist marker inside the generated block that starts at line %d", line)}
			}
		}
		if m == len(content) {
			return &fileerr.Error{Path: c.Path, Line: line, Msg: fmt.Sprintf("generated block has no end marker (want %q)", c.endMarker())}
		}
		items = append(items, bodyItem{blk: &block{key: key, sum: sum, inner: content[j+1 : m]}, line: j})
		j = m
	}

	// Sub-headings in ReST (and Markdown) own everything down to the next
	// one, so a block added at the end of the entry would land inside the
	// last sub-section; the entry's own part ends at its first sub-heading.
	firstSub := len(content)
	for k := lead; k < lead+len(content); k++ {
		if _, ok := u.subs[k]; ok {
			firstSub = k - lead
			break
		}
	}
	var out []string
	lastBlock, outFirstSub := -1, -1
	dropBlank := false
	seen := map[string]bool{}
	for _, it := range items {
		if it.line == firstSub && outFirstSub < 0 {
			outFirstSub = len(out)
		}
		if it.blk == nil {
			if dropBlank && isBlank(it.raw) {
				dropBlank = false
				continue
			}
			dropBlank = false
			out = append(out, it.raw)
			continue
		}
		dropBlank = false
		b := it.blk
		if seen[b.key] {
			return &fileerr.Error{Path: c.Path, Msg: fmt.Sprintf("two generated blocks for %q in the unreleased entry", b.key)}
		}
		seen[b.key] = true
		gi, wanted := byKey[b.key]
		var inner []string
		for _, l := range b.inner {
			t, _ := cutEOL(l)
			inner = append(inner, t)
		}
		have := checksum(inner)
		edited := have != b.sum && !(wanted && have == gens[gi].sum)
		if wanted {
			out = append(out, c.eol(gens[gi].lines)...)
			lastBlock = len(out)
		}
		if edited {
			if kept := trimBlankRaw(b.inner); len(kept) > 0 {
				if wanted {
					out = append(out, c.nl)
				}
				for _, l := range kept {
					out = append(out, c.withEOL(l))
				}
				if wanted {
					// New blocks go below the hand-edited text, which is
					// about the block just above it.
					lastBlock = len(out)
				}
			}
			continue
		}
		if !wanted {
			dropBlank = true
		}
	}

	var ins []string
	for _, g := range gens {
		if !seen[g.key] {
			ins = append(ins, "")
			ins = append(ins, g.lines...)
		}
	}
	if len(ins) > 0 {
		p := len(out)
		switch {
		case lastBlock >= 0:
			p = lastBlock
		case outFirstSub >= 0:
			p = outFirstSub
			for p > 0 && isBlank(out[p-1]) {
				p--
			}
		}
		if p == 0 || isBlank(out[p-1]) {
			ins = ins[1:]
		}
		if p < len(out) && !isBlank(out[p]) {
			ins = append(ins, "")
		}
		out = append(out[:p], append(c.eol(ins), out[p:]...)...)
	}

	real := false
	for _, l := range out {
		if t := strings.TrimSpace(l); t != "" && !nothingRE.MatchString(t) {
			real = true
		}
	}
	if real {
		for j := 0; j < len(out); j++ {
			if !nothingRE.MatchString(strings.TrimSpace(out[j])) {
				continue
			}
			switch {
			case j+1 < len(out) && isBlank(out[j+1]):
				out = append(out[:j], out[j+2:]...)
			case j > 0 && isBlank(out[j-1]):
				out = append(out[:j-1], out[j+1:]...)
				j--
			default:
				out = append(out[:j], out[j+1:]...)
			}
			j--
		}
	}
	out = trimBlankRaw(out)
	if len(out) == 0 {
		out = []string{nothingLine + c.nl}
	}

	var head, tail []string
	if len(content) == 0 {
		n := min(1, len(body))
		head, tail = body[:n], body[n:]
		if len(head) == 0 {
			head = []string{c.nl}
		}
	} else {
		head, tail = body[:lead], body[len(body)-trail:]
	}
	atEOF := u.end == len(c.lines)
	if !atEOF && len(tail) == 0 {
		tail = []string{c.nl}
	}
	var nb []string
	for _, l := range append(append(append([]string(nil), head...), out...), tail...) {
		nb = append(nb, c.withEOL(l))
	}
	noFinalEOL := len(c.lines) > 0 && !strings.HasSuffix(c.lines[len(c.lines)-1], "\n")

	idx := indexOf(c.entries, u)
	return c.edit(func() error {
		rest := append([]string(nil), c.lines[u.end:]...)
		pre := append([]string(nil), c.lines[:u.body]...)
		if len(pre) > 0 {
			pre[len(pre)-1] = c.withEOL(pre[len(pre)-1])
		}
		c.lines = append(append(pre, nb...), rest...)
		if noFinalEOL && atEOF {
			last := len(c.lines) - 1
			c.lines[last], _ = cutEOL(c.lines[last])
		}
		return nil
	}, func(before, after []*Entry) error {
		bad := &fileerr.Error{Path: c.Path, Line: u.Line, Msg: "the generated sections would change the file's entries (does a line read as a heading?); nothing changed"}
		if len(after) != len(before) {
			return bad
		}
		for i := range after {
			if after[i].Version != before[i].Version || after[i].Date != before[i].Date {
				return bad
			}
		}
		// The new lines must all still belong to the entry: a generated
		// line that reads as a heading at the entry's level would end it.
		if a := after[idx]; !a.unrelDay || a.body != u.body || a.end != u.body+len(nb) {
			return bad
		}
		return nil
	})
}

func (c *Changelog) renderInner(i int, s Section) ([]string, error) {
	bad := func(msg string) error {
		return &fileerr.Error{Path: c.Path, Msg: fmt.Sprintf("generated section %d: %s", i+1, msg)}
	}
	var inner []string
	title := strings.TrimSpace(s.Title)
	if title != "" {
		if strings.ContainsAny(title, "*\r\n") {
			return nil, bad(fmt.Sprintf("title %q may not contain \"*\" or a line break", title))
		}
		inner = append(inner, "**"+title+"**")
	}
	lines := trimBlank(s.Lines)
	for _, l := range lines {
		switch {
		case strings.ContainsAny(l, "\r\n"):
			return nil, bad(fmt.Sprintf("line %q contains a line break", l))
		case isMarker(c.Format, l):
			return nil, bad(fmt.Sprintf("line %q looks like a dist marker", l))
		case nothingRE.MatchString(strings.TrimSpace(l)):
			return nil, bad("\"Nothing changed yet.\" is not generated content")
		}
	}
	if title != "" && len(lines) > 0 {
		inner = append(inner, "")
	}
	inner = append(inner, lines...)
	if len(inner) == 0 {
		return nil, bad("empty")
	}
	return inner, nil
}

// wrap puts a generated block's markers around its content, with blank
// lines inside them because ReST needs a blank line after a comment.
func (c *Changelog) wrap(sum, key string, inner []string) []string {
	begin := "<!-- dist: generated " + sum + " " + key + " -->"
	if c.Format == ReST {
		begin = ".. dist: generated " + sum + " " + key
	}
	out := []string{begin, ""}
	out = append(out, inner...)
	return append(out, "", c.endMarker())
}

func (c *Changelog) endMarker() string {
	if c.Format == ReST {
		return ".. dist: end"
	}
	return "<!-- dist: end -->"
}

func (c *Changelog) markerHint() string {
	if c.Format == ReST {
		return `".. dist: generated SUM KEY" or ".. dist: end"`
	}
	return `"<!-- dist: generated SUM KEY -->" or "<!-- dist: end -->"`
}

// checksum identifies a block's content as dist wrote it. Blank lines and
// trailing spaces do not count, so an editor that trims them is not taken
// for a hand edit.
func checksum(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if l = strings.TrimRight(l, " \t\r"); l != "" {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	s := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(s[:4])
}

func (c *Changelog) withEOL(l string) string {
	if strings.HasSuffix(l, "\n") {
		return l
	}
	return l + c.nl
}

func (c *Changelog) eol(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = c.withEOL(l)
	}
	return out
}

func trimBlankRaw(ls []string) []string {
	for len(ls) > 0 && isBlank(ls[0]) {
		ls = ls[1:]
	}
	for len(ls) > 0 && isBlank(ls[len(ls)-1]) {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// openFence returns the index in e.lines of a Markdown code fence that is
// still open at the end of the entry, or -1.
func openFence(e *Entry) int {
	if e.format != Markdown {
		return -1
	}
	open, fence := -1, ""
	for i, t := range e.lines {
		if fence == "" {
			if m := fenceRE.FindStringSubmatch(t); m != nil {
				open, fence = i, m[1]
			}
			continue
		}
		if m := fenceCloseRE.FindStringSubmatch(t); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) {
			open, fence = -1, ""
		}
	}
	return open
}
