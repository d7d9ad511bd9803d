package resolver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// memIndex is an in-memory index: versions oldest first, and per
// "pkg@version" requirements written "dep:v1|v2" (the allowed versions) or
// "dep" (any version).
type memIndex struct {
	versions map[string][]string
	deps     map[string][]string
	asked    atomic.Int64
}

func (m *memIndex) Versions(_ context.Context, pkg string) ([]string, error) {
	vs, ok := m.versions[pkg]
	if !ok {
		return nil, fmt.Errorf("%s: %w", pkg, ErrNoPackage)
	}
	return vs, nil
}

func (m *memIndex) Dependencies(_ context.Context, pkg, v string) ([]Dependency, error) {
	m.asked.Add(1)
	var out []Dependency
	for _, d := range m.deps[pkg+"@"+v] {
		if d == "!broken" {
			return nil, errors.New("metadata cannot be read")
		}
		out = append(out, req(d))
	}
	return out, nil
}

// req reads "dep:v1|v2" or "dep".
func req(s string) Dependency {
	name, list, ok := strings.Cut(s, ":")
	text := name
	if ok {
		text = name + "==" + strings.ReplaceAll(list, "|", "||")
	}
	allowed := strings.Split(list, "|")
	return Dependency{Package: name, Text: text, Allowed: func(vs []string) []bool {
		out := make([]bool, len(vs))
		for i, v := range vs {
			out[i] = !ok || slices.Contains(allowed, v)
		}
		return out
	}}
}

func roots(ss ...string) []Dependency {
	var out []Dependency
	for _, s := range ss {
		out = append(out, req(s))
	}
	return out
}

func TestNewestFirst(t *testing.T) {
	idx := &memIndex{
		versions: map[string][]string{"app": {"1", "2"}, "lib": {"1", "2", "3"}},
		deps:     map[string][]string{"app@2": {"lib:1|2"}, "app@1": {"lib"}},
	}
	sol, err := Solve(context.Background(), idx, roots("app"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sol["app"] != "2" || sol["lib"] != "2" || len(sol) != 2 {
		t.Errorf("got %v", sol)
	}
}

// The newest foo needs a baz that bar rules out: the resolver must go back
// to the older foo.
func TestBacktracks(t *testing.T) {
	idx := &memIndex{
		versions: map[string][]string{"foo": {"1.0", "1.1"}, "bar": {"1.0"}, "baz": {"1", "2"}},
		deps: map[string][]string{
			"foo@1.1": {"baz:2"},
			"foo@1.0": {"baz"},
			"bar@1.0": {"baz:1"},
		},
	}
	sol, err := Solve(context.Background(), idx, roots("foo", "bar"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sol["foo"] != "1.0" || sol["baz"] != "1" {
		t.Errorf("got %v", sol)
	}
}

func TestPrefersExistingPins(t *testing.T) {
	idx := &memIndex{versions: map[string][]string{"a": {"1", "2", "3"}, "b": {"1", "2"}},
		deps: map[string][]string{"b@2": {"a:2|3"}, "b@1": {"a"}}}
	prefer := map[string]string{"a": "1"}
	sol, err := Solve(context.Background(), idx, roots("a", "b"), Options{Prefer: func(p string) string { return prefer[p] }})
	if err != nil {
		t.Fatal(err)
	}
	// b is new and takes its newest version; a has to move off 1, and
	// moves only as far as it must... to the newest b allows.
	if sol["b"] != "2" || sol["a"] == "1" {
		t.Errorf("got %v", sol)
	}
	prefer["a"], prefer["b"] = "2", "1"
	sol, err = Solve(context.Background(), idx, roots("a", "b"), Options{Prefer: func(p string) string { return prefer[p] }})
	if err != nil {
		t.Fatal(err)
	}
	if sol["a"] != "2" || sol["b"] != "1" {
		t.Errorf("preferred pins moved: %v", sol)
	}
}

func TestConflictChain(t *testing.T) {
	idx := &memIndex{
		versions: map[string][]string{"app": {"1.0"}, "w": {"1.0"}, "lib": {"1.0", "2.0"}},
		deps:     map[string][]string{"w@1.0": {"lib:2.0"}, "app@1.0": {"lib:1.0"}},
	}
	_, err := Solve(context.Background(), idx, roots("app", "w"), Options{})
	var c *Conflict
	if !errors.As(err, &c) {
		t.Fatalf("want a conflict, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"w 1.0 requires lib==2.0", "app 1.0 requires lib==1.0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

func TestUnknownAndBroken(t *testing.T) {
	idx := &memIndex{
		versions: map[string][]string{"app": {"1", "2"}},
		deps:     map[string][]string{"app@2": {"!broken"}, "app@1": {"ghost"}},
	}
	_, err := Solve(context.Background(), idx, roots("app"), Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"app 2: metadata cannot be read", "app 1 requires ghost", "ghost: no such package"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	idx.deps["app@1"] = nil
	sol, err := Solve(context.Background(), idx, roots("app"), Options{})
	if err != nil || sol["app"] != "1" {
		t.Errorf("got %v, %v", sol, err)
	}
}

// Every generated graph is checked against brute force: a solution must
// meet every requirement, and a conflict must mean none exists.
func TestAgainstBruteForce(t *testing.T) {
	for seed := range uint64(400) {
		checkRandom(t, seed)
	}
}

func FuzzSolve(f *testing.F) {
	for s := range uint64(20) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkRandom(t, seed) })
}

func checkRandom(t *testing.T, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	n := 2 + r.IntN(4)
	idx := &memIndex{versions: map[string][]string{}, deps: map[string][]string{}}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("p%d", i)
		for v := range 1 + r.IntN(3) {
			idx.versions[names[i]] = append(idx.versions[names[i]], fmt.Sprint(v+1))
		}
	}
	for _, p := range names {
		for _, v := range idx.versions[p] {
			for _, q := range names {
				if q == p || r.IntN(3) != 0 {
					continue
				}
				var ok []string
				for _, qv := range idx.versions[q] {
					if r.IntN(2) == 0 {
						ok = append(ok, qv)
					}
				}
				idx.deps[p+"@"+v] = append(idx.deps[p+"@"+v], q+":"+strings.Join(ok, "|"))
			}
		}
	}
	rs := roots(names[0], names[1])
	sol, err := Solve(context.Background(), idx, rs, Options{})
	var c *Conflict
	switch {
	case err == nil:
		if msg := validate(idx, rs, sol); msg != "" {
			t.Fatalf("seed %d: invalid solution %v: %s\n%v", seed, sol, msg, idx.deps)
		}
	case errors.As(err, &c):
		if s := brute(idx, names); s != nil {
			t.Fatalf("seed %d: conflict %v, but %v works\n%v", seed, err, s, idx.deps)
		}
	default:
		t.Fatalf("seed %d: %v", seed, err)
	}
}

func validate(idx *memIndex, rs []Dependency, sol Solution) string {
	check := func(d Dependency) string {
		v, ok := sol[d.Package]
		if !ok {
			return d.Package + " missing"
		}
		vs := idx.versions[d.Package]
		if !d.Allowed(vs)[slices.Index(vs, v)] {
			return fmt.Sprintf("%s %s not allowed by %s", d.Package, v, d.Text)
		}
		return ""
	}
	for _, d := range rs {
		if m := check(d); m != "" {
			return m
		}
	}
	for p, v := range sol {
		for _, d := range idx.deps[p+"@"+v] {
			if m := check(req(d)); m != "" {
				return p + " " + v + ": " + m
			}
		}
	}
	return ""
}

// brute tries every assignment of a version (or none) to every package.
func brute(idx *memIndex, names []string) Solution {
	choice := make([]int, len(names))
	for {
		sol := Solution{}
		for i, p := range names {
			if choice[i] > 0 {
				sol[p] = idx.versions[p][choice[i]-1]
			}
		}
		if validate(idx, roots(names[0], names[1]), sol) == "" {
			return sol
		}
		i := 0
		for ; i < len(names); i++ {
			choice[i]++
			if choice[i] <= len(idx.versions[names[i]]) {
				break
			}
			choice[i] = 0
		}
		if i == len(names) {
			return nil
		}
	}
}
