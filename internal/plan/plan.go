// Package plan computes what the next release must be: it compares the
// working tree with the latest release tag reachable from HEAD (lockfiles,
// rendered configs, the unreleased changelog entry) and lets the policy
// judge every change. dist plan prints it, dist changelog writes it down,
// and dist prerelease refuses a version below it.
package plan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/policy"
	"github.com/distbuild/dist/internal/version"
)

// Plan is the required next version and why.
type Plan struct {
	Base         string `json:"base"` // the base release's version, "" for a first release
	BaseTag      string `json:"base_tag,omitempty"`
	BaseCommit   string `json:"base_commit,omitempty"`
	Current      string `json:"current"`
	Bump         string `json:"bump"`
	Next         string `json:"next"`
	FirstRelease bool   `json:"first_release,omitempty"`
	// Prepared is set between prerelease and release: VERSION is this
	// final version, the changelog's top entry is dated for it, and no tag
	// names it yet. That entry is the one the policy reads.
	Prepared string `json:"prepared,omitempty"`
	// NoEntry is set when the changelog has no entry in preparation (its
	// top entry is dated) and nothing is prepared: on a maintenance branch
	// just made from a tag, or after a release before postrelease. The plan
	// then reads no hand-written notes.
	NoEntry bool            `json:"no_unreleased_entry,omitempty"`
	Reasons []policy.Reason `json:"reasons"`

	// Dependencies lists the lockfile changes, for the changelog.
	Dependencies []Dependency `json:"-"`
	// Configs lists the config key changes, for the changelog.
	Configs []policy.Change `json:"-"`
}

// Dependency is one changed pin.
type Dependency struct {
	File      string
	Ecosystem string
	Index     string
	Change    lockfile.Change
	// Indirect marks a dependency of the pins a user asked for.
	Indirect bool
	// Rule and Level are the policy's judgement of the change.
	Rule  string
	Level string
}

// Options configures Compute.
type Options struct {
	// Since overrides the base: a tag, branch or commit.
	Since string
}

func parsePEP440(s string) (version.V, error) { return version.Parse("pypi", s) }

// Base finds the release to compare with: the latest release tag reachable
// from HEAD, or since when given (a tag, or any commit-ish whose VERSION,
// made final, stands in as the base version; Tag is then since itself).
// It returns nil and no error when there is no release yet. A since that
// names no commit is a *failure.UsageError.
func Base(m *manifest.Manifest, repo *gitrepo.Repo, since string) (*gitrepo.Release[version.V], error) {
	if since != "" {
		commit, err := repo.ResolveCommit(since)
		if err != nil {
			return nil, failure.Usagef("--since %s: %w", since, err)
		}
		if s, isTag := gitrepo.VersionFromTag(m.TagFormat, since); isTag {
			if v, err := parsePEP440(s); err == nil {
				return &gitrepo.Release[version.V]{Tag: since, Commit: commit, Version: v}, nil
			}
		}
		// Not a release tag: the version the tree had then stands in.
		v, found, err := m.VersionAt(repo, since)
		if fe := (*fileerr.Error)(nil); errors.As(err, &fe) {
			return nil, err
		}
		if err != nil || !found {
			return nil, failure.Usagef("--since %s: no %s there to take the base version from", since, m.VersionFile)
		}
		v, _ = parsePEP440(version.Final(v))
		return &gitrepo.Release[version.V]{Tag: since, Commit: commit, Version: v}, nil
	}
	rel, err := gitrepo.LatestReleaseTag(repo, m.TagFormat, parsePEP440, version.Compare)
	if errors.Is(err, gitrepo.ErrNoReleaseTag) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rel, nil
}

// Compute builds the plan for the working tree of m's repository.
func Compute(m *manifest.Manifest, repo *gitrepo.Repo, o Options) (*Plan, error) {
	cur, err := m.Version()
	if err != nil {
		return nil, err
	}
	rules, err := policy.ParseRules(m.Policy.Levels, m.Policy.Below1)
	if err != nil {
		return nil, fileerr.Wrap(m.Path, 0, err)
	}
	cl, err := changelog.LoadFor(m)
	if err != nil {
		return nil, err
	}
	p := &Plan{Current: cur.Raw, Reasons: []policy.Reason{}}
	entry, err := p.entry(m, repo, cl, cur)
	if err != nil {
		return nil, err
	}
	base, err := Base(m, repo, o.Since)
	if err != nil {
		return nil, err
	}
	if base == nil {
		p.FirstRelease = true
		p.Bump = "none"
		p.Next = version.Final(cur)
		// Against no release every pin is new: the changelog of a first
		// release lists what it ships, though the policy has nothing to
		// judge.
		if err := p.firstPins(m); err != nil {
			return nil, err
		}
		return p, nil
	}
	p.Base, p.BaseTag, p.BaseCommit = base.Version.Raw, base.Tag, base.Commit

	changes, err := p.lockChanges(m, repo, base.Commit, base.Tag, rules)
	if err != nil {
		return nil, err
	}
	for _, c := range m.Configs {
		cc, err := configChanges(m, repo, base.Commit, base.Tag, c)
		if err != nil {
			return nil, err
		}
		changes = append(changes, cc...)
		p.Configs = append(p.Configs, cc...)
	}
	if entry != nil {
		if title, line, ok := entry.Breaking(); ok {
			changes = append(changes, policy.Change{Kind: "breaking-changes", Name: title, File: m.Changelog, Line: line})
		}
	}
	bump, reasons := policy.Judge(rules, changes)
	p.Bump, p.Reasons = bump.String(), reasons
	p.Next = version.Next(base.Version, bump)
	// The maintainer may already have aimed higher in VERSION (14.1.0.dev0
	// when a patch would do): the policy sets a floor, not a ceiling.
	if fin, err := parsePEP440(version.Final(cur)); err == nil {
		if nv, err := parsePEP440(p.Next); err == nil && version.Compare(fin, nv) > 0 {
			p.Next = fin.Raw
		}
	}
	return p, nil
}

// lockChanges diffs every lockfile with its state at the base commit, the
// lockfiles of one ecosystem as one set (a pin moving between them is no
// change), and records the changes for the changelog. A lockfile the
// base's dist.yaml lists and the current one does not is diffed too, as
// removed: its pins went, or moved to another lockfile (a rename).
func (p *Plan) lockChanges(m *manifest.Manifest, repo *gitrepo.Repo, commit, tag string, rules *policy.Rules) ([]policy.Change, error) {
	type side struct {
		m    *manifest.Manifest // the manifest that lists l
		l    *manifest.Lockfile
		pair lockfile.Pair
	}
	var sides []side
	listed := map[string]bool{}
	for i, l := range m.Lockfiles {
		old, err := readLock(m, repo, commit, tag, l.Path)
		if err != nil {
			return nil, err
		}
		_, data, err := m.ReadLockfile(l.Path)
		if err != nil {
			return nil, err
		}
		cur, err := lockfile.Parse(l.Path, data)
		if err != nil {
			return nil, err
		}
		sides = append(sides, side{m, &m.Lockfiles[i], lockfile.Pair{Path: l.Path, Old: old, New: cur}})
		listed[path.Clean(filepath.ToSlash(l.Path))] = true
	}
	if om := baseManifest(m, repo, commit, tag); om != nil {
		for i, l := range om.Lockfiles {
			if listed[path.Clean(filepath.ToSlash(l.Path))] {
				continue
			}
			old, err := readLock(m, repo, commit, tag, l.Path)
			if err != nil {
				return nil, err
			}
			if old != nil {
				sides = append(sides, side{om, &om.Lockfiles[i], lockfile.Pair{Path: l.Path, Old: old}})
			}
		}
	}
	byEco := map[string][]int{}
	var ecos []string
	for i, sd := range sides {
		if _, ok := byEco[sd.l.Ecosystem]; !ok {
			ecos = append(ecos, sd.l.Ecosystem)
		}
		byEco[sd.l.Ecosystem] = append(byEco[sd.l.Ecosystem], i)
	}
	diffs := make([][]lockfile.Change, len(sides))
	for _, eco := range ecos {
		var set []lockfile.Pair
		for _, i := range byEco[eco] {
			set = append(set, sides[i].pair)
		}
		for k, cs := range lockfile.DiffAll(eco, set) {
			diffs[byEco[eco][k]] = cs
		}
	}
	var changes []policy.Change
	for i, sd := range sides {
		l := sd.l
		for _, c := range diffs[i] {
			pc := policy.Change{Kind: "dependency-" + string(c.Kind), Name: c.Name, From: c.From, To: c.To, File: l.Path, Line: c.Line, Size: c.Level,
				Ecosystem: l.Ecosystem, Marker: c.Marker, MovedFrom: c.MovedFrom}
			if c.New != nil {
				pc.Indirect = Indirect(sd.m, l, sd.pair.New, c.New)
			} else {
				pc.Indirect = Indirect(sd.m, l, sd.pair.Old, c.Old)
			}
			rule, level := rules.Rule(pc)
			changes = append(changes, pc)
			p.Dependencies = append(p.Dependencies, Dependency{File: l.Path, Ecosystem: l.Ecosystem, Index: l.Index, Change: c,
				Indirect: pc.Indirect, Rule: rule, Level: level.String()})
		}
	}
	return changes, nil
}

// firstPins records every pin of m's lockfiles as added, for the
// changelog of a first release. A lockfile not written yet has none.
func (p *Plan) firstPins(m *manifest.Manifest) error {
	for i, l := range m.Lockfiles {
		_, data, err := m.ReadLockfile(l.Path)
		if err != nil {
			return err
		}
		cur, err := lockfile.Parse(l.Path, data)
		if err != nil {
			return err
		}
		for _, c := range lockfile.Diff(l.Ecosystem, nil, cur) {
			p.Dependencies = append(p.Dependencies, Dependency{File: l.Path, Ecosystem: l.Ecosystem, Index: l.Index, Change: c,
				Indirect: Indirect(m, &m.Lockfiles[i], cur, c.New)})
		}
	}
	return nil
}

// baseManifest reads dist.yaml as it was at the base commit, or nil when
// it cannot: the lockfiles it lists are then only the current ones.
func baseManifest(m *manifest.Manifest, repo *gitrepo.Repo, commit, tag string) *manifest.Manifest {
	data, found, err := repo.FileAtIn(commit, m.Dir, manifest.FileName)
	if err != nil || !found {
		return nil
	}
	om, err := manifest.Parse(tag+":"+manifest.FileName, data)
	if err != nil {
		return nil
	}
	return om
}

// Indirect reports whether e, a pin of f (lockfile l of m), is a
// dependency of the pins a user asked for rather than one of them
// (DESIGN §4). In pypi lockfiles: every pin of a lockfile whose
// dependencies: names another is direct, every pin of the one it names
// is not, and in a lockfile that holds both a pin is indirect when its
// "# via" note names another pin (pip-compile marks a direct one "# via
// -r requirements.in"). In gomod lockfiles: the module image.go.main is
// in is direct; so is a module without a "# via" note in a lockfile where
// dist lock add noted what it pulled in. A gomod lockfile with no note at
// all was written before dist kept them: with image.go.main set, every
// other module of it is indirect, else every module is direct, as
// before. Image pins are direct.
func Indirect(m *manifest.Manifest, l *manifest.Lockfile, f *lockfile.File, e *lockfile.Entry) bool {
	switch l.Ecosystem {
	case "pypi":
		switch {
		case l.Dependencies != "":
			return false
		case len(m.DependentsOf(l)) > 0:
			return true
		}
		return len(e.Via()) > 0
	case "gomod":
		main := goMainModule(m, f)
		if main != "" && e.Name == main {
			return false
		}
		if f != nil && slices.ContainsFunc(f.Entries(), (*lockfile.Entry).HasVia) {
			return len(e.Via()) > 0
		}
		return main != ""
	}
	return false
}

// goMainModule returns the pinned module that holds image.go.main's
// package: the longest module path that is the package path or a prefix
// of it. "" when image.go.main is not set or none holds it.
func goMainModule(m *manifest.Manifest, f *lockfile.File) string {
	if m.Image == nil || m.Image.Go == nil || m.Image.Go.Main == "" || f == nil {
		return ""
	}
	pkg := m.Image.Go.Main
	best := ""
	for _, e := range f.Entries() {
		if (pkg == e.Name || strings.HasPrefix(pkg, e.Name+"/")) && len(e.Name) > len(best) {
			best = e.Name
		}
	}
	return best
}

// entry finds the changelog entry whose notes the policy reads: the
// unreleased one, or the one prerelease dated for a release not tagged yet.
// With neither, it sets NoEntry and returns nil: a dated top entry is a
// state of the release cycle, not a broken changelog.
func (p *Plan) entry(m *manifest.Manifest, repo *gitrepo.Repo, cl *changelog.Changelog, cur version.V) (*changelog.Entry, error) {
	u, err := cl.Unreleased()
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, changelog.ErrNoUnreleased) {
		return nil, err
	}
	if !cur.Pre {
		if e, err := cl.Entry(cur.Raw); err == nil && e.Date != "" && e == cl.Entries()[0] {
			tagged, err := repo.TagExists(gitrepo.TagName(m.TagFormat, cur.Raw))
			if err != nil {
				return nil, err
			}
			if !tagged {
				p.Prepared = cur.Raw
				return e, nil
			}
		}
	}
	p.NoEntry = true
	return nil, nil
}

// readLock reads the lockfile at path (relative to dist.yaml) as commit
// has it; nil when the commit has none.
func readLock(m *manifest.Manifest, repo *gitrepo.Repo, commit, tag, path string) (*lockfile.File, error) {
	data, found, err := repo.FileAtIn(commit, m.Dir, path)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil
	}
	return lockfile.Parse(tag+":"+path, data)
}

// configChanges compares a config output with the release's: key by key
// in a format dist reads, as a whole file for format none (one
// config-changed reason, at the first line that differs).
func configChanges(m *manifest.Manifest, repo *gitrepo.Repo, commit, tag string, c manifest.Config) ([]policy.Change, error) {
	path := c.Output
	format := configdiff.For(c.Format, path)
	oldData, found, err := repo.FileAtIn(commit, m.Dir, path)
	if err != nil {
		return nil, err
	}
	var old configdiff.Config
	if found {
		if old, err = configdiff.ParseFormat(format, tag+":"+path, oldData); err != nil {
			return nil, err
		}
	}
	abs, err := m.Checked("config output", path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &fileerr.Error{Path: path, Msg: "not rendered (run dist config render)"}
	} else if err != nil {
		return nil, err
	}
	cur, err := configdiff.ParseFormat(format, path, data)
	if err != nil {
		return nil, err
	}
	if !found {
		// A config that is new since the release adds every key; one
		// reason says it better than one per key.
		return []policy.Change{{Kind: "config-key-added", Name: "(new file)", File: path}}, nil
	}
	if format == configdiff.None {
		if line, differ := firstDifference(oldData, data); differ {
			return []policy.Change{{Kind: "config-changed", Name: "(contents; format none has no keys)", File: path, Line: line}}, nil
		}
		return nil, nil
	}
	var out []policy.Change
	for _, c := range configdiff.Diff(old, cur) {
		out = append(out, policy.Change{Kind: "config-" + string(c.Kind), Name: c.Key, From: c.From, To: c.To, File: path, Line: c.Line})
	}
	return out, nil
}

// firstDifference reports whether two files differ and the first line of
// cur where they do (the line after cur's last when cur only lost lines).
func firstDifference(old, cur []byte) (int, bool) {
	if bytes.Equal(old, cur) {
		return 0, false
	}
	ol, cl := bytes.SplitAfter(old, []byte("\n")), bytes.SplitAfter(cur, []byte("\n"))
	for i := range cl {
		if i >= len(ol) || !bytes.Equal(ol[i], cl[i]) {
			return i + 1, true
		}
	}
	return len(cl), true
}

// Check refuses a release version below what the plan requires.
func (p *Plan) Check(v string) error {
	want, err := parsePEP440(p.Next)
	if err != nil {
		return err
	}
	got, err := parsePEP440(v)
	if err != nil {
		return err
	}
	if version.Compare(got, want) < 0 {
		return fmt.Errorf("version %s is below %s, which the policy requires (%s bump since %s)", v, p.Next, p.Bump, p.Base)
	}
	return nil
}
