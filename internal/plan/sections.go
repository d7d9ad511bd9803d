package plan

import (
	"fmt"
	"strings"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/lockfile"
)

// Sections is the unreleased entry dist changelog generates from a plan:
// one section per changed component in kinto-dist's style
// ("**kinto-signer 7.0.0 → 8.0.0**") with a link to the upstream release
// where dist can name one without asking the network, one section
// "Indirect dependencies" with a line for each change among what those
// components pull in, and one section for configuration changes.
//
// written is the entry the sections go into, or nil. An up- or downgrade
// its hand-written text already states ("**kinto-signer 4.0.1 → 5.0.0**:
// URL" under a kinto-signer sub-heading, as kinto-dist writes them) gets no
// section or line: the maintainer's words say it, and a generated block
// would say it twice.
//
// A first release has no changes to list: its one section, "Initial
// release", names what it ships, a line per pin a user asked for and one
// counting what those pull in.
func Sections(p *Plan, written *changelog.Entry) []changelog.Section {
	if p.FirstRelease {
		return initial(p)
	}
	var out []changelog.Section
	// A project pinned under two markers that both changed has two
	// sections, told apart by the marker.
	keys := map[string]int{}
	for _, d := range p.Dependencies {
		if !d.Indirect {
			keys[d.Ecosystem+":"+lockfile.Normalizer(d.Ecosystem)(d.Change.Name)]++
		}
	}
	indirect := changelog.Section{Title: "Indirect dependencies", Key: "indirect"}
	for _, d := range p.Dependencies {
		c := d.Change
		if written != nil && (c.Kind == lockfile.Upgraded || c.Kind == lockfile.Downgraded) && written.WritesChange(c.Name, c.From, c.To) {
			continue
		}
		what, note := fmt.Sprintf("%s %s → %s", c.Name, c.From, c.To), ""
		switch c.Kind {
		case lockfile.Added:
			what, note = c.Name+" "+c.To, "new"
		case lockfile.Removed:
			what, note = c.Name+" "+c.From, "removed"
		case lockfile.Rehashed:
			what, note = c.Name+" "+c.To, "new hashes"
		}
		if d.Indirect {
			// One line each, with the level the policy gave it: a
			// distribution pinning a Go server moves dozens of modules.
			line := "- " + what
			if c.Marker != "" {
				line += " ; " + c.Marker
			}
			if note != "" && d.Level != "" {
				note += ", "
			}
			if note += d.Level; note != "" {
				line += " (" + note + ")"
			}
			indirect.Lines = append(indirect.Lines, line)
			continue
		}
		if note != "" {
			what += " (" + note + ")"
		}
		s := changelog.Section{Title: what, Key: d.Ecosystem + ":" + lockfile.Normalizer(d.Ecosystem)(c.Name)}
		if c.Marker != "" {
			// The marker says where the pin applies; in the key only
			// where it must tell two pins apart, so that a marker's
			// spelling changing does not move a block.
			s.Title += " ; " + c.Marker
			if keys[s.Key] > 1 {
				s.Key += " ; " + c.Marker
			}
		}
		if link := upstream(d, c); link != "" && c.Kind != lockfile.Removed {
			s.Lines = append(s.Lines, "- "+link)
		}
		out = append(out, s)
	}
	if len(indirect.Lines) > 0 {
		out = append(out, indirect)
	}
	if len(p.Configs) > 0 {
		s := changelog.Section{Title: "Configuration changes", Key: "config"}
		for _, c := range p.Configs {
			switch c.Kind {
			case "config-key-added":
				s.Lines = append(s.Lines, fmt.Sprintf("- `%s`: new setting `%s`", c.File, c.Name))
			case "config-key-removed":
				s.Lines = append(s.Lines, fmt.Sprintf("- `%s`: removed setting `%s`", c.File, c.Name))
			case "config-changed":
				// Format none: dist cannot say which settings moved.
				s.Lines = append(s.Lines, fmt.Sprintf("- `%s` changed", c.File))
			default:
				if configdiff.MultiLine(c.From) || configdiff.MultiLine(c.To) {
					s.Lines = append(s.Lines, fmt.Sprintf("- `%s`: `%s` default changed: %s", c.File, c.Name, lineChanges(c.From, c.To)))
					continue
				}
				s.Lines = append(s.Lines, fmt.Sprintf("- `%s`: `%s` default changed from `%s` to `%s`", c.File, c.Name, c.From, c.To))
			}
		}
		out = append(out, s)
	}
	return out
}

// initial is the section of a first release: zest.releaser's "Initial
// release", with the pins it ships. None when nothing is pinned.
func initial(p *Plan) []changelog.Section {
	s := changelog.Section{Title: "Initial release", Key: "initial"}
	indirect := 0
	for _, d := range p.Dependencies {
		if d.Indirect {
			indirect++
			continue
		}
		c := d.Change
		line := "- " + c.Name + " " + c.To
		if c.Marker != "" {
			line += " ; " + c.Marker
		}
		if link := upstream(d, c); link != "" {
			line += ": " + link
		}
		s.Lines = append(s.Lines, line)
	}
	switch {
	case indirect == 1:
		s.Lines = append(s.Lines, "- and 1 dependency these require")
	case indirect > 1:
		s.Lines = append(s.Lines, fmt.Sprintf("- and %d dependencies these require", indirect))
	}
	if len(s.Lines) == 0 {
		return nil
	}
	return []changelog.Section{s}
}

// NothingToList says why dist changelog --write has nothing to add to an
// entry that says only "Nothing changed yet.", for a hint that sends the
// maintainer to write it by hand: "nothing is pinned yet" (a first
// release), or "no pin or config key changed since BASE". It returns ""
// when Sections has something to write.
func (p *Plan) NothingToList() string {
	switch {
	case len(Sections(p, nil)) > 0:
		return ""
	case p.FirstRelease:
		return "nothing is pinned yet"
	}
	return "no pin or config key changed since " + p.Base
}

// upstream links to a release page the index's name alone determines:
// PyPI's project pages and pkg.go.dev. Other indexes publish no such page.
func upstream(d Dependency, c lockfile.Change) string {
	switch d.Ecosystem {
	case "pypi":
		if d.Index == "" || strings.Contains(d.Index, "pypi.org") {
			return fmt.Sprintf("https://pypi.org/project/%s/%s/", lockfile.Normalizer("pypi")(c.Name), c.To)
		}
	case "gomod":
		return fmt.Sprintf("https://pkg.go.dev/%s@%s", c.Name, c.To)
	}
	return ""
}

// lineChanges says on one line how a value that spans lines changed (an
// INI value with continuation lines, such as kinto.includes): the lines it
// gained and lost, each as a literal.
func lineChanges(from, to string) string {
	added, removed := configdiff.LineChanges(from, to)
	quote := func(ls []string) string {
		q := make([]string, len(ls))
		for i, l := range ls {
			q[i] = literal(strings.TrimSpace(l))
		}
		return strings.Join(q, ", ")
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added "+quote(added))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+quote(removed))
	}
	if len(parts) == 0 {
		return "the same lines, in another order or spacing"
	}
	return strings.Join(parts, "; ")
}

// literal quotes s as inline code, with a longer fence when s holds a
// backquote.
func literal(s string) string {
	if !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return "`` " + s + " ``"
}
