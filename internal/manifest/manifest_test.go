package manifest

import (
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
		{"name: x\ntag_format: v\n", "must contain {version}"},
	} {
		_, err := Parse("dist.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.want)
		}
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
