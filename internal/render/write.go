package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/distbuild/dist/internal/atomicfile"
)

// Write writes each output atomically, creating its directory, and returns
// the paths whose content changed. A file that already holds the rendered
// bytes is left alone, so its modification time keeps meaning something to
// make and to image layer caches.
func Write(outputs []Output) (changed []string, err error) {
	for _, o := range outputs {
		old, err := os.ReadFile(o.File)
		if err == nil && bytes.Equal(old, o.Content) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(o.File), 0o755); err != nil {
			return changed, fmt.Errorf("%s: %w", o.Path, unwrapPath(err))
		}
		if err := atomicfile.WriteFile(o.File, o.Content, 0o644); err != nil {
			return changed, fmt.Errorf("%s: %w", o.Path, unwrapPath(err))
		}
		changed = append(changed, o.Path)
	}
	return changed, nil
}

// Drift is a committed output that differs from a fresh render.
type Drift struct {
	Path    string
	Missing bool   // the output does not exist on disk
	Diff    string // unified diff from the file on disk to the render
}

// Check compares each output with the file on disk and returns one Drift
// per file that differs. The diffs use a/ and b/ prefixes, so that
// "git apply" or "patch -p1" can apply them.
func Check(outputs []Output) ([]Drift, error) {
	var drifts []Drift
	for _, o := range outputs {
		old, err := os.ReadFile(o.File)
		missing := errors.Is(err, fs.ErrNotExist)
		if err != nil && !missing {
			return nil, fmt.Errorf("%s: %w", o.Path, unwrapPath(err))
		}
		if !missing && bytes.Equal(old, o.Content) {
			continue
		}
		from := "a/" + o.Path
		if missing {
			from = "/dev/null"
		}
		text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A:        diffLines(old),
			B:        diffLines(o.Content),
			FromFile: from,
			ToFile:   "b/" + o.Path,
			Context:  3,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Path, err)
		}
		drifts = append(drifts, Drift{Path: o.Path, Missing: missing, Diff: text})
	}
	return drifts, nil
}

// diffLines splits after each newline. A last line without one gets diff's
// "\ No newline at end of file" marker as part of its text, so that files
// differing only there still show a change, as they would with git diff;
// difflib's own splitter would add the newline and report no difference.
func diffLines(b []byte) []string {
	var out []string
	s := string(b)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s+"\n\\ No newline at end of file\n")
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}
