package lock

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
)

// EditOptions are what dist lock add and dist lock upgrade share.
type EditOptions struct {
	// File is the lockfile acted on (-f), as lockset.SelectOptions reads
	// it; "" for every lockfile of dist.yaml.
	File string
	// Open gives each lockfile its source.
	Open lockset.Opener
	// IncludePre considers prereleases when picking the newest version.
	IncludePre bool
	// NoDeps pins or moves only what is named, as hashin does; otherwise a
	// pypi lockfile is resolved with the rest of its set.
	NoDeps bool
	// DryRun writes nothing and takes no lock: Edit.Diff shows the change.
	DryRun bool
}

// AddOptions configures Add.
type AddOptions struct {
	EditOptions
	// Specs are what to pin, as ParseSpec reads them.
	Specs []string
}

// UpgradeOptions configures Upgrade.
type UpgradeOptions struct {
	EditOptions
	// Specs name the pins to move (NAME), or where to move them
	// (NAME==VERSION, or a pypi range such as NAME>=14,<15); empty with
	// All.
	Specs []string
	// All moves every pin; it excludes Specs.
	All bool
}

// Edit is what Add or Upgrade did: the pins written or, in a dry run,
// that would be. It is what dist lock add --json prints.
type Edit struct {
	Pins   []Pinned `json:"pins"`
	DryRun bool     `json:"dry_run,omitempty"`
	// Diff is, in a dry run, the unified diff of every lockfile that
	// would change; "" when none would.
	Diff string `json:"diff,omitempty"`
	// Changed says whether a lockfile changed (or, in a dry run, would).
	Changed bool `json:"-"`
}

// Add pins o.Specs in the lockfile o.File names (which may be left out
// when dist.yaml lists one lockfile), and writes every lockfile the edit
// changed (DESIGN §3, dist lock add). It holds the locks of all of
// dist.yaml's lockfiles from before they are read until they are written,
// so that two writers never lose each other's pins; a dry run takes none
// and writes nothing. A spec another ecosystem's lockfile should take, or
// more than one lockfile to choose from, is a *failure.UsageError; a pin
// at a second version is a *ConflictError; a name or version the index
// lacks is the source's error.
func Add(ctx context.Context, m *manifest.Manifest, o AddOptions) (*Edit, error) {
	unlock, err := lockAll(m, o.DryRun)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := CheckPlacement(m, o.File, o.Specs); err != nil {
		return nil, err
	}
	sel, err := lockset.Select(m, lockset.SelectOptions{File: o.File, Open: o.Open, SetOptional: o.NoDeps})
	if err != nil {
		return nil, err
	}
	if len(sel.Targets) > 1 {
		return nil, failure.Usagef("dist.yaml lists %d lockfiles: choose one with -f FILE", len(sel.Targets))
	}
	pins, err := AddTo(ctx, sel.Targets[0], o.Specs, Options{IncludePre: o.IncludePre, NoDeps: o.NoDeps, Set: sel.Set, Lockfiles: sel.All})
	if err != nil {
		return nil, err
	}
	return finish(sel.Edited(), pins, o.DryRun)
}

// Upgrade moves the pins o.Specs names (every pin with o.All) to their
// newest version, or to the version or range a spec gives, in the
// lockfile o.File names or every one, and writes what changed, under the
// same locks as Add (DESIGN §3, dist lock upgrade). Naming no pin, or
// both pins and All, or a pin no lockfile acted on holds, is a
// *failure.UsageError.
func Upgrade(ctx context.Context, m *manifest.Manifest, o UpgradeOptions) (*Edit, error) {
	if o.All == (len(o.Specs) > 0) {
		return nil, failure.Usagef("name the pins to upgrade, or give --all")
	}
	unlock, err := lockAll(m, o.DryRun)
	if err != nil {
		return nil, err
	}
	defer unlock()
	sel, err := lockset.Select(m, lockset.SelectOptions{File: o.File, Open: o.Open, SetOptional: o.NoDeps})
	if err != nil {
		return nil, err
	}
	pins, err := UpgradeIn(ctx, sel.Targets, o.Specs, Options{IncludePre: o.IncludePre, NoDeps: o.NoDeps, Set: sel.Set})
	if err != nil {
		return nil, err
	}
	return finish(sel.Edited(), pins, o.DryRun)
}

// lockAll takes the lock of every lockfile in dist.yaml, in sorted order,
// before they are read: add and upgrade read, change and write them, and
// a second writer meanwhile would lose the first one's pins. Resolving may
// touch any lockfile of the pin set, so all are held. A dry run writes
// nothing and takes no lock.
func lockAll(m *manifest.Manifest, dryRun bool) (unlock func(), err error) {
	if dryRun {
		return func() {}, nil
	}
	var paths []string
	for _, l := range m.Lockfiles {
		paths = append(paths, m.Abs(l.Path))
	}
	sort.Strings(paths)
	return atomicfile.LockAll(slices.Compact(paths))
}

// finish writes the edited lockfiles or, in a dry run, diffs them.
func finish(targets []*lockset.Target, pins []Pinned, dryRun bool) (*Edit, error) {
	if pins == nil {
		pins = []Pinned{}
	}
	e := &Edit{Pins: pins, DryRun: dryRun}
	var diff strings.Builder
	for _, t := range targets {
		e.Changed = e.Changed || t.Changed()
		if dryRun {
			diff.WriteString(t.Diff())
		} else if err := t.Write(); err != nil {
			return nil, err
		}
	}
	e.Diff = diff.String()
	return e, nil
}
