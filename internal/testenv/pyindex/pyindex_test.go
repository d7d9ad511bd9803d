package pyindex

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func kinto() Project {
	return Project{Name: "Kinto", Versions: []Release{
		{Version: "13.0.0", Yanked: true, YankedReason: "broken migration"},
		{Version: "14.3.0", Files: []File{Wheel("py3-none-any"), Sdist()}, RequiresPython: ">=3.8"},
		{Version: "15.0.0rc1"},
	}}
}

func get(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	// Redirects are looked at, not followed.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func artifact(t *testing.T, s *Server, name, version, filename string) *Artifact {
	t.Helper()
	for _, a := range s.Artifacts(name, version) {
		if a.Filename == filename {
			return a
		}
	}
	t.Fatalf("no artifact %s of %s %s", filename, name, version)
	return nil
}

func TestWheelIsInstallableShape(t *testing.T) {
	s, err := New(Project{Name: "zope.interface", Versions: []Release{{Version: "6.0", Files: []File{
		Wheel("py2.py3-none-any"),
		{Tag: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64", Pad: 1000},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := artifact(t, s, "zope-interface", "6.0", "zope_interface-6.0-py2.py3-none-any.whl")
	files := readZip(t, a.Data)
	if got := string(files["zope_interface/__init__.py"]); got != "__version__ = \"6.0\"\n" {
		t.Errorf("__init__.py = %q", got)
	}
	meta := string(files["zope_interface-6.0.dist-info/METADATA"])
	for _, want := range []string{"Metadata-Version: 2.1\n", "Name: zope.interface\n", "Version: 6.0\n"} {
		if !strings.Contains(meta, want) {
			t.Errorf("METADATA lacks %q:\n%s", want, meta)
		}
	}
	wheel := string(files["zope_interface-6.0.dist-info/WHEEL"])
	for _, want := range []string{"Wheel-Version: 1.0\n", "Root-Is-Purelib: true\n", "Tag: py2-none-any\n", "Tag: py3-none-any\n"} {
		if !strings.Contains(wheel, want) {
			t.Errorf("WHEEL lacks %q:\n%s", want, wheel)
		}
	}
	checkRecord(t, files, "zope_interface-6.0.dist-info/RECORD")

	plat := artifact(t, s, "zope.interface", "6.0", "zope_interface-6.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
	files = readZip(t, plat.Data)
	if n := len(files["zope_interface/_pad.bin"]); n != 1000 {
		t.Errorf("padding is %d bytes, want 1000", n)
	}
	if w := string(files["zope_interface-6.0.dist-info/WHEEL"]); !strings.Contains(w, "Root-Is-Purelib: false\n") || !strings.Contains(w, "Tag: cp312-cp312-manylinux2014_x86_64\n") {
		t.Errorf("WHEEL of a platform wheel:\n%s", w)
	}
	checkRecord(t, files, "zope_interface-6.0.dist-info/RECORD")
}

func readZip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

// checkRecord verifies RECORD the way an installer does.
func checkRecord(t *testing.T, files map[string][]byte, record string) {
	t.Helper()
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(files[record])), "\n") {
		parts := strings.Split(line, ",")
		if len(parts) != 3 {
			t.Fatalf("RECORD line %q", line)
		}
		listed[parts[0]] = true
		if parts[0] == record {
			if parts[1] != "" || parts[2] != "" {
				t.Errorf("RECORD hashes itself: %q", line)
			}
			continue
		}
		data, ok := files[parts[0]]
		if !ok {
			t.Errorf("RECORD lists missing %s", parts[0])
			continue
		}
		sum := sha256.Sum256(data)
		if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); parts[1] != want {
			t.Errorf("%s: RECORD says %s, content hashes %s", parts[0], parts[1], want)
		}
		if parts[2] != strconv.Itoa(len(data)) {
			t.Errorf("%s: RECORD size %s, content %d", parts[0], parts[2], len(data))
		}
	}
	for name := range files {
		if !listed[name] {
			t.Errorf("%s is not in RECORD", name)
		}
	}
}

func TestSdists(t *testing.T) {
	s, err := New(Project{Name: "Kinto", Versions: []Release{{Version: "14.3.0", Files: []File{Sdist(), {Kind: KindSdist, Ext: ".zip"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	tgz := artifact(t, s, "kinto", "14.3.0", "Kinto-14.3.0.tar.gz")
	gz, err := gzip.NewReader(bytes.NewReader(tgz.Data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = string(b)
	}
	if !strings.Contains(got["Kinto-14.3.0/PKG-INFO"], "Name: Kinto\nVersion: 14.3.0\n") {
		t.Errorf("PKG-INFO = %q", got["Kinto-14.3.0/PKG-INFO"])
	}
	for _, name := range []string{"Kinto-14.3.0/", "Kinto-14.3.0/setup.py", "Kinto-14.3.0/pyproject.toml", "Kinto-14.3.0/kinto/__init__.py"} {
		if _, ok := got[name]; !ok {
			t.Errorf("sdist lacks %s; has %v", name, got)
		}
	}

	zipped := readZip(t, artifact(t, s, "kinto", "14.3.0", "Kinto-14.3.0.zip").Data)
	if !strings.Contains(string(zipped["Kinto-14.3.0/PKG-INFO"]), "Version: 14.3.0") {
		t.Errorf("zip sdist: %v", zipped)
	}

	if _, err := New(Project{Name: "x", Versions: []Release{{Version: "1", Files: []File{{Kind: KindSdist, Ext: ".rar"}}}}}); err == nil {
		t.Error("a .rar sdist was accepted")
	}
	if _, err := New(Project{Name: "x", Versions: []Release{{Version: "1", Files: []File{Wheel("py3-none")}}}}); err == nil {
		t.Error("a two-part wheel tag was accepted")
	}
}

func TestDeterministic(t *testing.T) {
	p := Project{Name: "Kinto", Versions: []Release{{Version: "14.3.0", Pad: 100 << 10}}}
	a, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	ha, hb := a.Hashes("Kinto", "14.3.0"), b.Hashes("Kinto", "14.3.0")
	if len(ha) != 2 || strings.Join(ha, ",") != strings.Join(hb, ",") {
		t.Errorf("hashes differ between two builds: %v, %v", ha, hb)
	}
	for _, art := range a.Artifacts("Kinto", "14.3.0") {
		if art.Size < 100<<10 || art.Size > 102<<10 {
			t.Errorf("%s is %d bytes with 100 KiB padding", art.Filename, art.Size)
		}
		if sha256Hex(art.Data) != art.SHA256 {
			t.Errorf("%s: SHA256 field does not match its data", art.Filename)
		}
	}
}

func TestServesJSONAndHTML(t *testing.T) {
	s := Start(t, kinto())
	jsonAccept := http.Header{"Accept": {"application/vnd.pypi.simple.v1+json, text/html;q=0.1"}}

	resp, body := get(t, s.URL+"/simple/kinto/", jsonAccept)
	if ct := resp.Header.Get("Content-Type"); ct != jsonType {
		t.Fatalf("Content-Type %q", ct)
	}
	var doc struct {
		Meta  map[string]string `json:"meta"`
		Name  string            `json:"name"`
		Files []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python"`
			Size           int64             `json:"size"`
			Yanked         any               `json:"yanked"`
		} `json:"files"`
		Versions []string `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Meta["api-version"] != "1.1" || doc.Name != "kinto" || len(doc.Files) != 6 || strings.Join(doc.Versions, " ") != "13.0.0 14.3.0 15.0.0rc1" {
		t.Fatalf("JSON page: %s", body)
	}
	f := doc.Files[0]
	if f.Filename != "Kinto-13.0.0-py3-none-any.whl" || f.Yanked != "broken migration" {
		t.Errorf("first file: %+v", f)
	}
	f = doc.Files[2]
	a := artifact(t, s, "kinto", "14.3.0", f.Filename)
	if "sha256:"+f.Hashes["sha256"] != a.SHA256 || f.Size != a.Size || f.RequiresPython != ">=3.8" || f.Yanked != false {
		t.Errorf("file %+v, artifact %s %d", f, a.SHA256, a.Size)
	}
	// The link is relative to the page and leads to the bytes.
	page, _ := url.Parse(s.URL + "/simple/kinto/")
	ref, _ := url.Parse(f.URL)
	if resp, data := get(t, page.ResolveReference(ref).String(), nil); resp.StatusCode != 200 || !bytes.Equal(data, a.Data) {
		t.Errorf("GET %s: %d", f.URL, resp.StatusCode)
	}

	resp, body = get(t, s.URL+"/simple/kinto/", nil)
	html := string(body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q without Accept", ct)
	}
	for _, want := range []string{
		`<a href="../../files/kinto/Kinto-14.3.0.tar.gz#sha256=` + strings.TrimPrefix(s.Hashes("kinto", "14.3.0")[1], "sha256:") + `" data-requires-python="&gt;=3.8">Kinto-14.3.0.tar.gz</a>`,
		`data-yanked="broken migration">Kinto-13.0.0.tar.gz</a>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s:\n%s", want, html)
		}
	}

	s.SetHTMLOnly(true)
	if resp, _ := get(t, s.URL+"/simple/kinto/", jsonAccept); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HTML-only index answered %s", resp.Header.Get("Content-Type"))
	}
	s.SetHTMLOnly(false)

	if _, body := get(t, s.URL+"/simple/", jsonAccept); !strings.Contains(string(body), `"projects":[{"name":"Kinto"}]`) {
		t.Errorf("JSON root: %s", body)
	}
	if _, body := get(t, s.URL+"/simple/", nil); !strings.Contains(string(body), `<a href="/simple/kinto/">Kinto</a>`) {
		t.Errorf("HTML root: %s", body)
	}
	if resp, _ := get(t, s.URL+"/simple/kinto/", http.Header{"Accept": {"application/vnd.pypi.simple.v1+json;q=0, text/html"}}); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("q=0 JSON was served JSON")
	}
}

func TestRedirectsAndNotFound(t *testing.T) {
	s := Start(t, kinto(), Project{Name: "zope.interface", Versions: []Release{{Version: "6.0"}}})
	for path, want := range map[string]string{
		"/simple/Kinto/":          "/simple/kinto/",
		"/simple/kinto":           "/simple/kinto/",
		"/simple/Zope_Interface/": "/simple/zope-interface/",
		"/simple":                 "/simple/",
	} {
		resp, _ := get(t, s.URL+path, nil)
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d to %q, want 301 to %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	for _, path := range []string{"/simple/nope/", "/files/kinto/nope.whl", "/files/nope/Kinto-14.3.0.tar.gz", "/elsewhere"} {
		if resp, _ := get(t, s.URL+path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestFaultsAndCounts(t *testing.T) {
	s := Start(t, kinto())
	s.FailNext(2)
	for i, want := range []int{500, 500, 200} {
		if resp, _ := get(t, s.URL+"/simple/kinto/", nil); resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	if n := s.Requests("/simple/kinto/"); n != 3 {
		t.Errorf("Requests = %d, want 3", n)
	}

	a := artifact(t, s, "kinto", "14.3.0", "Kinto-14.3.0.tar.gz")
	s.FailPath(a.Path, 1)
	if resp, _ := get(t, s.URL+"/simple/kinto/", nil); resp.StatusCode != 200 {
		t.Errorf("FailPath failed another path")
	}
	if resp, _ := get(t, s.URL+a.Path, nil); resp.StatusCode != 500 {
		t.Errorf("FailPath: %d", resp.StatusCode)
	}
	if _, data := get(t, s.URL+a.Path, nil); sha256Hex(data) != a.SHA256 {
		t.Errorf("served bytes do not hash to the listed hash")
	}
	s.Tamper(a.Filename)
	if _, data := get(t, s.URL+a.Path, nil); sha256Hex(data) == a.SHA256 || len(data) != len(a.Data) {
		t.Errorf("tampered file still hashes as listed")
	}
	if s.TotalRequests() != 7 {
		t.Errorf("TotalRequests = %d, want 7", s.TotalRequests())
	}
	s.ResetCounts()
	if s.TotalRequests() != 0 || s.Requests("/simple/kinto/") != 0 {
		t.Errorf("ResetCounts kept counts")
	}

	s.RequireAuth("alice", "s3cret")
	if resp, _ := get(t, s.URL+"/simple/kinto/", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", s.URL+"/simple/kinto/", nil)
	req.SetBasicAuth("alice", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("with credentials: %d", resp.StatusCode)
	}
}

func TestAddAndLockfile(t *testing.T) {
	s := Start(t, kinto())
	if err := s.Add(Project{Name: "kinto", Versions: []Release{{Version: "15.0.0"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Project{Name: "kinto", Versions: []Release{{Version: "15.0.0"}}}); err == nil {
		t.Error("the same files added twice")
	}
	_, body := get(t, s.URL+"/simple/kinto/", nil)
	if !strings.Contains(string(body), "Kinto-15.0.0.tar.gz") {
		t.Errorf("added version not served")
	}
	lock, err := s.Lockfile("Kinto==14.3.0", "kinto==15.0.0")
	if err != nil {
		t.Fatal(err)
	}
	h := s.Hashes("kinto", "14.3.0")
	want := "Kinto==14.3.0 \\\n    --hash=" + h[0] + " \\\n    --hash=" + h[1] + "\n"
	if !strings.HasPrefix(lock, want) || strings.Count(lock, "--hash=") != 4 {
		t.Errorf("Lockfile:\n%s", lock)
	}
	if _, err := s.Lockfile("Kinto==13.0.0"); err == nil {
		t.Error("a lockfile of a yanked release")
	}
}

func TestWheelMembersAndEntryPoints(t *testing.T) {
	data := DataDir("Demo.Tool", "1.0")
	if data != "Demo_Tool-1.0.data" || DistInfoDir("Demo.Tool", "1.0") != "Demo_Tool-1.0.dist-info" {
		t.Fatalf("DataDir %q, DistInfoDir %q", data, DistInfoDir("Demo.Tool", "1.0"))
	}
	s, err := New(Project{Name: "Demo.Tool", Versions: []Release{{Version: "1.0", Files: []File{{
		EntryPoints: "[console_scripts]\ndemo = demo_tool.cli:main\n",
		Members: []Member{
			{Name: "demo_tool/cli.py", Data: "def main():\n    print('hi')\n"},
			{Name: data + "/scripts/demo-sh", Data: "#!python\n", Mode: 0o755},
			{Name: "../escapes.py", Data: "x = 1\n"},
		},
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := artifact(t, s, "Demo.Tool", "1.0", "Demo_Tool-1.0-py3-none-any.whl")
	files := readZip(t, a.Data)
	for name, want := range map[string]string{
		"demo_tool/cli.py":                         "def main():\n    print('hi')\n",
		data + "/scripts/demo-sh":                  "#!python\n",
		"../escapes.py":                            "x = 1\n",
		"Demo_Tool-1.0.dist-info/entry_points.txt": "[console_scripts]\ndemo = demo_tool.cli:main\n",
	} {
		if got, ok := files[name]; !ok || string(got) != want {
			t.Errorf("%s = %q, %v", name, got, ok)
		}
	}
	checkRecord(t, files, "Demo_Tool-1.0.dist-info/RECORD")
	zr, _ := zip.NewReader(bytes.NewReader(a.Data), int64(len(a.Data)))
	for _, f := range zr.File {
		want := "-rw-r--r--"
		if f.Name == data+"/scripts/demo-sh" {
			want = "-rwxr-xr-x"
		}
		if got := f.Mode().String(); got != want {
			t.Errorf("%s: mode %s, want %s", f.Name, got, want)
		}
	}

	if _, err := New(Project{Name: "x", Versions: []Release{{Version: "1", Files: []File{{Kind: KindSdist, Members: []Member{{Name: "a"}}}}}}}); err == nil {
		t.Error("members in an sdist were accepted")
	}
}

func withDeps() Project {
	return Project{Name: "Kinto", Versions: []Release{{
		Version:       "14.3.0",
		Files:         []File{Wheel("py3-none-any"), Sdist()},
		RequiresDist:  []string{"requests>=2.8", `speedup>=1.0 ; extra == "fast"`, `colorama ; platform_machine == "aarch64"`, `uvloop ; sys_platform != "win32" and extra == "fast"`},
		ProvidesExtra: []string{"fast", "docs"},
	}}}
}

func TestCoreMetadataInFiles(t *testing.T) {
	s, err := New(withDeps(), Project{Name: "late", Versions: []Release{{
		Version: "1.0", Files: []File{Sdist()}, MetadataVersion: "2.2",
		RequiresDist: []string{"attrs"}, Dynamic: []string{"Requires-Dist"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	whl := artifact(t, s, "kinto", "14.3.0", "Kinto-14.3.0-py3-none-any.whl")
	files := readZip(t, whl.Data)
	meta := string(files["Kinto-14.3.0.dist-info/METADATA"])
	want := "Metadata-Version: 2.1\nName: Kinto\nVersion: 14.3.0\nSummary: Generated by dist's test index\n" +
		"Provides-Extra: fast\nProvides-Extra: docs\n" +
		"Requires-Dist: requests>=2.8\nRequires-Dist: speedup>=1.0 ; extra == \"fast\"\n" +
		"Requires-Dist: colorama ; platform_machine == \"aarch64\"\nRequires-Dist: uvloop ; sys_platform != \"win32\" and extra == \"fast\"\n"
	if meta != want {
		t.Errorf("METADATA:\n%s\nwant:\n%s", meta, want)
	}
	if string(whl.Metadata) != meta || whl.MetadataSHA256 != sha256Hex(whl.Metadata) {
		t.Errorf("Artifact.Metadata %q, %s", whl.Metadata, whl.MetadataSHA256)
	}
	checkRecord(t, files, "Kinto-14.3.0.dist-info/RECORD")

	sd := artifact(t, s, "kinto", "14.3.0", "Kinto-14.3.0.tar.gz")
	if sd.Metadata != nil || sd.MetadataSHA256 != "" {
		t.Errorf("an sdist has a metadata file: %q", sd.Metadata)
	}
	got := readTarGz(t, sd.Data)
	if pkgInfo := got["Kinto-14.3.0/PKG-INFO"]; pkgInfo != meta {
		t.Errorf("PKG-INFO differs from METADATA:\n%s", pkgInfo)
	}
	wantPyproject := `dependencies = ["requests>=2.8", "colorama ; platform_machine == \"aarch64\""]

[project.optional-dependencies]
"fast" = ["speedup>=1.0", "uvloop ; sys_platform != \"win32\""]
"docs" = []
`
	if pp := got["Kinto-14.3.0/pyproject.toml"]; !strings.HasSuffix(pp, wantPyproject) {
		t.Errorf("pyproject.toml:\n%s\nwant it to end with:\n%s", pp, wantPyproject)
	}
	if setup := got["Kinto-14.3.0/setup.py"]; setup != "from setuptools import setup\n\nsetup(name=\"Kinto\", version=\"14.3.0\", packages=[\"kinto\"])\n" {
		t.Errorf("setup.py:\n%s", setup)
	}

	// PKG-INFO marks dependencies Dynamic: pyproject.toml leaves them to
	// setup.py, and wheels never say Dynamic.
	got = readTarGz(t, artifact(t, s, "late", "1.0", "late-1.0.tar.gz").Data)
	if pkgInfo := got["late-1.0/PKG-INFO"]; !strings.HasPrefix(pkgInfo, "Metadata-Version: 2.2\n") || !strings.Contains(pkgInfo, "\nDynamic: Requires-Dist\nRequires-Dist: attrs\n") {
		t.Errorf("PKG-INFO:\n%s", pkgInfo)
	}
	if pp := got["late-1.0/pyproject.toml"]; !strings.Contains(pp, "dynamic = [\"dependencies\"]\n") || strings.Contains(pp, "attrs") {
		t.Errorf("pyproject.toml:\n%s", pp)
	}
	if setup := got["late-1.0/setup.py"]; !strings.Contains(setup, `install_requires=["attrs"]`) {
		t.Errorf("setup.py:\n%s", setup)
	}
	if err := s.Add(Project{Name: "late", Versions: []Release{{Version: "2.0", RequiresDist: []string{"a\nName: b"}}}}); err == nil {
		t.Error("a Requires-Dist with a line break was accepted")
	}
}

func readTarGz(t *testing.T, data []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = string(b)
	}
}

func TestServesCoreMetadata(t *testing.T) {
	s := Start(t, withDeps())
	whl := artifact(t, s, "kinto", "14.3.0", "Kinto-14.3.0-py3-none-any.whl")
	sd := artifact(t, s, "kinto", "14.3.0", "Kinto-14.3.0.tar.gz")
	hexs := strings.TrimPrefix(whl.MetadataSHA256, "sha256:")
	jsonAccept := http.Header{"Accept": {jsonType}}

	type file struct {
		Filename         string         `json:"filename"`
		CoreMetadata     map[string]any `json:"core-metadata"`
		DistInfoMetadata map[string]any `json:"data-dist-info-metadata"`
	}
	page := func() []file {
		_, body := get(t, s.URL+"/simple/kinto/", jsonAccept)
		var doc struct{ Files []file }
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Files
	}
	files := page()
	if len(files) != 2 || files[0].CoreMetadata["sha256"] != hexs || files[0].DistInfoMetadata["sha256"] != hexs {
		t.Errorf("JSON wheel entry: %+v", files)
	}
	if files[1].CoreMetadata != nil || files[1].DistInfoMetadata != nil {
		t.Errorf("JSON sdist entry: %+v", files[1])
	}
	_, body := get(t, s.URL+"/simple/kinto/", nil)
	if want := `data-core-metadata="sha256=` + hexs + `" data-dist-info-metadata="sha256=` + hexs + `">Kinto-14.3.0-py3-none-any.whl</a>`; !strings.Contains(string(body), want) {
		t.Errorf("HTML lacks %s:\n%s", want, body)
	}
	if strings.Count(string(body), "data-core-metadata") != 1 {
		t.Errorf("HTML advertises metadata for the sdist:\n%s", body)
	}

	resp, data := get(t, s.URL+whl.Path+".metadata", nil)
	if resp.StatusCode != 200 || sha256Hex(data) != whl.MetadataSHA256 || !bytes.Equal(data, whl.Metadata) {
		t.Errorf("GET .metadata: %d %q", resp.StatusCode, data)
	}
	if resp, _ := get(t, s.URL+sd.Path+".metadata", nil); resp.StatusCode != 404 {
		t.Errorf("an sdist's .metadata: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s.URL+"/files/other/"+whl.Filename+".metadata", nil); resp.StatusCode != 404 {
		t.Errorf(".metadata under another project: %d", resp.StatusCode)
	}

	s.TamperMetadata(whl.Filename)
	if _, data := get(t, s.URL+whl.Path+".metadata", nil); sha256Hex(data) == whl.MetadataSHA256 || !strings.HasSuffix(string(data), "\nRequires-Dist: tampered\n") {
		t.Errorf("tampered metadata file: %q", data)
	}
	if _, data := get(t, s.URL+whl.Path, nil); sha256Hex(data) != whl.SHA256 {
		t.Errorf("tampering with the metadata file changed the wheel")
	}
	if !bytes.Equal(artifact(t, s, "kinto", "14.3.0", whl.Filename).Metadata, readZip(t, whl.Data)["Kinto-14.3.0.dist-info/METADATA"]) {
		t.Errorf("tampering changed Artifact.Metadata")
	}

	s.SetCoreMetadata(false)
	if files := page(); files[0].CoreMetadata != nil || files[0].DistInfoMetadata != nil {
		t.Errorf("metadata off, JSON: %+v", files[0])
	}
	if _, body := get(t, s.URL+"/simple/kinto/", nil); strings.Contains(string(body), "metadata") {
		t.Errorf("metadata off, HTML:\n%s", body)
	}
	if resp, _ := get(t, s.URL+whl.Path+".metadata", nil); resp.StatusCode != 404 {
		t.Errorf("metadata off, GET .metadata: %d", resp.StatusCode)
	}
	if n := s.Requests(whl.Path + ".metadata"); n != 3 {
		t.Errorf("Requests(.metadata) = %d, want 3", n)
	}
}

// TestPipResolvesDependencies installs a project with an extra the way a
// hashed lockfile does, pip reading the dependencies from the metadata
// files the index serves, and has pip check the result.
func TestPipResolvesDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs pip")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	// pip --python, which installs into an environment without pip, came
	// with pip 22.3, as did PEP 658.
	out, err := exec.Command(python, "-c", "import sys, pip; v = tuple(map(int, pip.__version__.split('.')[:2])); assert v >= (22, 3); print(sys.executable)").Output()
	if err != nil {
		t.Skip("no pip 22.3 or later")
	}
	python = strings.TrimSpace(string(out))

	for _, html := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "html"}[html], func(t *testing.T) {
			t.Parallel()
			s := Start(t,
				Project{Name: "App", Versions: []Release{{
					Version:       "1.0",
					RequiresDist:  []string{"Lib>=2.0", `speedup>=1.0 ; extra == "fast"`, `missing ; sys_platform == "no-such-platform"`},
					ProvidesExtra: []string{"fast"},
				}}},
				Project{Name: "lib", Versions: []Release{{Version: "1.0"}, {Version: "2.1", RequiresDist: []string{"leaf"}}}},
				Project{Name: "leaf", Versions: []Release{{Version: "0.3"}}},
				Project{Name: "speedup", Versions: []Release{{Version: "1.2", Files: []File{Wheel("py3-none-any")}}}},
			)
			s.SetHTMLOnly(html)
			lock, err := s.Lockfile("App==1.0", "lib==2.1", "leaf==0.3", "speedup==1.2")
			if err != nil {
				t.Fatal(err)
			}
			lock = strings.Replace(lock, "App==1.0", "App[fast]==1.0", 1)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "req.txt"), []byte(lock), 0o644); err != nil {
				t.Fatal(err)
			}
			venv := filepath.Join(dir, "venv")
			if out, err := exec.Command(python, "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
				t.Fatalf("venv: %v\n%s", err, out)
			}
			pip := func(args ...string) string {
				t.Helper()
				cmd := exec.Command(python, append([]string{"-m", "pip", "--python", filepath.Join(venv, "bin", "python"),
					"--disable-pip-version-check", "--no-cache-dir"}, args...)...)
				cmd.Dir = dir
				// This machine's PIP_FIND_LINKS, and any pip.conf, would
				// offer files from elsewhere.
				for _, kv := range os.Environ() {
					if !strings.HasPrefix(kv, "PIP_") {
						cmd.Env = append(cmd.Env, kv)
					}
				}
				cmd.Env = append(cmd.Env, "PIP_CONFIG_FILE="+os.DevNull, "PIP_NO_INPUT=1")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("pip %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			// pip reads metadata files only when it need not check hashes
			// (a metadata file's hash is not the locked one): a dry run
			// resolves from ours, and would fail on a hash that is not
			// what the page says.
			whl := artifact(t, s, "app", "1.0", "App-1.0-py3-none-any.whl")
			pip("install", "--dry-run", "--index-url", s.IndexURL()+"/", "App[fast]==1.0")
			if n := s.Requests(whl.Path + ".metadata"); n != 1 {
				t.Errorf("pip's dry run read the metadata file %d times", n)
			}
			// --require-hashes fails on any dependency the lock does not
			// pin, so this also proves pip read no more than was declared.
			pip("install", "--no-compile", "--index-url", s.IndexURL()+"/", "--require-hashes", "-r", "req.txt")
			if out := pip("check"); !strings.Contains(out, "No broken requirements") {
				t.Errorf("pip check:\n%s", out)
			}
			list := pip("list", "--format", "freeze")
			for _, want := range []string{"App==1.0", "lib==2.1", "leaf==0.3", "speedup==1.2"} {
				if !strings.Contains(list, want+"\n") {
					t.Errorf("pip list lacks %s:\n%s", want, list)
				}
			}
		})
	}
}
