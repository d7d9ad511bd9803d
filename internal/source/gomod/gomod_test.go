package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/testenv/goproxy"
)

func newSource(t *testing.T, env Env) *Source {
	t.Helper()
	c := fetch.New(fetch.Options{RetryWaitMin: time.Millisecond, CacheDir: t.TempDir()})
	return New(c, env)
}

// envFor points a Source at p alone, checking hashes with p's database.
func envFor(p *goproxy.Proxy) Env {
	return Env{GOPROXY: p.URL, GOSUMDB: p.SumDB}
}

var ctx = context.Background()

const pseudo = "v0.0.0-20240102030405-abcdefabcdef"

var catalog = []goproxy.Module{
	{Path: "example.com/a", Version: "v1.0.0"},
	{Path: "example.com/a", Version: "v1.1.0"},
	{Path: "example.com/a", Version: "v1.10.0"},
	{Path: "example.com/a", Version: "v1.2.0"},
	{Path: "example.com/a", Version: "v1.3.0-rc.1"},
	{Path: "example.com/a", Version: pseudo},
	{Path: "example.com/a/v2", Version: "v2.0.0"},
	{Path: "example.com/Upper/Mod", Version: "v1.0.0", Files: map[string]string{"Mod.go": "package mod\n", "sub/x.go": "package sub\n"}},
	{Path: "example.com/untagged", Version: pseudo},
	{Path: "example.com/retracting", Version: "v1.0.0"},
	{Path: "example.com/retracting", Version: "v1.1.0"},
	{Path: "example.com/retracting", Version: "v1.2.0", Files: map[string]string{
		"go.mod": "module example.com/retracting\n\ngo 1.21\n\nretract v1.1.0 // broken\n",
	}},
}

func TestVersions(t *testing.T) {
	p := goproxy.Start(t, catalog...)
	for _, viaFile := range []bool{false, true} {
		env := envFor(p)
		if viaFile {
			env.GOPROXY = p.FileURL()
		}
		s := newSource(t, env)
		for _, tc := range []struct {
			name string
			want []string
		}{
			// Semver order, not string order; the pseudo-version left out.
			{"example.com/a", []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1", "v1.10.0"}},
			{"example.com/a/v2", []string{"v2.0.0"}},
			{"example.com/Upper/Mod", []string{"v1.0.0"}},
			// Nothing tagged: @latest answers.
			{"example.com/untagged", []string{pseudo}},
			{"example.com/retracting", []string{"v1.0.0", "v1.2.0"}},
		} {
			name, got, err := s.Versions(ctx, tc.name)
			if err != nil {
				t.Fatalf("file=%v %s: %v", viaFile, tc.name, err)
			}
			if name != tc.name || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("file=%v Versions(%s) = %s %v, want %v", viaFile, tc.name, name, got, tc.want)
			}
		}
	}
	// Case-escaping of the path reached the proxy.
	if p.Requests("/example.com/!upper/!mod/@v/list") == 0 {
		t.Error("no request for the escaped path /example.com/!upper/!mod/@v/list")
	}
}

func TestReleaseMatchesGoModDownload(t *testing.T) {
	goBin := needGo(t)
	p := goproxy.Start(t, catalog...)
	s := newSource(t, envFor(p))
	env := append(goproxy.GoEnv(t, p.URL), "GOSUMDB="+p.SumDB)
	for _, m := range []module.Version{
		{Path: "example.com/a", Version: "v1.1.0"},
		{Path: "example.com/Upper/Mod", Version: "v1.0.0"},
		{Path: "example.com/untagged", Version: pseudo},
		{Path: "example.com/retracting", Version: "v1.2.0"},
	} {
		rel, err := s.Release(ctx, m.Path, m.Version)
		if err != nil {
			t.Fatal(err)
		}
		var dl struct{ Sum, GoModSum string }
		if err := json.Unmarshal(runGo(t, goBin, t.TempDir(), env, "mod", "download", "-json", m.String()), &dl); err != nil {
			t.Fatal(err)
		}
		if len(rel.Artifacts) != 2 {
			t.Fatalf("%s: %d artifacts, want 2", m, len(rel.Artifacts))
		}
		zip, mod := rel.Artifacts[0], rel.Artifacts[1]
		if zip.Hash != dl.Sum || zip.Filename != m.String()+".zip" {
			t.Errorf("%s: zip artifact %s %s, go mod download says Sum %s", m, zip.Filename, zip.Hash, dl.Sum)
		}
		if mod.Hash != dl.GoModSum || mod.Filename != m.String()+"/go.mod" {
			t.Errorf("%s: go.mod artifact %s %s, go mod download says GoModSum %s", m, mod.Filename, mod.Hash, dl.GoModSum)
		}
		if got := rel.Hashes(); !reflect.DeepEqual(got, []string{dl.Sum, dl.GoModSum}) {
			t.Errorf("%s: Hashes() = %v", m, got)
		}
		if rel.Name != m.Path || rel.Version != m.Version || zip.Size == 0 || !strings.HasPrefix(zip.URL, p.URL) {
			t.Errorf("%s: release %+v", m, rel)
		}
	}
}

func TestReleaseFileProxyAndRehash(t *testing.T) {
	p := goproxy.Start(t, catalog...)
	viaHTTP, err := newSource(t, envFor(p)).Release(ctx, "example.com/a", "v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	s := newSource(t, Env{GOPROXY: p.FileURL(), GOSUMDB: "off"})
	rel, err := s.Release(ctx, "example.com/a", "v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rel.Hashes(), viaHTTP.Hashes()) {
		t.Errorf("file:// hashes %v, http hashes %v", rel.Hashes(), viaHTTP.Hashes())
	}
	if !strings.HasPrefix(rel.Artifacts[0].URL, "file://") {
		t.Errorf("zip URL %s", rel.Artifacts[0].URL)
	}

	got, err := s.Rehash(ctx, rel)
	if err != nil || !reflect.DeepEqual(got, rel.Hashes()) {
		t.Errorf("Rehash = %v, %v; want %v", got, err, rel.Hashes())
	}

	// Artifacts rebuilt from a lockfile carry no URL: found through GOPROXY.
	bare := &source.Release{Name: rel.Name, Version: rel.Version}
	for _, a := range viaHTTP.Artifacts {
		bare.Artifacts = append(bare.Artifacts, source.Artifact{Filename: a.Filename, Hash: a.Hash})
	}
	s2 := newSource(t, envFor(p))
	got, err = s2.Rehash(ctx, bare)
	if err != nil || !reflect.DeepEqual(got, rel.Hashes()) {
		t.Errorf("Rehash without URLs = %v, %v; want %v", got, err, rel.Hashes())
	}

	// Rehash of an HTTP release reads the cached zip: no second download.
	zipPath := goproxy.ModulePath("example.com/a", "v1.2.0.zip")
	before := p.Requests(zipPath)
	s3 := newSource(t, envFor(p))
	rel3, err := s3.Release(ctx, "example.com/a", "v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Rehash(ctx, rel3); err != nil {
		t.Fatal(err)
	}
	if n := p.Requests(zipPath) - before; n != 1 {
		t.Errorf("%d requests for the zip, want 1", n)
	}
}

func TestReleaseErrors(t *testing.T) {
	p := goproxy.Start(t, catalog...)
	s := newSource(t, envFor(p))
	for _, tc := range []struct{ name, version string }{
		{"example.com/a", "v1.9.9"},
		{"example.com/nope", "v1.0.0"},
	} {
		if _, err := s.Release(ctx, tc.name, tc.version); !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Release(%s@%s) = %v, want ErrNotFound", tc.name, tc.version, err)
		}
	}
	if _, _, err := s.Versions(ctx, "example.com/nope"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Versions of a missing module: %v, want ErrNotFound", err)
	}
	// The default list ends in "direct": a module no proxy has is fetched
	// from its repository by the go command, and a version that is in
	// neither is "not found".
	repo := gitModule(t)
	sd := newSource(t, Env{GOPROXY: p.URL + ",direct", GOSUMDB: "off"})
	if _, err := sd.Release(ctx, repo.path, "v1.0.0"); err != nil {
		t.Errorf("Release with ,direct: %v", err)
	}
	if _, err := sd.Release(ctx, repo.path, "v1.9.9"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Release with ,direct of a version nowhere: %v, want ErrNotFound", err)
	}
	for _, v := range []string{"v1.1", "1.1.0", "latest"} {
		if _, err := s.Release(ctx, "example.com/a", v); err == nil || errors.Is(err, source.ErrNotFound) {
			t.Errorf("Release(a@%s) = %v, want an invalid-version error", v, err)
		}
	}
}

func TestProxyFailures(t *testing.T) {
	p := goproxy.Start(t, catalog...)
	list := goproxy.ModulePath("example.com/a", "list")

	t.Run("500 once then success", func(t *testing.T) {
		s := newSource(t, envFor(p))
		before := p.Requests(list)
		p.FailNext(1)
		if _, _, err := s.Versions(ctx, "example.com/a"); err != nil {
			t.Fatal(err)
		}
		if n := p.Requests(list) - before; n != 2 {
			t.Errorf("%d requests for the list, want 2", n)
		}
	})

	t.Run("off", func(t *testing.T) {
		s := newSource(t, Env{GOPROXY: "off"})
		if _, _, err := s.Versions(ctx, "example.com/a"); !errors.Is(err, ErrOff) {
			t.Errorf("GOPROXY=off: %v", err)
		}
		if _, err := s.Release(ctx, "example.com/a", "v1.0.0"); !errors.Is(err, ErrOff) {
			t.Errorf("GOPROXY=off: %v", err)
		}
	})

	t.Run("comma stops on error, pipe falls through", func(t *testing.T) {
		other := goproxy.Start(t)
		// 403 is not retried, so one injected failure is one failed answer.
		other.FailNextStatus(1, 403)
		s := newSource(t, Env{GOPROXY: other.URL + "," + p.URL, GOSUMDB: "off"})
		if _, _, err := s.Versions(ctx, "example.com/a"); err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("comma after a 403: %v, want the 403", err)
		}
		other.FailNextStatus(1, 403)
		s = newSource(t, Env{GOPROXY: other.URL + "|" + p.URL, GOSUMDB: "off"})
		if _, _, err := s.Versions(ctx, "example.com/a"); err != nil {
			t.Errorf("pipe after a 403: %v", err)
		}
		// 404 falls through a comma.
		s = newSource(t, Env{GOPROXY: other.URL + "," + p.URL, GOSUMDB: "off"})
		if _, _, err := s.Versions(ctx, "example.com/a"); err != nil {
			t.Errorf("comma after a 404: %v", err)
		}
	})

	t.Run("bad GOPROXY", func(t *testing.T) {
		for _, v := range []string{",", "ftp://x", " | "} {
			s := newSource(t, Env{GOPROXY: v})
			if _, _, err := s.Versions(ctx, "example.com/a"); err == nil {
				t.Errorf("GOPROXY=%q: no error", v)
			}
		}
	})
}

func TestPrivate(t *testing.T) {
	p := goproxy.Start(t, catalog...)
	private := Env{GOPROXY: p.URL, GOPRIVATE: "example.com/a", GOSUMDB: p.SumDB}

	// A private module is never asked of an HTTP proxy: the go command
	// fetches it from its repository (TestGoCommand).
	repo := gitModule(t)
	s := newSource(t, Env{GOPROXY: p.URL, GOPRIVATE: "example.local", GOSUMDB: p.SumDB})
	before := p.Requests(goproxy.ModulePath(repo.path, "list"))
	if _, vs, err := s.Versions(ctx, repo.path); err != nil || !slices.Equal(vs, []string{"v1.0.0", "v1.1.0"}) {
		t.Errorf("private module through an HTTP proxy: %v %v, want its tags from git", vs, err)
	}
	if p.Requests(goproxy.ModulePath(repo.path, "list")) != before {
		t.Error("a private module path was sent to the proxy")
	}
	s = newSource(t, private)
	// Other modules are unaffected.
	if _, err := s.Release(ctx, "example.com/Upper/Mod", "v1.0.0"); err != nil {
		t.Error(err)
	}

	// A file:// proxy leaks nothing, so it serves private modules.
	env := private
	env.GOPROXY = p.URL + "," + p.FileURL()
	if _, err := newSource(t, env).Release(ctx, "example.com/a", "v1.0.0"); err != nil {
		t.Errorf("private module with a file:// proxy: %v", err)
	}

	// GONOPROXY=none says the proxy may see private paths; GOPRIVATE still
	// keeps them away from the checksum database, so a tampered zip passes.
	p.Tamper(t, "example.com/a", "v1.0.0")
	env = private
	env.GONOPROXY = "none"
	if _, err := newSource(t, env).Release(ctx, "example.com/a", "v1.0.0"); err != nil {
		t.Errorf("GONOPROXY=none: %v", err)
	}
}

func TestSumDB(t *testing.T) {
	goBin := needGo(t)
	p := goproxy.Start(t, catalog...)
	s := newSource(t, envFor(p))
	if _, err := s.Release(ctx, "example.com/a", "v1.1.0"); err != nil {
		t.Fatal(err)
	}
	if p.Requests("/sumdb/"+goproxy.SumDBName+"/supported") == 0 {
		t.Error("the checksum database was not looked up through the proxy")
	}

	p.Tamper(t, "example.com/a", "v1.0.0")
	_, err := s.Release(ctx, "example.com/a", "v1.0.0")
	var mismatch *fetch.HashMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("tampered zip: %v, want a hash mismatch", err)
	}
	// The go command agrees on what the database says.
	cmd := exec.Command(goBin, "mod", "download", "-json", "example.com/a@v1.0.0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(goproxy.GoEnv(t, p.URL), "GOSUMDB="+p.SumDB)
	out, _ := cmd.Output()
	var dl struct{ Error string }
	json.Unmarshal(out, &dl)
	if !strings.Contains(dl.Error, mismatch.Want) || !strings.Contains(dl.Error, mismatch.Got) {
		t.Errorf("go mod download: %s\nwant it to name %s and %s", out, mismatch.Want, mismatch.Got)
	}

	for _, env := range []Env{
		{GOPROXY: p.URL, GOSUMDB: "off"},
		{GOPROXY: p.URL, GOSUMDB: p.SumDB, GONOSUMDB: "example.com"},
	} {
		rel, err := newSource(t, env).Release(ctx, "example.com/a", "v1.0.0")
		if err != nil {
			t.Errorf("%+v: %v", env, err)
			continue
		}
		if rel.Artifacts[0].Hash != mismatch.Got {
			t.Errorf("%+v: hash %s, want the tampered %s", env, rel.Artifacts[0].Hash, mismatch.Got)
		}
	}

	for _, bad := range []string{"nosuchdb.example", "a b c", "notakey+1+2"} {
		if _, err := newSource(t, Env{GOPROXY: p.URL, GOSUMDB: bad}).Release(ctx, "example.com/a", "v1.1.0"); err == nil || !strings.Contains(err.Error(), "GOSUMDB") {
			t.Errorf("GOSUMDB=%q: %v", bad, err)
		}
	}
}

// graphModules: main requires a v1.0.0 and b; b requires a v1.1.0, so MVS
// selects a v1.1.0. Around that: a v1.1.0 requires c (only seen once a's
// root moves up to v1.1.0), b requires d whose requirement e is pruned out,
// old (go 1.16) pulls its whole graph in, and the main module's exclude and
// replace apply.
func graphModules(mainGo string) []goproxy.Module {
	mainMod := "module example.com/main\n\ngo " + mainGo + `

require (
	example.com/a v1.0.0
	example.com/b v1.0.0
	example.com/old v1.0.0 // indirect
	example.com/r v1.0.0
)

exclude example.com/x v1.0.1

replace example.com/r v1.0.0 => example.com/rfork v1.0.5
`
	return []goproxy.Module{
		{Path: "example.com/main", Version: "v1.0.0", Files: map[string]string{"go.mod": mainMod, "main.go": "package main\n\nfunc main() {}\n"}},
		{Path: "example.com/a", Version: "v1.0.0"},
		{Path: "example.com/a", Version: "v1.1.0", Requires: []string{"example.com/c v1.0.0"}},
		{Path: "example.com/b", Version: "v1.0.0", Requires: []string{"example.com/a v1.1.0", "example.com/d v1.0.0", "example.com/x v1.0.1"}},
		{Path: "example.com/c", Version: "v1.0.0"},
		{Path: "example.com/d", Version: "v1.0.0", Requires: []string{"example.com/e v1.0.0"}},
		{Path: "example.com/e", Version: "v1.0.0"},
		{Path: "example.com/old", Version: "v1.0.0", Go: "1.16", Requires: []string{"example.com/g v1.0.0"}},
		{Path: "example.com/g", Version: "v1.0.0", Requires: []string{"example.com/h v1.2.0"}},
		{Path: "example.com/h", Version: "v1.2.0"},
		{Path: "example.com/x", Version: "v1.0.1"},
		{Path: "example.com/r", Version: "v1.0.0"},
		{Path: "example.com/rfork", Version: "v1.0.5", Files: map[string]string{"go.mod": "module example.com/r\n\ngo 1.21\n\nrequire example.com/h v1.0.0\n"}},
		{Path: "example.com/h", Version: "v1.0.0"},
	}
}

func TestBuildList(t *testing.T) {
	p := goproxy.Start(t, graphModules("1.21")...)
	s := newSource(t, envFor(p))
	got, err := s.BuildList(ctx, "example.com/main", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	want := []source.Pin{
		{Name: "example.com/a", Version: "v1.1.0"},
		{Name: "example.com/b", Version: "v1.0.0"},
		{Name: "example.com/c", Version: "v1.0.0"},
		{Name: "example.com/d", Version: "v1.0.0"},
		{Name: "example.com/g", Version: "v1.0.0"},
		{Name: "example.com/h", Version: "v1.2.0"},
		{Name: "example.com/old", Version: "v1.0.0"},
		{Name: "example.com/rfork", Version: "v1.0.5"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BuildList =\n%v\nwant\n%v", got, want)
	}
}

func TestBuildListMatchesGoList(t *testing.T) {
	goBin := needGo(t)
	for _, mainGo := range []string{"1.21", "1.16"} {
		t.Run("go"+mainGo, func(t *testing.T) {
			mods := graphModules(mainGo)
			p := goproxy.Start(t, mods...)
			got, err := newSource(t, envFor(p)).BuildList(ctx, "example.com/main", "v1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			want := goListAll(t, goBin, goproxy.GoEnv(t, p.URL), mods[0].Files["go.mod"])
			if !reflect.DeepEqual(got, want) {
				t.Errorf("BuildList =\n%v\ngo list -m all =\n%v", got, want)
			}
		})
	}
	t.Run("brief", func(t *testing.T) {
		mods := []goproxy.Module{
			{Path: "example.com/main", Version: "v1.0.0", Requires: []string{"example.com/a v1.0.0", "example.com/b v1.0.0"}},
			{Path: "example.com/a", Version: "v1.0.0"},
			{Path: "example.com/a", Version: "v1.1.0"},
			{Path: "example.com/b", Version: "v1.0.0", Requires: []string{"example.com/a v1.1.0"}},
		}
		p := goproxy.Start(t, mods...)
		got, err := newSource(t, envFor(p)).BuildList(ctx, "example.com/main", "v1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		want := goListAll(t, goBin, goproxy.GoEnv(t, p.URL), mods[0].GoMod())
		if !reflect.DeepEqual(got, want) || len(got) != 2 || got[0] != (source.Pin{Name: "example.com/a", Version: "v1.1.0"}) {
			t.Errorf("BuildList = %v, go list -m all = %v", got, want)
		}
	})
}

func TestBuildListErrors(t *testing.T) {
	p := goproxy.Start(t,
		goproxy.Module{Path: "example.com/main", Version: "v1.0.0", Requires: []string{"example.com/missing v1.0.0"}},
		goproxy.Module{Path: "example.com/dir", Version: "v1.0.0", Files: map[string]string{
			"go.mod": "module example.com/dir\n\ngo 1.21\n\nrequire example.com/x v1.0.0\n\nreplace example.com/x => ./x\n",
		}},
		goproxy.Module{Path: "example.com/liar", Version: "v1.0.0", Files: map[string]string{"go.mod": "module example.com/other\n"}},
	)
	s := newSource(t, envFor(p))
	if _, err := s.BuildList(ctx, "example.com/main", "v1.0.0"); !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "example.com/missing") {
		t.Errorf("missing dependency: %v", err)
	}
	if _, err := s.BuildList(ctx, "example.com/dir", "v1.0.0"); err == nil || !strings.Contains(err.Error(), "directory replacement") {
		t.Errorf("directory replacement: %v", err)
	}
	if _, err := s.BuildList(ctx, "example.com/liar", "v1.0.0"); err == nil || !strings.Contains(err.Error(), "declares its path") {
		t.Errorf("wrong module path: %v", err)
	}
}

func TestParseGOPROXY(t *testing.T) {
	got, err := parseGOPROXY(" https://a.example/ , proxy.example|file:///srv/goproxy,direct,https://never")
	if err != nil {
		t.Fatal(err)
	}
	want := []proxy{
		{kind: kindURL, base: "https://a.example"},
		{kind: kindURL, base: "https://proxy.example", fallBackOnError: true},
		{kind: kindURL, base: "file:///srv/goproxy", dir: "/srv/goproxy"},
		{kind: kindDirect},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestEnvFromOS(t *testing.T) {
	file := filepath.Join(t.TempDir(), "env")
	os.WriteFile(file, []byte("GOPROXY=https://from-file.example\nGOPRIVATE=corp.example\n# comment\nGOSUMDB=off\n"), 0o644)
	t.Setenv("GOENV", file)
	t.Setenv("GOPROXY", "")
	t.Setenv("GOPRIVATE", "")
	t.Setenv("GONOPROXY", "")
	t.Setenv("GONOSUMDB", "")
	t.Setenv("GOSUMDB", "sum.golang.org")
	e := EnvFromOS()
	if e.GOPROXY != "https://from-file.example" || e.GOPRIVATE != "corp.example" || e.GOSUMDB != "sum.golang.org" {
		t.Errorf("EnvFromOS = %+v", e)
	}
	d := e.withDefaults()
	if d.GONOPROXY != "corp.example" || d.GONOSUMDB != "corp.example" {
		t.Errorf("defaults = %+v", d)
	}
	t.Setenv("GOENV", "off")
	if e := EnvFromOS().withDefaults(); e.GOPROXY != DefaultGOPROXY {
		t.Errorf("GOENV=off: %+v", e)
	}
	for v, want := range map[string]bool{"1.17": true, "1.21.0": true, "1.22rc1": true, "1.16": false, "1.9": false, "2.0": true, "": false} {
		if goAtLeast(v, 1, 17) != want {
			t.Errorf("goAtLeast(%q) != %v", v, want)
		}
	}
}

// TestNetwork checks the real module proxy and checksum database.
func TestNetwork(t *testing.T) {
	if os.Getenv("DIST_TEST_NETWORK") != "1" {
		t.Skip("set DIST_TEST_NETWORK=1 to use proxy.golang.org")
	}
	goBin := needGo(t)
	const name = "github.com/mccutchen/go-httpbin/v2"
	s := newSource(t, Env{GOPROXY: "https://proxy.golang.org"})
	canonical, versions, err := s.Versions(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if canonical != name || len(versions) == 0 {
		t.Fatalf("Versions = %s %v", canonical, versions)
	}
	latest := versions[len(versions)-1]
	rel, err := s.Release(ctx, name, latest)
	if err != nil {
		t.Fatal(err)
	}
	env := append(goproxy.GoEnv(t, "https://proxy.golang.org"), "GOSUMDB=sum.golang.org")
	var dl struct{ Sum, GoModSum string }
	if err := json.Unmarshal(runGo(t, goBin, t.TempDir(), env, "mod", "download", "-json", name+"@"+latest), &dl); err != nil {
		t.Fatal(err)
	}
	if rel.Artifacts[0].Hash != dl.Sum || rel.Artifacts[1].Hash != dl.GoModSum {
		t.Errorf("%s@%s: hashes %v, go mod download says %s %s", name, latest, rel.Hashes(), dl.Sum, dl.GoModSum)
	}
	t.Logf("%s==%s --hash=%s", name, latest, dl.Sum)

	// A graph with some depth: pruned and unpruned go.mod files alike.
	for _, m := range []module.Version{{Path: name, Version: latest}, {Path: "golang.org/x/tools", Version: "v0.30.0"}, {Path: "github.com/spf13/cobra", Version: "v1.8.0"}} {
		got, err := s.BuildList(ctx, m.Path, m.Version)
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := s.goMod(ctx, m.Path, m.Version)
		if err != nil {
			t.Fatal(err)
		}
		if want := goListAll(t, goBin, env, string(data)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: BuildList =\n%v\ngo list -m all =\n%v", m, got, want)
		}
	}
}

func needGo(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	return goBin
}

func runGo(t *testing.T, goBin, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// goListAll runs `go list -m all` in a module whose go.mod is goMod and
// returns the build list as BuildList states it: replacements in place of
// what they replace, the main module left out.
func goListAll(t *testing.T, goBin string, env []string, goMod string) []source.Pin {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(runGo(t, goBin, dir, env, "list", "-m", "-json", "all")))
	var pins []source.Pin
	for {
		var m struct {
			Path, Version string
			Main          bool
			Replace       *struct{ Path, Version string }
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if m.Main {
			continue
		}
		if m.Replace != nil {
			m.Path, m.Version = m.Replace.Path, m.Replace.Version
		}
		pins = append(pins, source.Pin{Name: m.Path, Version: m.Version})
	}
	slices.SortFunc(pins, func(a, b source.Pin) int { return strings.Compare(a.Name, b.Name) })
	return pins
}
