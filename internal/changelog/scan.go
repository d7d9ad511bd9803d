package changelog

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/distbuild/dist/internal/fileerr"
)

// style is how a heading is marked up. Two headings with the same style are
// at the same level; in ReST that is the whole definition of a level.
type style struct {
	atx  int  // Markdown "#" count; 0 for an adorned (underlined) heading
	char byte // adornment character
	over bool // adorned above as well as below
}

type heading struct {
	first, n           int // index of the first line and how many lines it takes
	textLine           int // index of the line holding the text
	textStart, textEnd int // byte offsets of the text in that line
	text               string
	st                 style
	rank               int // smaller is higher: the title is above the entries
}

const bom = "\ufeff"

// lineText is line i without its ending; a byte order mark is left out
// so that it cannot hide a heading, and its length is returned as the
// offset of the text in the raw line.
func (c *Changelog) lineText(i int) (string, int) {
	t, _ := cutEOL(c.lines[i])
	if i == 0 && strings.HasPrefix(t, bom) {
		return t[len(bom):], len(bom)
	}
	return t, 0
}

func (c *Changelog) text(i int) string { t, _ := c.lineText(i); return t }

func (c *Changelog) blank(i int) bool { return isBlank(c.text(i)) }

// index finds headings and entries in c.lines. It is run after every edit,
// so it must accept whatever it accepted before plus what the edits write.
func (c *Changelog) index() error {
	c.entries, c.heads, c.targets = nil, nil, nil
	code := make([]bool, len(c.lines))
	if c.Format == Markdown {
		c.heads = c.scanMarkdown(code)
	} else {
		var err error
		if c.heads, err = c.scanReST(); err != nil {
			return err
		}
		c.targets = c.scanTargets()
	}

	entryRank, firstLine := -1, 0
	for _, h := range c.heads {
		if _, ok := parseVersionHeading(h.text); ok {
			entryRank, firstLine = h.rank, h.textLine+1
			c.entryAt = h.st
			break
		}
	}
	if entryRank < 0 {
		c.entryAt = style{}
		if c.Format == Markdown {
			c.entryAt.atx = 2
		}
		return &fileerr.Error{Path: c.Path, Line: 1, Msg: "no changelog entries (want a heading like " + c.example() + ")"}
	}

	var cur *Entry
	closeAt := func(i int) {
		if cur != nil {
			cur.end = i
			c.entries = append(c.entries, cur)
			cur = nil
		}
	}
	seen := map[string]int{}
	unreleasedAt, dated := 0, false
	for _, h := range c.heads {
		vh, isVersion := parseVersionHeading(h.text)
		if isVersion && h.rank < entryRank {
			return &fileerr.Error{Path: c.Path, Line: h.textLine + 1, Msg: fmt.Sprintf("release heading %q is at a higher level than the entry at line %d", h.text, firstLine)}
		}
		if h.rank > entryRank {
			continue // a sub-heading of the current entry
		}
		closeAt(h.first)
		if !isVersion || h.rank != entryRank {
			continue // e.g. "Older releases": ends the entry before it
		}
		line := h.textLine + 1
		if vh.version != "" {
			key := strings.TrimPrefix(vh.version, "v")
			if prev, dup := seen[key]; dup {
				return &fileerr.Error{Path: c.Path, Line: line, Msg: fmt.Sprintf("version %s already has an entry at line %d", vh.version, prev)}
			}
			seen[key] = line
		}
		// Only the topmost entry can be the one in preparation. An undated
		// heading below a dated one is history (kinto-dist's "1.6
		// (unreleased)" was never dated and never will be); one right below
		// the unreleased entry is a mistake dist should not guess about.
		current := false
		switch {
		case !vh.unreleased:
			dated = true
		case dated:
		case unreleasedAt > 0:
			return &fileerr.Error{Path: c.Path, Line: line, Msg: fmt.Sprintf("a second unreleased entry (the first is at line %d)", unreleasedAt)}
		default:
			unreleasedAt, current = line, true
		}
		cur = &Entry{
			Version: vh.version, Date: vh.date, Heading: h.text, Line: line,
			kac: vh.kac, h: h, start: h.first, body: h.first + h.n,
			format: c.Format, unrelDay: current,
		}
	}
	closeAt(len(c.lines))
	if len(c.entries) > 0 {
		c.entryAt = c.entries[0].h.st
	}
	for _, e := range c.entries {
		c.fill(e, code)
	}
	return nil
}

type versionHeading struct {
	version, date string
	unreleased    bool
	kac           bool
}

var (
	zestRE     = regexp.MustCompile(`^(v?\d[0-9A-Za-z.+!_-]*)[ \t]+\(([^()]*[^()\s][^()]*)\)$`)
	kacRE      = regexp.MustCompile(`^\[(v?\d[^\]\s]*)\][ \t]+[-–—][ \t]+(\S.*)$`)
	kacUnrelRE = regexp.MustCompile(`(?i)^\[unreleased\](?:[ \t]+[-–—].*)?$`)
	versionRE  = regexp.MustCompile(`^v?\d[0-9A-Za-z.+!_-]*$`)
)

// parseVersionHeading reads "1.2.0 (unreleased)", "1.2.0 (2024-05-02)",
// "[1.2.0] - 2024-05-02" and "[Unreleased]".
func parseVersionHeading(text string) (versionHeading, bool) {
	if m := zestRE.FindStringSubmatch(text); m != nil {
		d := strings.TrimSpace(m[2])
		if strings.EqualFold(d, "unreleased") {
			return versionHeading{version: m[1], unreleased: true}, true
		}
		return versionHeading{version: m[1], date: d}, true
	}
	if m := kacRE.FindStringSubmatch(text); m != nil {
		return versionHeading{version: m[1], date: strings.TrimSpace(m[2]), kac: true}, true
	}
	if kacUnrelRE.MatchString(text) {
		return versionHeading{unreleased: true, kac: true}, true
	}
	return versionHeading{}, false
}

var (
	atxRE        = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`)
	atxCloseRE   = regexp.MustCompile(`(^|[ \t]+)#+$`)
	fenceRE      = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	fenceCloseRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})[ \t]*$")
	setextRE     = regexp.MustCompile(`^ {0,3}(={3,}|-{3,})[ \t]*$`)
	mdBlockRE    = regexp.MustCompile(`^(?:[-*+][ \t]|\d+[.)][ \t]|>|#|<|` + "```" + `|~~~)`)
)

// scanMarkdown finds ATX and setext headings outside code fences, and marks
// the fenced lines in code.
func (c *Changelog) scanMarkdown(code []bool) []heading {
	var hs []heading
	fence := ""
	lastEnd := -1 // index of the last line of the previous heading
	for i := 0; i < len(c.lines); i++ {
		t, off := c.lineText(i)
		if fence != "" {
			code[i] = true
			if m := fenceCloseRE.FindStringSubmatch(t); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) {
				fence = ""
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(t); m != nil {
			fence = m[1]
			code[i] = true
			continue
		}
		if m := atxRE.FindStringSubmatchIndex(t); m != nil {
			s, e := len(t), len(t)
			if m[4] >= 0 {
				s, e = m[4], m[5]
			}
			if cm := atxCloseRE.FindStringIndex(t[s:e]); cm != nil {
				e = s + cm[0]
			}
			hs = append(hs, heading{first: i, n: 1, textLine: i, textStart: off + s, textEnd: off + e,
				text: t[s:e], st: style{atx: m[3] - m[2]}, rank: m[3] - m[2]})
			lastEnd = i
			continue
		}
		paragraphStart := i == 0 || c.blank(i-1) || lastEnd == i-1
		if !paragraphStart || isBlank(t) || i+1 >= len(c.lines) {
			continue
		}
		lead := len(t) - len(strings.TrimLeft(t, " "))
		if lead >= 4 || mdBlockRE.MatchString(t[lead:]) {
			continue
		}
		if m := setextRE.FindStringSubmatch(c.text(i + 1)); m != nil {
			s, e := lead, len(strings.TrimRight(t, " \t"))
			rank := 1
			if m[1][0] == '-' {
				rank = 2
			}
			hs = append(hs, heading{first: i, n: 2, textLine: i, textStart: off + s, textEnd: off + e,
				text: t[s:e], st: style{char: m[1][0]}, rank: rank})
			lastEnd = i + 1
			i++
		}
	}
	return hs
}

const rstPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// adornment reports whether t is a ReST over- or underline: one punctuation
// character repeated. Fewer than three is taken as text, which keeps "::"
// and ".." (literal-block and comment markers) out.
func adornment(t string) (byte, int, bool) {
	t = strings.TrimRight(t, " \t")
	if len(t) < 3 || strings.IndexByte(rstPunct, t[0]) < 0 {
		return 0, 0, false
	}
	for i := 1; i < len(t); i++ {
		if t[i] != t[0] {
			return 0, 0, false
		}
	}
	return t[0], len(t), true
}

// width is the column count ReST compares an underline with. Every
// character counts one: the headings dist writes are ASCII, and a wide
// character elsewhere only makes a resized underline longer than needed.
func width(s string) int { return utf8.RuneCountInString(strings.TrimRight(s, " \t")) }

var rstNoTitleRE = regexp.MustCompile(`^(?:[-*+•][ \t]|\.\.(?:[ \t]|$)|[ \t])`)

// scanReST finds section titles: text underlined, or over- and underlined,
// with a repeated punctuation character, after a blank line. Levels are
// ranked by first appearance, as docutils does.
func (c *Changelog) scanReST() ([]heading, error) {
	var hs []heading
	ranks := map[style]int{}
	rankOf := func(st style) int {
		r, ok := ranks[st]
		if !ok {
			r = len(ranks)
			ranks[st] = r
		}
		return r
	}
	lastEnd := -1
	for i := 0; i+1 < len(c.lines); i++ {
		if !(i == 0 || c.blank(i-1) || lastEnd == i-1) {
			continue
		}
		t, off := c.lineText(i)
		if ch, n, ok := adornment(t); ok && i+2 < len(c.lines) {
			mid := c.text(i + 1)
			if _, _, midAdorn := adornment(mid); !isBlank(mid) && !midAdorn {
				if ch2, n2, ok2 := adornment(c.text(i + 2)); ok2 {
					if ch2 != ch || n2 != n {
						return nil, &fileerr.Error{Path: c.Path, Line: i + 3, Msg: "title overline and underline do not match"}
					}
					s := len(mid) - len(strings.TrimLeft(mid, " \t"))
					e := len(strings.TrimRight(mid, " \t"))
					st := style{char: ch, over: true}
					hs = append(hs, heading{first: i, n: 3, textLine: i + 1, textStart: s, textEnd: e,
						text: mid[s:e], st: st, rank: rankOf(st)})
					lastEnd = i + 2
					i += 2
					continue
				}
			}
		}
		if isBlank(t) || rstNoTitleRE.MatchString(t) {
			continue
		}
		if _, _, ok := adornment(t); ok {
			continue
		}
		ch, n, ok := adornment(c.text(i + 1))
		if !ok || (n < width(t) && n < 4) {
			continue
		}
		e := len(strings.TrimRight(t, " \t"))
		st := style{char: ch}
		hs = append(hs, heading{first: i, n: 2, textLine: i, textStart: off, textEnd: off + e,
			text: t[:e], st: st, rank: rankOf(st)})
		lastEnd = i + 1
		i++
	}
	return hs, nil
}

var targetRE = regexp.MustCompile("^\\.\\.[ \t]+_(`[^`]+`|[^:`]+):[ \t]*(.*)$")

// scanTargets collects ".. _name: url" so that Notes can turn a reference
// to name into a Markdown link.
func (c *Changelog) scanTargets() map[string]string {
	ts := map[string]string{}
	for i := range c.lines {
		m := targetRE.FindStringSubmatch(c.text(i))
		if m == nil {
			continue
		}
		url := strings.TrimSpace(m[2])
		if url == "" && i+1 < len(c.lines) {
			if nx := c.text(i + 1); strings.HasPrefix(nx, " ") || strings.HasPrefix(nx, "\t") {
				url = strings.TrimSpace(nx)
			}
		}
		if url != "" {
			ts[normRef(strings.Trim(m[1], "`"))] = url
		}
	}
	return ts
}

func normRef(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

var (
	mdBeginRE  = regexp.MustCompile(`^<!--[ \t]*dist:[ \t]*generated[ \t]+([0-9a-f]{8})[ \t]+(\S.*?)[ \t]*-->[ \t]*$`)
	mdEndRE    = regexp.MustCompile(`^<!--[ \t]*dist:[ \t]*end[ \t]*-->[ \t]*$`)
	mdAnyRE    = regexp.MustCompile(`^<!--[ \t]*dist:`)
	rstBeginRE = regexp.MustCompile(`^\.\.[ \t]+dist:[ \t]*generated[ \t]+([0-9a-f]{8})[ \t]+(\S.*?)[ \t]*$`)
	rstEndRE   = regexp.MustCompile(`^\.\.[ \t]+dist:[ \t]*end[ \t]*$`)
	rstAnyRE   = regexp.MustCompile(`^\.\.[ \t]+dist:`)
	boldRE     = regexp.MustCompile(`^\*\*([^*\s](?:[^*]*[^*\s])?)\*\*:?[ \t]*$`)
)

type markerKind int

const (
	notMarker markerKind = iota
	beginMarker
	endMarker
	badMarker // looks like one of dist's markers but does not parse
)

func marker(f Format, t string) (kind markerKind, sum, key string) {
	begin, end, any := mdBeginRE, mdEndRE, mdAnyRE
	if f == ReST {
		begin, end, any = rstBeginRE, rstEndRE, rstAnyRE
	}
	if m := begin.FindStringSubmatch(t); m != nil {
		return beginMarker, m[1], m[2]
	}
	if end.MatchString(t) {
		return endMarker, "", ""
	}
	if any.MatchString(t) {
		return badMarker, "", ""
	}
	return notMarker, "", ""
}

func isMarker(f Format, t string) bool {
	k, _, _ := marker(f, t)
	return k != notMarker
}

// fill copies an entry's lines and splits them into sections.
func (c *Changelog) fill(e *Entry, code []bool) {
	e.lines = make([]string, e.end-e.body)
	for i := range e.lines {
		e.lines[i] = c.text(e.body + i)
	}
	e.code = append([]bool(nil), code[e.body:e.end]...)

	// Ranging over maps here would make coverage vary from run to run,
	// which stalls the fuzzer's minimizer; slices keep it deterministic.
	var inRange []heading
	var ranks []int
	for _, h := range c.heads {
		if h.first >= e.body && h.first < e.end {
			inRange = append(inRange, h)
			ranks = append(ranks, h.rank)
		}
	}
	sort.Ints(ranks)
	ranks = slices.Compact(ranks)
	e.subs = map[int]subHeading{}
	for _, h := range inRange {
		e.subs[h.first-e.body] = subHeading{n: h.n, depth: sort.SearchInts(ranks, h.rank) + 1, text: h.text}
	}

	var secs []Section
	cur := Section{Line: e.body + 1}
	flush := func(next Section) {
		cur.Lines = append([]string(nil), trimBlank(cur.Lines)...)
		if cur.Title != "" || len(cur.Lines) > 0 {
			secs = append(secs, cur)
		}
		cur = next
	}
	inBlock, key := false, ""
	prevBreak := true
	for i := 0; i < len(e.lines); i++ {
		if sh, ok := e.subs[i]; ok {
			flush(Section{Title: sh.text, Level: sh.depth, Line: e.body + i + 1, Generated: inBlock, Key: key})
			i += sh.n - 1
			prevBreak = true
			continue
		}
		t := e.lines[i]
		if !e.code[i] {
			switch k, _, k2 := marker(e.format, t); k {
			case beginMarker:
				inBlock, key = true, k2
				flush(Section{Line: e.body + i + 2, Generated: true, Key: key})
				prevBreak = true
				continue
			case endMarker:
				inBlock, key = false, ""
				flush(Section{Line: e.body + i + 2})
				prevBreak = true
				continue
			}
			if m := boldRE.FindStringSubmatch(t); m != nil && prevBreak {
				flush(Section{Title: m[1], Line: e.body + i + 1, Generated: inBlock, Key: key})
				prevBreak = false
				continue
			}
		}
		if len(cur.Lines) == 0 && cur.Title == "" && isBlank(t) {
			cur.Line = e.body + i + 2
		}
		cur.Lines = append(cur.Lines, t)
		prevBreak = isBlank(t)
	}
	flush(Section{})
	e.Sections = secs
}
