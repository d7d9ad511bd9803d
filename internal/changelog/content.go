package changelog

import (
	"regexp"
	"strings"
)

// Text returns the entry as the file writes it, heading markup (a "##" or
// a ReST underline) included, without the blank lines that follow it,
// lines joined with "\n" and ending with "\n".
func (c *Changelog) Text(e *Entry) string {
	var ls []string
	for i := e.start; i < e.end && i < len(c.lines); i++ {
		ls = append(ls, c.text(i))
	}
	ls = trimBlank(ls)
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// generated marks the entry's lines that belong to a generated block dist
// wrote and nobody has edited since (its checksum still matches), markers
// included. An edited block is hand-written text: that is what MergeGenerated
// keeps of it.
func (e *Entry) generated() []bool {
	gen := make([]bool, len(e.lines))
	for i := 0; i < len(e.lines); i++ {
		if e.code[i] {
			continue
		}
		k, sum, _ := marker(e.format, e.lines[i])
		if k != beginMarker {
			continue
		}
		j := i + 1
		for ; j < len(e.lines); j++ {
			if k, _, _ := marker(e.format, e.lines[j]); k != notMarker && !e.code[j] {
				break
			}
		}
		if j == len(e.lines) {
			break // no end marker: MergeGenerated refuses the entry anyway
		}
		if k, _, _ := marker(e.format, e.lines[j]); k != endMarker {
			i = j - 1
			continue
		}
		if checksum(e.lines[i+1:j]) == sum {
			for n := i; n <= j; n++ {
				gen[n] = true
			}
		}
		i = j
	}
	return gen
}

// Breaking finds the entry's breaking-changes section, however it is
// written: a sub-heading at any level, a whole-line bold or emphasized title
// with or without a colon inside or after it ("**Breaking changes:**",
// "**Breaking changes**:"), a plain title line ("Breaking changes:",
// zest.releaser's style), release-please's "⚠ BREAKING CHANGES", or a
// combined title such as "New features/Breaking changes". It returns the
// title without its markup and colon, and its 1-based line. A line that
// says more than the title ("- No breaking changes this time.") is prose and
// does not count; neither does anything in a code block or in a block dist
// generated.
func (e *Entry) Breaking() (title string, line int, ok bool) {
	gen := e.generated()
	paragraphStart := true
	for i := 0; i < len(e.lines); i++ {
		if sh, isSub := e.subs[i]; isSub {
			if t := titleText(sh.text); !gen[i] && IsBreakingTitle(t) {
				return t, e.body + i + 1, true
			}
			i += sh.n - 1
			paragraphStart = true
			continue
		}
		l := e.lines[i]
		start := paragraphStart
		paragraphStart = isBlank(l)
		if e.code[i] || gen[i] || isBlank(l) {
			continue
		}
		// A title line starts a paragraph at the left margin; a list item
		// may be one at any depth ("- **Breaking changes:**" above a
		// nested list). Indented text that is no list item is a literal
		// block or the rest of a paragraph, which is prose.
		t := strings.TrimSpace(l)
		item := listMarkerRE.FindString(t)
		if item == "" && (!start || indentOf(l) > 0) {
			continue
		}
		if t := titleText(t[len(item):]); IsBreakingTitle(t) {
			return t, e.body + i + 1, true
		}
	}
	return "", 0, false
}

var listMarkerRE = regexp.MustCompile(`^(?:[-*+•]|\d+[.)])[ \t]+`)

// titleText removes the markup around a title: bold or emphasis, and a
// colon inside or after it.
func titleText(s string) string {
	for {
		t := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), ":"))
		for _, m := range []string{"**", "__", "*", "_"} {
			if len(t) > 2*len(m) && strings.HasPrefix(t, m) && strings.HasSuffix(t, m) {
				t = t[len(m) : len(t)-len(m)]
				break
			}
		}
		if t == s {
			return t
		}
		s = t
	}
}

var (
	breakingRE = regexp.MustCompile(`(?i)^(?:breaking[ \t-]+changes?|backwards?[ \t-]+incompatible[ \t-]+changes?|backwards?[ \t-]+incompatibilit(?:y|ies))$`)
	// titleSepRE splits "New features/Breaking changes" and
	// "Features & breaking changes".
	titleSepRE = regexp.MustCompile(`(?i)[ \t]*(?:[/,;&+|]|[ \t]and[ \t])[ \t]*`)
)

// IsBreakingTitle reports whether a section title (markup already removed)
// announces breaking changes: "Breaking changes", "Breaking change", in any
// case, with a warning sign before it ("⚠ BREAKING CHANGES"), or as one part
// of a combined title ("New features/Breaking changes"). "Backward(s)
// incompatible changes" and "Backwards incompatibilities" count too.
func IsBreakingTitle(title string) bool {
	if l := strings.ToLower(title); !strings.Contains(l, "breaking") && !strings.Contains(l, "incompatib") {
		return false // most lines, cheaply
	}
	t := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(title), ":"))
	t = strings.TrimLeft(t, "\u26a0\ufe0f\U0001f4a5\U0001f6a8\u2757 \t") // ⚠️ 💥 🚨 ❗
	for _, part := range titleSepRE.Split(t, -1) {
		if breakingRE.MatchString(strings.Join(strings.Fields(titleText(part)), " ")) {
			return true
		}
	}
	return false
}

// WritesChange reports whether the entry's hand-written text already says
// that name went from one version to another: a line such as kinto-dist's
// "**kinto-signer 4.0.1 → 5.0.0**: URL", with "->" for the arrow, any markup
// around it, and the name in any case and with "-", "_" or "." between its
// words. A block dist generated does not count, an edited one does.
func (e *Entry) WritesChange(name, from, to string) bool {
	if name == "" || from == "" || to == "" {
		return false
	}
	gen := e.generated()
	var cand []string
	for i, l := range e.lines {
		if !gen[i] && !e.code[i] && strings.Contains(l, strings.TrimPrefix(to, "v")) {
			cand = append(cand, l)
		}
	}
	if len(cand) == 0 {
		return false
	}
	var re strings.Builder
	re.WriteString(`(?i)(?:^|[^\w.-])`)
	for i, w := range nameWordRE.Split(name, -1) {
		if i > 0 {
			re.WriteString(`[-_.]+`)
		}
		re.WriteString(regexp.QuoteMeta(w))
	}
	re.WriteString(`[ \t]+v?` + regexp.QuoteMeta(strings.TrimPrefix(from, "v")))
	re.WriteString(`[ \t]*(?:→|->|-->|=>|⟶|⇒)[ \t]*`)
	re.WriteString(`v?` + regexp.QuoteMeta(strings.TrimPrefix(to, "v")) + `(?:$|[^0-9A-Za-z.+-]|\.(?:$|[^0-9A-Za-z]))`)
	change := regexp.MustCompile(re.String())
	for _, l := range cand {
		if change.MatchString(markupStripper.Replace(l)) {
			return true
		}
	}
	return false
}

var (
	nameWordRE = regexp.MustCompile(`[-_.]+`)
	// markupStripper drops the inline markup that can surround a name and
	// its versions: bold, emphasis, literals and ReST link backquotes.
	markupStripper = strings.NewReplacer("**", "", "`", "", "__", " ")
)
