package pypi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

var kintoDeps = []string{"bcrypt", `SQLAlchemy<3 ; extra == "postgresql"`, `colorama ; platform_machine == "aarch64"`}

// withDeps is a project whose 14.3.0 declares dependencies; the platform
// wheel comes first on the page, so that reading the py3-none-any one
// shows the preference.
func withDeps() pyindex.Project {
	return pyindex.Project{Name: "Kinto", Versions: []pyindex.Release{{
		Version: "14.3.0",
		Files: []pyindex.File{
			pyindex.Wheel("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"),
			pyindex.Wheel("py3-none-any"),
			pyindex.Sdist(),
		},
		RequiresPython: ">=3.8",
		RequiresDist:   kintoDeps,
		ProvidesExtra:  []string{"postgresql"},
	}}}
}

func checkKinto(t *testing.T, m *coremetadata.Metadata, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Kinto" || m.Version != "14.3.0" || m.RequiresPython != ">=3.8" ||
		!slices.Equal(m.RequiresDist, kintoDeps) || !slices.Equal(m.ProvidesExtra, []string{"postgresql"}) {
		t.Errorf("metadata %#v", m)
	}
}

func TestMetadataFromMetadataFile(t *testing.T) {
	for _, html := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "html"}[html], func(t *testing.T) {
			srv := pyindex.Start(t, withDeps())
			srv.SetHTMLOnly(html)
			src := New(client(t), srv.IndexURL(), Options{})
			ctx := context.Background()

			rel, err := src.Release(ctx, "kinto", "14.3.0")
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range srv.Artifacts("kinto", "14.3.0") {
				got := rel.Artifacts[i]
				if got.HasMetadata != (a.Metadata != nil) || got.MetadataHash != a.MetadataSHA256 {
					t.Errorf("%s: HasMetadata %v, MetadataHash %q; index has %q", a.Filename, got.HasMetadata, got.MetadataHash, a.MetadataSHA256)
				}
			}

			m, err := src.Metadata(ctx, "Kinto", "14.3.0")
			checkKinto(t, m, err)
			whl := srv.Artifacts("kinto", "14.3.0")[1]
			if n := srv.Requests(whl.Path + ".metadata"); n != 1 {
				t.Errorf("metadata file fetched %d times", n)
			}
			if n := srv.TotalRequests(); n != 2 {
				t.Errorf("%d requests for a page and a metadata file", n)
			}

			// Remembered, and the caller's to change.
			m.RequiresDist[0] = "changed"
			m, err = src.Metadata(ctx, "kinto", "14.3.0")
			checkKinto(t, m, err)
			if n := srv.TotalRequests(); n != 2 {
				t.Errorf("%d requests after asking twice", n)
			}

			// A new Source finds the metadata file in the cache by its hash.
			c := client(t)
			if _, err := New(c, srv.IndexURL(), Options{}).Metadata(ctx, "kinto", "14.3.0"); err != nil {
				t.Fatal(err)
			}
			srv.ResetCounts()
			m, err = New(c, srv.IndexURL(), Options{}).Metadata(ctx, "kinto", "14.3.0")
			checkKinto(t, m, err)
			if n := srv.TotalRequests(); n != 1 {
				t.Errorf("%d requests with the metadata file cached, want the page's only", n)
			}
		})
	}
}

func TestMetadataFromWheel(t *testing.T) {
	srv := pyindex.Start(t, withDeps())
	srv.SetCoreMetadata(false)
	src := New(client(t), srv.IndexURL(), Options{})
	arts := srv.Artifacts("kinto", "14.3.0")
	plat, pure := arts[0], arts[1]

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			m, err := src.Metadata(context.Background(), "kinto", "14.3.0")
			checkKinto(t, m, err)
		})
	}
	wg.Wait()
	if n := srv.Requests(pure.Path); n != 1 {
		t.Errorf("py3-none-any wheel downloaded %d times by 10 callers", n)
	}
	if n := srv.Requests(plat.Path) + srv.Requests(pure.Path+".metadata"); n != 0 {
		t.Errorf("%d requests for the platform wheel or a metadata file", n)
	}

	// Only kept files are read: narrowed to the python tag cp312, the
	// platform wheel is all that is left.
	srv.ResetCounts()
	m, err := New(client(t), srv.IndexURL(), Options{PythonVersion: []string{"cp312"}}).Metadata(context.Background(), "kinto", "14.3.0")
	checkKinto(t, m, err)
	if srv.Requests(plat.Path) != 1 || srv.Requests(pure.Path) != 0 {
		t.Errorf("narrowed to cp312: platform wheel fetched %d times, pure one %d", srv.Requests(plat.Path), srv.Requests(pure.Path))
	}
}

// TestMetadataFileGone covers a page that advertises a metadata file the
// index does not serve, as mirrors that copy pages do: the wheel is read.
func TestMetadataFileGone(t *testing.T) {
	srv := pyindex.Start(t, withDeps())
	src := New(client(t), srv.IndexURL(), Options{})
	if _, err := src.Release(context.Background(), "kinto", "14.3.0"); err != nil {
		t.Fatal(err)
	}
	srv.SetCoreMetadata(false) // after the page was read
	m, err := src.Metadata(context.Background(), "kinto", "14.3.0")
	checkKinto(t, m, err)
	pure := srv.Artifacts("kinto", "14.3.0")[1]
	if srv.Requests(pure.Path+".metadata") != 1 || srv.Requests(pure.Path) != 1 {
		t.Errorf("metadata file fetched %d times, wheel %d", srv.Requests(pure.Path+".metadata"), srv.Requests(pure.Path))
	}
}

func TestMetadataFileTampered(t *testing.T) {
	for _, html := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "html"}[html], func(t *testing.T) {
			srv := pyindex.Start(t, withDeps())
			srv.SetHTMLOnly(html)
			pure := srv.Artifacts("kinto", "14.3.0")[1]
			srv.TamperMetadata(pure.Filename)
			_, err := New(client(t), srv.IndexURL(), Options{}).Metadata(context.Background(), "kinto", "14.3.0")
			var mismatch *fetch.HashMismatchError
			if !errors.As(err, &mismatch) || mismatch.Want != pure.MetadataSHA256 || errors.Is(err, ErrNoMetadata) {
				t.Fatalf("tampered metadata file: %v", err)
			}
			for _, want := range []string{"kinto 14.3.0", pure.Filename, "hash mismatch"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			// A mismatch is not a reason to read something else.
			if n := srv.Requests(pure.Path); n != 0 {
				t.Errorf("the wheel was downloaded %d times after the mismatch", n)
			}
		})
	}

	// A tampered wheel, read when metadata files are off, is refused too.
	srv := pyindex.Start(t, withDeps())
	srv.SetCoreMetadata(false)
	pure := srv.Artifacts("kinto", "14.3.0")[1]
	srv.Tamper(pure.Filename)
	_, err := New(client(t), srv.IndexURL(), Options{}).Metadata(context.Background(), "kinto", "14.3.0")
	var mismatch *fetch.HashMismatchError
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), pure.Filename) {
		t.Errorf("tampered wheel: %v", err)
	}
}

func TestMetadataFromSdist(t *testing.T) {
	sdistOnly := func(name, mv string, ext string, dynamic ...string) pyindex.Project {
		return pyindex.Project{Name: name, Versions: []pyindex.Release{{
			Version:         "14.3.0",
			Files:           []pyindex.File{{Kind: pyindex.KindSdist, Ext: ext}},
			RequiresPython:  ">=3.8",
			RequiresDist:    kintoDeps,
			ProvidesExtra:   []string{"postgresql"},
			MetadataVersion: mv,
			Dynamic:         dynamic,
		}}}
	}
	srv := pyindex.Start(t,
		sdistOnly("Kinto", "2.2", ".tar.gz", "Classifier"),
		sdistOnly("zipped", "2.3", ".zip"),
		sdistOnly("old", "", ".tar.gz"),
		sdistOnly("dyn", "2.2", ".tar.gz", "Summary", "requires-dist"),
	)
	ctx := context.Background()
	src := New(client(t), srv.IndexURL(), Options{})

	m, err := src.Metadata(ctx, "kinto", "14.3.0")
	checkKinto(t, m, err)
	if m.MetadataVersion != "2.2" || !slices.Equal(m.Dynamic, []string{"Classifier"}) {
		t.Errorf("kinto: %#v", m)
	}
	m, err = src.Metadata(ctx, "zipped", "14.3.0")
	if err != nil || !slices.Equal(m.RequiresDist, kintoDeps) {
		t.Errorf("zip sdist: %#v, %v", m, err)
	}

	for name, want := range map[string]string{
		"old": "old 14.3.0: no wheel, and its sdist's PKG-INFO (Metadata-Version 2.1) does not declare its dependencies" + wayOut,
		"dyn": "dyn 14.3.0: no wheel, and its sdist's PKG-INFO leaves requires-dist to the build (Dynamic)" + wayOut,
	} {
		_, err := src.Metadata(ctx, name, "14.3.0")
		if !errors.Is(err, ErrNoMetadata) || err.Error() != want {
			t.Errorf("%s: %v\nwant %s", name, err, want)
		}
	}
}

const wayOut = " (build a wheel with pip wheel and put it in the lockfile's wheelhouse: folder)"

func TestMetadataErrors(t *testing.T) {
	srv := pyindex.Start(t,
		pyindex.Project{Name: "twice", Versions: []pyindex.Release{{Version: "1.0", Files: []pyindex.File{{
			Members: []pyindex.Member{{Name: "Other-1.0.dist-info/METADATA", Data: "Metadata-Version: 2.1\nName: Other\nVersion: 1.0\n"}},
		}}}}},
		pyindex.Project{Name: "bare", Versions: []pyindex.Release{{Version: "1.0", Files: []pyindex.File{{Tag: "py3-none-any", NoHash: true}}}}},
		kinto(),
	)
	srv.SetCoreMetadata(false)
	src := New(client(t), srv.IndexURL(), Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, version, want string
		noMetadata          bool
	}{
		{"twice", "1.0", "twice 1.0: twice-1.0-py3-none-any.whl: more than one *.dist-info/METADATA", false},
		{"bare", "1.0", "bare 1.0: no wheel with a sha256 and no sdist to read metadata from", true},
		{"kinto", "99.0", "no version 99.0", false},
	} {
		_, err := src.Metadata(ctx, tc.name, tc.version)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNoMetadata) != tc.noMetadata {
			t.Errorf("%s %s: %v, want %q", tc.name, tc.version, err, tc.want)
		}
	}
	if _, err := src.Metadata(ctx, "kinto", "99.0"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown version: %v", err)
	}
}

// TestMetadataHandWritten covers what pyindex does not serve: `true`
// without a hash, the old keys, hashes dist cannot check, and metadata
// that belongs to another release.
func TestMetadataHandWritten(t *testing.T) {
	const meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\nRequires-Dist: attrs\n"
	files := map[string]string{
		"/f/yes-1.0-py3-none-any.whl.metadata":   fmt.Sprintf(meta, "yes", "1.0"),
		"/f/yes-2.0-py3-none-any.whl.metadata":   fmt.Sprintf(meta, "yes", "2.0"),
		"/f/yes-3.0-py3-none-any.whl.metadata":   fmt.Sprintf(meta, "other", "3.0"),
		"/f/yes-4.0-py3-none-any.whl.metadata":   fmt.Sprintf(meta, "Yes", "4.0.0"),
		"/f/html-1.0-py3-none-any.whl.metadata":  fmt.Sprintf(meta, "html", "1.0"),
		"/f/html-2.0-py3-none-any.whl.metadata":  fmt.Sprintf(meta, "html", "2.0"),
		"/f/html-3.0-py3-none-any.whl.metadata":  fmt.Sprintf(meta, "html", "3.0"),
		"/f/query-1.0-py3-none-any.whl.metadata": fmt.Sprintf(meta, "query", "1.0"),
	}
	const h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	wheel := func(name, v, extra string) string {
		return fmt.Sprintf(`{"filename":"%s-%s-py3-none-any.whl","url":"/f/%s-%s-py3-none-any.whl","hashes":{"sha256":"%s"}%s}`, name, v, name, v, h, extra)
	}
	pages := map[string]struct{ ct, body string }{
		"/simple/yes/": {"application/vnd.pypi.simple.v1+json", `{"meta":{"api-version":"1.1"},"name":"yes","files":[` + strings.Join([]string{
			wheel("yes", "1.0", `,"core-metadata":true,"data-dist-info-metadata":false`),
			wheel("yes", "2.0", `,"dist-info-metadata":{}`),
			wheel("yes", "3.0", `,"data-dist-info-metadata":true`),
			wheel("yes", "4.0", `,"core-metadata":true`),
			wheel("yes", "5.0", `,"core-metadata":false,"dist-info-metadata":true`),
			wheel("yes", "6.0", `,"core-metadata":{"sha512":"abc"}`),
			wheel("yes", "7.0", `,"core-metadata":{"sha256":"xyz"}`),
		}, ",") + `]}`},
		"/simple/html/": {"text/html", `<a href="/f/html-1.0-py3-none-any.whl#sha256=` + h + `" data-dist-info-metadata="true">html-1.0-py3-none-any.whl</a>
			<a href="/f/html-2.0-py3-none-any.whl#sha256=` + h + `" data-core-metadata="true" data-dist-info-metadata="sha256=` + h + `">html-2.0-py3-none-any.whl</a>
			<a href="/f/html-3.0-py3-none-any.whl#sha256=` + h + `" data-core-metadata="SHA256=` + h + `">html-3.0-py3-none-any.whl</a>
			<a href="/f/html-4.0-py3-none-any.whl#sha256=` + h + `" data-core-metadata="sha256=` + strings.ToUpper(h) + `">html-4.0-py3-none-any.whl</a>
			<a href="/f/html-5.0-py3-none-any.whl#sha256=` + h + `" data-core-metadata="">html-5.0-py3-none-any.whl</a>`},
		"/simple/query/": {"application/vnd.pypi.simple.v1+json", `{"meta":{"api-version":"1.0"},"name":"query","files":[
			{"filename":"query-1.0-py3-none-any.whl","url":"/f/query-1.0-py3-none-any.whl?token=x","hashes":{},"core-metadata":true}]}`},
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := pages[r.URL.Path]; ok {
			w.Header().Set("Content-Type", p.ct)
			fmt.Fprint(w, p.body)
			return
		}
		if f, ok := files[r.URL.Path]; ok {
			if r.URL.Path == "/f/query-1.0-py3-none-any.whl.metadata" && r.URL.RawQuery != "token=x" {
				http.Error(w, "no token", http.StatusForbidden)
				return
			}
			fmt.Fprint(w, f)
			return
		}
		http.NotFound(w, r)
	}))
	defer hs.Close()
	src := New(client(t), hs.URL+"/simple", Options{})
	ctx := context.Background()

	for _, tc := range []struct {
		name, version string
		has           bool
		hash          string
	}{
		{"yes", "1.0", true, ""},
		{"yes", "2.0", true, ""},
		{"yes", "3.0", true, ""},
		{"yes", "5.0", false, ""},
		{"yes", "6.0", false, ""},
		{"yes", "7.0", false, ""},
		{"html", "1.0", true, ""},
		{"html", "2.0", true, ""},
		{"html", "3.0", false, ""},
		{"html", "4.0", true, "sha256:" + h},
		{"html", "5.0", false, ""},
	} {
		rel, err := src.Release(ctx, tc.name, tc.version)
		if err != nil {
			t.Fatal(err)
		}
		if a := rel.Artifacts[0]; a.HasMetadata != tc.has || a.MetadataHash != tc.hash {
			t.Errorf("%s %s: HasMetadata %v, MetadataHash %q; want %v %q", tc.name, tc.version, a.HasMetadata, a.MetadataHash, tc.has, tc.hash)
		}
	}

	for _, v := range []string{"1.0", "2.0", "4.0"} {
		m, err := src.Metadata(ctx, "yes", v)
		if err != nil || !slices.Equal(m.RequiresDist, []string{"attrs"}) {
			t.Errorf("yes %s: %#v, %v", v, m, err)
		}
	}
	for _, v := range []string{"1.0", "2.0"} {
		if _, err := src.Metadata(ctx, "html", v); err != nil {
			t.Errorf("html %s: %v", v, err)
		}
	}
	if _, err := src.Metadata(ctx, "query", "1.0"); err != nil {
		t.Errorf("a file URL with a query: %v", err)
	}
	_, err := src.Metadata(ctx, "yes", "3.0")
	if want := "yes 3.0: yes-3.0-py3-none-any.whl.metadata is the metadata of other 3.0"; err == nil || err.Error() != want {
		t.Errorf("metadata of another project: %v", err)
	}
	// 5.0 has no metadata file, and its wheel is not served here.
	if _, err := src.Metadata(ctx, "yes", "5.0"); err == nil || !strings.Contains(err.Error(), "yes-5.0-py3-none-any.whl: ") || !strings.Contains(err.Error(), "404") {
		t.Errorf("wheel not found: %v", err)
	}
}
