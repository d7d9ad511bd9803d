package gomod

import (
	"context"
	"fmt"
	goversion "go/version"
	"sort"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/distbuild/dist/internal/source"
)

// GoMod returns the go.mod of name@version as the proxy serves it, after
// checking its go.sum hash against the checksum database (unless
// GOSUMDB=off or the module matches GONOSUMDB).
func (s *Source) GoMod(ctx context.Context, name, version string) ([]byte, error) {
	if err := module.Check(name, version); err != nil {
		return nil, wrap(name, version, err)
	}
	data, _, err := s.goMod(ctx, name, version)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	sum, err := goModHash(data)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	if err := s.checkSumDB(ctx, name, version, "", sum); err != nil {
		return nil, wrap(name, version, err)
	}
	return data, nil
}

// ModGraph is the module graph the go command reads for a main module whose
// go.mod requires exactly a set of roots, with no replace or exclude
// directive: the build module that internal/gobuild generates from a
// lockfile.
type ModGraph struct {
	// Selected is the version minimal version selection picks for each
	// module path of the graph, roots included, sorted by path.
	Selected []source.Pin
	// GoSum holds the go.sum line "<path> <version>/go.mod h1:..." of every
	// go.mod the go command reads to load the graph, in go.sum's order.
	// Zip lines are not included: those are what a lockfile pins.
	GoSum []string
	// GoVersion is the highest go directive among those go.mod files, ""
	// when none has one. The go command refuses (under -mod=readonly) a main
	// module whose own go directive is lower.
	GoVersion string
}

// ModGraph reads the module graph of a main module requiring exactly roots,
// whose go directive is goVersion ("" for none, which the go command reads
// as 1.16): pruned from go 1.17 on, as BuildList reads it. The go.mod files
// read are the ones the go command reads for the same graph, so GoSum is
// what a go.sum needs for `go build -mod=readonly` to load it; each is
// checked against the checksum database unless GOSUMDB=off or the module
// matches GONOSUMDB.
func (s *Source) ModGraph(ctx context.Context, goVersion string, roots []source.Pin) (*ModGraph, error) {
	rootMods := make([]module.Version, 0, len(roots))
	seen := map[string]string{}
	for _, r := range roots {
		if err := module.Check(r.Name, r.Version); err != nil {
			return nil, wrap(r.Name, r.Version, err)
		}
		if v, dup := seen[r.Name]; dup {
			// A go.mod may list a path twice, but MVS then keeps one
			// version, which is not "exactly these roots".
			return nil, fmt.Errorf("gomod: %s is required twice (%s and %s)", r.Name, v, r.Version)
		}
		seen[r.Name] = r.Version
		rootMods = append(rootMods, module.Version{Path: r.Name, Version: r.Version})
	}

	g := &graph{src: s, exclude: map[module.Version]bool{}, replace: map[module.Version]module.Version{}}
	selected, err := g.read(ctx, rootMods, goAtLeast(goVersion, 1, 17))
	if err != nil {
		return nil, fmt.Errorf("gomod: %w", err)
	}

	// Every go.mod the read asked for went through g.load, so the cache of
	// loads is the set the go command reads too.
	var read []module.Version
	g.loaded.Range(func(k, _ any) bool {
		read = append(read, k.(module.Version))
		return true
	})
	info, err := s.goModInfo(ctx, read)
	if err != nil {
		return nil, err
	}

	mg := &ModGraph{}
	for p, v := range selected {
		mg.Selected = append(mg.Selected, source.Pin{Name: p, Version: v})
	}
	sort.Slice(mg.Selected, func(i, j int) bool { return mg.Selected[i].Name < mg.Selected[j].Name })
	sort.Slice(read, func(i, j int) bool {
		if read[i].Path != read[j].Path {
			return read[i].Path < read[j].Path
		}
		return semver.Compare(read[i].Version, read[j].Version) < 0
	})
	for _, m := range read {
		mg.GoSum = append(mg.GoSum, m.Path+" "+m.Version+"/go.mod "+info[m].sum)
		if gv := info[m].goVersion; gv != "" && (mg.GoVersion == "" || goversion.Compare("go"+gv, "go"+mg.GoVersion) > 0) {
			mg.GoVersion = gv
		}
	}
	return mg, nil
}

type goModInfo struct {
	sum       string // go.sum's "/go.mod" hash
	goVersion string // the go directive, "" when none
}

// goModInfo hashes and checks the go.mod of each module, a few at a time
// because each check may be a round trip to the checksum database; the
// files themselves are in the fetch cache since the graph was read.
func (s *Source) goModInfo(ctx context.Context, mods []module.Version) (map[module.Version]goModInfo, error) {
	infos := make([]goModInfo, len(mods))
	errs := make([]error, len(mods))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, m := range mods {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			data, err := s.GoMod(ctx, m.Path, m.Version)
			if err == nil {
				infos[i].sum, err = goModHash(data)
			}
			if err != nil {
				errs[i] = err
				return
			}
			// The graph read parsed this file already, so an error is not
			// possible here.
			if f, err := modfile.ParseLax(m.String()+"/go.mod", data, nil); err == nil && f.Go != nil {
				infos[i].goVersion = f.Go.Version
			}
		}()
	}
	wg.Wait()
	out := make(map[module.Version]goModInfo, len(mods))
	for i, m := range mods {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[m] = infos[i]
	}
	return out, nil
}
