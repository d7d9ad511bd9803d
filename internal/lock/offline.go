package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/pydeps"
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
func nonIndexProblems(targets []*Target) []Problem {
	type line struct {
		t *Target
		e *lockfile.Entry
	}
	var out []Problem
	pins := map[string]line{}
	var urls []line
	norm := lockfile.Normalizer(source.PyPI)
	for _, t := range targets {
		out = append(out, pipRefusals(t)...)
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
			out = append(out, Problem{File: u.t.Lock.Path, Line: u.e.Line, Name: u.e.Name,
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

// metadataCache is a source that can read a release's metadata from the
// fetch cache alone, by the hashes a lockfile pins (pypi.Source).
type metadataCache interface {
	CachedMetadata(name, version string, hashes []string) (*coremetadata.Metadata, error)
}

// offlineIndex serves the completeness check from the cache: a pin whose
// metadata is not there reads as one without requirements, and is
// counted.
type offlineIndex struct {
	cache  metadataCache // nil when the source has none
	hashes map[string][]string

	mu      sync.Mutex
	missing map[string]bool
}

func pinKey(name, version string) string { return pep508.NormalizeName(name) + "==" + version }

var errOffline = errors.New("offline: the index is not asked")

func (x *offlineIndex) Versions(context.Context, string) (string, []string, error) {
	return "", nil, errOffline
}

func (x *offlineIndex) Release(context.Context, string, string) (*source.Release, error) {
	return nil, errOffline
}

func (x *offlineIndex) Metadata(_ context.Context, name, version string) (*coremetadata.Metadata, error) {
	k := pinKey(name, version)
	if x.cache != nil {
		if m, err := x.cache.CachedMetadata(name, version, x.hashes[k]); err == nil {
			return m, nil
		}
	}
	x.mu.Lock()
	x.missing[k] = true
	x.mu.Unlock()
	return &coremetadata.Metadata{Name: name, Version: version}, nil
}

// ExactOffline is Exact without the index: requirements are read from the
// metadata earlier commands left in the cache (DIST_CACHE_DIR). A pin
// whose metadata is not cached has its own requirements unchecked, and is
// counted in the second return; the pins nothing requires are reported
// only when every pin's metadata was found, since an unread pin may be the
// one that requires them.
func (s *PySet) ExactOffline(ctx context.Context) ([]Problem, int, error) {
	x := &offlineIndex{hashes: map[string][]string{}, missing: map[string]bool{}}
	if mc, ok := s.Targets[0].Source.(metadataCache); ok {
		x.cache = mc
	}
	for _, l := range s.entries() {
		v, ok := l.e.Version, l.e.Pinned()
		if l.e.IsURL() {
			v, ok = urlVersion(l.e)
		}
		if ok {
			k := pinKey(l.e.Name, v)
			x.hashes[k] = append(x.hashes[k], l.e.Hashes...)
		}
	}
	g := pydeps.New(x, s.Envs)
	problems, err := s.checkGraph(ctx, g, false)
	if err != nil {
		return nil, 0, err
	}
	if len(x.missing) == 0 {
		entries, _ := s.depEntries()
		more, err := pydeps.Unrequired(ctx, g, entries)
		if err != nil {
			return nil, 0, err
		}
		for _, p := range more {
			file, line := splitWhere(p.Where)
			problems = append(problems, Problem{File: file, Line: line, Name: p.Name, Version: p.Version, Problem: p.Message})
		}
	}
	return problems, len(x.missing), nil
}
