package lock

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/pep508"
)

// ConflictError is an edit refused because it would pin a name a second
// time at another version, where the other pin applies too (same
// ecosystem, overlapping environment markers): what lock verify would then
// report, and pip refuses to install. Nothing is written.
type ConflictError struct {
	Problems []lockset.Problem
}

func (e *ConflictError) Error() string {
	const tail = "nothing written (change the pin where it is, or remove one of them)"
	if len(e.Problems) == 1 {
		return e.Problems[0].String() + ": " + tail
	}
	var b strings.Builder
	b.WriteString("the change would pin names at two versions; " + tail + ":")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// placedPin is one pin of a lockfile as written, for the conflict check.
type placedPin struct {
	file string
	line int
	e    *lockfile.Entry
}

func (p placedPin) text() string {
	if p.e.IsURL() {
		return p.e.Name + " @ " + p.e.Version
	}
	return p.e.Name + "==" + p.e.Version
}

// checkConflicts compares the lockfiles' pins before and after an edit
// (what was read, and what would be written) and returns a *ConflictError
// for each pair of pins of one name at two versions that the edit creates.
// Conflicts that were there before are verify's to report. Markers are
// compared over envs, the set's targets: two pins whose markers no target
// satisfies together do not conflict; without targets, only pins with the
// same marker or none do.
func checkConflicts(all []*lockset.Target, envs []pep508.Env) error {
	old := pinsOf(all, false)
	before := conflicts(old, envs)
	existed := map[string]bool{}
	for _, ps := range old {
		for _, p := range ps {
			existed[p.file+"\x00"+p.text()+"\x00"+p.e.Marker] = true
		}
	}
	var out []lockset.Problem
	for k, pair := range conflicts(pinsOf(all, true), envs) {
		if _, ok := before[k]; ok {
			continue
		}
		// Say it at the pin the edit wrote, naming the one it meets.
		mine, other := pair[1], pair[0]
		if existed[mine.file+"\x00"+mine.text()+"\x00"+mine.e.Marker] {
			mine, other = other, mine
		}
		out = append(out, lockset.Problem{File: mine.file, Line: mine.line, Name: mine.e.Name, Version: mine.e.Version,
			Problem: fmt.Sprintf("%s conflicts with %s at %s:%d", mine.text(), other.text(), other.file, other.line)})
	}
	if len(out) == 0 {
		return nil
	}
	sortProblems(out)
	return &ConflictError{Problems: out}
}

// pinsOf reads every pin of the targets, by ecosystem and normalized name:
// as read, or as the edit would write them (with their new line numbers).
func pinsOf(all []*lockset.Target, edited bool) map[string][]placedPin {
	out := map[string][]placedPin{}
	for _, t := range all {
		data := t.Original()
		if edited {
			data = t.File.Bytes()
		}
		f, err := lockfile.Parse(t.Lock.Path, data)
		if err != nil {
			continue
		}
		norm := lockfile.Normalizer(t.Lock.Ecosystem)
		for _, e := range f.Entries() {
			if !e.Pinned() && !e.IsURL() {
				continue // no version to conflict with: verify reports it
			}
			k := t.Lock.Ecosystem + "\x00" + norm(e.Name)
			out[k] = append(out[k], placedPin{t.Lock.Path, e.Line, e})
		}
	}
	return out
}

// conflicts returns the conflicting pairs among pins, keyed by name and
// the two versions.
func conflicts(pins map[string][]placedPin, envs []pep508.Env) map[string][2]placedPin {
	out := map[string][2]placedPin{}
	for name, ps := range pins {
		for i := range ps {
			for j := i + 1; j < len(ps); j++ {
				a, b := ps[i], ps[j]
				if a.e.Version == b.e.Version && a.e.IsURL() == b.e.IsURL() || !markersOverlap(a.e.Marker, b.e.Marker, envs) {
					continue
				}
				vs := []string{a.text(), b.text()}
				sort.Strings(vs)
				out[name+"\x00"+strings.Join(vs, "\x00")] = [2]placedPin{a, b}
			}
		}
	}
	return out
}

// markersOverlap reports whether some target installs both pins.
func markersOverlap(a, b string, envs []pep508.Env) bool {
	if a == "" || b == "" || a == b {
		return true
	}
	ma, err1 := pep508.ParseMarker(a)
	mb, err2 := pep508.ParseMarker(b)
	if err1 != nil || err2 != nil {
		return true
	}
	for _, env := range envs {
		if ma.Evaluate(env) && mb.Evaluate(env) {
			return true
		}
	}
	return false
}
