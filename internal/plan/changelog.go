package plan

import (
	"errors"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/textdiff"
)

// ChangelogOptions configures Changelog.
type ChangelogOptions struct {
	// Since overrides the base the plan compares with (Options.Since).
	Since string
	// Write writes the merged entry into the changelog; without it
	// nothing is written.
	Write bool
}

// ChangelogEntry is the entry dist changelog shows, in the changelog's
// own format, as the changelog holds it or, without Write, would: what
// its --json prints.
type ChangelogEntry struct {
	File    string `json:"file"` // dist.yaml's changelog:
	Version string `json:"version"`
	Date    string `json:"date,omitempty"` // the entry's date, "" while unreleased
	Text    string `json:"text"`
	// Changed is true when the file differs from what Write writes.
	Changed bool `json:"changed"`
	Written bool `json:"written"`
	// Prepared is the version prerelease prepared and release has not
	// tagged yet: the entry is its dated one, committed and not dist
	// changelog's to change, and nothing was merged or written.
	Prepared string `json:"-"`
	// Diff is the unified diff of what Written changed in the file.
	Diff string `json:"-"`
	// ByHand is set when the entry still says only "Nothing changed
	// yet." and the plan lists nothing to put there: Plan.NothingToList's
	// reason, for a hint to write the entry by hand.
	ByHand string `json:"-"`
	// Line is the entry's heading line in File.
	Line int `json:"-"`
}

// Changelog computes the plan of m's work tree and merges the entry it
// generates (Sections) into the unreleased changelog entry, keeping the
// hand-written notes; a changelog with no unreleased entry (a maintenance
// branch made from a tag, a release not followed by postrelease) gets one
// for the plan's next version. With o.Write the changelog is written when
// the merge changed it. Between prerelease and release it changes nothing
// and returns the prepared entry.
//
// Errors: those of Compute; a changelog that is missing, outside the
// repository or does not parse (*fileerr.Error); one that cannot be
// written.
func Changelog(m *manifest.Manifest, repo *gitrepo.Repo, o ChangelogOptions) (*ChangelogEntry, error) {
	p, err := Compute(m, repo, Options{Since: o.Since})
	if err != nil {
		return nil, err
	}
	cl, err := changelog.LoadFor(m)
	if err != nil {
		return nil, err
	}
	if p.Prepared != "" {
		e, err := cl.Entry(p.Prepared)
		if err != nil {
			return nil, err
		}
		return &ChangelogEntry{File: m.Changelog, Version: e.Version, Date: e.Date, Text: cl.Text(e), Prepared: p.Prepared}, nil
	}
	before := string(cl.Bytes())
	u, err := cl.Unreleased()
	if errors.Is(err, changelog.ErrNoUnreleased) {
		if err := cl.AddUnreleased(p.Next); err != nil {
			return nil, err
		}
		u, err = cl.Unreleased()
	}
	if err != nil {
		return nil, err
	}
	if err := cl.MergeGenerated(Sections(p, u)); err != nil {
		return nil, err
	}
	// The entry again: merging rewrote it.
	if u, err = cl.Unreleased(); err != nil {
		return nil, err
	}
	res := &ChangelogEntry{File: m.Changelog, Version: u.Version, Date: u.Date, Text: cl.Text(u), Changed: cl.Changed(), Line: u.Line}
	if u.OnlyNothingChanged() {
		res.ByHand = p.NothingToList()
	}
	if o.Write && res.Changed {
		if err := cl.Write(); err != nil {
			return nil, err
		}
		res.Written = true
		res.Diff = textdiff.Unified(m.Changelog, before, string(cl.Bytes()))
	}
	return res, nil
}
