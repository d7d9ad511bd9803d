package gomod

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/distbuild/dist/internal/source"
)

// BuildList returns the build list of name@version taken as the main
// module, without the main module itself: what `go list -m all` prints when
// run inside that module's source tree, found by minimal version selection
// over the go.mod files the proxy serves.
//
// The module graph is read as the go command reads it, pruned when the main
// module's go.mod says go 1.17 or later (the requirements of a go 1.17+
// dependency are then taken as listed, without reading theirs), complete
// below every dependency older than that. Only the main module's exclude
// and replace directives count, as in the go command. A replaced module is
// returned as its replacement, because that is the module that gets
// downloaded and must be hashed; a replacement by a directory cannot be read
// from a proxy and is an error. "// indirect" requirements are requirements
// like any other.
func (s *Source) BuildList(ctx context.Context, name, version string) ([]source.Pin, error) {
	if err := module.Check(name, version); err != nil {
		return nil, wrap(name, version, err)
	}
	data, _, err := s.goMod(ctx, name, version)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	mainFile, err := modfile.Parse(name+"@"+version+"/go.mod", data, nil)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	if err := checkModulePath(mainFile, name, ""); err != nil {
		return nil, wrap(name, version, err)
	}

	g := &graph{
		src:     s,
		exclude: map[module.Version]bool{},
		replace: map[module.Version]module.Version{},
	}
	for _, x := range mainFile.Exclude {
		g.exclude[x.Mod] = true
	}
	for _, r := range mainFile.Replace {
		g.replace[r.Old] = r.New
	}

	roots := g.filter(requirements(mainFile))
	pruned := prunedGo(mainFile)
	var selected map[string]string
	for {
		selected, err = g.read(ctx, roots, pruned)
		if err != nil {
			return nil, wrap(name, version, err)
		}
		// A pruned graph leaves out what a root's selected (higher)
		// version requires; the go command then moves the roots up to
		// their selected versions and reads the graph again, until nothing
		// moves. An unpruned graph is complete the first time.
		if !pruned {
			break
		}
		moved := false
		for i, r := range roots {
			if v := selected[r.Path]; v != r.Version {
				roots[i].Version = v
				moved = true
			}
		}
		if !moved {
			break
		}
	}

	seen := map[module.Version]bool{}
	var pins []source.Pin
	for p, v := range selected {
		if p == name {
			// A dependency requiring the main module (its go.mod is read like
			// any other, as the go command does) does not make it a dependency.
			continue
		}
		m := module.Version{Path: p, Version: v}
		if r, ok := g.replacement(m); ok {
			if r.Version == "" {
				return nil, wrap(name, version, fmt.Errorf("replace %s => %s: a directory replacement cannot be read from a module proxy", p, r.Path))
			}
			m = r
		}
		if !seen[m] {
			seen[m] = true
			pins = append(pins, source.Pin{Name: m.Path, Version: m.Version})
		}
	}
	sort.Slice(pins, func(i, j int) bool {
		if pins[i].Name != pins[j].Name {
			return pins[i].Name < pins[j].Name
		}
		return semver.Compare(pins[i].Version, pins[j].Version) < 0
	})
	return pins, nil
}

type loadKey struct {
	m      module.Version
	pruned bool
}

// summary is what the graph needs of one go.mod.
type summary struct {
	require []module.Version
	pruned  bool
}

// graph holds what stays true across reads of the module graph: the main
// module's directives and the go.mod summaries already read.
type graph struct {
	src     *Source
	exclude map[module.Version]bool
	replace map[module.Version]module.Version
	loaded  sync.Map // module.Version → *loadOnce
}

type loadOnce struct {
	once sync.Once
	sum  *summary
	err  error
}

// reading is one read of the module graph from a set of roots.
type reading struct {
	g      *graph
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	selected map[string]string
	loading  map[loadKey]bool
	err      error
}

// read loads the graph below roots, as the go command's readModGraph does,
// and returns the highest version of each path in it.
func (g *graph) read(ctx context.Context, roots []module.Version, pruned bool) (map[string]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &reading{g: g, cancel: cancel, selected: map[string]string{}, loading: map[loadKey]bool{}}
	r.require(roots)
	for _, m := range roots {
		r.enqueue(ctx, m, pruned)
	}
	r.wg.Wait()
	return r.selected, r.err
}

// replacement applies the main module's replace directives; one naming a
// version wins over one for every version of the path.
func (g *graph) replacement(m module.Version) (module.Version, bool) {
	if r, ok := g.replace[m]; ok {
		return r, true
	}
	r, ok := g.replace[module.Version{Path: m.Path}]
	return r, ok
}

// filter drops requirements on excluded versions, which the go command
// (since 1.16) ignores rather than upgrading.
func (g *graph) filter(reqs []module.Version) []module.Version {
	out := reqs[:0:0]
	for _, r := range reqs {
		if !g.exclude[r] {
			out = append(out, r)
		}
	}
	return out
}

func (r *reading) require(reqs []module.Version) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range reqs {
		if cur, ok := r.selected[m.Path]; !ok || semver.Compare(m.Version, cur) > 0 {
			r.selected[m.Path] = m.Version
		}
	}
}

func (r *reading) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
		r.cancel()
	}
}

// enqueue adds m's requirements to the graph. Under pruning, the
// requirements of m's requirements are followed only when m predates
// pruning (go < 1.17); below such a module every requirement is followed,
// pruned or not, because its go.mod cannot be trusted to list everything
// its packages import.
func (r *reading) enqueue(ctx context.Context, m module.Version, pruned bool) {
	r.mu.Lock()
	k := loadKey{m, pruned}
	if r.loading[k] || r.err != nil {
		r.mu.Unlock()
		return
	}
	r.loading[k] = true
	r.mu.Unlock()

	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		sum, err := r.g.load(ctx, m)
		if err != nil {
			r.fail(err)
			return
		}
		r.require(sum.require)
		if pruned && sum.pruned {
			return
		}
		for _, req := range sum.require {
			r.enqueue(ctx, req, false)
		}
	}()
}

// load reads m's go.mod (or its replacement's) once per build list.
func (g *graph) load(ctx context.Context, m module.Version) (*summary, error) {
	v, _ := g.loaded.LoadOrStore(m, &loadOnce{})
	lo := v.(*loadOnce)
	lo.once.Do(func() { lo.sum, lo.err = g.readSummary(ctx, m) })
	return lo.sum, lo.err
}

func (g *graph) readSummary(ctx context.Context, m module.Version) (*summary, error) {
	actual := m
	r, replaced := g.replacement(m)
	if replaced {
		if r.Version == "" {
			return nil, fmt.Errorf("replace %s => %s: a directory replacement cannot be read from a module proxy", m, r.Path)
		}
		actual = r
	}
	data, _, err := g.src.goMod(ctx, actual.Path, actual.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", actual, err)
	}
	f, err := modfile.ParseLax(actual.Path+"@"+actual.Version+"/go.mod", data, nil)
	if err != nil {
		return nil, err
	}
	also := ""
	if replaced {
		also = actual.Path
	}
	if err := checkModulePath(f, m.Path, also); err != nil {
		return nil, fmt.Errorf("%s: %w", actual, err)
	}
	return &summary{require: g.filter(requirements(f)), pruned: prunedGo(f)}, nil
}

// checkModulePath refuses a go.mod declaring another path than the one it
// was required as, as the go command does.
func checkModulePath(f *modfile.File, want, alsoOK string) error {
	if f.Module == nil {
		return nil
	}
	got := f.Module.Mod.Path
	if got != want && got != alsoOK {
		return fmt.Errorf("go.mod declares its path as %s but was required as %s", got, want)
	}
	return nil
}

func requirements(f *modfile.File) []module.Version {
	out := make([]module.Version, 0, len(f.Require))
	for _, r := range f.Require {
		out = append(out, r.Mod)
	}
	return out
}

// prunedGo reports whether a go.mod's requirements are complete for its
// packages: go 1.17 or later. No go directive means go 1.16.
func prunedGo(f *modfile.File) bool {
	if f.Go == nil {
		return false
	}
	return goAtLeast(f.Go.Version, 1, 17)
}

// goAtLeast compares a go directive ("1.17", "1.21.0", "1.22rc1") with
// major.minor.
func goAtLeast(v string, major, minor int) bool {
	majS, rest, _ := strings.Cut(v, ".")
	maj, err := strconv.Atoi(majS)
	if err != nil {
		return false
	}
	if maj != major {
		return maj > major
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	min, err := strconv.Atoi(rest[:end])
	if err != nil {
		return false
	}
	return min >= minor
}
