package release

import (
	"os"
	"path/filepath"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/jsonfmt"
)

// ReportFile is where dist release records what it released, beside the
// image's OCI layout, as goreleaser keeps dist/artifacts.json.
const ReportFile = "build/release.json"

// Report is what prerelease, release or postrelease did: what --json
// prints, and for a release what build/release.json holds.
type Report struct {
	Command string `json:"command"`
	Version string `json:"version,omitempty"`
	Tag     string `json:"tag,omitempty"`
	// Commit is the commit released (release), or the commit made
	// (prerelease, postrelease).
	Commit string `json:"commit,omitempty"`
	// Files are what the commit changed: the changelog, VERSION and the
	// re-rendered configs.
	Files []string     `json:"files,omitempty"`
	Image *ImageResult `json:"image,omitempty"`
	// Remote is where refs were (or would be) pushed; empty when the
	// repository has none.
	Remote     string       `json:"remote,omitempty"`
	Pushed     []string     `json:"pushed"`
	ReleaseURL string       `json:"release_url,omitempty"`
	DryRun     bool         `json:"dry_run,omitempty"`
	Steps      []StepResult `json:"steps"`
	// Error is why the command stopped, when it did.
	Error string `json:"error,omitempty"`
}

// ImageResult is the release's image, named as dist build --json names
// it.
type ImageResult struct {
	Digest string `json:"digest,omitempty"`
	// Revision is the commit the image records (the tagged one).
	Revision  string                 `json:"commit,omitempty"`
	Platforms []image.PlatformReport `json:"platforms,omitempty"`
	// Outputs are where it was written: the OCI layout, and the
	// registry reference unless --no-push.
	Outputs []image.OutputReport `json:"outputs"`
}

func newReport(command string, dryRun bool) *Report {
	return &Report{Command: command, DryRun: dryRun, Pushed: []string{}, Steps: []StepResult{}}
}

// end records how a command ended, its version and its error if any, and
// returns the report with the error, as each command returns them.
func (r *Report) end(version string, err error) (*Report, error) {
	r.Version = version
	if err != nil {
		r.Error = err.Error()
	}
	return r, err
}

// JSON is the report as --json prints it: indented, with < > & as they
// are.
func (r *Report) JSON() ([]byte, error) {
	return jsonfmt.Indent(r)
}

// writeFile writes the report to path atomically.
func (r *Report) writeFile(path string) error {
	data, err := r.JSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}
