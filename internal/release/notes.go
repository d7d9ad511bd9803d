package release

import (
	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/manifest"
)

// Notes is one changelog entry as a GitHub release shows it: what dist
// notes prints, and its --json.
type Notes struct {
	Version string `json:"version"`
	// Date is the entry's, YYYY-MM-DD; "" for an unreleased entry.
	Date string `json:"date,omitempty"`
	// Text is the entry as GitHub Markdown (changelog.Notes): ReST
	// headings become "##".
	Text string `json:"text"`
}

// ReadNotes reads m's changelog and returns the entry for version, or for
// "" the latest dated one (the last release), as GitHub Markdown. Errors:
// a changelog that is missing, outside the repository or does not parse,
// or has no such entry (*fileerr.Error).
func ReadNotes(m *manifest.Manifest, version string) (*Notes, error) {
	cl, err := changelog.LoadFor(m)
	if err != nil {
		return nil, err
	}
	var e *changelog.Entry
	if version != "" {
		e, err = cl.Entry(version)
	} else {
		e, err = cl.LatestDated()
	}
	if err != nil {
		return nil, err
	}
	return &Notes{Version: e.Version, Date: e.Date, Text: cl.Notes(e)}, nil
}
