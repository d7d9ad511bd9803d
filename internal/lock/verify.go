package lock

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/source"
)

// VerifyResult is what verify checked and found. Counts end in _count in
// JSON: a plural name there is always a list.
type VerifyResult struct {
	Entries int `json:"entry_count"`
	Hashes  int `json:"hash_count"`
	// Files counts the files downloaded and re-hashed (--download).
	Files int `json:"file_count"`
	// Targets counts the environments the set was proved complete for; 0
	// when completeness was not checked.
	Targets  int               `json:"target_count"`
	Problems []lockset.Problem `json:"problems"`
	// Offline is set when no index was asked (--offline, or an index that
	// could not be reached); Uncached then counts the pypi pins whose
	// requirements were not in the cache, so not checked for completeness.
	Offline  bool `json:"offline,omitempty"`
	Uncached int  `json:"uncached_count,omitempty"`
}

// Malformed reports whether a problem is a malformed entry (exit 2 rather
// than 1, as for a lockfile that does not parse).
func (r *VerifyResult) Malformed() bool {
	for _, p := range r.Problems {
		if p.Malformed {
			return true
		}
	}
	return false
}

// Verdict is the error dist lock verify ends with once it has printed r
// (DESIGN §3), given Verify's *IndexError or nil: a malformed entry makes
// the lockfile a configuration error (*failure.UsageError, exit 2, as one
// that does not parse), wrapping indexErr when the index could not be
// asked either; else indexErr itself; else any problem is a failed check
// (*failure.CheckError, exit 1); else nil. The problems are r's to print:
// the errors that stand for them say nothing more.
func (r *VerifyResult) Verdict(indexErr *IndexError) error {
	switch {
	case r.Malformed() && indexErr != nil:
		return &failure.UsageError{Err: indexErr}
	case r.Malformed():
		return &failure.UsageError{}
	case indexErr != nil:
		return indexErr
	case len(r.Problems) > 0:
		return &failure.CheckError{}
	}
	return nil
}

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Download re-hashes the bytes of every locked artifact.
	Download bool
	// Set, when given, is the pypi pin set to prove complete (DESIGN §2):
	// every requirement of every pin met by a pin, in every target.
	Set *lockset.PySet
	// Offline runs only the checks that need no index: pinned, hashed, one
	// version a name, the lines pip refuses, and completeness as far as
	// the cache (DIST_CACHE_DIR) holds the pins' metadata.
	Offline bool
}

// Verify checks every entry of every target: pinned and hashed, not pinned
// twice at different versions within an ecosystem, and every hash one the
// index publishes for that version (and, with Download, one the bytes have).
// It reports every problem it finds; the error return is for failures to
// check at all. When the index cannot be reached, the result still holds
// what the checks that need no index found, and the error is an
// *IndexError.
func Verify(ctx context.Context, targets []*lockset.Target, o VerifyOptions) (*VerifyResult, error) {
	res := &VerifyResult{Problems: []lockset.Problem{}}
	type job struct {
		t *lockset.Target
		e *lockfile.Entry
	}
	var jobs []job
	pins := map[string][]lockfile.Located{} // by ecosystem, for lockfile.Conflicts
	for _, t := range targets {
		eco := t.Source.Ecosystem()
		for _, e := range t.File.Entries() {
			res.Entries++
			res.Hashes += len(e.Hashes)
			bad := func(format string, args ...any) {
				res.Problems = append(res.Problems, lockset.Problem{File: t.Lock.Path, Line: e.Line, Name: e.Name, Version: e.Version, Problem: fmt.Sprintf(format, args...)})
			}
			if e.IsURL() {
				continue // a file, not a release: see nonIndexProblems
			}
			malformed := func() {
				bad("%s", lockset.NotAPin(e))
				res.Problems[len(res.Problems)-1].Malformed = true
			}
			if !e.Pinned() {
				malformed()
				continue
			}
			pins[eco] = append(pins[eco], lockfile.Located{Path: t.Lock.Path, Entry: e})
			if len(e.Hashes) == 0 {
				malformed()
				continue
			}
			jobs = append(jobs, job{t, e})
		}
	}
	// One name at two versions, unless under disjoint markers.
	for _, eco := range slices.Sorted(maps.Keys(pins)) {
		for _, c := range lockfile.Conflicts(eco, pins[eco]) {
			e, prev := c.Pin.Entry, c.Prev.Entry
			res.Problems = append(res.Problems, lockset.Problem{File: c.Pin.Path, Line: e.Line, Name: e.Name, Version: e.Version,
				Problem: fmt.Sprintf("%s==%s conflicts with %s==%s at %s:%d", e.Name, e.Version, e.Name, prev.Version, c.Prev.Path, prev.Line)})
		}
	}
	res.Problems = append(res.Problems, nonIndexProblems(targets)...)
	if o.Offline {
		return res, verifyOffline(ctx, res, o)
	}
	problems := make([][]lockset.Problem, len(jobs))
	files := make([]int, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	for i, j := range jobs {
		g.Go(func() error {
			ps, n, err := verifyEntry(gctx, j.t, j.e, o)
			problems[i], files[i] = ps, n
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return res, indexFailed(ctx, res, o, err)
	}
	for i := range jobs {
		res.Problems = append(res.Problems, problems[i]...)
		res.Files += files[i]
	}
	if o.Set != nil {
		ps, err := o.Set.Exact(ctx)
		if err != nil {
			return res, indexFailed(ctx, res, o, err)
		}
		res.Problems = append(res.Problems, ps...)
		res.Targets = len(o.Set.Envs)
	}
	sortProblems(res.Problems)
	return res, nil
}

func sortProblems(ps []lockset.Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

func verifyEntry(ctx context.Context, t *lockset.Target, e *lockfile.Entry, o VerifyOptions) ([]lockset.Problem, int, error) {
	var out []lockset.Problem
	bad := func(format string, args ...any) {
		out = append(out, lockset.Problem{File: t.Lock.Path, Line: e.Line, Name: e.Name, Version: e.Version, Problem: fmt.Sprintf(format, args...)})
	}
	rel, err := t.Source.Release(ctx, e.Name, e.Version)
	if errors.Is(err, source.ErrNotFound) {
		bad("%s==%s: %v", e.Name, e.Version, err)
		return out, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
	}
	published := map[string]int{}
	for i, a := range rel.Artifacts {
		if a.Hash != "" {
			published[lockfile.NormHash(a.Hash)] = i
		}
	}
	var wanted []int
	for _, h := range e.Hashes {
		i, ok := published[lockfile.NormHash(h)]
		if !ok {
			bad("%s==%s: hash %s is not published by the index for this version", e.Name, e.Version, h)
			continue
		}
		wanted = append(wanted, i)
	}
	if !o.Download || len(wanted) == 0 {
		return out, 0, nil
	}
	// Download only what a locked install would: the artifacts whose hashes
	// the entry lists.
	sub := &source.Release{Name: rel.Name, Version: rel.Version, ProjectURL: rel.ProjectURL}
	for _, i := range wanted {
		sub.Artifacts = append(sub.Artifacts, rel.Artifacts[i])
	}
	got, err := t.Source.Rehash(ctx, sub)
	if err != nil {
		return nil, 0, fmt.Errorf("%s:%d: %s==%s: %w", t.Lock.Path, e.Line, e.Name, e.Version, err)
	}
	for i, a := range sub.Artifacts {
		if i < len(got) && !strings.EqualFold(lockfile.NormHash(got[i]), lockfile.NormHash(a.Hash)) {
			bad("%s==%s: %s: the lockfile says %s, the downloaded bytes hash to %s", e.Name, e.Version, a.Filename, a.Hash, got[i])
		}
	}
	return out, len(sub.Artifacts), nil
}
