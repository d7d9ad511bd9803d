package gomod

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/testenv/goproxy"
)

// modGraphModules: a requires b v1.1.0 while the roots pin b v1.0.0, so the
// selection moves b up without reading v1.1.0's go.mod when pruned; old
// (go 1.16) is never pruned, so d and e below it are read either way.
var modGraphModules = []goproxy.Module{
	{Path: "example.com/main", Version: "v1.0.0", Requires: []string{"example.com/a v1.0.0", "example.com/old v1.0.0"}},
	{Path: "example.com/a", Version: "v1.0.0", Requires: []string{"example.com/b v1.1.0"}},
	{Path: "example.com/b", Version: "v1.0.0"},
	{Path: "example.com/b", Version: "v1.1.0", Requires: []string{"example.com/c v1.0.0"}},
	{Path: "example.com/c", Version: "v1.0.0"},
	{Path: "example.com/old", Version: "v1.0.0", Go: "1.16", Requires: []string{"example.com/d v1.0.0"}},
	{Path: "example.com/d", Version: "v1.0.0", Requires: []string{"example.com/e v1.0.0"}},
	{Path: "example.com/e", Version: "v1.0.0", Go: "1.22.3"},
}

var modGraphRoots = []source.Pin{
	{Name: "example.com/main", Version: "v1.0.0"},
	{Name: "example.com/a", Version: "v1.0.0"},
	{Name: "example.com/b", Version: "v1.0.0"},
	{Name: "example.com/old", Version: "v1.0.0"},
}

func TestModGraph(t *testing.T) {
	p := goproxy.Start(t, modGraphModules...)
	s := newSource(t, envFor(p))
	for _, tc := range []struct {
		goVersion      string
		read, selected []string
	}{
		// Pruned: b v1.1.0 is selected but its go.mod, and so c, unread.
		{"1.21",
			[]string{"a v1.0.0", "b v1.0.0", "d v1.0.0", "e v1.0.0", "main v1.0.0", "old v1.0.0"},
			[]string{"a v1.0.0", "b v1.1.0", "d v1.0.0", "e v1.0.0", "main v1.0.0", "old v1.0.0"}},
		{"1.16",
			[]string{"a v1.0.0", "b v1.0.0", "b v1.1.0", "c v1.0.0", "d v1.0.0", "e v1.0.0", "main v1.0.0", "old v1.0.0"},
			[]string{"a v1.0.0", "b v1.1.0", "c v1.0.0", "d v1.0.0", "e v1.0.0", "main v1.0.0", "old v1.0.0"}},
	} {
		mg, err := s.ModGraph(ctx, tc.goVersion, modGraphRoots)
		if err != nil {
			t.Fatal(err)
		}
		var read []string
		for _, l := range mg.GoSum {
			f := strings.Fields(l)
			if len(f) != 3 || !strings.HasSuffix(f[1], "/go.mod") || !strings.HasPrefix(f[2], "h1:") {
				t.Fatalf("go %s: malformed go.sum line %q", tc.goVersion, l)
			}
			read = append(read, strings.TrimPrefix(f[0], "example.com/")+" "+strings.TrimSuffix(f[1], "/go.mod"))
		}
		if !reflect.DeepEqual(read, tc.read) {
			t.Errorf("go %s: go.mod files read\n%v\nwant\n%v", tc.goVersion, read, tc.read)
		}
		var sel []string
		for _, p := range mg.Selected {
			sel = append(sel, strings.TrimPrefix(p.Name, "example.com/")+" "+p.Version)
		}
		if !reflect.DeepEqual(sel, tc.selected) {
			t.Errorf("go %s: Selected = %v", tc.goVersion, mg.Selected)
		}
		if mg.GoVersion != "1.22.3" {
			t.Errorf("go %s: GoVersion = %q, want the highest go directive read, 1.22.3", tc.goVersion, mg.GoVersion)
		}
	}

	if _, err := s.ModGraph(ctx, "1.21", []source.Pin{{Name: "example.com/a", Version: "v1.0.0"}, {Name: "example.com/a", Version: "v1.1.0"}}); err == nil || !strings.Contains(err.Error(), "required twice") {
		t.Errorf("duplicate root: %v", err)
	}
	if _, err := s.ModGraph(ctx, "1.21", []source.Pin{{Name: "example.com/nope", Version: "v1.0.0"}}); err == nil || !strings.Contains(err.Error(), "example.com/nope") {
		t.Errorf("missing module: %v", err)
	}
}

// TestModGraphGoSumIsWhatGoReads checks GoSum against the go command:
// with exactly those lines `go list -mod=readonly -m all` loads the whole
// graph, and without any one of them it cannot. (`go mod graph` would not
// do: it never checks go.sum.) The roots are a whole build list, as a
// lockfile pins it, since -mod=readonly also refuses roots below their
// selected versions once the whole graph is loaded.
func TestModGraphGoSumIsWhatGoReads(t *testing.T) {
	goBin := needGo(t)
	roots := []source.Pin{
		{Name: "example.com/main", Version: "v1.0.0"}, {Name: "example.com/a", Version: "v1.0.0"},
		{Name: "example.com/b", Version: "v1.1.0"}, {Name: "example.com/old", Version: "v1.0.0"},
		{Name: "example.com/d", Version: "v1.0.0"},
	}
	// The go command wants the main module's go directive at least every
	// other one it reads, so a main module below 1.17 (unpruned) only
	// loads go.mod files as old as itself.
	for _, goVersion := range []string{"1.21", "1.16"} {
		t.Run("go"+goVersion, func(t *testing.T) {
			var mods []goproxy.Module
			for _, m := range modGraphModules {
				if m.Go != "1.16" {
					m.Go = goVersion
				}
				mods = append(mods, m)
			}
			p := goproxy.Start(t, mods...)
			mg, err := newSource(t, envFor(p)).ModGraph(ctx, goVersion, roots)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			goMod := "module dist.local/build\n\ngo " + goVersion + "\n\nrequire (\n"
			for _, r := range roots {
				goMod += "\t" + r.Name + " " + r.Version + "\n"
			}
			goMod += ")\n"
			if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644); err != nil {
				t.Fatal(err)
			}
			env := append(goproxy.GoEnv(t, p.URL), "GOFLAGS=")
			listAll := func(lines []string) ([]byte, error) {
				if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(goBin, "list", "-mod=readonly", "-m", "-f", "{{.Path}} {{.Version}}", "all")
				cmd.Dir, cmd.Env = dir, env
				return cmd.CombinedOutput()
			}
			if out, err := listAll(mg.GoSum); err != nil {
				t.Fatalf("go list -m all with GoSum: %v\n%s", err, out)
			}
			for i := range mg.GoSum {
				if out, err := listAll(slices.Delete(slices.Clone(mg.GoSum), i, i+1)); err == nil {
					t.Errorf("go list -m all needs no %q, but GoSum has it\n%s", mg.GoSum[i], out)
				}
			}
		})
	}
}

func TestModGraphChecksGoModAgainstSumDB(t *testing.T) {
	p := goproxy.Start(t, modGraphModules...)
	// The proxy now serves a go.mod other than the one the database signed.
	mod := filepath.Join(p.Dir, "example.com", "d", "@v", "v1.0.0.mod")
	if err := os.WriteFile(mod, []byte("module example.com/d\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := newSource(t, envFor(p)).ModGraph(ctx, "1.21", modGraphRoots)
	if err == nil || !strings.Contains(err.Error(), "example.com/d v1.0.0/go.mod") || !strings.Contains(err.Error(), "disagrees") {
		t.Errorf("tampered go.mod: %v", err)
	}
	env := envFor(p)
	env.GOSUMDB = "off"
	if _, err := newSource(t, env).ModGraph(ctx, "1.21", modGraphRoots); err != nil {
		t.Errorf("GOSUMDB=off: %v", err)
	}
}
