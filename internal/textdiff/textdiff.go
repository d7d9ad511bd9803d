// Package textdiff prints unified diffs, the one format dist shows changes
// in (lock upgrade --dry-run, config render --check, changelog previews).
package textdiff

import (
	"github.com/aymanbagabas/go-udiff"
)

// Unified returns a unified diff from a to b with three lines of context,
// "" when they are equal. The names are shown as a/NAME and b/NAME; a last
// line without a newline is marked as diff(1) marks it.
//
// go-udiff is the Myers diff of gopls (the algorithm git uses), kept up;
// go-difflib, used before, is no longer maintained.
func Unified(name, a, b string) string {
	if a == b {
		return ""
	}
	return udiff.Unified("a/"+name, "b/"+name, a, b)
}
