// Package textdiff prints unified diffs, the one format dist shows changes
// in (lock upgrade --dry-run, config render --check, changelog previews).
package textdiff

import (
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Unified returns a unified diff from a to b with three lines of context,
// "" when they are equal. The names are shown as a/NAME and b/NAME.
func Unified(name, a, b string) string {
	if a == b {
		return ""
	}
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: splitLines(a), B: splitLines(b),
		FromFile: "a/" + name, ToFile: "b/" + name, Context: 3,
	})
	return d
}

// splitLines keeps each line's newline and, unlike difflib.SplitLines, adds
// no empty line after the last one; a last line without a newline gets one
// so that the diff stays line-shaped.
func splitLines(s string) []string {
	lines := slices.Collect(strings.Lines(s))
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n\\ No newline at end of file\n"
	}
	return lines
}
