package load

import (
	"context"
	"errors"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/policy"
	"github.com/distbuild/dist/internal/reldiff"
)

// Diff is dist diff: it resolves from and to (Release) and says what
// going from one to the other changes, under dist.yaml's policy:
// (reldiff.Diff).
//
// Errors: a name that is nothing there is, or a release file (changelog,
// config, lockfile, dist.yaml) that does not parse: a *failure.UsageError
// (exit 2, as dist plan gives for a file that does not parse); the
// registry, git and everything else: a *failure.CheckError (exit 1).
func Diff(ctx context.Context, from, to string, o Options) (*reldiff.Result, error) {
	m := o.Manifest
	rules, err := policy.ParseRules(m.Policy.Levels, m.Policy.Below1)
	if err != nil {
		return nil, failure.Usage(err)
	}
	var sides [2]*reldiff.Release
	for i, ref := range []string{from, to} {
		if sides[i], err = Release(ctx, ref, o); err != nil {
			return nil, diffError(err)
		}
	}
	res, err := reldiff.Diff(*sides[0], *sides[1], reldiff.Options{Rules: rules})
	if err != nil {
		return nil, diffError(err)
	}
	return res, nil
}

// diffError sorts Diff's errors by the exit code they need.
func diffError(err error) error {
	var nf *NotFoundError
	var fe *fileerr.Error
	if errors.As(err, &nf) || errors.As(err, &fe) {
		return failure.Usage(err)
	}
	return failure.Check(err)
}
