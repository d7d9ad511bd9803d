package wheel

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source/pypi"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

const cliPy = `import sys


def main():
    print("demo-tool says hello", " ".join(sys.argv[1:]))
    return 0


def gui():
    print("demo-gui runs")


class Nested:
    @staticmethod
    def run():
        print("nested entry point")
        return 3
`

const entryPoints = `# console and GUI scripts, and a group scripts do not come from
[console_scripts]
demo-cli = demo_tool.cli:main
demo-nested = demo_tool.cli:Nested.run [color]

[gui_scripts]
demo-gui=demo_tool.cli:gui

[demo_tool.plugins]
whatever = demo_tool.plugins:Thing
`

// demoWheel is a wheel with every part an installer handles: a package,
// console and GUI scripts, .data scripts with and without "#!python",
// purelib and platlib data, headers, data files, and an executable member.
func demoWheel(tag string) pyindex.File {
	data := pyindex.DataDir("Demo.Tool", "1.0")
	return pyindex.File{
		Tag:         tag,
		EntryPoints: entryPoints,
		Members: []pyindex.Member{
			{Name: "demo_tool/cli.py", Data: cliPy},
			{Name: "demo_tool/sub/__init__.py", Data: ""},
			{Name: "demo_tool/sub/mod.py", Data: "VALUE = 42\n"},
			{Name: "demo_tool/run.sh", Data: "#!/bin/sh\necho run\n", Mode: 0o755},
			{Name: data + "/scripts/demo-py", Data: "#!python -u\nimport demo_tool\nprint('data script', demo_tool.__version__)\n", Mode: 0o755},
			{Name: data + "/scripts/demo-pyw", Data: "#!pythonw\r\nprint('windowed')\n", Mode: 0o755},
			{Name: data + "/scripts/demo-sh", Data: "#!/bin/sh\necho shell script\n", Mode: 0o755},
			// setuptools' wrapper for an entry point: pip writes its own.
			{Name: data + "/scripts/demo-cli", Data: "#!python\nraise SystemExit('the old wrapper ran')\n", Mode: 0o755},
			{Name: data + "/purelib/demo_tool/extra.py", Data: "EXTRA = 'purelib'\n"},
			{Name: data + "/platlib/demo_tool_speedups.py", Data: "FAST = True\n"},
			{Name: data + "/headers/demo.h", Data: "int demo(void);\n"},
			{Name: data + "/data/share/demo-tool/README.txt", Data: "data files\n"},
		},
	}
}

// build generates one wheel with pyindex and the pin that locks it.
func build(t *testing.T, name, version string, f pyindex.File) ([]byte, Pin) {
	t.Helper()
	s, err := pyindex.New(pyindex.Project{Name: name, Versions: []pyindex.Release{{Version: version, Files: []pyindex.File{f}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Artifacts(name, version)[0]
	return a.Data, Pin{Name: name, Version: version, Hashes: []string{a.SHA256}}
}

var imageLayout = Layout{
	SitePackages: "/usr/local/lib/python3.12/site-packages",
	Interpreter:  "/usr/local/bin/python3.12",
}

func byPath(files []File) map[string]File {
	m := map[string]File{}
	for _, f := range files {
		m[f.Path] = f
	}
	return m
}

func TestInstallLayout(t *testing.T) {
	data, pin := build(t, "Demo.Tool", "1.0", demoWheel("py3-none-any"))
	files, err := installBytes(data, pin, imageLayout)
	if err != nil {
		t.Fatal(err)
	}
	const sp = "/usr/local/lib/python3.12/site-packages/"
	const bin = "/usr/local/bin/"
	want := map[string]fs.FileMode{
		sp + "demo_tool/__init__.py":                     0o644,
		sp + "demo_tool/cli.py":                          0o644,
		sp + "demo_tool/sub/__init__.py":                 0o644,
		sp + "demo_tool/sub/mod.py":                      0o644,
		sp + "demo_tool/run.sh":                          0o755,
		sp + "demo_tool/extra.py":                        0o644,
		sp + "demo_tool_speedups.py":                     0o644,
		sp + "Demo_Tool-1.0.dist-info/METADATA":          0o644,
		sp + "Demo_Tool-1.0.dist-info/WHEEL":             0o644,
		sp + "Demo_Tool-1.0.dist-info/entry_points.txt":  0o644,
		sp + "Demo_Tool-1.0.dist-info/INSTALLER":         0o644,
		sp + "Demo_Tool-1.0.dist-info/RECORD":            0o644,
		bin + "demo-py":                                  0o755,
		bin + "demo-pyw":                                 0o755,
		bin + "demo-sh":                                  0o755,
		bin + "demo-cli":                                 0o755,
		bin + "demo-nested":                              0o755,
		bin + "demo-gui":                                 0o755,
		"/usr/local/include/python3.12/Demo.Tool/demo.h": 0o644,
		"/usr/local/share/demo-tool/README.txt":          0o644,
	}
	got := byPath(files)
	for p, mode := range want {
		f, ok := got[p]
		if !ok {
			t.Errorf("%s not installed", p)
		} else if f.Mode != mode {
			t.Errorf("%s: mode %v, want %v", p, f.Mode, mode)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s installed, unexpected", p)
		}
	}
	for i := 1; i < len(files); i++ {
		if files[i-1].Path >= files[i].Path {
			t.Errorf("not sorted: %s before %s", files[i-1].Path, files[i].Path)
		}
	}

	for p, content := range map[string]string{
		bin + "demo-py":  "#!/usr/local/bin/python3.12\nimport demo_tool\nprint('data script', demo_tool.__version__)\n",
		bin + "demo-pyw": "#!/usr/local/bin/python3.12\nprint('windowed')\n",
		bin + "demo-sh":  "#!/bin/sh\necho shell script\n",
		bin + "demo-nested": "#!/usr/local/bin/python3.12\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom demo_tool.cli import Nested\n" +
			"if __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(Nested.run())\n",
		sp + "Demo_Tool-1.0.dist-info/INSTALLER": "dist\n",
		sp + "demo_tool/sub/mod.py":              "VALUE = 42\n",
	} {
		if g := string(got[p].Data); g != content {
			t.Errorf("%s:\n%s\nwant:\n%s", p, g, content)
		}
	}
	if g := string(got[bin+"demo-cli"].Data); !strings.Contains(g, "from demo_tool.cli import main\n") || strings.Contains(g, "old wrapper") {
		t.Errorf("demo-cli is not pip's wrapper:\n%s", g)
	}

	checkInstalledRecord(t, files, sp+"Demo_Tool-1.0.dist-info/RECORD", imageLayout.SitePackages)

	again, err := installBytes(data, pin, imageLayout)
	if err != nil || !reflect.DeepEqual(files, again) {
		t.Errorf("a second install differs (%v)", err)
	}
}

// checkInstalledRecord reads RECORD as an uninstaller would: every file
// listed once with its hash and size, RECORD itself without.
func checkInstalledRecord(t *testing.T, files []File, record, sitePackages string) {
	t.Helper()
	got := byPath(files)
	r := csv.NewReader(bytes.NewReader(got[record].Data))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, row := range rows {
		if len(row) != 3 {
			t.Fatalf("RECORD row %q", row)
		}
		p := path.Join(sitePackages, row[0])
		if listed[p] {
			t.Errorf("RECORD lists %s twice", p)
		}
		listed[p] = true
		f, ok := got[p]
		if !ok {
			t.Errorf("RECORD lists %s, which is not installed", row[0])
			continue
		}
		if p == record {
			if row[1] != "" || row[2] != "" {
				t.Errorf("RECORD hashes itself: %q", row)
			}
			continue
		}
		sum := sha256.Sum256(f.Data)
		if row[1] != "sha256="+base64.RawURLEncoding.EncodeToString(sum[:]) || row[2] != strconv.Itoa(len(f.Data)) {
			t.Errorf("RECORD row %q does not match %s (%d bytes)", row, p, len(f.Data))
		}
	}
	for p := range got {
		if !listed[p] {
			t.Errorf("%s is not in RECORD", p)
		}
	}
}

func TestInstallModesAndPlatlib(t *testing.T) {
	// A platform wheel: Root-Is-Purelib false, its root is platlib, which
	// is site-packages too; a script without an exec bit still gets one.
	data, pin := build(t, "fastthing", "2.0", pyindex.File{
		Tag: "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
		Members: []pyindex.Member{
			{Name: "fastthing/_speed.py", Data: "X = 1\n"},
			{Name: pyindex.DataDir("fastthing", "2.0") + "/scripts/fast", Data: "#!python\nprint(1)\n"},
		},
	})
	files, err := installBytes(data, pin, Layout{SitePackages: "/opt/app/site", Interpreter: "/opt/py/bin/python3"})
	if err != nil {
		t.Fatal(err)
	}
	got := byPath(files)
	if f := got["/opt/py/bin/fast"]; f.Mode != 0o755 || string(f.Data) != "#!/opt/py/bin/python3\nprint(1)\n" {
		t.Errorf("script: %v %q", f.Mode, f.Data)
	}
	if _, ok := got["/opt/app/site/fastthing/_speed.py"]; !ok {
		t.Errorf("platlib root not in site-packages: %v", files)
	}
	// RECORD paths outside site-packages are relative to it.
	if rec := string(got["/opt/app/site/fastthing-2.0.dist-info/RECORD"].Data); !strings.Contains(rec, "\n../../py/bin/fast,sha256=") {
		t.Errorf("RECORD:\n%s", rec)
	}
	// No version in either path, and no headers: nothing needs one.
	if _, err := installBytes(data, pin, Layout{SitePackages: "/usr/lib/python3/dist-packages", Interpreter: "/usr/bin/python3"}); err != nil {
		t.Errorf("Debian layout: %v", err)
	}
}

func TestInstallBadInput(t *testing.T) {
	good, pin := build(t, "Demo.Tool", "1.0", demoWheel("py3-none-any"))

	t.Run("bytes not matching the pin", func(t *testing.T) {
		tampered := bytes.Clone(good)
		tampered[len(tampered)-1] ^= 0xff
		_, err := installBytes(tampered, pin, imageLayout)
		wantPinError(t, err, ErrHashMismatch, "Demo.Tool==1.0", "does not pin")
		other := pin
		other.Hashes = []string{"sha256:" + strings.Repeat("0", 64), "md5:abc"}
		_, err = installBytes(good, other, imageLayout)
		wantPinError(t, err, ErrHashMismatch, "Demo.Tool==1.0", strings.Repeat("0", 64))
		other.Hashes = nil
		_, err = installBytes(good, other, imageLayout)
		wantPinError(t, err, ErrHashMismatch, "Demo.Tool==1.0", "no sha256")
	})

	for _, name := range []string{"../evil.py", "demo_tool/../../evil.py", "/etc/cron.d/evil", pyindex.DataDir("evil", "1.0") + "/scripts/../../../evil", "a\\..\\evil.py"} {
		t.Run("member "+name, func(t *testing.T) {
			data, pin := build(t, "evil", "1.0", pyindex.File{Members: []pyindex.Member{{Name: name, Data: "import os\n"}}})
			files, err := installBytes(data, pin, imageLayout)
			wantPinError(t, err, ErrUnsafePath, "evil==1.0", strconv.Quote(name))
			if files != nil {
				t.Errorf("files returned with the error")
			}
		})
	}

	for name, ep := range map[string]string{
		"no section":         "demo = demo_tool.cli:main\n",
		"no equals":          "[console_scripts]\ndemo demo_tool.cli:main\n",
		"no callable":        "[console_scripts]\ndemo = demo_tool.cli\n",
		"two colons":         "[console_scripts]\ndemo = demo_tool:cli:main\n",
		"bad header":         "[console_scripts\ndemo = demo_tool.cli:main\n",
		"slash in name":      "[console_scripts]\n../../etc/evil = demo_tool.cli:main\n",
		"dot-dot name":       "[gui_scripts]\n.. = demo_tool.cli:main\n",
		"defined twice":      "[console_scripts]\ndemo = demo_tool.cli:main\n[gui_scripts]\ndemo = demo_tool.cli:gui\n",
		"code, not a name":   "[console_scripts]\ndemo = os:system('rm -rf /')\n",
		"empty module part":  "[console_scripts]\ndemo = demo_tool..cli:main\n",
		"empty name":         "[console_scripts]\n= demo_tool.cli:main\n",
		"continuation lines": "[console_scripts]\ndemo =\n  demo_tool.cli:main\n",
	} {
		t.Run("entry_points "+name, func(t *testing.T) {
			data, pin := build(t, "epdemo", "1.0", pyindex.File{EntryPoints: ep})
			_, err := installBytes(data, pin, imageLayout)
			wantPinError(t, err, ErrEntryPoints, "epdemo==1.0", "epdemo-1.0.dist-info/entry_points.txt: line ")
		})
	}

	t.Run("no wheel for the platform", func(t *testing.T) {
		srv := pyindex.Start(t, pyindex.Project{Name: "Kinto", Versions: []pyindex.Release{{Version: "14.3.0", Files: []pyindex.File{pyindex.Sdist()}}}})
		rel, err := pypi.New(fetch.New(fetch.Options{CacheDir: t.TempDir()}), srv.IndexURL(), pypi.Options{}).Release(context.Background(), "Kinto", "14.3.0")
		if err != nil {
			t.Fatal(err)
		}
		pin := Pin{Name: "Kinto", Version: "14.3.0", Hashes: srv.Hashes("Kinto", "14.3.0")}
		_, err = Select(pin, rel.Artifacts, Target{Platform: "linux/arm64", Python: "3.12"})
		wantPinError(t, err, ErrNoWheel, "Kinto==14.3.0", "linux/arm64", "Kinto-14.3.0.tar.gz (sdist)", "never builds sdists")
	})

	for name, tc := range map[string]struct {
		edit func(name string, data []byte) (string, []byte)
		kind error
		want string
	}{
		"RECORD disagrees": {func(n string, d []byte) (string, []byte) {
			if n == "demo_tool/cli.py" {
				d = append(d, "# changed\n"...)
			}
			return n, d
		}, ErrInvalidWheel, "demo_tool/cli.py: RECORD says sha256="},
		"no RECORD": {func(n string, d []byte) (string, []byte) {
			if strings.HasSuffix(n, "/RECORD") {
				return "", nil
			}
			return n, d
		}, ErrInvalidWheel, "RECORD is missing"},
		"another project": {func(n string, d []byte) (string, []byte) {
			return strings.Replace(n, "Demo_Tool-1.0.dist-info", "Other-1.0.dist-info", 1), d
		}, ErrInvalidWheel, "not a wheel of Demo.Tool"},
		"two dist-info": {func(n string, d []byte) (string, []byte) {
			return strings.Replace(n, "Demo_Tool-1.0.dist-info/METADATA", "Demo_Tool-2.0.dist-info/METADATA", 1), d
		}, ErrInvalidWheel, "one .dist-info directory"},
		"unknown scheme": {func(n string, d []byte) (string, []byte) {
			// RECORD renames it too, so that the scheme is what is wrong.
			return strings.Replace(n, ".data/headers/", ".data/include/", 1), bytes.ReplaceAll(d, []byte(".data/headers/"), []byte(".data/include/"))
		}, ErrInvalidWheel, `unknown .data scheme "include"`},
		"wheel version 2": {func(n string, d []byte) (string, []byte) {
			return n, bytes.Replace(d, []byte("Wheel-Version: 1.0"), []byte("Wheel-Version: 2.0"), 1)
		}, ErrInvalidWheel, "Wheel-Version 2.0"},
		"two sources for one file": {func(n string, d []byte) (string, []byte) {
			return strings.Replace(n, ".data/purelib/demo_tool/extra.py", ".data/purelib/demo_tool/cli.py", 1), bytes.ReplaceAll(d, []byte(".data/purelib/demo_tool/extra.py"), []byte(".data/purelib/demo_tool/cli.py"))
		}, ErrInvalidWheel, "both install to /usr/local/lib/python3.12/site-packages/demo_tool/cli.py"},
	} {
		t.Run(name, func(t *testing.T) {
			data := rezip(t, good, tc.edit)
			p := pin
			sum := sha256.Sum256(data)
			p.Hashes = []string{"sha256:" + strings.ToUpper(base16(sum[:]))}
			_, err := installBytes(data, p, imageLayout)
			wantPinError(t, err, tc.kind, "Demo.Tool==1.0", tc.want)
		})
	}

	t.Run("not a zip", func(t *testing.T) {
		data := []byte("<html>not found</html>")
		sum := sha256.Sum256(data)
		_, err := installBytes(data, Pin{Name: "x", Version: "1", Hashes: []string{"sha256:" + base16(sum[:])}}, imageLayout)
		wantPinError(t, err, ErrInvalidWheel, "x==1", "not a zip")
	})

	for _, l := range []Layout{
		{SitePackages: "site-packages", Interpreter: "/usr/bin/python3"},
		{SitePackages: "/usr/lib/python3/dist-packages", Interpreter: "/opt/my python/bin/python3"},
		{SitePackages: "/usr/lib/python3/dist-packages/", Interpreter: "/usr/bin/python3"},
		{SitePackages: "/usr/lib/python3/dist-packages", Interpreter: "/usr/bin/../python3"},
	} {
		if _, err := installBytes(good, pin, l); err == nil || !strings.HasPrefix(err.Error(), "wheel: layout: ") {
			t.Errorf("layout %+v: %v", l, err)
		}
	}
	if _, err := installBytes(good, pin, Layout{SitePackages: "/usr/lib/python3/dist-packages", Interpreter: "/usr/bin/python3"}); err == nil || !strings.Contains(err.Error(), "Layout.Include") {
		t.Errorf("headers without a place to go: %v", err)
	}
}

func base16(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func wantPinError(t *testing.T, err error, kind error, wants ...string) {
	t.Helper()
	var we *Error
	if !errors.As(err, &we) || !errors.Is(err, kind) {
		t.Fatalf("error %v: want a %v *Error", err, kind)
	}
	if !strings.HasPrefix(err.Error(), wants[0]+": ") {
		t.Errorf("error does not start with the pin %s: %v", wants[0], err)
	}
	for _, w := range wants[1:] {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}

// rezip rewrites a wheel's members through edit; an empty name drops one.
func rezip(t *testing.T, data []byte, edit func(name string, data []byte) (string, []byte)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		name, b := edit(f.Name, b)
		if name == "" {
			continue
		}
		h := f.FileHeader
		h.Name = name
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFromIndex goes the way the image build will: the index's release,
// Select for the platform, a verified download, an install.
func TestFromIndex(t *testing.T) {
	srv := pyindex.Start(t, pyindex.Project{Name: "Demo.Tool", Versions: []pyindex.Release{{Version: "1.0", Files: []pyindex.File{
		pyindex.Sdist(),
		demoWheel("py3-none-any"),
		{Tag: "cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64", Members: []pyindex.Member{{Name: "demo_tool/_arm.py", Data: "ARM = True\n"}}},
	}}}})
	client := fetch.New(fetch.Options{CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond})
	rel, err := pypi.New(client, srv.IndexURL(), pypi.Options{}).Release(context.Background(), "Demo.Tool", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	pin := Pin{Name: "Demo.Tool", Version: "1.0", Hashes: srv.Hashes("Demo.Tool", "1.0")}
	for platform, want := range map[string]string{
		"linux/amd64": "Demo_Tool-1.0-py3-none-any.whl",
		"linux/arm64": "Demo_Tool-1.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
	} {
		art, err := Select(pin, rel.Artifacts, Target{Platform: platform, Python: "3.12"})
		if err != nil || art.Filename != want {
			t.Fatalf("%s: chose %q, %v; want %s", platform, art.Filename, err, want)
		}
		file, err := client.Download(context.Background(), art.URL, art.Hash)
		if err != nil {
			t.Fatal(err)
		}
		files, err := InstallFile(file, pin, imageLayout)
		if err != nil {
			t.Fatal(err)
		}
		_, arm := byPath(files)["/usr/local/lib/python3.12/site-packages/demo_tool/_arm.py"]
		if arm != (platform == "linux/arm64") {
			t.Errorf("%s: installed the wrong wheel", platform)
		}
	}
}

var localPython struct {
	once       sync.Once
	path, vers string
	pip        bool
}

// python returns the machine's real python3 (not a pyenv shim, whose
// start-up costs a second and which a shebang cannot name) and its X.Y.
// Without one the test is skipped, unless CI=true.
func python(t *testing.T, needPip bool) (string, string) {
	t.Helper()
	lp := &localPython
	lp.once.Do(func() {
		py, err := exec.LookPath("python3")
		if err != nil {
			return
		}
		// One run: through a pyenv shim, each costs seconds.
		out, err := exec.Command(py, "-c", "import sys, importlib.util; print(sys.executable); print('%d.%d' % sys.version_info[:2]); print(importlib.util.find_spec('pip') is not None)").Output()
		if err != nil {
			return
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 3 {
			return
		}
		lp.path, lp.vers, lp.pip = lines[0], lines[1], lines[2] == "True"
	})
	missing := ""
	switch {
	case lp.path == "":
		missing = "python3"
	case needPip && !lp.pip:
		missing = "python3 -m pip"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed on CI", missing)
		}
		t.Skipf("no %s on this machine", missing)
	}
	if testing.Short() {
		t.Skip("runs python")
	}
	return lp.path, lp.vers
}

// writeTree writes installed files under root, as an unpacked layer.
func writeTree(t *testing.T, root string, files []File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInstalledRuns imports what was installed with the machine's python3
// and runs the scripts, whose shebang is, for this test, that python3.
func TestInstalledRuns(t *testing.T) {
	t.Parallel()
	py, vers := python(t, false)
	if strings.ContainsAny(py, " \t") {
		t.Skipf("%q cannot be a shebang", py)
	}
	data, pin := build(t, "Demo.Tool", "1.0", demoWheel("py3-none-any"))
	layout := Layout{SitePackages: "/srv/app/lib/python" + vers + "/site-packages", Interpreter: py}
	files, err := installBytes(data, pin, layout)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeTree(t, root, files)
	env := append(os.Environ(), "PYTHONPATH="+filepath.Join(root, filepath.FromSlash(layout.SitePackages)), "PYTHONDONTWRITEBYTECODE=1")
	run := func(t *testing.T, name string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(out), 0
	}

	// Each check starts a python; they run side by side.
	t.Run("import", func(t *testing.T) {
		t.Parallel()
		out, _ := run(t, py, "-c", "import demo_tool, demo_tool.cli, demo_tool.sub.mod, demo_tool.extra, demo_tool_speedups; "+
			"print(demo_tool.__version__, demo_tool.sub.mod.VALUE, demo_tool.extra.EXTRA, demo_tool_speedups.FAST, demo_tool.__file__.startswith("+strconv.Quote(root)+"))")
		if out != "1.0 42 purelib True True\n" {
			t.Errorf("import: %q", out)
		}
	})
	bin := path.Dir(py)
	for _, tc := range []struct {
		script, out string
		code        int
	}{
		{"demo-cli", "demo-tool says hello a b\n", 0},
		{"demo-nested", "nested entry point\n", 3}, // sys.exit of what the entry point returns
		{"demo-gui", "demo-gui runs\n", 0},
		{"demo-py", "data script 1.0\n", 0},
		{"demo-sh", "shell script\n", 0},
	} {
		t.Run(tc.script, func(t *testing.T) {
			t.Parallel()
			first, _, _ := strings.Cut(string(byPath(files)[path.Join(bin, tc.script)].Data), "\n")
			if want := "#!" + py; tc.script != "demo-sh" && first != want {
				t.Errorf("first line %q, want %q", first, want)
			}
			out, code := run(t, filepath.Join(root, filepath.FromSlash(bin), tc.script), "a", "b")
			if out != tc.out || code != tc.code {
				t.Errorf("%q, exit %d; want %q, exit %d", out, code, tc.out, tc.code)
			}
		})
	}
}

// installBytes is InstallFile of a wheel held in memory, every file's
// content in Data: the tests build their wheels as bytes.
func installBytes(data []byte, pin Pin, layout Layout) ([]File, error) {
	files, err := install(&archive{r: bytes.NewReader(data), size: int64(len(data))}, pin, layout)
	if err != nil {
		return nil, err
	}
	for i := range files {
		f := &files[i]
		if f.open == nil {
			continue
		}
		rc, err := f.open()
		if err != nil {
			return nil, err
		}
		f.Data, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		f.open = nil
	}
	return files, nil
}
