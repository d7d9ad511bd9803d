package wheel

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/testenv/pyindex"
	"github.com/distbuild/dist/internal/wheel/platform"
)

// pipEnv is the environment for a pip that must see only what the test
// gives it: this machine's PIP_FIND_LINKS, or a pip.conf, would offer files
// from elsewhere.
func pipEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") {
			env = append(env, kv)
		}
	}
	return append(env, "PIP_CONFIG_FILE="+os.DevNull, "PIP_NO_INPUT=1", "PYTHONDONTWRITEBYTECODE=1")
}

var machines = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}

// TestSameAsPip installs the same wheels with pip --target and with
// installBytes, and compares every file: paths, contents, exec bits. RECORD,
// INSTALLER and pip's REQUESTED and direct_url.json are left aside.
func TestSameAsPip(t *testing.T) {
	t.Parallel()
	py, vers := python(t, true)
	machine, ok := machines[runtime.GOARCH]
	if runtime.GOOS != "linux" || !ok {
		t.Skip("pip installs only wheels this machine could run; the test builds linux x86_64 and aarch64 ones")
	}
	cp := "cp" + strings.ReplaceAll(vers, ".", "")
	plat := pyindex.DataDir("Plat-Ext", "0.5")
	wheels := []struct {
		name, version string
		file          pyindex.File
	}{
		{"Demo.Tool", "1.0", demoWheel("py3-none-any")},
		// Root-Is-Purelib false, for this interpreter and machine.
		{"Plat-Ext", "0.5", pyindex.File{
			Tag: cp + "-" + cp + "-linux_" + machine,
			Members: []pyindex.Member{
				{Name: "plat_ext/_native.py", Data: "NATIVE = 1\n"},
				{Name: "plat_ext/bin/helper", Data: "\x7fELF not really\n", Mode: 0o755},
				{Name: plat + "/purelib/plat_ext_pure.py", Data: "PURE = 1\n"},
				{Name: plat + "/scripts/plat-tool", Data: "#!python3\nprint('plat')\n", Mode: 0o755},
				{Name: plat + "/data/etc/plat-ext/plat.conf", Data: "[plat]\n"},
			},
			EntryPoints: "[console_scripts]\nplat-main = plat_ext:main\n",
		}},
		{"Kinto", "14.3.0", pyindex.Wheel("py2.py3-none-any")},
	}

	dir := t.TempDir()
	layout := Layout{
		SitePackages: path.Dir(path.Dir(py)) + "/lib/python" + vers + "/site-packages",
		Interpreter:  py,
	}
	var ours []File
	args := []string{"-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-compile", "--disable-pip-version-check",
		"--no-warn-script-location", "--target", filepath.Join(dir, "pip")}
	for _, w := range wheels {
		s, err := pyindex.New(pyindex.Project{Name: w.name, Versions: []pyindex.Release{{Version: w.version, Files: []pyindex.File{w.file}}}})
		if err != nil {
			t.Fatal(err)
		}
		a := s.Artifacts(w.name, w.version)[0]
		file := filepath.Join(dir, a.Filename)
		if err := os.WriteFile(file, a.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, file)
		files, err := installBytes(a.Data, Pin{Name: w.name, Version: w.version, Hashes: []string{a.SHA256}}, layout)
		if err != nil {
			t.Fatal(err)
		}
		ours = append(ours, files...)
	}

	cmd := exec.Command(py, args...)
	cmd.Env = pipEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}

	// pip --target puts site-packages at the top, scripts in bin/, headers
	// in include/python/<name>/ and data files at the top too. The name of
	// the headers' directory is the requirement's: for a wheel given as a
	// file, pip takes the filename's, "_" made "-"; from a lockfile, it is
	// the name as written, the pin's.
	l, _ := layout.resolve()
	pipPath := func(p string) string {
		for _, m := range []struct{ from, to string }{
			{l.SitePackages, ""},
			{path.Dir(l.Interpreter), "bin"},
			{l.Include + "/Demo.Tool", "include/python/Demo-Tool"},
			{l.Prefix, ""},
		} {
			if rel, ok := strings.CutPrefix(p, m.from+"/"); ok {
				return path.Join(m.to, rel)
			}
		}
		t.Fatalf("%s is outside the layout", p)
		return ""
	}
	aside := func(p string) bool {
		dir, base := path.Split(p)
		return strings.HasSuffix(dir, ".dist-info/") && slices.Contains([]string{"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}, base)
	}
	want := map[string]File{}
	for _, f := range ours {
		if !aside(f.Path) {
			want[pipPath(f.Path)] = f
		}
	}
	got := map[string]bool{}
	root := filepath.Join(dir, "pip")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(p[len(root)+1:])
		if aside(rel) {
			return nil
		}
		got[rel] = true
		f, ok := want[rel]
		if !ok {
			t.Errorf("pip installed %s, dist did not", rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(data, f.Data) {
			t.Errorf("%s differs:\npip:  %q\ndist: %q", rel, data, f.Data)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if pipExec, ours := info.Mode()&0o111 != 0, f.Mode&0o111 != 0; pipExec != ours {
			t.Errorf("%s: pip's mode %v, dist's %v", rel, info.Mode(), f.Mode)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel, f := range want {
		if !got[rel] {
			t.Errorf("dist installed %s (as %s), pip did not", f.Path, rel)
		}
	}
	if len(got) < 25 {
		t.Errorf("only %d files compared", len(got))
	}
}

// TestRankingAgreesWithPip asks pip's own packaging.tags for this machine's
// supported tags, in order, and checks that Select's ranking puts the same
// candidates in the same order and refuses the same ones.
func TestRankingAgreesWithPip(t *testing.T) {
	t.Parallel()
	py, vers := python(t, true)
	machine, ok := machines[runtime.GOARCH]
	if runtime.GOOS != "linux" || !ok {
		t.Skip("needs linux on x86_64 or aarch64")
	}
	var minor int
	fmt.Sscanf(vers, "3.%d", &minor)
	var candidates []string
	pys := []string{fmt.Sprintf("cp3%d", minor), fmt.Sprintf("cp3%d", minor-1), fmt.Sprintf("cp3%d", minor+1), "cp38", "cp32", "cp27",
		fmt.Sprintf("py3%d", minor), fmt.Sprintf("py3%d", minor+1), "py3", "py30", "py2", "pp310"}
	abis := []string{fmt.Sprintf("cp3%d", minor), "abi3", "none", fmt.Sprintf("cp3%dd", minor), "cp38"}
	plats := []string{"any", "linux_" + machine, "manylinux_2_17_" + machine, "manylinux2014_" + machine, "manylinux_2_28_" + machine,
		"manylinux_2_5_" + machine, "manylinux1_" + machine, "manylinux2010_" + machine, "manylinux_2_12_" + machine,
		"manylinux_2_99_" + machine, "manylinux_2_4_" + machine, "musllinux_1_2_" + machine, "manylinux_2_17_i686", "win_amd64"}
	for _, p := range pys {
		for _, a := range abis {
			for _, pl := range plats {
				candidates = append(candidates, p+"-"+a+"-"+pl)
			}
		}
	}
	script := `import os, sys
from pip._vendor.packaging import tags
from pip._vendor import packaging
print(os.confstr("CS_GNU_LIBC_VERSION") or "")
print(packaging.__version__)
order = {str(t): i for i, t in reversed(list(enumerate(tags.sys_tags())))}
for c in sorted((c for c in sys.argv[1:] if c in order), key=order.get):
    print(c)
`
	cmd := exec.Command(py, append([]string{"-c", script}, candidates...)...)
	cmd.Env = pipEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	glibc, ok := strings.CutPrefix(lines[0], "glibc ")
	if !ok {
		t.Skipf("not a glibc machine (%q)", lines[0])
	}
	pipOrder := lines[2:]
	// packaging 22 added the interpreter's own cpXY-none-any, between the
	// platform tags and py3-none-any; older pips vendor an older one.
	var packagingMajor int
	fmt.Sscanf(lines[1], "%d.", &packagingMajor)
	interpNoneAny := fmt.Sprintf("cp3%d-none-any", minor)

	r, err := newRanker(Target{Platform: "linux/" + runtime.GOARCH, Python: vers, LibcVersion: glibc})
	if err != nil {
		t.Fatal(err)
	}
	var ourOrder []string
	ranks := map[string]rank{}
	for _, c := range candidates {
		parts := strings.Split(c, "-")
		if c == interpNoneAny && packagingMajor < 22 {
			continue
		}
		if rk, ok := r.rank(Tag{parts[0], parts[1], parts[2]}); ok {
			ourOrder = append(ourOrder, c)
			ranks[c] = rk
		}
	}
	slices.Sort(ourOrder)
	sortedPip := slices.Sorted(slices.Values(pipOrder))
	if !slices.Equal(ourOrder, sortedPip) {
		for _, c := range ourOrder {
			if !slices.Contains(sortedPip, c) {
				t.Errorf("dist accepts %s, pip does not", c)
			}
		}
		for _, c := range sortedPip {
			if !slices.Contains(ourOrder, c) {
				t.Errorf("pip accepts %s, dist does not", c)
			}
		}
	}
	for i := 1; i < len(pipOrder); i++ {
		a, b := pipOrder[i-1], pipOrder[i]
		switch c := ranks[a].compare(ranks[b]); {
		case c > 0:
			t.Errorf("pip prefers %s to %s, dist the other way", a, b)
		case c == 0 && !aliases(a, b):
			t.Errorf("pip prefers %s to %s, dist ranks them equal", a, b)
		}
	}
	if len(pipOrder) < 40 {
		t.Errorf("only %d candidates compared", len(pipOrder))
	}
}

// aliases reports whether two tags differ only in spelling one glibc
// version the legacy way ("manylinux2014_x86_64", "manylinux_2_17_x86_64").
func aliases(a, b string) bool {
	pa, pb := strings.Split(a, "-"), strings.Split(b, "-")
	if pa[0] != pb[0] || pa[1] != pb[1] {
		return false
	}
	norm := func(p string) string {
		if l, ok := platform.ParseLinux(p); ok {
			return l.String()
		}
		return p
	}
	return norm(pa[2]) == norm(pb[2])
}
