package lockfile

import (
	"slices"
	"strings"
)

// IsURL reports whether the entry is a PEP 508 URL requirement, "name @
// URL": it names a project but pins a file or a checkout, not a version an
// index publishes.
func (e *Entry) IsURL() bool { return e.Op == "@" }

// Others returns the lines that are neither comments nor entries, in file
// order: options ("-e ./src", "--index-url …", "-r other.txt") and bare
// archive paths or URLs ("./x-1.0-py3-none-any.whl --hash=…"). Each is
// its logical line, continuations joined and comments stripped.
func (f *File) Others() []Option {
	var out []Option
	line := 1
	for _, b := range f.blocks {
		if b.entry == nil {
			if t := strings.TrimSpace(stripComment(joinLogical(slices.Collect(strings.Lines(b.raw))))); t != "" {
				out = append(out, Option{Line: line, Text: t})
			}
		}
		line += strings.Count(b.raw, "\n")
	}
	return out
}
