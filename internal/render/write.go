package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/textdiff"
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
// per file that differs, with the diff from the file to the render (a
// missing file diffs as empty). A last line that differs only by its
// newline still shows, as "\ No newline at end of file".
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
		drifts = append(drifts, Drift{Path: o.Path, Missing: missing, Diff: textdiff.Unified(o.Path, string(old), string(o.Content))})
	}
	return drifts, nil
}
