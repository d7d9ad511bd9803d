// Package lockset is the loaded-lockfile model: Load reads the lockfiles a
// manifest lists into Targets, each with the Source an Opener gives it, and
// a PySet sees the pypi ones as one pin set, the way pip installs them,
// with its completeness check (DESIGN §2). The lock commands edit and
// verify it; bundle, the image's dependencies and release read it.
package lockset

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/textdiff"
)

// Opener returns the source for a lockfile of the manifest.
type Opener func(l *manifest.Lockfile) (source.Source, error)

// Target is one lockfile loaded for an operation.
type Target struct {
	Lock   *manifest.Lockfile
	Path   string // on disk
	File   *lockfile.File
	Source source.Source
	orig   []byte
}

// NewTarget parses data, the content of lockfile l read from path (nil for
// a file that does not exist yet), into a Target served by src. A line
// that does not parse is an error at l.Path:line.
func NewTarget(l *manifest.Lockfile, path string, data []byte, src source.Source) (*Target, error) {
	f, err := lockfile.Parse(l.Path, data)
	if err != nil {
		return nil, err
	}
	return &Target{Lock: l, Path: path, File: f, Source: src, orig: data}, nil
}

// Load reads the lockfiles to act on: the one named by file, or every one the
// manifest lists. A lockfile that does not exist yet is empty.
func Load(m *manifest.Manifest, file string, open Opener) ([]*Target, error) {
	var locks []*manifest.Lockfile
	if file != "" {
		l, err := m.Lockfile(file)
		if err != nil {
			return nil, err
		}
		locks = append(locks, l)
	} else {
		for i := range m.Lockfiles {
			locks = append(locks, &m.Lockfiles[i])
		}
	}
	if len(locks) == 0 {
		return nil, failure.Usagef("%s lists no lockfiles", m.Path)
	}
	var out []*Target
	for _, l := range locks {
		abs, data, err := m.ReadLockfile(l.Path)
		if err != nil {
			return nil, err
		}
		t, err := NewTarget(l, abs, data, nil)
		if err != nil {
			return nil, err
		}
		src, err := open(l)
		if err != nil {
			return nil, failure.Usagef("%s: %w", l.Path, err)
		}
		t.Source = src
		out = append(out, t)
	}
	return out, nil
}

// Original returns the content the target was read with (nil for a file
// that did not exist), which edits to File leave as it was.
func (t *Target) Original() []byte { return t.orig }

// Changed reports whether the target's content differs from what was read.
func (t *Target) Changed() bool { return !bytes.Equal(t.orig, t.File.Bytes()) }

// Diff returns a unified diff of the pending change, "" when there is none.
func (t *Target) Diff() string {
	if !t.Changed() {
		return ""
	}
	return textdiff.Unified(t.Lock.Path, string(t.orig), string(t.File.Bytes()))
}

// Write saves the target atomically when it changed.
func (t *Target) Write() error {
	if !t.Changed() {
		return nil
	}
	// Compare and swap: a file that changed since it was read (another
	// writer that took no lock) is not overwritten, or its pins are lost.
	now, err := os.ReadFile(t.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if !bytes.Equal(now, t.orig) {
		return fmt.Errorf("%s changed since dist read it (another writer?): nothing written; run the command again", t.Lock.Path)
	}
	if err := os.MkdirAll(dirOf(t.Path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(t.Path, t.File.Bytes(), 0o644)
}

func dirOf(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[:i]
	}
	return "."
}
