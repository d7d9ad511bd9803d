package render

import (
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/manifest"
)

// Options are dist config render's modes.
type Options struct {
	// Set are --set's KEY=VALUE pairs, over dist.yaml's vars: (ParseSet).
	Set []string
	// Check writes nothing and makes any drift a failed check: the CI
	// drift check.
	Check bool
	// DryRun writes nothing: Result says what a render would change.
	DryRun bool
}

// Result is what Apply did, or would do: dist config render --json prints
// it.
type Result struct {
	// Configs has one Status per configs: entry, in dist.yaml's order.
	Configs []Status `json:"configs"`
	// DryRun is set for a dry run without Check.
	DryRun bool `json:"dry_run,omitempty"`
	// Drift counts the configs whose file differs from the render or is
	// missing: those a render writes, and Check fails on.
	Drift int `json:"-"`
}

// Apply renders every configs: entry of m, compares each output with its
// file on disk and, unless o.Check or o.DryRun, writes the outputs that
// differ (all or none are rendered before any is written).
//
// Errors: a --set that is not KEY=VALUE (*failure.UsageError); a template
// or rendered output that is wrong at a line (*fileerr.Error); a file that
// cannot be read or written. With o.Check, drift is a *failure.CheckError,
// returned with the Result, so that the caller can show the diffs before
// failing.
func Apply(m *manifest.Manifest, o Options) (*Result, error) {
	vars, err := ParseSet(o.Set)
	if err != nil {
		return nil, err
	}
	outs, err := Render(m, vars)
	if err != nil {
		return nil, err
	}
	statuses, err := Compare(outs)
	if err != nil {
		return nil, err
	}
	res := &Result{Configs: statuses, DryRun: o.DryRun && !o.Check}
	for _, st := range statuses {
		if st.Changed {
			res.Drift++
		}
	}
	if res.Drift == 0 {
		return res, nil
	}
	if o.Check {
		what := "configs are"
		if res.Drift == 1 {
			what = "config is"
		}
		return res, failure.Checkf("%d rendered %s out of date: run dist config render", res.Drift, what)
	}
	if !o.DryRun {
		if _, err := Write(outs); err != nil {
			return nil, err
		}
	}
	return res, nil
}
