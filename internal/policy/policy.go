// Package policy turns what changed since the last release into the version
// bump it requires, with one reason per change: kinto-dist's written SemVer
// policy, made executable.
//
//   - MAJOR: a dependency's major version rises; a dependency is removed; a
//     config key is removed or renamed or its default changes; the
//     unreleased changelog has a "Breaking changes" section.
//   - MINOR: a dependency's minor version rises; a dependency is added; a
//     config key is added.
//   - PATCH: anything else.
//
// Every rule's level can be changed in dist.yaml under policy:.
package policy

import (
	"fmt"
	"sort"

	"github.com/distbuild/dist/internal/version"
)

// Rule names, as dist.yaml's policy: map spells them.
const (
	DependencyMajor      = "dependency-major"
	DependencyMinor      = "dependency-minor"
	DependencyPatch      = "dependency-patch"
	DependencyAdded      = "dependency-added"
	DependencyRemoved    = "dependency-removed"
	DependencyDowngraded = "dependency-downgraded"
	ConfigKeyAdded       = "config-key-added"
	ConfigKeyRemoved     = "config-key-removed"
	ConfigDefaultChanged = "config-default-changed"
	BreakingChanges      = "breaking-changes"
)

// ConfigChanged judges a config of format none changing: dist does not
// read its keys, so all it can say is that the file changed.
const ConfigChanged = "config-changed"

// Defaults are kinto-dist's levels.
var Defaults = map[string]version.Level{
	DependencyMajor:      version.Major,
	DependencyMinor:      version.Minor,
	DependencyPatch:      version.Patch,
	DependencyAdded:      version.Minor,
	DependencyRemoved:    version.Major,
	DependencyDowngraded: version.Major,
	ConfigKeyAdded:       version.Minor,
	ConfigKeyRemoved:     version.Major,
	ConfigDefaultChanged: version.Major,
	BreakingChanges:      version.Major,

	// Patch: nothing says a key went or a default moved; a maintainer who
	// knows raises the bump with a "Breaking changes" section or policy:.
	ConfigChanged: version.Patch,
}

// Change is one fact the policy judges. Kind is what happened, in the
// vocabulary of dist plan's output.
type Change struct {
	Kind string // dependency-upgraded, dependency-downgraded, dependency-added, dependency-removed, dependency-rehashed, config-key-added, config-key-removed, config-default-changed, config-changed, breaking-changes
	Name string
	From string
	To   string
	File string
	Line int
	// Size is the version distance of a dependency up- or downgrade.
	Size version.Level
}

// Reason is a judged change.
type Reason struct {
	Level string `json:"level"`
	Kind  string `json:"kind"`
	Rule  string `json:"rule"`
	Name  string `json:"name,omitempty"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
}

// Rules maps a rule name to its level; nil entries fall back to Defaults.
type Rules map[string]version.Level

// ParseRules reads dist.yaml's policy: map over the defaults.
func ParseRules(m map[string]string) (Rules, error) {
	r := Rules{}
	for k, v := range Defaults {
		r[k] = v
	}
	for k, v := range m {
		if _, ok := Defaults[k]; !ok {
			return nil, fmt.Errorf("policy: unknown rule %q", k)
		}
		l, err := version.ParseLevel(v)
		if err != nil {
			return nil, fmt.Errorf("policy: %s: %w", k, err)
		}
		r[k] = l
	}
	return r, nil
}

// rule says which rule judges a change.
func rule(c Change) string {
	switch c.Kind {
	case "dependency-upgraded", "dependency-rehashed":
		switch c.Size {
		case version.Major:
			return DependencyMajor
		case version.Minor:
			return DependencyMinor
		}
		return DependencyPatch
	case "dependency-downgraded":
		return DependencyDowngraded
	case "dependency-added":
		return DependencyAdded
	case "dependency-removed":
		return DependencyRemoved
	case "config-key-added":
		return ConfigKeyAdded
	case "config-key-removed":
		return ConfigKeyRemoved
	case "config-default-changed":
		return ConfigDefaultChanged
	case "breaking-changes":
		return BreakingChanges
	case "config-changed":
		return ConfigChanged
	}
	return DependencyPatch
}

// Judge returns the bump the changes require and a reason for each, the
// biggest first, then by file and name.
func Judge(rules Rules, changes []Change) (version.Level, []Reason) {
	if rules == nil {
		rules = Defaults
	}
	bump := version.None
	reasons := []Reason{}
	for _, c := range changes {
		r := rule(c)
		l, ok := rules[r]
		if !ok {
			l = Defaults[r]
		}
		bump = max(bump, l)
		reasons = append(reasons, Reason{Level: l.String(), Kind: c.Kind, Rule: r, Name: c.Name, From: c.From, To: c.To, File: c.File, Line: c.Line})
	}
	rank := map[string]int{"major": 0, "minor": 1, "patch": 2, "none": 3}
	sort.SliceStable(reasons, func(i, j int) bool {
		a, b := reasons[i], reasons[j]
		if rank[a.Level] != rank[b.Level] {
			return rank[a.Level] < rank[b.Level]
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Name < b.Name
	})
	// Any release carries at least a patch: there is a reason to make one.
	if bump == version.None {
		bump = version.Patch
	}
	return bump, reasons
}
