// Package reldiff says what changes between two releases of a
// distribution: the pins that changed, each with its level under the SemVer
// policy; the config keys added, removed or given a new default; and the
// changelog entries between the two. It is what promoting one channel to
// another would change, and the body of a deployment request.
//
// A Release is what an image's release.json holds (the pins of every
// lockfile), with the rendered config files and the changelog text beside
// it; where they come from (an image in a registry, a git tag) is the
// caller's business.
package reldiff

import (
	"fmt"
	"strings"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/policy"
	"github.com/distbuild/dist/internal/redact"
	"github.com/distbuild/dist/internal/version"
)

// Release is one side of a diff.
type Release struct {
	// Name is the distribution's name, release.json's "name".
	Name string
	// Version is the release's version, PEP 440 ("1.1.0", "1.2.0.dev0").
	Version string
	// Ref is what the user called it ("prod", "v1.1.0"); Version when
	// empty.
	Ref string
	// Source says where the release was read ("image REPO@DIGEST", "git
	// tag 1.1.0 (COMMIT)"); "" when the caller does not say.
	Source string
	// Lockfiles are release.json's lockfiles: path, ecosystem and pins.
	Lockfiles []meta.Lockfile
	// Configs are the rendered config files (dist.yaml configs[].output).
	Configs []File
	// Changelog is the changelog file as of this release; its path's
	// extension (or content) tells Markdown from ReST. Empty Data: no
	// entries to show.
	Changelog File
	// Indirect reports whether the pin name of the lockfile at path is a
	// dependency of the pins a user asked for, which the policy's
	// indirect-* rules judge (DESIGN §4); the caller answers as dist plan
	// does (plan.Indirect), from the release's dist.yaml and lockfiles.
	// Nil: every pin is direct.
	Indirect func(path, name string) bool
}

// File is a file of a release.
type File struct {
	// Path is the path in the repository ("config/example.ini"): the
	// same file on both sides has the same path. Errors name it after the
	// release's ref, as git does: "1.1.0:config/example.ini:4".
	Path string
	// Format is a configdiff format ("ini", "yaml", ...), or "none" for a
	// config that is rendered but not compared; from Path's extension
	// when empty. Unused for the changelog.
	Format string
	Data   []byte
}

// Options configures Diff.
type Options struct {
	// Rules are the policy's levels (policy.ParseRules of dist.yaml's
	// policy:); the defaults when nil.
	Rules *policy.Rules
}

// Result is what changes from one release to the other. Its JSON is the
// output of dist diff --json.
type Result struct {
	Name string `json:"name"`
	// From and To are the two releases; in JSON from_release and
	// to_release, since from and to are versions in dist's JSON.
	From Side `json:"from_release"`
	To   Side `json:"to_release"`
	// Direction is "upgrade" when To is the higher version, "downgrade"
	// when it is the lower one (a rollback), "same" when they are equal.
	Direction string `json:"direction"`
	// Level is the largest level of any change below under the policy:
	// "major", "minor", "patch", or "none" when nothing changed.
	Level   string         `json:"level"`
	Pins    []PinChange    `json:"pins"`
	Configs []ConfigChange `json:"configs"`
	// Changelog holds the entries between the two releases, in the
	// changelog's order (newest first), without From's own entry. For a
	// downgrade they are the entries being rolled back, from From's
	// changelog.
	Changelog []Entry `json:"changelog"`
}

// Side names one release.
type Side struct {
	Ref     string `json:"ref"`
	Version string `json:"version"`
	Source  string `json:"source,omitempty"`
}

// PinChange is one pin that differs.
type PinChange struct {
	File      string `json:"file"`
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	// Kind is lockfile.ChangeKind's: upgraded, downgraded, added, removed,
	// rehashed (same version, other hashes).
	Kind  string `json:"kind"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Level string `json:"level"`
	// Rule is the policy rule that gave Level ("dependency-minor").
	Rule string `json:"rule"`
}

// ConfigChange is one config key that differs.
type ConfigChange struct {
	File string `json:"file"`
	Key  string `json:"key"`
	// Kind is configdiff's: key-added, key-removed, default-changed.
	Kind string `json:"kind"`
	// From and To are the values, on one line, with passwords in URLs
	// hidden.
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Level string `json:"level"`
	Rule  string `json:"rule"`
}

// Entry is one changelog entry.
type Entry struct {
	Version string `json:"version"`
	// Date is as written; "" for an entry not released yet.
	Date    string `json:"date,omitempty"`
	Heading string `json:"heading"`
	// Breaking is set when the entry has a breaking-changes section.
	Breaking bool `json:"breaking,omitempty"`
	// Notes is the entry as GitHub Markdown (changelog.Notes).
	Notes string `json:"notes"`
}

// Keys for a config file present on one side only: one change says it
// better than one per key, as dist plan does.
const (
	NewFile     = "(new file)"
	RemovedFile = "(file removed)"
)

// Diff compares from with to. Errors are a changelog or config that does
// not parse, naming file:line.
func Diff(from, to Release, o Options) (*Result, error) {
	r := &Result{
		Name:      to.Name,
		From:      side(from),
		To:        side(to),
		Direction: direction(from.Version, to.Version),
		Pins:      []PinChange{},
		Configs:   []ConfigChange{},
		Changelog: []Entry{},
	}
	if r.Name == "" {
		r.Name = from.Name
	}
	var levels []string
	for _, c := range pinChanges(from.Lockfiles, to.Lockfiles) {
		// As dist plan: a pin is judged by the side that has it, the
		// newer one unless it was removed.
		side := to
		if lockfile.ChangeKind(c.pin.Kind) == lockfile.Removed {
			side = from
		}
		if side.Indirect != nil {
			c.change.Indirect = side.Indirect(c.pin.File, c.pin.Name)
		}
		reason := judge(o.Rules, c.change)
		c.pin.Level, c.pin.Rule = reason.Level, reason.Rule
		r.Pins = append(r.Pins, c.pin)
		levels = append(levels, reason.Level)
	}
	cc, err := configChanges(r.From.Ref, from.Configs, r.To.Ref, to.Configs)
	if err != nil {
		return nil, err
	}
	for _, c := range cc {
		reason := judge(o.Rules, policy.Change{Kind: "config-" + c.Kind, Name: c.Key, From: c.From, To: c.To, File: c.File})
		c.Level, c.Rule = reason.Level, reason.Rule
		r.Configs = append(r.Configs, c)
		levels = append(levels, reason.Level)
	}
	newer, older, cl, ref := to.Version, from.Version, to.Changelog, r.To.Ref
	if r.Direction == "downgrade" {
		newer, older, cl, ref = from.Version, to.Version, from.Changelog, r.From.Ref
	}
	if r.Direction != "same" {
		if r.Changelog, err = entries(at(ref, cl.Path), cl.Data, newer, older); err != nil {
			return nil, err
		}
	}
	for _, e := range r.Changelog {
		if e.Breaking {
			levels = append(levels, judge(o.Rules, policy.Change{Kind: "breaking-changes", Name: e.Version}).Level)
		}
	}
	r.Level = maxLevel(levels)
	return r, nil
}

// judge is the one place reldiff asks the policy: the level and rule of
// one change, as dist plan would give them.
func judge(rules *policy.Rules, c policy.Change) policy.Reason {
	_, reasons := policy.Judge(rules, []policy.Change{c})
	return reasons[0]
}

func maxLevel(levels []string) string {
	best, name := version.None, "none"
	for _, s := range levels {
		if l, err := version.ParseLevel(s); err == nil && l > best {
			best, name = l, s
		}
	}
	return name
}

func side(r Release) Side {
	ref := r.Ref
	if ref == "" {
		ref = r.Version
	}
	return Side{Ref: ref, Version: r.Version, Source: r.Source}
}

func direction(from, to string) string {
	a, errA := version.Parse("pypi", from)
	b, errB := version.Parse("pypi", to)
	if errA != nil || errB != nil {
		if from == to {
			return "same"
		}
		return "upgrade"
	}
	switch version.Compare(a, b) {
	case 0:
		return "same"
	case 1:
		return "downgrade"
	}
	return "upgrade"
}

type pinChange struct {
	pin    PinChange
	change policy.Change
}

// pinChanges diffs the lockfiles path by path with lockfile.Diff, in the
// order to lists them (files only from has come after), then drops the
// pins that only moved to another lockfile at the same version: the policy
// counts that as no change.
func pinChanges(from, to []meta.Lockfile) []pinChange {
	type side struct {
		eco  string
		file *lockfile.File
	}
	var paths []string
	old, cur := map[string]side{}, map[string]side{}
	for _, l := range to {
		if _, ok := cur[l.Path]; !ok {
			paths = append(paths, l.Path)
		}
		cur[l.Path] = side{l.Ecosystem, lockFile(l)}
	}
	for _, l := range from {
		if _, ok := cur[l.Path]; !ok {
			if _, ok := old[l.Path]; !ok {
				paths = append(paths, l.Path)
			}
		}
		old[l.Path] = side{l.Ecosystem, lockFile(l)}
	}
	var out []pinChange
	for _, p := range paths {
		eco := cur[p].eco
		if eco == "" {
			eco = old[p].eco
		}
		for _, c := range lockfile.Diff(eco, old[p].file, cur[p].file) {
			out = append(out, pinChange{
				pin:    PinChange{File: p, Ecosystem: eco, Name: c.Name, Kind: string(c.Kind), From: c.From, To: c.To},
				change: policy.Change{Kind: "dependency-" + string(c.Kind), Name: c.Name, From: c.From, To: c.To, File: p, Size: c.Level},
			})
		}
	}
	// A pin removed from one lockfile and added to another at the same
	// version moved between them.
	key := func(c PinChange, v string) string {
		return c.Ecosystem + "\x00" + lockfile.Normalizer(c.Ecosystem)(c.Name) + "\x00" + v
	}
	removed, added := map[string]int{}, map[string]int{}
	for _, c := range out {
		switch lockfile.ChangeKind(c.pin.Kind) {
		case lockfile.Removed:
			removed[key(c.pin, c.pin.From)]++
		case lockfile.Added:
			added[key(c.pin, c.pin.To)]++
		}
	}
	kept := out[:0]
	for _, c := range out {
		var k string
		switch lockfile.ChangeKind(c.pin.Kind) {
		case lockfile.Removed:
			k = key(c.pin, c.pin.From)
		case lockfile.Added:
			k = key(c.pin, c.pin.To)
		}
		if k != "" && removed[k] > 0 && added[k] > 0 {
			continue
		}
		kept = append(kept, c)
	}
	return kept
}

// lockFile makes a lockfile of release.json's pins, so that lockfile.Diff,
// which dist plan uses, judges them the same way.
func lockFile(l meta.Lockfile) *lockfile.File {
	f, _ := lockfile.Parse(l.Path, nil)
	norm := lockfile.Normalizer(l.Ecosystem)
	for _, p := range l.Pins {
		f.Add(p.Name, p.Version, p.Hashes, norm)
	}
	return f
}

// at names a file of a release in errors, as git does: "1.1.0:CHANGELOG.md".
func at(ref, path string) string {
	if ref == "" {
		return path
	}
	return ref + ":" + path
}

// configChanges compares the configs path by path, in to's order, files
// only from has coming after.
func configChanges(fromRef string, from []File, toRef string, to []File) ([]ConfigChange, error) {
	old, cur := map[string]File{}, map[string]File{}
	var paths []string
	for _, f := range to {
		if _, ok := cur[f.Path]; !ok {
			paths = append(paths, f.Path)
		}
		cur[f.Path] = f
	}
	for _, f := range from {
		if _, ok := cur[f.Path]; !ok {
			if _, ok := old[f.Path]; !ok {
				paths = append(paths, f.Path)
			}
		}
		old[f.Path] = f
	}
	var out []ConfigChange
	for _, p := range paths {
		o, hasOld := old[p]
		c, hasCur := cur[p]
		f := c
		if !hasCur {
			f = o
		}
		format, ok := formatOf(f)
		if !ok {
			continue // rendered, not compared
		}
		switch {
		case !hasOld:
			out = append(out, ConfigChange{File: p, Key: NewFile, Kind: string(configdiff.KeyAdded)})
			continue
		case !hasCur:
			out = append(out, ConfigChange{File: p, Key: RemovedFile, Kind: string(configdiff.KeyRemoved)})
			continue
		}
		oc, err := configdiff.ParseFormat(format, at(fromRef, o.Path), o.Data)
		if err != nil {
			return nil, err
		}
		nc, err := configdiff.ParseFormat(format, at(toRef, c.Path), c.Data)
		if err != nil {
			return nil, err
		}
		for _, d := range configdiff.Diff(oc, nc) {
			out = append(out, ConfigChange{File: p, Key: d.Key, Kind: string(d.Kind), From: shown(d.From), To: shown(d.To)})
		}
	}
	return out, nil
}

func formatOf(f File) (configdiff.Format, bool) {
	format := configdiff.For(f.Format, f.Path)
	return format, format != configdiff.None
}

// shown is a config value as the result shows it: on one line, with any
// URL's password hidden (a rendered example config may hold a database
// URL with one).
func shown(v string) string {
	v = configdiff.OneLine(v)
	fields := strings.Fields(v)
	changed := false
	for i, f := range fields {
		if r := redact.URL(f); r != f {
			fields[i], changed = r, true
		}
	}
	if changed {
		return strings.Join(fields, " ")
	}
	return v
}

// entries picks the changelog entries of newer's changelog from newer's
// entry down to older's, older's excluded: the first entry that is newer
// or below it (its development version's entry, "1.2.0 (unreleased)" for
// 1.2.0.dev0, counts as newer's), then every entry until one is older or
// below. Entries whose version does not parse are kept once the range has
// begun.
func entries(path string, data []byte, newer, older string) ([]Entry, error) {
	out := []Entry{}
	if len(data) == 0 {
		return out, nil
	}
	cl, err := changelog.Parse(path, data)
	if err != nil {
		return nil, err
	}
	nv, errN := version.Parse("pypi", newer)
	ov, errO := version.Parse("pypi", older)
	if errN != nil || errO != nil {
		return nil, fmt.Errorf("%s: comparing %q with %q: not PEP 440 versions", path, older, newer)
	}
	started := false
	for _, e := range cl.Entries() {
		ev, err := version.Parse("pypi", strings.TrimPrefix(e.Version, "v"))
		parsed := err == nil && e.Version != ""
		if !started {
			started = parsed && (version.Compare(ev, nv) <= 0 || (nv.Pre && ev.Raw == version.Final(nv)))
			if !started {
				continue
			}
		}
		if parsed && version.Compare(ev, ov) <= 0 {
			break
		}
		_, _, breaking := e.Breaking()
		out = append(out, Entry{Version: e.Version, Date: e.Date, Heading: e.Heading, Breaking: breaking, Notes: cl.Notes(e)})
	}
	return out, nil
}
