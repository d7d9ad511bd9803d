package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDefaults(t *testing.T) {
	m, err := Parse("dist.yaml", []byte("name: demo\nlockfiles:\n  - path: lockfiles/go.txt\n    ecosystem: gomod\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Changelog != "CHANGELOG.md" || m.VersionFile != "VERSION" || m.TagFormat != "{version}" || m.DevMarker != ".dev0" {
		t.Errorf("defaults: %+v", m)
	}
	if m.Lockfiles[0].Line != 3 {
		t.Errorf("lockfile line %d", m.Lockfiles[0].Line)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"name: x\nimage:\n  repo: y\n", `dist.yaml:3: unknown key "repo"`},
		{"name: x\nlockfiles: 3\n", "dist.yaml:2: cannot unmarshal"},
		{"name: x\nlockfiles:\n  - path: a.txt\n    ecosystem: npm\n", `dist.yaml:3: lockfile a.txt: unknown ecosystem "npm"`},
		{"name: x\nlockfiles:\n  - path: ../a.txt\n    ecosystem: pypi\n", "dist.yaml:3: lockfile ../a.txt: is outside the repository"},
		{"name: x\n  bad: [\n", "dist.yaml:2:"},
		{"lockfiles: []\n", "dist.yaml: name is required"},
		{"name: x\npolicy:\n  dependency-minor: huge\n", "policy: dependency-minor: unknown level"},
		{"name: x\npolicy:\n  below_1_0: {gomod: huge}\n", "dist.yaml:3: policy: below_1_0: gomod: unknown level"},
		{"name: x\npolicy:\n  below_1_0: {npm: minor}\n", `dist.yaml:3: policy: below_1_0: unknown ecosystem "npm"`},
		{"name: x\npolicy:\n  below_1_0: minor\n", "dist.yaml:3: policy: below_1_0: want a map of ecosystems to levels"},
		{"name: x\npolicy:\n  indirect-minor: [minor]\n", "dist.yaml:3: policy: indirect-minor: want a level"},
		{"name: x\npolicy: patch\n", "dist.yaml:2: policy: want a map"},
		{"name: x\ntag_format: v\n", "must contain {version}"},
	} {
		_, err := Parse("dist.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestPolicy(t *testing.T) {
	m, err := Parse("dist.yaml", []byte("name: x\npolicy:\n  indirect-minor: minor\n  below_1_0: {gomod: minor, pypi: major}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Policy.Levels["indirect-minor"] != "minor" || m.Policy.Below1["gomod"] != "minor" || m.Policy.Below1["pypi"] != "major" || len(m.Policy.Levels) != 1 {
		t.Errorf("policy: %+v", m.Policy)
	}
}

func TestDependencies(t *testing.T) {
	m, err := Parse("dist.yaml", []byte("name: x\nlockfiles:\n  - path: a.txt\n    ecosystem: pypi\n    dependencies: b.txt\n  - path: b.txt\n    ecosystem: pypi\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := m.DependenciesOf(&m.Lockfiles[0]); d.Path != "b.txt" {
		t.Errorf("DependenciesOf(a) = %s", d.Path)
	}
	if d := m.DependenciesOf(&m.Lockfiles[1]); d.Path != "b.txt" {
		t.Errorf("DependenciesOf(b) = %s", d.Path)
	}
	if ds := m.DependentsOf(&m.Lockfiles[1]); len(ds) != 1 || ds[0].Path != "a.txt" {
		t.Errorf("DependentsOf(b) = %v", ds)
	}
	for _, tc := range []struct{ in, want string }{
		{"name: x\nlockfiles:\n  - path: a.txt\n    ecosystem: pypi\n    dependencies: c.txt\n", "dist.yaml:3: lockfile a.txt: dependencies c.txt is not listed"},
		{"name: x\nlockfiles:\n  - path: a.txt\n    ecosystem: pypi\n    dependencies: a.txt\n", "names the lockfile itself"},
		{"name: x\nlockfiles:\n  - path: a.txt\n    ecosystem: pypi\n    dependencies: b.txt\n  - path: b.txt\n    ecosystem: oci\n", "is not a pypi lockfile"},
		{"name: x\nlockfiles:\n  - path: a.txt\n    ecosystem: pypi\n    wheelhouse: ../w\n", "wheelhouse ../w: is outside the repository"},
		{"name: x\nimage:\n  python: {version: \"3\"}\n", "want X.Y or X.Y.Z"},
	} {
		_, err := Parse("dist.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestConfigFormat: configs[].format is checked as dist.yaml loads, at the
// line of the key.
func TestConfigFormat(t *testing.T) {
	m, err := Parse("dist.yaml", []byte("name: x\nconfigs:\n  - {template: t, output: nats.conf, format: none}\n  - {template: u, output: setup.cfg, format: ini}\n  - {template: v, output: a.ini}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{m.Configs[0].Format, m.Configs[1].Format, m.Configs[2].Format}; got[0] != "none" || got[1] != "ini" || got[2] != "" {
		t.Errorf("formats %q", got)
	}
	_, err = Parse("dist.yaml", []byte("name: x\nconfigs:\n  - template: t\n    output: a.xml\n    format: xml\n"))
	want := `dist.yaml:5: config a.xml: format: unknown format "xml" (want ini, env, yaml, toml, json or none)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestParseHostilePaths(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"name: x\nimage:\n  env_file: ../../../../proc/self/environ\n", "dist.yaml:3: image.env_file ../../../../proc/self/environ: is outside the repository"},
		{"name: x\nimage:\n  files:\n    - {src: a, dst: /a}\n    - {src: ../b, dst: /b}\n", "dist.yaml:5: image.files ../b: is outside the repository"},
		{"name: x\nchangelog: /etc/passwd\n", "dist.yaml:2: changelog /etc/passwd: must be relative"},
		{"name: x\nversion_file: ../V\n", "dist.yaml:2: version_file ../V: is outside"},
		{"name: x\nconfigs:\n  - template: t\n    output: ../o\n", "dist.yaml:3: ../o: is outside"},
	} {
		_, err := Parse("dist.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseSecondDocument(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line string
	}{
		{"name: x\n---\nname: y\n", "dist.yaml:2:"},
		{"---\nname: x\n# c\n---\n: : [ invalid\n", "dist.yaml:4:"},
		{"name: x\n...\nfoo: bar\n", "dist.yaml:3:"},
		{"name: x\n---\n", "dist.yaml:2:"},
	} {
		_, err := Parse("dist.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.line+" a second YAML document") {
			t.Errorf("%q: got %v, want %s", tc.in, err, tc.line)
		}
	}
	if _, err := Parse("dist.yaml", []byte("---\nname: x\n...\n")); err != nil {
		t.Errorf("one document with markers: %v", err)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "config"), 0o755))
	must(os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "config", "ok.env"), []byte("A=1\n"), 0o644))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "config", "app.env")))
	must(os.Symlink("ok.env", filepath.Join(dir, "config", "inside.env")))
	must(os.Symlink(filepath.Join(outside, "nothing"), filepath.Join(dir, "config", "dangling.conf")))
	must(os.Symlink(outside, filepath.Join(dir, "out")))
	must(os.WriteFile(filepath.Join(dir, FileName), []byte("name: x\nimage:\n  env_file: config/app.env\nconfigs:\n  - template: t.tmpl\n    output: config/dangling.conf\n  - template: t2.tmpl\n    output: out/new.conf\n"), 0o644))
	m, err := Load(dir)
	must(err)
	for rel, want := range map[string]string{
		"config/app.env":       "dist.yaml:3: image.env_file config/app.env: leads outside the repository",
		"config/dangling.conf": "dist.yaml:5: config output config/dangling.conf: leads outside the repository",
		"out/new.conf":         "dist.yaml:7: config output out/new.conf: leads outside the repository",
	} {
		if _, err := m.ReadFile(rel); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", rel, err, want)
		}
	}
	if data, err := m.ReadFile("config/inside.env"); err != nil || string(data) != "A=1\n" {
		t.Errorf("inside link: %q %v", data, err)
	}
	if p, err := m.Resolve("config/not/yet.conf"); err != nil || !strings.HasSuffix(p, filepath.Join("config", "not", "yet.conf")) {
		t.Errorf("missing path: %q %v", p, err)
	}
}

// A lockfile that does not exist yet reads as empty; one that leads out of
// the repository is refused at its dist.yaml line.
func TestReadLockfile(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "stolen.txt"), []byte("x==1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	yaml := "name: x\nlockfiles:\n  - path: lockfiles/new.txt\n    ecosystem: pypi\n  - path: out/stolen.txt\n    ecosystem: pypi\n"
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if abs, data, err := m.ReadLockfile("lockfiles/new.txt"); err != nil || data != nil || abs != m.Abs("lockfiles/new.txt") {
		t.Errorf("missing lockfile: %q %q %v", abs, data, err)
	}
	if _, _, err := m.ReadLockfile("out/stolen.txt"); err == nil || !strings.Contains(err.Error(), "dist.yaml:5: lockfile out/stolen.txt: leads outside the repository") {
		t.Errorf("outside link: %v", err)
	}
}
