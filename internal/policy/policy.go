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
// The dependency rules judge direct pins: the ones a user asked for. A
// change among their dependencies (a dependencies: lockfile's pins, a pin
// whose "# via" note names another pin, a Go module pulled in by the one
// named) follows the indirect-* rules, patch by default: kinto-dist's
// maintainers bumped for the components they pinned, not for what those
// pulled in.
//
// Every rule's level can be changed in dist.yaml under policy:, and so can
// how a 0.x version's moves are read, per ecosystem (below_1_0).
package policy

import (
	"fmt"
	"slices"
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
	IndirectMajor        = "indirect-major"
	IndirectMinor        = "indirect-minor"
	IndirectPatch        = "indirect-patch"
	IndirectAdded        = "indirect-added"
	IndirectRemoved      = "indirect-removed"
	IndirectDowngraded   = "indirect-downgraded"
	ConfigKeyAdded       = "config-key-added"
	ConfigKeyRemoved     = "config-key-removed"
	ConfigDefaultChanged = "config-default-changed"
	BreakingChanges      = "breaking-changes"
)

// ConfigChanged judges a config of format none changing: dist does not
// read its keys, so all it can say is that the file changed.
const ConfigChanged = "config-changed"

// Below1Key is the policy: key that sets, per ecosystem, the level a 0.x
// version's leftmost non-zero number's move gets (version.ClassifyBelow1).
const Below1Key = "below_1_0"

// Ecosystems are the ecosystems below_1_0 may name.
var Ecosystems = []string{"pypi", "gomod", "oci"}

// Defaults are kinto-dist's levels.
var Defaults = map[string]version.Level{
	DependencyMajor:      version.Major,
	DependencyMinor:      version.Minor,
	DependencyPatch:      version.Patch,
	DependencyAdded:      version.Minor,
	DependencyRemoved:    version.Major,
	DependencyDowngraded: version.Major,
	IndirectMajor:        version.Patch,
	IndirectMinor:        version.Patch,
	IndirectPatch:        version.Patch,
	IndirectAdded:        version.Patch,
	IndirectRemoved:      version.Patch,
	IndirectDowngraded:   version.Patch,
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
	// Size is the version distance of a dependency up- or downgrade, as
	// version.Classify reads it.
	Size version.Level
	// Indirect marks a change of a pin that is a dependency of the pins a
	// user asked for: the indirect-* rules judge it.
	Indirect bool
	// Ecosystem is a dependency's ("pypi", "gomod", "oci"): below_1_0
	// reads its From and To again when set for it.
	Ecosystem string
	// Marker is the pin's environment marker, when it has one: a project
	// pinned twice under disjoint markers is two pins.
	Marker string
	// MovedFrom is the lockfile a pin left for File, at another version.
	MovedFrom string
}

// Reason is a judged change.
type Reason struct {
	Level     string `json:"level"`
	Kind      string `json:"kind"`
	Rule      string `json:"rule"`
	Name      string `json:"name,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Marker    string `json:"marker,omitempty"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	MovedFrom string `json:"moved_from,omitempty"`
}

// Rules is a policy: each rule's level, and how 0.x versions are read per
// ecosystem. The zero value and nil are the defaults.
type Rules struct {
	levels map[string]version.Level
	below1 map[string]version.Level
}

// ParseRules reads dist.yaml's policy: section over the defaults: levels
// maps rule names to "major", "minor", "patch" or "none"; below1 maps
// ecosystems to the level of a 0.x version's leftmost move. Errors name
// the rule or ecosystem.
func ParseRules(levels, below1 map[string]string) (*Rules, error) {
	r := &Rules{levels: map[string]version.Level{}, below1: map[string]version.Level{}}
	for k, v := range Defaults {
		r.levels[k] = v
	}
	for _, k := range sortedKeys(levels) {
		if _, ok := Defaults[k]; !ok {
			return nil, fmt.Errorf("policy: unknown rule %q", k)
		}
		l, err := version.ParseLevel(levels[k])
		if err != nil {
			return nil, fmt.Errorf("policy: %s: %w", k, err)
		}
		r.levels[k] = l
	}
	for _, eco := range sortedKeys(below1) {
		if !slices.Contains(Ecosystems, eco) {
			return nil, fmt.Errorf("policy: %s: unknown ecosystem %q (want pypi, gomod or oci)", Below1Key, eco)
		}
		l, err := version.ParseLevel(below1[eco])
		if err != nil {
			return nil, fmt.Errorf("policy: %s: %s: %w", Below1Key, eco, err)
		}
		r.below1[eco] = l
	}
	return r, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// size is the version distance of a dependency change, read with the
// ecosystem's below_1_0 setting when there is one.
func (r *Rules) size(c Change) version.Level {
	if r == nil || c.Ecosystem == "" || c.From == "" || c.To == "" {
		return c.Size
	}
	l, ok := r.below1[c.Ecosystem]
	if !ok {
		return c.Size
	}
	a, errA := version.Parse(c.Ecosystem, c.From)
	b, errB := version.Parse(c.Ecosystem, c.To)
	if errA != nil || errB != nil {
		return c.Size
	}
	return version.ClassifyBelow1(a, b, l)
}

// rule says which rule judges a change of the given size.
func rule(c Change, size version.Level) string {
	pick := func(direct, indirect string) string {
		if c.Indirect {
			return indirect
		}
		return direct
	}
	switch c.Kind {
	case "dependency-upgraded", "dependency-rehashed":
		switch size {
		case version.Major:
			return pick(DependencyMajor, IndirectMajor)
		case version.Minor:
			return pick(DependencyMinor, IndirectMinor)
		}
		return pick(DependencyPatch, IndirectPatch)
	case "dependency-downgraded":
		return pick(DependencyDowngraded, IndirectDowngraded)
	case "dependency-added":
		return pick(DependencyAdded, IndirectAdded)
	case "dependency-removed":
		return pick(DependencyRemoved, IndirectRemoved)
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
	return pick(DependencyPatch, IndirectPatch)
}

// Rule says which rule judges a change and the level it gives.
func (r *Rules) Rule(c Change) (string, version.Level) {
	name := rule(c, r.size(c))
	if r != nil {
		if l, ok := r.levels[name]; ok {
			return name, l
		}
	}
	return name, Defaults[name]
}

// Judge returns the bump the changes require and a reason for each, the
// biggest first, then by file and name. nil rules are the defaults.
func Judge(rules *Rules, changes []Change) (version.Level, []Reason) {
	bump := version.None
	reasons := []Reason{}
	for _, c := range changes {
		r, l := rules.Rule(c)
		bump = max(bump, l)
		reasons = append(reasons, Reason{Level: l.String(), Kind: c.Kind, Rule: r, Name: c.Name, From: c.From, To: c.To, Marker: c.Marker, File: c.File, Line: c.Line, MovedFrom: c.MovedFrom})
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
