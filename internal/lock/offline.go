package lock

import (
	"context"
	"errors"
	"fmt"

	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/source"
)

// IndexError is a verify whose index checks could not run (the index is
// unreachable, or answered with errors). The checks that need no index did
// run: Verify returns their findings with it.
type IndexError struct{ Err error }

func (e *IndexError) Error() string {
	return "the checks against the index did not run: " + e.Err.Error()
}
func (e *IndexError) Unwrap() error { return e.Err }

// nonIndexProblems are the findings about lines that are not index pins:
// what pip refuses in hash mode, and a name pinned both from the index and
// by URL, which pip refuses as a double requirement.
func nonIndexProblems(targets []*lockset.Target) []lockset.Problem {
	type line struct {
		t *lockset.Target
		e *lockfile.Entry
	}
	var out []lockset.Problem
	pins := map[string]line{}
	var urls []line
	norm := lockfile.Normalizer(source.PyPI)
	for _, t := range targets {
		out = append(out, lockset.PipRefusals(t)...)
		if t.Lock.Ecosystem != source.PyPI {
			continue
		}
		for _, e := range t.File.Entries() {
			if e.IsURL() {
				urls = append(urls, line{t, e})
			} else if _, ok := pins[norm(e.Name)]; !ok {
				pins[norm(e.Name)] = line{t, e}
			}
		}
	}
	for _, u := range urls {
		if p, ok := pins[norm(u.e.Name)]; ok {
			out = append(out, lockset.Problem{File: u.t.Lock.Path, Line: u.e.Line, Name: u.e.Name,
				Problem: fmt.Sprintf("%s @ %s conflicts with %s at %s:%d (pip installs one or the other)", u.e.Name, u.e.Version, p.e.Spec(), p.t.Lock.Path, p.e.Line)})
		}
	}
	return out
}

// verifyOffline completes a verify without the index: the pypi set's
// completeness as far as the cache holds its pins' metadata.
func verifyOffline(ctx context.Context, res *VerifyResult, o VerifyOptions) error {
	res.Offline = true
	if o.Set != nil {
		ps, uncached, err := o.Set.ExactOffline(ctx)
		if err != nil {
			return err
		}
		res.Problems = append(res.Problems, ps...)
		res.Targets = len(o.Set.Envs)
		res.Uncached = uncached
	}
	sortProblems(res.Problems)
	return nil
}

// indexFailed turns a failure to ask the index into a result of the
// offline checks and an *IndexError. An interrupted verify is only
// interrupted.
func indexFailed(ctx context.Context, res *VerifyResult, o VerifyOptions, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if oerr := verifyOffline(context.WithoutCancel(ctx), res, o); oerr != nil {
		return &IndexError{Err: errors.Join(err, oerr)}
	}
	return &IndexError{Err: err}
}
