// Package pydeps is the dependency graph of a Python pin set, read from the
// core metadata an index serves: it resolves requirements into one pin set
// that serves every target environment (Python version × platform), checks
// that a pin set is complete (every Requires-Dist of every pin met by a pin,
// in every target), and tells why a pin is in the set.
//
// Names are compared PEP 503-normalized throughout; requirements follow PEP
// 508 (markers evaluated per target, extras included) and PEP 440
// (specifiers, prereleases only when asked for or named).
package pydeps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/pep440"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
)

// Index is what the graph reads of a PEP 503/691 index: pypi.Source.
type Index interface {
	Versions(ctx context.Context, name string) (canonical string, versions []string, err error)
	Release(ctx context.Context, name, version string) (*source.Release, error)
	Metadata(ctx context.Context, name, version string) (*coremetadata.Metadata, error)
}

// Envs returns the target environments: every Python version on every
// platform ("linux/amd64"), in that order.
func Envs(pythons, platforms []string) ([]pep508.Env, error) {
	if len(pythons) == 0 {
		return nil, errors.New("no Python version to resolve for")
	}
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64"}
	}
	var out []pep508.Env
	for _, py := range pythons {
		for _, pl := range platforms {
			e, err := pep508.EnvFor(py, pl)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Graph reads and remembers requirements. It is safe for concurrent use,
// and asks the index for each release's metadata once.
type Graph struct {
	idx  Index
	envs []pep508.Env

	mu   sync.Mutex
	reqs map[string]*reqsEntry
}

type reqsEntry struct {
	done chan struct{}
	reqs []pep508.Requirement
	err  error
}

// New returns a graph over idx for the target environments.
func New(idx Index, envs []pep508.Env) *Graph {
	return &Graph{idx: idx, envs: envs, reqs: map[string]*reqsEntry{}}
}

// Envs returns the target environments.
func (g *Graph) Envs() []pep508.Env { return g.envs }

// Requirements returns the parsed Requires-Dist of one release.
func (g *Graph) Requirements(ctx context.Context, name, version string) ([]pep508.Requirement, error) {
	key := pep508.NormalizeName(name) + "==" + version
	for {
		g.mu.Lock()
		e := g.reqs[key]
		if e == nil {
			e = &reqsEntry{done: make(chan struct{})}
			g.reqs[key] = e
			g.mu.Unlock()
			e.reqs, e.err = g.read(ctx, name, version)
			if e.err != nil && ctx.Err() != nil {
				// A cancelled read is not the release's fault: forget it.
				g.mu.Lock()
				delete(g.reqs, key)
				g.mu.Unlock()
			}
			close(e.done)
			return e.reqs, e.err
		}
		g.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// The caller that read may have been cancelled while this one was
		// not: then read again rather than hand over its cancellation.
		if e.err == nil || ctx.Err() != nil || !(errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
			return e.reqs, e.err
		}
	}
}

func (g *Graph) read(ctx context.Context, name, version string) ([]pep508.Requirement, error) {
	md, err := g.idx.Metadata(ctx, name, version)
	if err != nil {
		return nil, err
	}
	var out []pep508.Requirement
	for _, line := range md.RequiresDist {
		r, err := pep508.ParseRequirement(line)
		if err != nil {
			return nil, fmt.Errorf("%s %s: Requires-Dist %q: %w", name, version, line, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// active reports whether r applies in env when the extras are asked for.
func active(r pep508.Requirement, env pep508.Env, extras []string) bool {
	env.Extras = extras
	return r.Marker.Evaluate(env)
}

// reqText is a requirement as messages show it: without its marker.
func reqText(r pep508.Requirement) string {
	r.Marker = nil
	return r.String()
}

// pythonOK reports whether a release has a file whose Requires-Python
// admits every target Python.
func (g *Graph) pythonOK(rel *source.Release) bool {
	if len(rel.Artifacts) == 0 {
		return false
	}
	for _, a := range rel.Artifacts {
		if a.RequiresPython == "" {
			return true
		}
		spec, err := pep440.ParseSpecifiers(a.RequiresPython)
		if err != nil {
			// pip ignores a Requires-Python it cannot read.
			return true
		}
		ok := true
		for _, e := range g.envs {
			ok = ok && spec.Contains(e.PythonFullVersion, true)
		}
		if ok {
			return true
		}
	}
	return false
}

// splitKey reads a resolver package key, "name" or "name[extra]".
func splitKey(key string) (name, extra string) {
	if i := strings.IndexByte(key, '['); i >= 0 && strings.HasSuffix(key, "]") {
		return key[:i], key[i+1 : len(key)-1]
	}
	return key, ""
}

// reach walks one target's part of a pin set: from the roots, through every
// requirement that applies in env with the extras asked of each project,
// and returns the projects reached (normalized names). release says which
// version of a project the set holds (ok false: none to follow). step, when
// given, is told each requirement taken, with the project that asked it
// ("" for a root).
func (g *Graph) reach(ctx context.Context, env pep508.Env, roots []pep508.Requirement,
	release func(name string) (version string, ok bool), step func(from string, r pep508.Requirement)) (map[string]bool, error) {
	type node struct {
		name   string
		extras []string
	}
	asked := map[string][]string{} // the extras asked of each project reached
	var queue []node
	visit := func(from string, r pep508.Requirement) {
		if step != nil {
			step(from, r)
		}
		name := pep508.NormalizeName(r.Name)
		old, seen := asked[name]
		merged := slices.Clone(old)
		for _, x := range r.Extras {
			merged = addExtra(merged, x)
		}
		if seen && len(merged) == len(old) {
			return
		}
		asked[name] = merged
		queue = append(queue, node{name, merged})
	}
	for _, r := range roots {
		visit("", r)
	}
	for len(queue) > 0 {
		nd := queue[0]
		queue = queue[1:]
		v, ok := release(nd.name)
		if !ok {
			continue
		}
		reqs, err := g.Requirements(ctx, nd.name, v)
		if err != nil {
			return nil, err
		}
		for _, r := range reqs {
			if active(r, env, nd.extras) {
				visit(nd.name, r)
			}
		}
	}
	reached := make(map[string]bool, len(asked))
	for n := range asked {
		reached[n] = true
	}
	return reached, nil
}
