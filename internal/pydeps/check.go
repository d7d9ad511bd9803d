package pydeps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
)

// Entry is one pin of a lockfile set, as the completeness check and Why
// read it.
type Entry struct {
	Name    string
	Version string
	Extras  []string       // asked for on the pin's line ("requests[socks]")
	Marker  *pep508.Marker // nil when none
	Where   string         // "lockfiles/constraints.txt:12"
	Direct  bool
}

// Problem is one requirement the set does not meet.
type Problem struct {
	Where   string
	Name    string
	Version string
	// Message reads "helper 0.5 [fast] requires speedup (python 3.12,
	// linux/arm64): not pinned".
	Message string
}

func (p Problem) String() string { return p.Where + ": " + p.Message }

// Check proves a pin set complete: in every target, every requirement of
// every pin the target installs (with the extras asked of it) is met by a
// pin the target installs. It returns every problem, one line per unmet
// requirement naming the targets it fails in; the error is for failures
// to read the index.
func Check(ctx context.Context, g *Graph, entries []Entry) ([]Problem, error) {
	// Every release's requirements at once: the index is the slow part.
	reqs := make([][]pep508.Requirement, len(entries))
	errs := make([]error, len(entries))
	eg, ectx := errgroup.WithContext(ctx)
	for i, e := range entries {
		eg.Go(func() error {
			reqs[i], errs[i] = g.Requirements(ectx, e.Name, e.Version)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}

	type key struct{ where, msg string }
	found := map[key][]string{}
	var order []key
	var out []Problem
	for i, e := range entries {
		if errs[i] != nil && !errors.Is(errs[i], source.ErrNotFound) {
			// A version the index lacks is the caller's to report (verify
			// does, once); any other failure to read is this check's.
			msg := errs[i].Error()
			for _, self := range []string{e.Name, pep508.NormalizeName(e.Name)} {
				msg = strings.TrimPrefix(msg, self+" "+e.Version+": ")
			}
			out = append(out, Problem{Where: e.Where, Name: e.Name, Version: e.Version, Message: fmt.Sprintf("%s %s: cannot read its requirements: %s", e.Name, e.Version, msg)})
		}
	}
	for _, env := range g.envs {
		installed := map[string]int{}
		for i, e := range entries {
			if errs[i] == nil && e.Marker.Evaluate(env) {
				if _, dup := installed[pep508.NormalizeName(e.Name)]; !dup {
					installed[pep508.NormalizeName(e.Name)] = i
				}
			}
		}
		// The extras asked of each pin, by its line or by a requirement of
		// another installed pin, until no more are asked.
		// Every line of a pin asks its extras: "lib" and "lib[fast]" are
		// two lines of one pin.
		asked := map[string][]string{}
		for i, e := range entries {
			n := pep508.NormalizeName(e.Name)
			if j, ok := installed[n]; ok && errs[i] == nil && e.Version == entries[j].Version && e.Marker.Evaluate(env) {
				for _, x := range e.Extras {
					asked[n] = addExtra(asked[n], x)
				}
			}
		}
		for changed := true; changed; {
			changed = false
			for n, i := range installed {
				for _, r := range reqs[i] {
					if !active(r, env, asked[n]) {
						continue
					}
					dep := pep508.NormalizeName(r.Name)
					for _, x := range r.Extras {
						before := len(asked[dep])
						asked[dep] = addExtra(asked[dep], x)
						changed = changed || len(asked[dep]) != before
					}
				}
			}
		}
		for i, e := range entries {
			n := pep508.NormalizeName(e.Name)
			if j, ok := installed[n]; !ok || j != i {
				continue
			}
			for _, r := range reqs[i] {
				if !active(r, env, asked[n]) {
					continue
				}
				who := e.Name + " " + e.Version
				if xs := asked[n]; len(xs) > 0 && r.Marker.UsesExtra() {
					who += " [" + strings.Join(xs, ",") + "]"
				}
				var why string
				if j, ok := installed[pep508.NormalizeName(r.Name)]; !ok {
					why = "not pinned"
				} else if dep := entries[j]; !r.Specifiers.Contains(dep.Version, true) {
					why = fmt.Sprintf("pinned at %s at %s, outside %s", dep.Version, dep.Where, r.Specifiers.String())
				} else {
					continue
				}
				k := key{e.Where, who + " requires " + reqText(r) + "\x00" + why}
				if _, ok := found[k]; !ok {
					order = append(order, k)
				}
				found[k] = append(found[k], env.String())
			}
		}
	}
	for _, k := range order {
		msg, why, _ := strings.Cut(k.msg, "\x00")
		envs := found[k]
		where := strings.Join(envs, "; ")
		if len(envs) == len(g.envs) && len(envs) > 1 {
			where = "every target"
		}
		e := entryAt(entries, k.where)
		out = append(out, Problem{Where: k.where, Name: e.Name, Version: e.Version, Message: fmt.Sprintf("%s (%s): %s", msg, where, why)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out, nil
}

func entryAt(entries []Entry, where string) Entry {
	for _, e := range entries {
		if e.Where == where {
			return e
		}
	}
	return Entry{}
}

func addExtra(xs []string, x string) []string {
	x = pep508.NormalizeName(x)
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// Link is one step of a chain: the pin reached, and the requirement that
// reached it ("" for the direct pin a chain starts at).
type Link struct {
	Name        string
	Version     string
	Requirement string
	Where       string
}

// Why returns every chain of requirements, in any target, from a direct pin
// to the named one: [kinto 14.3.0] → pyramid>=1.10 → webob. A direct pin is
// a chain of its own. Chains are in a stable order, at most limit of them.
func Why(ctx context.Context, g *Graph, entries []Entry, name string, limit int) ([][]Link, error) {
	target := pep508.NormalizeName(name)
	byName := map[string]Entry{}
	for _, e := range entries {
		if _, ok := byName[pep508.NormalizeName(e.Name)]; !ok {
			byName[pep508.NormalizeName(e.Name)] = e
		}
	}
	var chains [][]Link
	var walk func(path []Link, seen map[string]bool, e Entry, extras []string) error
	walk = func(path []Link, seen map[string]bool, e Entry, extras []string) error {
		if len(chains) >= limit {
			return nil
		}
		n := pep508.NormalizeName(e.Name)
		if n == target {
			chains = append(chains, slices.Clone(path))
			return nil
		}
		reqs, err := g.Requirements(ctx, e.Name, e.Version)
		if err != nil {
			return err
		}
		seen[n] = true
		defer delete(seen, n)
		for _, r := range reqs {
			dn := pep508.NormalizeName(r.Name)
			dep, ok := byName[dn]
			if !ok || seen[dn] || !anyEnv(r, g.envs, extras) {
				continue
			}
			// The marker stays: it says when this link holds (an extra,
			// a platform).
			if err := walk(append(path, Link{Name: dep.Name, Version: dep.Version, Requirement: r.String(), Where: dep.Where}), seen, dep, r.Extras); err != nil {
				return err
			}
		}
		return nil
	}
	started := map[string]bool{}
	for _, e := range entries {
		// A pin on two lines (bare and with extras) starts one chain.
		if n := pep508.NormalizeName(e.Name); !e.Direct || started[n] {
			continue
		} else {
			started[n] = true
		}
		if err := walk([]Link{{Name: e.Name, Version: e.Version, Where: e.Where}}, map[string]bool{}, e, e.Extras); err != nil {
			return nil, err
		}
	}
	return chains, nil
}

// Unrequired finds the dependency pins nothing needs: no chain of
// requirements leads to them from a direct pin, in any target. pip
// installs them all the same, so the set still works; but it ships what
// no component asked for, and dist lock upgrade would remove them.
func Unrequired(ctx context.Context, g *Graph, entries []Entry) ([]Problem, error) {
	byName := map[string][]Entry{}
	for _, e := range entries {
		n := pep508.NormalizeName(e.Name)
		byName[n] = append(byName[n], e)
	}
	reached := map[string]bool{}
	for _, env := range g.envs {
		var roots []pep508.Requirement
		for _, e := range entries {
			if e.Direct && e.Marker.Evaluate(env) {
				roots = append(roots, pep508.Requirement{Name: e.Name, Extras: e.Extras})
			}
		}
		// The line of a project that applies here and can be read: Check
		// reports what cannot.
		release := func(name string) (string, bool) {
			for _, e := range byName[name] {
				if !e.Marker.Evaluate(env) {
					continue
				}
				if _, err := g.Requirements(ctx, e.Name, e.Version); err == nil {
					return e.Version, true
				}
			}
			return "", false
		}
		r, err := g.reach(ctx, env, roots, release, nil)
		if err != nil {
			return nil, err
		}
		for n := range r {
			reached[n] = true
		}
	}
	var out []Problem
	for _, e := range entries {
		if !e.Direct && !reached[pep508.NormalizeName(e.Name)] {
			out = append(out, Problem{Where: e.Where, Name: e.Name, Version: e.Version,
				Message: fmt.Sprintf("%s %s: nothing requires it (dist lock upgrade removes it)", e.Name, e.Version)})
		}
	}
	return out, ctx.Err()
}
