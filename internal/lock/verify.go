package lock

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/source"
)

// Problem is one thing verify found wrong.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Problem string `json:"problem"`
	// Malformed is set for a line that is not a lockfile pin as DESIGN §2
	// has it (not pinned ==, no hash, a marker that does not parse, a line
	// pip refuses in hash mode): what the file says is wrong on its own, a
	// configuration error, where every other problem is a check against
	// the index or the rest of the set that failed.
	Malformed bool `json:"-"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Problem)
}

// VerifyResult is what verify checked and found.
type VerifyResult struct {
	Entries int `json:"entries"`
	Hashes  int `json:"hashes"`
	Files   int `json:"files"`
	// Targets counts the environments the set was proved complete for; 0
	// when completeness was not checked.
	Targets  int       `json:"targets"`
	Problems []Problem `json:"problems"`
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

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Download re-hashes the bytes of every locked artifact.
	Download bool
	// Set, when given, is the pypi pin set to prove complete (DESIGN §2):
	// every requirement of every pin met by a pin, in every target.
	Set *PySet
}

// Verify checks every entry of every target: pinned and hashed, not pinned
// twice at different versions within an ecosystem, and every hash one the
// index publishes for that version (and, with Download, one the bytes have).
// It reports every problem it finds; the error return is for failures to
// check at all.
func Verify(ctx context.Context, targets []*Target, o VerifyOptions) (*VerifyResult, error) {
	res := &VerifyResult{Problems: []Problem{}}
	type job struct {
		t *Target
		e *lockfile.Entry
	}
	var jobs []job
	type seenPin struct {
		file    string
		line    int
		version string
	}
	seen := map[string]seenPin{}
	for _, t := range targets {
		eco := t.Source.Ecosystem()
		norm := lockfile.Normalizer(eco)
		for _, e := range t.File.Entries() {
			res.Entries++
			res.Hashes += len(e.Hashes)
			bad := func(format string, args ...any) {
				res.Problems = append(res.Problems, Problem{File: t.Lock.Path, Line: e.Line, Name: e.Name, Version: e.Version, Problem: fmt.Sprintf(format, args...)})
			}
			malformed := func() {
				bad("%s", notAPin(e))
				res.Problems[len(res.Problems)-1].Malformed = true
			}
			if !e.Pinned() {
				malformed()
				continue
			}
			key := eco + "\x00" + norm(e.Name)
			if prev, ok := seen[key]; ok && prev.version != e.Version {
				bad("%s==%s conflicts with %s==%s at %s:%d", e.Name, e.Version, e.Name, prev.version, prev.file, prev.line)
			} else if !ok {
				seen[key] = seenPin{t.Lock.Path, e.Line, e.Version}
			}
			if len(e.Hashes) == 0 {
				malformed()
				continue
			}
			jobs = append(jobs, job{t, e})
		}
	}
	problems := make([][]Problem, len(jobs))
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
		return nil, err
	}
	for i := range jobs {
		res.Problems = append(res.Problems, problems[i]...)
		res.Files += files[i]
	}
	if o.Set != nil {
		ps, err := o.Set.Exact(ctx)
		if err != nil {
			return nil, err
		}
		res.Problems = append(res.Problems, ps...)
		res.Targets = len(o.Set.Envs)
	}
	sort.SliceStable(res.Problems, func(i, j int) bool {
		a, b := res.Problems[i], res.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return res, nil
}

// notAPin says why e is not a pin as DESIGN §2 has it (pinned ==, hashed),
// or "" when it is one.
func notAPin(e *lockfile.Entry) string {
	switch {
	case !e.Pinned() && e.Op == "":
		return fmt.Sprintf("%s is not pinned (want %s==VERSION)", e.Name, e.Name)
	case !e.Pinned():
		return fmt.Sprintf("%s is not pinned with == (found %s%s)", e.Name, e.Op, e.Version)
	case len(e.Hashes) == 0:
		return fmt.Sprintf("%s==%s has no --hash", e.Name, e.Version)
	}
	return ""
}

// RequirePins refuses a lockfile that holds an entry that is not a pin
// (not pinned ==, no hash) or a line pip refuses in hash mode, for the
// commands that ship what it pins (build, bundle): a *fileerr.Error at the
// first such line, a configuration error as lock verify's report of it is.
func (t *Target) RequirePins() error {
	for _, e := range t.File.Entries() {
		if why := notAPin(e); why != "" {
			return fileerr.New(t.Lock.Path, e.Line, "%s (dist lock verify reports every problem)", why)
		}
	}
	for _, o := range t.File.Options() {
		if why := refusedOption(o); why != "" {
			return fileerr.New(t.Lock.Path, o.Line, "%s (dist lock verify reports every problem)", why)
		}
	}
	return nil
}

func verifyEntry(ctx context.Context, t *Target, e *lockfile.Entry, o VerifyOptions) ([]Problem, int, error) {
	var out []Problem
	bad := func(format string, args ...any) {
		out = append(out, Problem{File: t.Lock.Path, Line: e.Line, Name: e.Name, Version: e.Version, Problem: fmt.Sprintf(format, args...)})
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
