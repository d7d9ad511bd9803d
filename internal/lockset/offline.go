package lockset

import (
	"context"
	"errors"
	"sync"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/pydeps"
	"github.com/distbuild/dist/internal/source"
)

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
	for _, l := range s.Entries() {
		v, ok := l.Entry.Version, l.Entry.Pinned()
		if l.Entry.IsURL() {
			v, ok = urlVersion(l.Entry)
		}
		if ok {
			k := pinKey(l.Entry.Name, v)
			x.hashes[k] = append(x.hashes[k], l.Entry.Hashes...)
		}
	}
	g := pydeps.New(x, s.Envs)
	problems, err := s.checkGraph(ctx, g, false)
	if err != nil {
		return nil, 0, err
	}
	if len(x.missing) == 0 {
		entries, _ := s.DepEntries()
		more, err := pydeps.Unrequired(ctx, g, entries)
		if err != nil {
			return nil, 0, err
		}
		for _, p := range more {
			file, line := SplitWhere(p.Where)
			problems = append(problems, Problem{File: file, Line: line, Name: p.Name, Version: p.Version, Problem: p.Message})
		}
	}
	return problems, len(x.missing), nil
}
