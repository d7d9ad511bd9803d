package reldiff

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/policy"
	"github.com/distbuild/dist/internal/version"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// loadCase reads testdata/NAME.txtar: from.json and to.json hold a ref and
// a release.json; the files under from/ and to/ are that side's rendered
// configs, and its changelog (CHANGELOG.*).
func loadCase(t *testing.T, name string) (from, to Release) {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	sides := map[string]*Release{"from": &from, "to": &to}
	for _, f := range a.Files {
		dir, rest, _ := strings.Cut(f.Name, "/")
		if s, ok := strings.CutSuffix(f.Name, ".json"); ok && sides[s] != nil {
			var doc struct {
				Ref     string       `json:"ref"`
				Release meta.Release `json:"release"`
			}
			if err := json.Unmarshal(f.Data, &doc); err != nil {
				t.Fatalf("%s: %s: %v", name, f.Name, err)
			}
			r := sides[s]
			r.Name, r.Version, r.Ref, r.Lockfiles = doc.Release.Name, doc.Release.Version, doc.Ref, doc.Release.Lockfiles
			continue
		}
		r := sides[dir]
		if r == nil {
			t.Fatalf("%s: %s: want from/ or to/", name, f.Name)
		}
		if strings.HasPrefix(rest, "CHANGELOG.") {
			r.Changelog = File{Path: rest, Data: f.Data}
		} else {
			r.Configs = append(r.Configs, File{Path: rest, Data: f.Data})
		}
	}
	return from, to
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"upgrade", "rollback", "rst-dev", "same"} {
		t.Run(name, func(t *testing.T) {
			from, to := loadCase(t, name)
			r, err := Diff(from, to, Options{})
			if err != nil {
				t.Fatal(err)
			}
			js, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", js)
			golden(t, name+".txt", []byte(r.Text()))
			golden(t, name+".md", []byte(r.Markdown()))
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestUpgrade checks the facts the golden files show.
func TestUpgrade(t *testing.T) {
	from, to := loadCase(t, "upgrade")
	r, err := Diff(from, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Direction != "upgrade" || r.Level != "major" || r.From.Ref != "prod" || r.To.Version != "1.1.0" {
		t.Errorf("result: %+v", r)
	}
	pins := map[string]PinChange{}
	for _, p := range r.Pins {
		pins[p.Name] = p
	}
	if p := pins["kinto_attachment"]; p.Level != "minor" || p.Kind != "upgraded" || p.From != "6.3.1" || p.Rule != policy.DependencyMinor {
		t.Errorf("kinto-attachment, renamed in PEP 503's sense only: %+v", p)
	}
	if _, ok := pins["boto3"]; ok {
		t.Errorf("boto3 moved between lockfiles at the same version, which is no change: %+v", r.Pins)
	}
	if p := pins["kinto-emailer"]; p.Kind != "removed" || p.Level != "major" {
		t.Errorf("kinto-emailer: %+v", p)
	}
	if p := pins["pyramid"]; p.Kind != "rehashed" || p.Level != "patch" {
		t.Errorf("pyramid: %+v", p)
	}
	var versions []string
	for _, e := range r.Changelog {
		versions = append(versions, e.Version)
	}
	if strings.Join(versions, " ") != "1.1.0 1.0.1" {
		t.Errorf("changelog entries %v, want 1.1.0 1.0.1", versions)
	}
	for _, c := range r.Configs {
		if strings.Contains(c.From+c.To, "s3cret") {
			t.Errorf("a password in the output: %+v", c)
		}
	}
	if out := r.Text() + r.Markdown(); strings.Contains(out, "s3cret") {
		t.Error("a password in the rendered output")
	}
}

func TestRules(t *testing.T) {
	from, to := loadCase(t, "upgrade")
	rules, err := policy.ParseRules(map[string]string{"dependency-removed": "minor", "config-key-removed": "minor", "config-default-changed": "patch", "dependency-minor": "patch"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Diff(from, to, Options{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	if r.Level != "minor" {
		t.Errorf("level %s under relaxed rules, want minor", r.Level)
	}
	for _, p := range r.Pins {
		if p.Name == "kinto_attachment" && p.Level != "patch" {
			t.Errorf("kinto-attachment under dependency-minor: patch: %+v", p)
		}
	}
}

func TestChangelogRange(t *testing.T) {
	cl := File{Path: "CHANGELOG.md", Data: []byte(`# Changelog

## 2.0.0 (unreleased)

- Next.

## 1.2.0 (2024-06-01)

- Two.

## 1.1.0 (2024-05-01)

- One.

## 1.0.0 (2024-04-01)

- Zero.
`)}
	for _, tc := range []struct {
		newer, older string
		want         string
	}{
		{"1.2.0", "1.0.0", "1.2.0 1.1.0"},
		{"1.2.0", "1.1.0", "1.2.0"},
		{"2.0.0.dev0", "1.2.0", "2.0.0"},
		{"1.2.0", "1.1.0.dev0", "1.2.0 1.1.0"},
		// 1.0.1 came from a maintenance branch: not in this changelog.
		{"1.2.0", "1.0.1", "1.2.0 1.1.0"},
		{"1.1.5", "1.0.0", "1.1.0"},
		{"1.2.0", "1.2.0", ""},
	} {
		es, err := entries(cl.Path, cl.Data, tc.newer, tc.older)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range es {
			got = append(got, e.Version)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("entries(%s, %s) = %v, want %s", tc.newer, tc.older, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	bad := Release{Version: "1.1.0", Configs: []File{{Path: "config/example.ini", Data: []byte("[app:main]\nkinto.x = 1\n  continued\n[broken\n")}}}
	good := Release{Version: "1.0.0", Configs: []File{{Path: "config/example.ini", Data: []byte("[app:main]\n")}}}
	if _, err := Diff(good, bad, Options{}); err == nil || !strings.Contains(err.Error(), "1.1.0:config/example.ini:4") {
		t.Errorf("a config that does not parse: %v", err)
	}
	cl := Release{Version: "1.1.0", Ref: "stage", Changelog: File{Path: "CHANGELOG.md", Data: []byte("## 1.1.0 (unreleased)\n\n## 1.0.1 (unreleased)\n")}}
	if _, err := Diff(Release{Version: "1.0.0"}, cl, Options{}); err == nil || !strings.Contains(err.Error(), "stage:CHANGELOG.md:") {
		t.Errorf("a changelog that does not parse: %v", err)
	}
}

func TestLevelNames(t *testing.T) {
	// The result's levels are version.Level's names, which --json
	// consumers compare with dist plan's.
	for _, l := range []version.Level{version.None, version.Patch, version.Minor, version.Major} {
		if got := maxLevel([]string{l.String()}); got != l.String() {
			t.Errorf("maxLevel(%s) = %s", l, got)
		}
	}
}

// TestIndirect: the pins the caller says are dependencies of the pins
// asked for are judged by the indirect-* rules, by the side that has them.
func TestIndirect(t *testing.T) {
	from, to := loadCase(t, "upgrade")
	deps := func(path, name string) bool { return path == "lockfiles/constraints.txt" }
	from.Indirect, to.Indirect = deps, deps
	r, err := Diff(from, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range r.Pins {
		got[p.File+" "+p.Name] = p.Level + " " + p.Rule
	}
	for k, want := range map[string]string{
		"lockfiles/constraints.txt requests":    "patch indirect-minor",
		"lockfiles/default.txt kinto-megaphone": "minor dependency-added",
	} {
		if got[k] != want {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], want, got)
		}
	}
}
