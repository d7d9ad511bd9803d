package pydeps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/pep440"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/resolver"
	"github.com/distbuild/dist/internal/source/pypi"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

func rel(v string, requires ...string) pyindex.Release {
	return pyindex.Release{Version: v, RequiresDist: requires, Files: []pyindex.File{pyindex.Wheel("py3-none-any")}}
}

func graph(t *testing.T, envs []pep508.Env, projects ...pyindex.Project) (*Graph, *pyindex.Server) {
	t.Helper()
	srv := pyindex.Start(t, projects...)
	client := fetch.New(fetch.Options{RetryWaitMin: time.Millisecond, CacheDir: t.TempDir()})
	return New(pypi.New(client, srv.IndexURL(), pypi.Options{}), envs), srv
}

func envs(t *testing.T, pythons []string, platforms ...string) []pep508.Env {
	t.Helper()
	es, err := Envs(pythons, platforms)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func direct(t *testing.T, reqs ...string) []Direct {
	t.Helper()
	var out []Direct
	for _, s := range reqs {
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Direct{Req: r, Where: "default.txt"})
	}
	return out
}

func pins(res *Result) string {
	var b []string
	for _, p := range res.Pins {
		s := p.Name + "==" + p.Version
		if p.Marker != "" {
			s += " ; " + p.Marker
		}
		if len(p.Via) > 0 {
			s += " via " + strings.Join(p.Via, ",")
		}
		b = append(b, s)
	}
	return strings.Join(b, "\n")
}

func TestResolveExtrasAndMarkers(t *testing.T) {
	g, _ := graph(t, envs(t, []string{"3.12"}, "linux/amd64", "linux/arm64"),
		pyindex.Project{Name: "app", Versions: []pyindex.Release{rel("1.0", "helper[fast]>=0.5", `colorama ; platform_machine == "aarch64"`, `old ; python_version < "3.8"`)}},
		pyindex.Project{Name: "helper", Versions: []pyindex.Release{rel("0.4"), rel("0.5", `speedup>=1 ; extra == "fast"`)}},
		pyindex.Project{Name: "speedup", Versions: []pyindex.Release{rel("0.9"), rel("1.0"), rel("1.1rc1")}},
		pyindex.Project{Name: "colorama", Versions: []pyindex.Release{rel("0.4.6")}},
		pyindex.Project{Name: "old", Versions: []pyindex.Release{rel("1.0")}},
	)
	res, err := Resolve(context.Background(), g, Request{Direct: direct(t, "app")})
	if err != nil {
		t.Fatal(err)
	}
	want := "app==1.0\ncolorama==0.4.6 ; platform_machine == \"aarch64\" via app\nhelper==0.5 via app\nspeedup==1.0 via helper"
	if got := pins(res); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !res.Find("app").Direct || res.Find("helper").Direct {
		t.Error("direct flags wrong")
	}
}

// The newest web needs a lib that the pinned app rules out: web must step
// back, and app's pin must not move.
func TestResolveBacktracksAndKeepsPins(t *testing.T) {
	g, _ := graph(t, envs(t, []string{"3.12"}),
		pyindex.Project{Name: "app", Versions: []pyindex.Release{rel("1.0", "lib>=1,<2"), rel("2.0", "lib>=2")}},
		pyindex.Project{Name: "web", Versions: []pyindex.Release{rel("1.0", "lib"), rel("2.0", "lib>=2")}},
		pyindex.Project{Name: "lib", Versions: []pyindex.Release{rel("1.5"), rel("2.1")}},
	)
	res, err := Resolve(context.Background(), g, Request{Direct: direct(t, "app", "web"), Prefer: map[string]string{"app": "1.0", "lib": "1.5"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := pins(res); got != "app==1.0\nlib==1.5 via app,web\nweb==1.0" {
		t.Errorf("got\n%s", got)
	}
}

func TestResolveImpossibleExplains(t *testing.T) {
	g, _ := graph(t, envs(t, []string{"3.12"}),
		pyindex.Project{Name: "app", Versions: []pyindex.Release{rel("1.0", "lib>=1,<2")}},
		pyindex.Project{Name: "w", Versions: []pyindex.Release{rel("1.0", "lib>=2")}},
		pyindex.Project{Name: "lib", Versions: []pyindex.Release{rel("1.5"), rel("2.1")}},
	)
	_, err := Resolve(context.Background(), g, Request{Direct: direct(t, "app==1.0", "w"), Prefer: map[string]string{"app": "1.0"}, Where: map[string]string{"app": "default.txt:1"}})
	var c *resolver.Conflict
	if !errors.As(err, &c) {
		t.Fatalf("want a conflict, got %v", err)
	}
	for _, want := range []string{"w 1.0 requires lib>=2", "app 1.0 (default.txt:1) requires lib>=1,<2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
}

// A constraint bounds a project wherever it is needed, as pip's -c does:
// lib moves to the newest version it admits, leaving prereleases out
// unless it names one, app stays a direct pin and lib a dependency, and
// a constraint on a project nothing needs pins nothing.
func TestResolveConstraints(t *testing.T) {
	g, _ := graph(t, envs(t, []string{"3.12"}),
		pyindex.Project{Name: "app", Versions: []pyindex.Release{rel("1.0", "lib>=1")}},
		pyindex.Project{Name: "lib", Versions: []pyindex.Release{rel("1.0"), rel("1.5"), rel("2.0"), rel("2.1rc1")}},
		pyindex.Project{Name: "unused", Versions: []pyindex.Release{rel("1.0")}},
	)
	spec := func(s string) pep440.Specifiers {
		sp, err := pep440.ParseSpecifiers(s)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	for _, tc := range []struct{ constraint, want string }{
		{">=1,<2", "app==1.0\nlib==1.5 via app"},
		{"==1.0", "app==1.0\nlib==1.0 via app"},
		{">=2", "app==1.0\nlib==2.0 via app"},
		{"==2.1rc1", "app==1.0\nlib==2.1rc1 via app"},
	} {
		res, err := Resolve(context.Background(), g, Request{Direct: direct(t, "app"), Prefer: map[string]string{"lib": "2.0"},
			Constraints: map[string]pep440.Specifiers{"lib": spec(tc.constraint), "unused": spec("==1.0")}})
		if err != nil {
			t.Fatalf("%s: %v", tc.constraint, err)
		}
		if got := pins(res); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.constraint, got, tc.want)
		}
		if !res.Find("app").Direct || res.Find("lib").Direct {
			t.Errorf("%s: direct flags wrong", tc.constraint)
		}
	}
	_, err := Resolve(context.Background(), g, Request{Direct: direct(t, "app"), Constraints: map[string]pep440.Specifiers{"lib": spec("<1")}})
	if err == nil || !strings.Contains(err.Error(), "no version of lib for python 3.12 meets <1") {
		t.Errorf("a constraint nothing meets: %v", err)
	}
}

func TestResolveRequiresPython(t *testing.T) {
	newer := rel("2.0")
	newer.RequiresPython = ">=3.13"
	g, _ := graph(t, envs(t, []string{"3.12"}),
		pyindex.Project{Name: "lib", Versions: []pyindex.Release{rel("1.0"), newer}})
	res, err := Resolve(context.Background(), g, Request{Direct: direct(t, "lib")})
	if err != nil {
		t.Fatal(err)
	}
	if got := pins(res); got != "lib==1.0" {
		t.Errorf("got %s", got)
	}
}

func TestCheck(t *testing.T) {
	g, _ := graph(t, envs(t, []string{"3.12"}, "linux/amd64", "linux/arm64"),
		pyindex.Project{Name: "helper", Versions: []pyindex.Release{rel("0.5", `speedup>=1 ; extra == "fast"`, `arm ; platform_machine == "aarch64"`, "base>=1")}},
		pyindex.Project{Name: "speedup", Versions: []pyindex.Release{rel("1.0")}},
		pyindex.Project{Name: "base", Versions: []pyindex.Release{rel("0.9")}},
		pyindex.Project{Name: "arm", Versions: []pyindex.Release{rel("1.0")}},
	)
	entries := []Entry{
		{Name: "helper", Version: "0.5", Extras: []string{"fast"}, Where: "constraints.txt:12", Direct: true},
		{Name: "base", Version: "0.9", Where: "constraints.txt:20"},
	}
	problems, err := Check(context.Background(), g, entries)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		"constraints.txt:12: helper 0.5 [fast] requires speedup>=1 (every target): not pinned",
		"constraints.txt:12: helper 0.5 requires base>=1 (every target): pinned at 0.9 at constraints.txt:20, outside >=1",
		"constraints.txt:12: helper 0.5 requires arm (python 3.12, linux/arm64): not pinned",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m, _ := pep508.ParseMarker(`platform_machine == "aarch64"`)
	entries = append(entries[:1], Entry{Name: "base", Version: "0.9", Where: "c:2"}, Entry{Name: "speedup", Version: "1.0", Where: "c:3"}, Entry{Name: "arm", Version: "1.0", Marker: m, Where: "c:4"})
	entries[1].Version = "0.9"
	problems, _ = Check(context.Background(), g, entries)
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "base>=1") {
		t.Errorf("got %v", problems)
	}
	chains, err := Why(context.Background(), g, entries, "speedup", 10)
	if err != nil || len(chains) != 1 || chains[0][1].Requirement != `speedup>=1 ; extra == "fast"` {
		t.Errorf("why: %v %v", chains, err)
	}
}
