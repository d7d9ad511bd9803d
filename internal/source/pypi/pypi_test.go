package pypi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

func client(t *testing.T) *fetch.Client {
	return fetch.New(fetch.Options{RetryWaitMin: time.Millisecond, CacheDir: t.TempDir()})
}

func kinto() pyindex.Project {
	return pyindex.Project{Name: "Kinto", Versions: []pyindex.Release{
		{Version: "2.0.0"},
		{Version: "13.0.0", Yanked: true},
		{Version: "14.3.0", Files: []pyindex.File{pyindex.Wheel("py3-none-any"), pyindex.Sdist()}, RequiresPython: ">=3.8"},
		{Version: "14.4.0", Files: []pyindex.File{
			pyindex.Wheel("py3-none-any"),
			{Kind: pyindex.KindSdist, Yanked: true, YankedReason: "bad sdist"},
		}},
		{Version: "15.0.0rc1"},
	}}
}

// both runs f against the JSON and the HTML flavour of one index.
func both(t *testing.T, f func(t *testing.T, srv *pyindex.Server, html bool)) {
	for _, html := range []bool{false, true} {
		name := "json"
		if html {
			name = "html"
		}
		t.Run(name, func(t *testing.T) {
			srv := pyindex.Start(t, kinto(), pyindex.Project{Name: "zope.interface", Versions: []pyindex.Release{
				{Version: "5.5.2"},
				{Version: "6.0", Files: []pyindex.File{pyindex.Wheel("py3-none-any"), pyindex.Sdist()}},
			}})
			srv.SetHTMLOnly(html)
			f(t, srv, html)
		})
	}
}

func TestVersionsAndCanonicalName(t *testing.T) {
	both(t, func(t *testing.T, srv *pyindex.Server, html bool) {
		src := New(client(t), srv.IndexURL(), Options{})
		if src.Ecosystem() != source.PyPI {
			t.Errorf("Ecosystem = %q", src.Ecosystem())
		}
		name, vs, err := src.Versions(context.Background(), "KINTO")
		if err != nil {
			t.Fatal(err)
		}
		// The yanked 13.0.0 is gone, the prerelease is listed, and 2.0.0
		// sorts as a version, not as a string.
		if want := []string{"2.0.0", "14.3.0", "14.4.0", "15.0.0rc1"}; !slices.Equal(vs, want) {
			t.Errorf("versions %v, want %v", vs, want)
		}
		// The canonical name is PEP 503's, whatever the page's kind.
		want := "kinto"
		if name != want {
			t.Errorf("canonical name %q, want %q", name, want)
		}

		name, _, err = src.Versions(context.Background(), "Zope_Interface")
		if err != nil {
			t.Fatal(err)
		}
		want = "zope-interface"
		if name != want {
			t.Errorf("canonical name %q, want %q", name, want)
		}
		if _, _, err := src.Versions(context.Background(), "zope.interface"); err != nil {
			t.Fatal(err)
		}
		if n := srv.Requests("/simple/zope-interface/"); n != 1 {
			t.Errorf("two spellings of one name fetched the page %d times", n)
		}
	})
}

func TestRelease(t *testing.T) {
	both(t, func(t *testing.T, srv *pyindex.Server, html bool) {
		src := New(client(t), srv.IndexURL()+"/", Options{})
		ctx := context.Background()
		rel, err := src.Release(ctx, "kinto", "14.3.0")
		if err != nil {
			t.Fatal(err)
		}
		if rel.Version != "14.3.0" || len(rel.Artifacts) != 2 {
			t.Fatalf("release %+v", rel)
		}
		if got, want := rel.Hashes(), srv.Hashes("kinto", "14.3.0"); !slices.Equal(got, want) {
			t.Errorf("hashes %v, want %v", got, want)
		}
		for i, a := range srv.Artifacts("kinto", "14.3.0") {
			got := rel.Artifacts[i]
			if got.Filename != a.Filename || got.URL != srv.URL+a.Path || got.RequiresPython != ">=3.8" {
				t.Errorf("artifact %+v, want %s at %s", got, a.Filename, srv.URL+a.Path)
			}
			// Sizes are in PEP 700 JSON only.
			if want := map[bool]int64{false: a.Size, true: 0}[html]; got.Size != want {
				t.Errorf("%s: size %d, want %d", got.Filename, got.Size, want)
			}
		}

		// The yanked sdist of 14.4.0 is left out, its wheel kept.
		rel, err = src.Release(ctx, "kinto", "14.4.0")
		if err != nil {
			t.Fatal(err)
		}
		if len(rel.Artifacts) != 1 || !strings.HasSuffix(rel.Artifacts[0].Filename, ".whl") {
			t.Errorf("14.4.0: %+v", rel.Artifacts)
		}

		if _, err := src.Release(ctx, "kinto", "15.0.0RC1"); err != nil {
			t.Errorf("a version in another spelling: %v", err)
		}
		_, err = src.Release(ctx, "kinto", "13.0.0")
		if !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "yanked") {
			t.Errorf("all-yanked version: %v", err)
		}
		_, err = src.Release(ctx, "kinto", "99.0")
		if !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "99.0") {
			t.Errorf("unknown version: %v", err)
		}
		// Release.Artifacts is the caller's to change.
		rel.Artifacts[0].Hash = "changed"
		if again, _ := src.Release(ctx, "kinto", "14.4.0"); again.Artifacts[0].Hash == "changed" {
			t.Error("Release hands out the cached slice")
		}
		if n := srv.Requests("/simple/kinto/"); n != 1 {
			t.Errorf("page fetched %d times", n)
		}
	})
}

func TestNotFound(t *testing.T) {
	srv := pyindex.Start(t, kinto())
	src := New(client(t), srv.IndexURL(), Options{})
	_, _, err := src.Versions(context.Background(), "no-such-project")
	if !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	for _, want := range []string{"no-such-project", srv.IndexURL()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := src.Release(context.Background(), "no-such-project", "1.0"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Release of an unknown project: %v", err)
	}
	if _, _, err := src.Versions(context.Background(), "../etc"); err == nil || errors.Is(err, source.ErrNotFound) {
		t.Errorf("a path as a name: %v", err)
	}
}

func TestRetryAndCaching(t *testing.T) {
	srv := pyindex.Start(t, kinto())
	srv.FailNext(1)
	src := New(client(t), srv.IndexURL(), Options{})
	if _, _, err := src.Versions(context.Background(), "kinto"); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests("/simple/kinto/"); n != 2 {
		t.Errorf("%d requests, want a 500 and a retry", n)
	}

	// Many callers at once share one fetch.
	srv.ResetCounts()
	src = New(client(t), srv.IndexURL(), Options{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := src.Release(context.Background(), "kinto", "14.3.0"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, _, err := src.Versions(context.Background(), "Kinto"); err != nil {
		t.Fatal(err)
	}
	if n := srv.TotalRequests(); n != 1 {
		t.Errorf("%d requests for one page", n)
	}

	// A failure is not remembered.
	src = New(client(t), srv.IndexURL(), Options{})
	srv.FailNext(10)
	if _, _, err := src.Versions(context.Background(), "kinto"); err == nil || errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("after 4 failures: %v", err)
	}
	srv.FailNext(0)
	if _, _, err := src.Versions(context.Background(), "kinto"); err != nil {
		t.Errorf("after the index recovered: %v", err)
	}
}

func TestCredentials(t *testing.T) {
	srv := pyindex.Start(t, kinto())
	srv.RequireAuth("alice", "s3cret")
	u, _ := url.Parse(srv.IndexURL())
	u.User = url.UserPassword("alice", "s3cret")
	src := New(client(t), u.String(), Options{})
	ctx := context.Background()

	rel, err := src.Release(ctx, "kinto", "14.3.0")
	if err != nil {
		t.Fatal(err)
	}
	// Relative file links download with the index's credentials.
	hashes, err := src.Rehash(ctx, rel)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hashes, rel.Hashes()) {
		t.Errorf("rehash %v, want %v", hashes, rel.Hashes())
	}

	var errs []error
	_, _, err = src.Versions(ctx, "nope")
	errs = append(errs, err)
	_, err = src.Release(ctx, "kinto", "0.1")
	errs = append(errs, err)
	srv.FailNext(100)
	_, _, err = src.Versions(ctx, "zope.interface")
	errs = append(errs, err)
	srv.FailNext(0)
	u.User = url.UserPassword("alice", "wrong-s3cret")
	_, _, err = New(client(t), u.String(), Options{}).Versions(ctx, "kinto")
	errs = append(errs, err)
	rel.Artifacts[0].URL = strings.Replace(rel.Artifacts[0].URL, ".whl", ".gone", 1)
	// A fresh cache: the one above already holds these bytes by digest.
	_, err = New(client(t), u.String(), Options{}).Rehash(ctx, rel)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("case %d: password shown: %v", i, err)
		}
	}
}

func TestRehashSeesTampering(t *testing.T) {
	srv := pyindex.Start(t, kinto())
	src := New(client(t), srv.IndexURL(), Options{})
	rel, err := src.Release(context.Background(), "kinto", "14.3.0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Tamper(rel.Artifacts[1].Filename)
	got, err := src.Rehash(context.Background(), rel)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != rel.Artifacts[0].Hash || got[1] == rel.Artifacts[1].Hash || !strings.HasPrefix(got[1], "sha256:") {
		t.Errorf("rehash %v of %v", got, rel.Hashes())
	}
}

func TestFileWithoutHash(t *testing.T) {
	srv := pyindex.Start(t, pyindex.Project{Name: "bare", Versions: []pyindex.Release{{Version: "1.0", Files: []pyindex.File{
		{Tag: "py3-none-any", NoHash: true}, pyindex.Sdist(),
	}}}})
	rel, err := New(client(t), srv.IndexURL(), Options{}).Release(context.Background(), "bare", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(rel.Artifacts) != 2 || rel.Artifacts[0].Hash != "" || len(rel.Hashes()) != 1 {
		t.Errorf("release %+v", rel)
	}
}

func TestNarrowing(t *testing.T) {
	tags := []string{
		"py3-none-any",
		"py2.py3-none-any",
		"py2-none-any",
		"cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
		"cp312-cp312-manylinux_2_28_x86_64",
		"cp312-cp312-musllinux_1_1_x86_64",
		"cp312-cp312-macosx_11_0_arm64",
		"cp311-cp311-manylinux2014_x86_64",
		"cp38-abi3-manylinux1_x86_64",
		"cp313-abi3-manylinux1_x86_64",
	}
	files := []pyindex.File{pyindex.Sdist()}
	for _, tag := range tags {
		files = append(files, pyindex.Wheel(tag))
	}
	srv := pyindex.Start(t, pyindex.Project{Name: "wide", Versions: []pyindex.Release{
		{Version: "1.0", Files: []pyindex.File{pyindex.Wheel("cp27-cp27mu-manylinux1_x86_64")}},
		{Version: "2.0", Files: files},
	}})

	for _, tc := range []struct {
		opts Options
		want []int // indexes into tags
	}{
		{Options{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{Options{PythonVersion: []string{"3.12"}}, []int{0, 1, 3, 4, 5, 6, 8}},
		{Options{PythonVersion: []string{"3.11", "3.12"}}, []int{0, 1, 3, 4, 5, 6, 7, 8}},
		{Options{PythonVersion: []string{"cp311"}}, []int{7}},
		{Options{Platform: []string{"manylinux2014_x86_64"}}, []int{0, 1, 2, 3, 7, 8, 9}},
		{Options{Platform: []string{"manylinux_2_28-x86_64"}}, []int{0, 1, 2, 3, 4, 7, 8, 9}},
		{Options{Platform: []string{"macosx_11_0_arm64", "musllinux_1_2_x86_64"}}, []int{0, 1, 2, 5, 6}},
		{Options{PythonVersion: []string{"3.12"}, Platform: []string{"manylinux2014_x86_64"}}, []int{0, 1, 3, 8}},
	} {
		t.Run(fmt.Sprint(tc.opts), func(t *testing.T) {
			src := New(client(t), srv.IndexURL(), tc.opts)
			rel, err := src.Release(context.Background(), "wide", "2.0")
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, a := range rel.Artifacts {
				got = append(got, a.Filename)
			}
			want := []string{"wide-2.0.tar.gz"}
			for _, i := range tc.want {
				want = append(want, "wide-2.0-"+tags[i]+".whl")
			}
			if !slices.Equal(got, want) {
				t.Errorf("kept\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}

			// 1.0 has nothing for Python 3 but a narrowed source must not
			// offer it.
			_, vs, err := src.Versions(context.Background(), "wide")
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Release(context.Background(), "wide", "1.0")
			if len(tc.opts.PythonVersion) > 0 && tc.opts.PythonVersion[0] != "cp311" {
				if !slices.Equal(vs, []string{"2.0"}) || !errors.Is(err, source.ErrNotFound) || !strings.Contains(err.Error(), "python") {
					t.Errorf("versions %v, Release(1.0): %v", vs, err)
				}
			}
		})
	}
}

// TestHandWrittenPages covers what pyindex does not write: PEP 700 version
// spellings, yanked reasons, escaped links, <base>, absolute links, other
// projects' files, a newer API.
func TestHandWrittenPages(t *testing.T) {
	const h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	pages := map[string]struct{ ct, body string }{
		"/simple/pep700/": {"application/vnd.pypi.simple.v1+json", `{"meta":{"api-version":"1.1"},"name":"PEP700","versions":["1.0.0rc1","2.0"],"files":[
			{"filename":"pep700-1.0.0RC1.tar.gz","url":"https://files.example/pep700-1.0.0RC1.tar.gz","hashes":{"sha256":"` + strings.ToUpper(h) + `"}},
			{"filename":"pep700-2.0.tar.gz","url":"/f/pep700-2.0.tar.gz","hashes":{"sha256":"` + h + `"},"yanked":"reason"},
			{"filename":"pep700-3.0.tar.gz","url":"/f/pep700-3.0.tar.gz","hashes":{"md5":"abc"},"yanked":false},
			{"filename":"pep700-3.0.egg","url":"/f/pep700-3.0.egg","hashes":{"sha256":"` + h + `"}},
			{"filename":"other-4.0.tar.gz","url":"/f/other-4.0.tar.gz","hashes":{"sha256":"` + h + `"}}]}`},
		"/simple/future/": {"application/vnd.pypi.simple.v2+json", `{"meta":{"api-version":"2.0"},"name":"future","files":[]}`},
		"/simple/python-dateutil/": {"text/html", `<!DOCTYPE html><html><head><base href="/mirror/deep/"></head><body>
			<a href="python-dateutil-2.9.0.post0.tar.gz#sha256=` + h + `" data-requires-python="&gt;=2.7, !=3.0.*">python-dateutil-2.9.0.post0.tar.gz</a>
			<a href="../x.whl?a=1&amp;b=2#md5=ff" data-yanked>python_dateutil-2.8.0-py2.py3-none-any.whl</a>
			<a href="python_dateutil-2.8.1-py2.py3-none-any.whl#sha256=` + h + `"></a>
			<A HREF="Python_Dateutil-2.8.1.tar.gz#sha256=` + h + `">Python_Dateutil-2.8.1.tar.gz</A>
			<a href="python_dateutil-1.0-1-py3-none-any.whl#sha256=` + h + `" data-yanked="">python_dateutil-1.0-1-py3-none-any.whl</a>
			</body></html>`},
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != accept {
			t.Errorf("Accept: %q", r.Header.Get("Accept"))
		}
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", p.ct)
		fmt.Fprint(w, p.body)
	}))
	defer hs.Close()
	src := New(client(t), hs.URL+"/simple", Options{})
	ctx := context.Background()

	name, vs, err := src.Versions(ctx, "pep700")
	if err != nil {
		t.Fatal(err)
	}
	if name != "pep700" || !slices.Equal(vs, []string{"1.0.0rc1", "3.0"}) {
		t.Errorf("pep700: %q %v", name, vs)
	}
	rel, err := src.Release(ctx, "pep700", "1.0.0rc1")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != "1.0.0rc1" || rel.Artifacts[0].Hash != "sha256:"+h || rel.Artifacts[0].URL != "https://files.example/pep700-1.0.0RC1.tar.gz" {
		t.Errorf("pep700 1.0.0rc1: %+v", rel)
	}
	rel, err = src.Release(ctx, "pep700", "3.0")
	if err != nil || len(rel.Artifacts) != 1 || rel.Artifacts[0].Hash != "" || rel.Artifacts[0].URL != hs.URL+"/f/pep700-3.0.tar.gz" {
		t.Errorf("pep700 3.0: %+v, %v", rel, err)
	}

	if _, _, err := src.Versions(ctx, "future"); err == nil || !strings.Contains(err.Error(), "2.0") {
		t.Errorf("API 2.0: %v", err)
	}

	name, vs, err = src.Versions(ctx, "python_dateutil")
	if err != nil {
		t.Fatal(err)
	}
	if name != "python-dateutil" || !slices.Equal(vs, []string{"2.8.1", "2.9.0.post0"}) {
		t.Errorf("python-dateutil: %q %v", name, vs)
	}
	rel, err = src.Release(ctx, "python-dateutil", "2.9.0.post0")
	if err != nil {
		t.Fatal(err)
	}
	if a := rel.Artifacts[0]; a.URL != hs.URL+"/mirror/deep/python-dateutil-2.9.0.post0.tar.gz" || a.RequiresPython != ">=2.7, !=3.0.*" || a.Hash != "sha256:"+h {
		t.Errorf("2.9.0.post0: %+v", a)
	}
	rel, err = src.Release(ctx, "python-dateutil", "2.8.1")
	if err != nil {
		t.Fatal(err)
	}
	// An anchor without text is named by its link.
	if len(rel.Artifacts) != 2 || rel.Artifacts[0].Filename != "python_dateutil-2.8.1-py2.py3-none-any.whl" || rel.Version != "2.8.1" {
		t.Errorf("2.8.1: %+v", rel)
	}
	if _, err := src.Release(ctx, "python-dateutil", "2.8.0"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("yanked 2.8.0: %v", err)
	}
}

// TestPipInstallsWhatWeLock proves the hashes are the ones pip checks: pip
// downloads from the index and installs with --require-hashes, and refuses
// bytes that do not match them.
func TestPipInstallsWhatWeLock(t *testing.T) {
	if testing.Short() {
		t.Skip("runs pip")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	// pyenv's shim costs a second a run; ask it once for the interpreter.
	out, err := exec.Command(python, "-c", "import sys, pip; print(sys.executable)").Output()
	if err != nil {
		t.Skip("python3 -m pip is not available")
	}
	python = strings.TrimSpace(string(out))

	// One pip run each, in parallel: pip's start-up is most of this test.
	for _, tampered := range []bool{false, true} {
		t.Run(map[bool]string{false: "install", true: "tampered"}[tampered], func(t *testing.T) {
			t.Parallel()
			srv := pyindex.Start(t, kinto())
			// pip reads the JSON page of one index and the HTML of the other.
			srv.SetHTMLOnly(tampered)
			rel, err := New(client(t), srv.IndexURL(), Options{}).Release(context.Background(), "Kinto", "14.3.0")
			if err != nil {
				t.Fatal(err)
			}
			req := rel.Name + "==" + rel.Version
			for _, h := range rel.Hashes() {
				req += " \\\n    --hash=" + h
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "req.txt"), []byte(req+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if tampered {
				// The page still lists the locked hash; only the bytes change.
				srv.Tamper(rel.Artifacts[0].Filename)
			}
			target := filepath.Join(dir, "site")
			cmd := exec.Command(python, "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check", "--no-compile",
				"--index-url", srv.IndexURL()+"/", "--no-deps", "--require-hashes", "-r", "req.txt", "--target", target)
			cmd.Dir = dir
			// This machine's PIP_FIND_LINKS, and any pip.conf, would offer
			// files from elsewhere.
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "PIP_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, "PIP_CONFIG_FILE="+os.DevNull, "PIP_NO_INPUT=1")
			out, err := cmd.CombinedOutput()
			if tampered {
				if err == nil || !strings.Contains(string(out), "DO NOT MATCH THE HASHES") {
					t.Errorf("pip accepted bytes that do not match the lock: %v\n%s", err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("pip install: %v\n%s", err, out)
			}
			if _, err := os.Stat(filepath.Join(target, "kinto", "__init__.py")); err != nil {
				t.Errorf("pip did not install kinto: %v", err)
			}
			if srv.Requests("/files/kinto/Kinto-14.3.0-py3-none-any.whl") != 1 {
				t.Errorf("pip did not download the wheel from the index")
			}
		})
	}
}
