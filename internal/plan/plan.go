// Package plan computes what the next release must be: it compares the
// working tree with the latest release tag reachable from HEAD (lockfiles,
// rendered configs, the unreleased changelog entry) and lets the policy
// judge every change. dist plan prints it, dist changelog writes it down,
// and dist prerelease refuses a version below it.
package plan

import (
	"errors"
	"fmt"
	"os"
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
}

// Options configures Compute.
type Options struct {
	// Since overrides the base: a tag, branch or commit.
	Since string
}

// Error is a problem in one of the repository's files.
type Error = fileerr.Error

// ReadVersion reads and parses the VERSION file.
func ReadVersion(m *manifest.Manifest) (version.V, error) {
	abs, err := m.Checked("version_file", m.VersionFile)
	if err != nil {
		return version.V{}, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return version.V{}, &Error{Path: m.VersionFile, Msg: err.Error()}
	}
	return version.ParseFile(m.VersionFile, data)
}

func parsePEP440(s string) (version.V, error) { return version.Parse("pypi", s) }

// Base finds the release to compare with: the latest release tag reachable
// from HEAD, or since when given. ok is false when there is no release yet.
// A since that names no commit is a *failure.UsageError.
func Base(m *manifest.Manifest, repo *gitrepo.Repo, since string) (tag, commit string, v version.V, ok bool, err error) {
	if since != "" {
		commit, err = repo.ResolveCommit(since)
		if err != nil {
			return "", "", version.V{}, false, failure.Usagef("--since %s: %w", since, err)
		}
		if s, isTag := gitrepo.VersionFromTag(m.TagFormat, since); isTag {
			if v, err = parsePEP440(s); err == nil {
				return since, commit, v, true, nil
			}
		}
		// Not a release tag: the version the tree had then stands in.
		data, found, err := repo.FileAt(commit, m.VersionFile)
		if err != nil || !found {
			return "", "", version.V{}, false, failure.Usagef("--since %s: no %s there to take the base version from", since, m.VersionFile)
		}
		v, err = parsePEP440(strings.TrimSpace(string(data)))
		if err != nil {
			return "", "", version.V{}, false, &Error{Path: since + ":" + m.VersionFile, Line: 1, Msg: err.Error()}
		}
		v, _ = parsePEP440(version.Final(v))
		return since, commit, v, true, nil
	}
	rel, err := gitrepo.LatestReleaseTag(repo, m.TagFormat, parsePEP440, version.Compare)
	if errors.Is(err, gitrepo.ErrNoReleaseTag) {
		return "", "", version.V{}, false, nil
	}
	if err != nil {
		return "", "", version.V{}, false, err
	}
	return rel.Tag, rel.Commit, rel.Version, true, nil
}

// Compute builds the plan for the working tree of m's repository.
func Compute(m *manifest.Manifest, repo *gitrepo.Repo, o Options) (*Plan, error) {
	cur, err := ReadVersion(m)
	if err != nil {
		return nil, err
	}
	rules, err := policy.ParseRules(m.Policy)
	if err != nil {
		return nil, &Error{Path: m.Path, Msg: err.Error()}
	}
	clPath, err := m.Checked("changelog", m.Changelog)
	if err != nil {
		return nil, err
	}
	cl, err := changelog.Load(clPath)
	if err != nil {
		return nil, err
	}
	p := &Plan{Current: cur.Raw, Reasons: []policy.Reason{}}
	entry, err := p.entry(m, repo, cl, cur)
	if err != nil {
		return nil, err
	}
	tag, commit, base, ok, err := Base(m, repo, o.Since)
	if err != nil {
		return nil, err
	}
	if !ok {
		p.FirstRelease = true
		p.Bump = "none"
		p.Next = version.Final(cur)
		return p, nil
	}
	p.Base, p.BaseTag, p.BaseCommit = base.Raw, tag, commit

	var changes []policy.Change
	for _, l := range m.Lockfiles {
		old, err := readLock(repo, commit, tag, l.Path)
		if err != nil {
			return nil, err
		}
		abs, err := m.Checked("lockfile", l.Path)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(abs)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		cur, err := lockfile.Parse(l.Path, data)
		if err != nil {
			return nil, err
		}
		for _, c := range lockfile.Diff(l.Ecosystem, old, cur) {
			changes = append(changes, policy.Change{Kind: "dependency-" + string(c.Kind), Name: c.Name, From: c.From, To: c.To, File: l.Path, Line: c.Line, Size: c.Level})
			p.Dependencies = append(p.Dependencies, Dependency{File: l.Path, Ecosystem: l.Ecosystem, Index: l.Index, Change: c})
		}
	}
	for _, c := range m.Configs {
		cc, err := configChanges(m, repo, commit, tag, c.Output)
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
	p.Next = version.Next(base, bump)
	// The maintainer may already have aimed higher in VERSION (14.1.0.dev0
	// when a patch would do): the policy sets a floor, not a ceiling.
	if fin, err := parsePEP440(version.Final(cur)); err == nil {
		if nv, err := parsePEP440(p.Next); err == nil && version.Compare(fin, nv) > 0 {
			p.Next = fin.Raw
		}
	}
	return p, nil
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

func readLock(repo *gitrepo.Repo, commit, tag, path string) (*lockfile.File, error) {
	data, found, err := repo.FileAt(commit, path)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil
	}
	return lockfile.Parse(tag+":"+path, data)
}

func configChanges(m *manifest.Manifest, repo *gitrepo.Repo, commit, tag, path string) ([]policy.Change, error) {
	if _, ok := configdiff.FormatOf(path); !ok {
		return nil, nil // a format dist cannot read is rendered, not compared
	}
	var old configdiff.Config
	data, found, err := repo.FileAt(commit, path)
	if err != nil {
		return nil, err
	}
	if found {
		if old, err = configdiff.Parse(tag+":"+path, data); err != nil {
			return nil, err
		}
	}
	abs, err := m.Checked("config output", path)
	if err != nil {
		return nil, err
	}
	data, err = os.ReadFile(abs)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &Error{Path: path, Msg: "not rendered (run dist config render)"}
	} else if err != nil {
		return nil, err
	}
	cur, err := configdiff.Parse(path, data)
	if err != nil {
		return nil, err
	}
	if !found {
		// A config that is new since the release adds every key; one
		// reason says it better than one per key.
		return []policy.Change{{Kind: "config-key-added", Name: "(new file)", File: path}}, nil
	}
	var out []policy.Change
	for _, c := range configdiff.Diff(old, cur) {
		out = append(out, policy.Change{Kind: "config-" + string(c.Kind), Name: c.Key, From: c.From, To: c.To, File: path, Line: c.Line})
	}
	return out, nil
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
