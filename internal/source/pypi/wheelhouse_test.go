package pypi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// buildWheel writes a wheel of rel, as pip wheel would leave it, into dir
// and returns its path and sha256.
func buildWheel(t *testing.T, dir, name string, rel pyindex.Release) (string, string) {
	t.Helper()
	srv, err := pyindex.New(pyindex.Project{Name: name, Versions: []pyindex.Release{rel}})
	if err != nil {
		t.Fatal(err)
	}
	a := srv.Artifacts(name, rel.Version)[0]
	p := filepath.Join(dir, a.Filename)
	if err := os.WriteFile(p, a.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, a.SHA256
}

var psycopgDeps = []string{`backports.zoneinfo ; python_version < "3.9"`}

// psycopg2 is shaped like the real one: an sdist only, whose PKG-INFO
// (Metadata-Version 2.1) does not declare its dependencies reliably.
func psycopg2() pyindex.Project {
	return pyindex.Project{Name: "psycopg2", Versions: []pyindex.Release{{
		Version: "2.9.9", Files: []pyindex.File{pyindex.Sdist()}, RequiresDist: psycopgDeps,
	}}}
}

func TestWheelhouse(t *testing.T) {
	srv := pyindex.Start(t, psycopg2(), kinto())
	house := t.TempDir()
	whl, whlHash := buildWheel(t, house, "psycopg2", pyindex.Release{
		Version: "2.9.9", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")},
		RequiresDist: psycopgDeps, RequiresPython: ">=3.8",
	})
	// A version the index does not have, and a project it does not have.
	newer, _ := buildWheel(t, house, "psycopg2", pyindex.Release{Version: "2.9.10", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")}})
	buildWheel(t, house, "Private_Ext", pyindex.Release{Version: "1.0"})
	// What pip would not take from the folder either.
	os.WriteFile(filepath.Join(house, "README.txt"), []byte("built with pip wheel\n"), 0o644)
	os.WriteFile(filepath.Join(house, "notawheel.whl"), []byte("?"), 0o644)
	os.MkdirAll(filepath.Join(house, "sub"), 0o755)
	buildWheel(t, filepath.Join(house, "sub"), "hidden", pyindex.Release{Version: "1.0"})

	ctx := context.Background()
	src := New(client(t), srv.IndexURL(), Options{Wheelhouse: house})

	rel, err := src.Release(ctx, "psycopg2", "2.9.9")
	if err != nil {
		t.Fatal(err)
	}
	if len(rel.Artifacts) != 2 {
		t.Fatalf("artifacts %+v", rel.Artifacts)
	}
	sdist, w := rel.Artifacts[0], rel.Artifacts[1]
	if sdist.Filename != "psycopg2-2.9.9.tar.gz" || sdist.Hash != srv.Hashes("psycopg2", "2.9.9")[0] {
		t.Errorf("index file %+v", sdist)
	}
	fi, _ := os.Stat(whl)
	if w.Filename != filepath.Base(whl) || w.Hash != whlHash || w.URL != fetch.FileURL(whl) ||
		w.Size != fi.Size() || w.RequiresPython != ">=3.8" || w.HasMetadata {
		t.Errorf("wheelhouse file %+v, want hash %s", w, whlHash)
	}
	if hs := rel.Hashes(); !slices.Equal(hs, []string{sdist.Hash, whlHash}) {
		t.Errorf("Hashes %v", hs)
	}

	// Its metadata comes from the wheel, where the index alone has none.
	m, err := src.Metadata(ctx, "psycopg2", "2.9.9")
	if err != nil || m.Name != "psycopg2" || !slices.Equal(m.RequiresDist, psycopgDeps) {
		t.Errorf("metadata %+v, %v", m, err)
	}
	if _, err := New(client(t), srv.IndexURL(), Options{}).Metadata(ctx, "psycopg2", "2.9.9"); !errors.Is(err, ErrNoMetadata) {
		t.Errorf("without the wheelhouse: %v", err)
	}

	// Fetch and Rehash read the file through the cache.
	p, err := src.Fetch(ctx, rel, w)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := readAll(t, p), readAll(t, whl); a != b {
		t.Error("fetched bytes differ from the wheelhouse's")
	}
	if got, err := src.Rehash(ctx, rel); err != nil || !slices.Equal(got, rel.Hashes()) {
		t.Errorf("Rehash %v, %v", got, err)
	}

	// Versions only in the wheelhouse are listed, projects too.
	if name, vs, err := src.Versions(ctx, "PSYCOPG2"); err != nil || name != "psycopg2" || !slices.Equal(vs, []string{"2.9.9", "2.9.10"}) {
		t.Errorf("Versions %s %v, %v", name, vs, err)
	}
	if rel, err := src.Release(ctx, "psycopg2", "2.9.10"); err != nil || len(rel.Artifacts) != 1 || rel.Artifacts[0].URL != fetch.FileURL(newer) {
		t.Errorf("wheelhouse-only version %+v, %v", rel, err)
	}
	if name, vs, err := src.Versions(ctx, "private-ext"); err != nil || name != "private-ext" || !slices.Equal(vs, []string{"1.0"}) {
		t.Errorf("wheelhouse-only project %s %v, %v", name, vs, err)
	}
	if m, err := src.Metadata(ctx, "private-ext", "1.0"); err != nil || m.Name != "Private_Ext" {
		t.Errorf("wheelhouse-only project's metadata %+v, %v", m, err)
	}
	for _, name := range []string{"hidden", "notawheel"} {
		_, _, err := src.Versions(ctx, name)
		if !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "or wheelhouse "+house) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Projects with nothing in the wheelhouse are the index's.
	if rel, err := src.Release(ctx, "kinto", "14.3.0"); err != nil || len(rel.Artifacts) != 2 {
		t.Errorf("kinto %+v, %v", rel, err)
	}
}

// TestWheelhouseHashedOnce: a file is hashed once per process, whichever
// Source asks, and again when it is rebuilt in place.
func TestWheelhouseHashedOnce(t *testing.T) {
	srv := pyindex.Start(t, psycopg2())
	house := t.TempDir()
	whl, first := buildWheel(t, house, "psycopg2", pyindex.Release{Version: "2.9.9", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")}})
	fi, _ := os.Stat(whl)
	hashOf := func(o Options) string {
		t.Helper()
		o.Wheelhouse = house
		rel, err := New(client(t), srv.IndexURL(), o).Release(context.Background(), "psycopg2", "2.9.9")
		if err != nil {
			t.Fatal(err)
		}
		return rel.Artifacts[len(rel.Artifacts)-1].Hash
	}
	if h := hashOf(Options{}); h != first {
		t.Fatalf("hash %s, want %s", h, first)
	}

	// Other bytes of the same size and time are not read again...
	data := []byte(readAll(t, whl))
	data[len(data)-1] ^= 1
	os.WriteFile(whl, data, 0o644)
	os.Chtimes(whl, fi.ModTime(), fi.ModTime())
	if h := hashOf(Options{PythonVersion: []string{"3.12"}}); h != first {
		t.Errorf("hashed again: %s", h)
	}
	// ...a rebuild, with a new time, is.
	_, second := buildWheel(t, house, "psycopg2", pyindex.Release{Version: "2.9.9", RequiresPython: ">=3.9", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")}})
	os.Chtimes(whl, fi.ModTime().Add(time.Second), fi.ModTime().Add(time.Second))
	if h := hashOf(Options{}); h != second || h == first {
		t.Errorf("after a rebuild: %s, want %s", h, second)
	}
}

func TestWheelhouseNarrowedAndYanked(t *testing.T) {
	srv := pyindex.Start(t, psycopg2(), kinto())
	house := t.TempDir()
	buildWheel(t, house, "psycopg2", pyindex.Release{Version: "2.9.9", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")}})
	// Every index file of 13.0.0 is yanked, one of 14.4.0.
	buildWheel(t, house, "Kinto", pyindex.Release{Version: "13.0.0", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")}})
	buildWheel(t, house, "Kinto", pyindex.Release{Version: "14.4.0", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")}})
	ctx := context.Background()

	src := New(client(t), srv.IndexURL(), Options{Wheelhouse: house})
	if _, err := src.Release(ctx, "kinto", "13.0.0"); !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "is yanked") {
		t.Errorf("a wheel of a yanked release: %v", err)
	}
	if _, vs, _ := src.Versions(ctx, "kinto"); slices.Contains(vs, "13.0.0") {
		t.Errorf("Versions lists a yanked release: %v", vs)
	}
	if rel, err := src.Release(ctx, "kinto", "14.4.0"); err != nil || len(rel.Artifacts) != 2 {
		t.Errorf("14.4.0: %+v, %v", rel, err)
	}

	for _, o := range []Options{{PythonVersion: []string{"3.11"}}, {Platform: []string{"manylinux2014_x86_64"}}} {
		o.Wheelhouse = house
		rel, err := New(client(t), srv.IndexURL(), o).Release(ctx, "psycopg2", "2.9.9")
		if err != nil || len(rel.Artifacts) != 1 || !strings.HasSuffix(rel.Artifacts[0].Filename, ".tar.gz") {
			t.Errorf("%v: %+v, %v", o, rel, err)
		}
	}
	o := Options{PythonVersion: []string{"3.12"}, Platform: []string{"linux_x86_64"}, Wheelhouse: house}
	if rel, err := New(client(t), srv.IndexURL(), o).Release(ctx, "psycopg2", "2.9.9"); err != nil || len(rel.Artifacts) != 2 {
		t.Errorf("%v: %+v, %v", o, rel, err)
	}
}

func TestWheelhouseErrors(t *testing.T) {
	srv := pyindex.Start(t, psycopg2())
	ctx := context.Background()

	missing := filepath.Join(t.TempDir(), "wheelhouse")
	_, err := New(client(t), srv.IndexURL(), Options{Wheelhouse: missing}).Release(ctx, "psycopg2", "2.9.9")
	if err == nil || err.Error() != "wheelhouse "+missing+" does not exist" {
		t.Errorf("missing folder: %v", err)
	}

	// A wheel renamed to another version is refused, as pip refuses it.
	house := t.TempDir()
	p, _ := buildWheel(t, house, "psycopg2", pyindex.Release{Version: "2.9.8", Files: []pyindex.File{pyindex.Wheel("cp312-cp312-linux_x86_64")}})
	renamed := filepath.Join(house, strings.Replace(filepath.Base(p), "2.9.8", "2.9.9", 1))
	os.Rename(p, renamed)
	_, err = New(client(t), srv.IndexURL(), Options{Wheelhouse: house}).Release(ctx, "psycopg2", "2.9.9")
	if err == nil || err.Error() != "wheelhouse: "+renamed+" holds the metadata of psycopg2 2.9.8" {
		t.Errorf("renamed wheel: %v", err)
	}
}

func readAll(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
