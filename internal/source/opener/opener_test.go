package opener

import (
	"context"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/source/gomod"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// TestBadIndexURLRedacted: an index URL that does not parse is refused
// without its password, from the flag, the environment or dist.yaml.
func TestBadIndexURLRedacted(t *testing.T) {
	bad := "https://user:s3cret%zz@127.0.0.1:1/simple"
	client := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	for _, c := range []struct {
		name  string
		flag  string
		env   string
		index string
	}{{"flag", bad, "", ""}, {"env", "", bad, ""}, {"dist.yaml", "", "", bad}} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(client, Settings{IndexURL: c.flag, EnvIndexURL: c.env})(&manifest.Lockfile{Ecosystem: source.PyPI, Index: c.index})
			if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "user:***@127.0.0.1") {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// TestGoModPerIndex: two gomod lockfiles with different index: settings
// each get their own GOPROXY; one source is shared only by lockfiles that
// name the same proxy.
func TestGoModPerIndex(t *testing.T) {
	client := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	open := New(client, Settings{})
	get := func(index string) *gomod.Source {
		t.Helper()
		src, err := open(&manifest.Lockfile{Ecosystem: source.GoMod, Index: index})
		if err != nil {
			t.Fatal(err)
		}
		return src.(*gomod.Source)
	}
	a, b := get("https://proxy-a.example/"), get("https://proxy-b.example/")
	if a.Env().GOPROXY != "https://proxy-a.example/" || b.Env().GOPROXY != "https://proxy-b.example/" {
		t.Fatalf("GOPROXY: first %q, second %q", a.Env().GOPROXY, b.Env().GOPROXY)
	}
	if get("https://proxy-a.example/") != a {
		t.Fatal("the same index opened twice gave two sources")
	}
}

// TestGoModPrecedence: for gomod, dist.yaml's index: beats $GOPROXY, the
// reverse of pypi's order; $GOPROXY is the default where index: is unset.
func TestGoModPrecedence(t *testing.T) {
	t.Setenv("GOPROXY", "https://env.example/")
	open := New(fetch.New(fetch.Options{CacheDir: t.TempDir()}), Settings{})
	for index, want := range map[string]string{"https://yaml.example/": "https://yaml.example/", "": "https://env.example/"} {
		src, err := open(&manifest.Lockfile{Ecosystem: source.GoMod, Index: index})
		if err != nil {
			t.Fatal(err)
		}
		if got := src.(*gomod.Source).Env().GOPROXY; got != want {
			t.Errorf("index: %q: GOPROXY %q, want %q", index, got, want)
		}
	}
}

// TestIndexPrecedence: the flag, then PIP_INDEX_URL as the CLI passed it,
// then dist.yaml. The process's own PIP_INDEX_URL is not read here (the
// CLI reads it once and passes it in): it points at a dead index, and
// each case finds the live one only where its rank says it should look.
func TestIndexPrecedence(t *testing.T) {
	live := pyindex.Start(t, pyindex.Project{Name: "kinto", Versions: []pyindex.Release{{Version: "14.3.1"}}}).IndexURL()
	const dead = "http://127.0.0.1:1/simple"
	t.Setenv("PIP_INDEX_URL", dead)
	client := fetch.New(fetch.Options{CacheDir: t.TempDir(), Retries: -1})
	for _, c := range []struct {
		name  string
		s     Settings
		index string // dist.yaml's
	}{
		{"flag", Settings{IndexURL: live, EnvIndexURL: dead}, dead},
		{"PIP_INDEX_URL", Settings{EnvIndexURL: live}, dead},
		{"dist.yaml", Settings{}, live},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := New(client, c.s)(&manifest.Lockfile{Ecosystem: source.PyPI, Index: c.index})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := src.Versions(context.Background(), "kinto"); err != nil {
				t.Errorf("asked the wrong index: %v", err)
			}
		})
	}
}
