package lockset

import (
	"github.com/distbuild/dist/internal/manifest"
)

// Selection is what a lock command acts on: the lockfiles it was pointed
// at, loaded with every other lockfile of the manifest, and the pypi pin
// set they make. Targets and All share their *Target values, and so does
// Set, so that an edit made through one is what Write saves.
type Selection struct {
	// Targets are the lockfiles acted on: the one -f names, else every one.
	Targets []*Target
	// All is every lockfile of the manifest, in dist.yaml's order.
	All []*Target
	// Set is All's pypi pin set; nil when there is no pypi lockfile, or
	// when SelectOptions.SetOptional left out a set that cannot be made.
	Set *PySet
}

// SelectOptions says which lockfiles Select picks and how it opens them.
type SelectOptions struct {
	// File is the lockfile acted on, as -f gives it (a path relative to
	// the manifest, or one that resolves to the same file); "" for all.
	File string
	// Open gives each lockfile its source.
	Open Opener
	// SetOptional is for a command that resolves nothing (--no-deps): a
	// pypi set that cannot be made (no Python version to resolve for) is
	// left nil rather than being an error.
	SetOptional bool
}

// Select loads every lockfile of m (a missing one is empty) and picks the
// ones o.File names. A File that dist.yaml does not list is a
// *fileerr.Error; a manifest with no lockfiles, or a source that cannot be
// opened, a *failure.UsageError; a line that does not parse names its
// file:line.
func Select(m *manifest.Manifest, o SelectOptions) (*Selection, error) {
	var only *manifest.Lockfile
	if o.File != "" {
		l, err := m.Lockfile(o.File)
		if err != nil {
			return nil, err
		}
		only = l
	}
	all, err := Load(m, "", o.Open)
	if err != nil {
		return nil, err
	}
	sel := &Selection{Targets: all, All: all}
	if only != nil {
		sel.Targets = nil
		for _, t := range all {
			if t.Lock == only {
				sel.Targets = append(sel.Targets, t)
			}
		}
	}
	set, err := NewPySet(m, all)
	if err != nil {
		if !o.SetOptional {
			return nil, err
		}
		set = nil
	}
	sel.Set = set
	return sel, nil
}

// Edited returns the lockfiles an edit of the selection may change, each
// once: the targets, and the set's lockfiles, since resolving may move a
// pin in any of them.
func (s *Selection) Edited() []*Target {
	out := append([]*Target(nil), s.Targets...)
	if s.Set == nil {
		return out
	}
	for _, t := range s.Set.Targets {
		found := false
		for _, o := range out {
			found = found || o == t
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}
