package changelog

import (
	"regexp"
	"strings"
)

// Notes renders an entry as GitHub Markdown for a release page. The entry's
// own heading is left out (the release has a title); sub-headings become
// "##" for the entry's first level, "###" below it, whatever their markup
// in the file; dist's markers are dropped; bold lines, bullets and
// everything else stay. From ReST, links `text <url>`_ become [text](url),
// references to a ".. _name: url" target anywhere in the file become
// links, double-backquoted literals take single backquotes, a "::" literal
// block or a ".. code-block::" directive becomes a code fence, and
// comments and targets are dropped. Runs of blank lines shrink to one. The
// result ends with "\n", or is "" for an empty entry.
func (c *Changelog) Notes(e *Entry) string {
	var out []string
	if e.format == ReST {
		out = rstNotes(e, c.targets)
	} else {
		out = mdNotes(e)
	}
	// Shrink blank runs, except inside code fences where blank lines count.
	var res []string
	inFence := false
	for _, l := range out {
		if fenceRE.MatchString(l) {
			inFence = !inFence
		}
		if !inFence && isBlank(l) && (len(res) == 0 || isBlank(res[len(res)-1])) {
			continue
		}
		if !inFence && isBlank(l) {
			l = ""
		}
		res = append(res, l)
	}
	res = trimBlank(res)
	if len(res) == 0 {
		return ""
	}
	return strings.Join(res, "\n") + "\n"
}

func hashes(depth int) string { return strings.Repeat("#", min(depth+1, 6)) }

func mdNotes(e *Entry) []string {
	var out []string
	for i := 0; i < len(e.lines); i++ {
		if sh, ok := e.subs[i]; ok {
			out = append(out, hashes(sh.depth)+" "+sh.text)
			i += sh.n - 1
			continue
		}
		if !e.code[i] && isMarker(Markdown, e.lines[i]) {
			continue
		}
		out = append(out, e.lines[i])
	}
	return out
}

// explicitRE is ReST explicit markup: comments, targets, footnotes and
// substitutions, which have no place on a release page; directives
// (".. name::") are kept as they are since dropping them could lose text.
var (
	explicitRE  = regexp.MustCompile(`^\.\.(?:[ \t]|$)`)
	directiveRE = regexp.MustCompile(`^\.\.[ \t]+[A-Za-z0-9][\w:.+-]*::`)
)

func indented(s string) bool { return strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\t") }

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

var (
	codeDirectiveRE = regexp.MustCompile(`^\.\.[ \t]+(?:code-block|code|sourcecode)::[ \t]*(\S*)`)
	optionRE        = regexp.MustCompile(`^[ \t]+:[\w-]+:`)
)

// literalBlock returns the lines of a block indented more than ind that
// starts at or after ls[j] (blank lines first are skipped), dedented, and
// the index after it; ok is false when no such block follows.
func literalBlock(ls []string, j, ind int) (block []string, k int, ok bool) {
	for j < len(ls) && isBlank(ls[j]) {
		j++
	}
	if j == len(ls) || indentOf(ls[j]) <= ind {
		return nil, j, false
	}
	k = j
	minInd := -1
	for k < len(ls) && (isBlank(ls[k]) || indentOf(ls[k]) > ind) {
		if n := indentOf(ls[k]); !isBlank(ls[k]) && (minInd < 0 || n < minInd) {
			minInd = n
		}
		k++
	}
	for _, l := range trimBlank(ls[j:k]) {
		if isBlank(l) {
			block = append(block, "")
		} else {
			block = append(block, l[minInd:])
		}
	}
	for k > j && isBlank(ls[k-1]) {
		k--
	}
	return block, k, true
}

func fence(lang string, block []string) []string {
	out := append([]string{"```" + lang}, block...)
	return append(out, "```", "")
}

func rstNotes(e *Entry, targets map[string]string) []string {
	var out []string
	ls := e.lines
	for i := 0; i < len(ls); i++ {
		if sh, ok := e.subs[i]; ok {
			out = append(out, hashes(sh.depth)+" "+rstInline(sh.text, targets))
			i += sh.n - 1
			continue
		}
		t := ls[i]
		if m := codeDirectiveRE.FindStringSubmatch(t); m != nil {
			j := i + 1
			for j < len(ls) && optionRE.MatchString(ls[j]) {
				j++
			}
			if block, k, ok := literalBlock(ls, j, indentOf(t)); ok {
				out = append(out, fence(m[1], block)...)
				i = k - 1
				continue
			}
		}
		if explicitRE.MatchString(t) && !directiveRE.MatchString(t) {
			for i+1 < len(ls) && indented(ls[i+1]) && !isBlank(ls[i+1]) {
				i++
			}
			continue
		}
		if tr := strings.TrimRight(t, " \t"); strings.HasSuffix(tr, "::") && !explicitRE.MatchString(t) {
			if block, k, ok := literalBlock(ls, i+1, indentOf(t)); ok {
				// "text::" reads "text:", "text ::" reads "text", and "::"
				// alone nothing.
				lead := strings.TrimRight(tr[:len(tr)-2], " \t")
				switch {
				case strings.TrimSpace(lead) == "":
				case strings.HasSuffix(tr, " ::"):
					out = append(out, rstInline(lead, targets), "")
				default:
					out = append(out, rstInline(lead+":", targets), "")
				}
				out = append(out, fence("", block)...)
				i = k - 1
				continue
			}
		}
		out = append(out, rstInline(t, targets))
	}
	return out
}

var (
	embeddedRE = regexp.MustCompile(`^(?s)(.*?)\s*<([^<>]+)>$`)
)

// rstInline converts ReST inline markup that Markdown spells differently.
// Literals are copied first so that nothing inside them is converted.
func rstInline(s string, targets map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "``") {
			if j := strings.Index(s[i+2:], "``"); j > 0 {
				b.WriteString(mdCode(s[i+2 : i+2+j]))
				i += j + 4
				continue
			}
		}
		if s[i] == '`' && i > 0 && s[i-1] == ':' {
			// An interpreted text role (":pr:`12`") has no Markdown
			// spelling; keep it whole so its closing quote is not taken
			// for an opening one.
			if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
				b.WriteString(s[i : i+j+2])
				i += j + 2
				continue
			}
		}
		if s[i] == '`' {
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 {
				end := i + 1 + j + 1
				n := 0
				if strings.HasPrefix(s[end:], "__") {
					n = 2
				} else if strings.HasPrefix(s[end:], "_") {
					n = 1
				}
				if n > 0 {
					b.WriteString(mdLink(s[i+1:i+1+j], targets))
					i = end + n
					continue
				}
			}
		}
		if strings.HasPrefix(s[i:], "\\ ") {
			// ReST's escaped space joins markup to a word ("``x``\ 's")
			// and stands for nothing.
			i += 2
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func mdLink(ref string, targets map[string]string) string {
	if m := embeddedRE.FindStringSubmatch(ref); m != nil {
		text, url := m[1], m[2]
		if text == "" {
			return "<" + url + ">"
		}
		return "[" + text + "](" + url + ")"
	}
	if url, ok := targets[normRef(ref)]; ok {
		return "[" + ref + "](" + url + ")"
	}
	return ref
}

func mdCode(s string) string {
	if !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return "`` " + s + " ``"
}
