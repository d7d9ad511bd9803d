package reldiff

import (
	"fmt"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/distbuild/dist/internal/jsonfmt"
)

// JSON is the result as dist diff --json prints it: indented, snake_case
// keys, empty lists as [], < > & as they are.
func (r *Result) JSON() ([]byte, error) {
	return jsonfmt.Indent(r)
}

// title is "kinto-dist 1.0.0 -> 1.1.0", with the refs when they are not
// the versions: "kinto-dist prod (1.0.0) -> stage (1.1.0)".
func (r *Result) title(arrow string) string {
	name := func(s Side) string {
		if s.Ref == s.Version {
			return s.Version
		}
		return s.Ref + " (" + s.Version + ")"
	}
	return fmt.Sprintf("%s %s %s %s", r.Name, name(r.From), arrow, name(r.To))
}

// Text is the result for a terminal: a title line with the direction and
// the policy's level, where each side was read (when the Releases said),
// then the pins, the config keys and the changelog entries, each as
// aligned columns.
func (r *Result) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, %s\n", r.title("->"), r.Direction, r.Level)
	// Where each side was read, when the caller says: an image or a tag.
	if r.From.Source != "" || r.To.Source != "" {
		tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
		for _, s := range []Side{r.From, r.To} {
			if s.Source != "" {
				fmt.Fprintf(tw, "  %s:\t%s\n", s.Ref, s.Source)
			}
		}
		tw.Flush()
	}

	var pins, configs [][]string
	for _, p := range r.Pins {
		pins = append(pins, []string{p.Level, p.Kind, p.Name, versions(p), p.File})
	}
	for _, c := range r.Configs {
		configs = append(configs, []string{c.Level, c.Kind, c.File, setting(c)})
	}
	table(&b, "Pins", pins)
	table(&b, "Config keys", configs)

	what := "Changelog:"
	if r.Direction == "downgrade" {
		what = "Changelog (rolled back):"
	}
	b.WriteString("\n" + what)
	if len(r.Changelog) == 0 {
		b.WriteString(" no entries\n")
		return b.String()
	}
	b.WriteString("\n")
	for i, e := range r.Changelog {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "  %s\n", e.Heading)
		for _, l := range strings.Split(strings.TrimRight(e.Notes, "\n"), "\n") {
			if l == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

func versions(p PinChange) string {
	switch {
	case p.From != "" && p.To != "" && p.From != p.To:
		return p.From + " -> " + p.To
	case p.To != "":
		return p.To
	}
	return p.From
}

func setting(c ConfigChange) string {
	switch c.Kind {
	case "key-added":
		if c.Key == NewFile {
			return c.Key
		}
		return c.Key + " = " + c.To
	case "key-removed":
		if c.Key == RemovedFile {
			return c.Key
		}
		return c.Key + " (was " + c.From + ")"
	}
	return c.Key + ": " + c.From + " -> " + c.To
}

// Markdown is the result as a deployment request to paste into an issue
// or a ticket, as Loop's release engineers filed them by hand: what to
// deploy where, the policy's level, the changelog entries, then tables of
// the pins and config keys that change.
func (r *Result) Markdown() string {
	var b strings.Builder
	if r.From.Ref != r.From.Version {
		fmt.Fprintf(&b, "## Deploy %s %s to %s\n\n", r.Name, r.To.Version, r.From.Ref)
		fmt.Fprintf(&b, "%s is on %s now", code(r.From.Ref), r.From.Version)
		if r.To.Ref != r.To.Version {
			fmt.Fprintf(&b, "; %s is on %s", code(r.To.Ref), r.To.Version)
		}
		b.WriteString(".")
	} else {
		fmt.Fprintf(&b, "## %s\n\n", r.title("→"))
		fmt.Fprintf(&b, "From %s to %s.", r.From.Version, r.To.Version)
	}
	switch r.Direction {
	case "downgrade":
		b.WriteString(" This is a **rollback** to an older version.")
	case "same":
		b.WriteString(" Both are the same version.")
	}
	if r.Level != "none" {
		fmt.Fprintf(&b, " The SemVer policy rates the change **%s**.", r.Level)
	}
	b.WriteString("\n")

	if r.Direction == "downgrade" {
		b.WriteString("\n### Changes rolled back\n")
	} else {
		b.WriteString("\n### Changes\n")
	}
	if len(r.Changelog) == 0 {
		b.WriteString("\nNo changelog entries.\n")
	}
	for _, e := range r.Changelog {
		fmt.Fprintf(&b, "\n#### %s\n", e.Heading)
		if notes := demote(e.Notes, 3); notes != "" {
			b.WriteString("\n" + notes)
		}
	}

	b.WriteString("\n### Dependencies\n\n")
	if len(r.Pins) == 0 {
		b.WriteString("No pin changes.\n")
	} else {
		b.WriteString("| Level | Change | Name | From | To | Lockfile |\n|---|---|---|---|---|---|\n")
		for _, p := range r.Pins {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", p.Level, p.Kind, code(p.Name), cell(p.From), cell(p.To), code(p.File))
		}
	}

	b.WriteString("\n### Configuration\n\n")
	if len(r.Configs) == 0 {
		b.WriteString("No config key changes.\n")
	} else {
		b.WriteString("| Level | Change | Key | From | To | File |\n|---|---|---|---|---|---|\n")
		for _, c := range r.Configs {
			key := code(c.Key)
			if c.Key == NewFile || c.Key == RemovedFile {
				key = c.Key
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.Level, c.Kind, key, code(c.From), code(c.To), code(c.File))
		}
	}
	return b.String()
}

var atxHeading = regexp.MustCompile("^(#{1,6})([ \t])")

var fenceLine = regexp.MustCompile("^[ \t]*(```|~~~)")

// demote pushes the Markdown headings of notes down by n levels (at most
// to "######"), so that an entry's sections sit below its own heading;
// code fences are left alone.
func demote(notes string, n int) string {
	lines := strings.Split(notes, "\n")
	inFence := false
	for i, l := range lines {
		if fenceLine.MatchString(l) {
			inFence = !inFence
			continue
		}
		if m := atxHeading.FindStringSubmatch(l); m != nil && !inFence {
			lines[i] = strings.Repeat("#", min(len(m[1])+n, 6)) + l[len(m[1]):]
		}
	}
	return strings.Join(lines, "\n")
}

// cell makes a value safe in a table cell: "|" escaped; "" stays empty.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// code writes s as inline code in a table cell, with a fence long enough
// for the backquotes it holds; "" stays empty.
func code(s string) string {
	if s == "" {
		return ""
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + cell(s) + pad + fence
}

// table writes a titled section of aligned rows, or "none changed".
func table(b *strings.Builder, title string, rows [][]string) {
	b.WriteString("\n" + title + ":")
	if len(rows) == 0 {
		b.WriteString(" none changed\n")
		return
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t"))
	}
	tw.Flush()
}
