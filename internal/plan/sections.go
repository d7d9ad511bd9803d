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
// where dist can name one without asking the network, and one section for
// configuration changes.
//
// written is the entry the sections go into, or nil. An up- or downgrade
// its hand-written text already states ("**kinto-signer 4.0.1 → 5.0.0**:
// URL" under a kinto-signer sub-heading, as kinto-dist writes them) gets no
// section: the maintainer's words say it, and a generated block would say
// it twice.
func Sections(p *Plan, written *changelog.Entry) []changelog.Section {
	var out []changelog.Section
	for _, d := range p.Dependencies {
		c := d.Change
		if written != nil && (c.Kind == lockfile.Upgraded || c.Kind == lockfile.Downgraded) && written.WritesChange(c.Name, c.From, c.To) {
			continue
		}
		s := changelog.Section{Key: d.Ecosystem + ":" + lockfile.Normalizer(d.Ecosystem)(c.Name)}
		switch c.Kind {
		case lockfile.Upgraded, lockfile.Downgraded:
			s.Title = fmt.Sprintf("%s %s → %s", c.Name, c.From, c.To)
		case lockfile.Added:
			s.Title = fmt.Sprintf("%s %s (new)", c.Name, c.To)
		case lockfile.Removed:
			s.Title = fmt.Sprintf("%s %s (removed)", c.Name, c.From)
		case lockfile.Rehashed:
			s.Title = fmt.Sprintf("%s %s (new hashes)", c.Name, c.To)
		}
		if link := upstream(d, c); link != "" && c.Kind != lockfile.Removed {
			s.Lines = append(s.Lines, "- "+link)
		}
		out = append(out, s)
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
