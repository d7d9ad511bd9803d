package plan

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/policy"
)

func TestCheck(t *testing.T) {
	p := &Plan{Base: "1.0.0", Bump: "minor", Next: "1.1.0"}
	if err := p.Check("1.1.0"); err != nil {
		t.Error(err)
	}
	if err := p.Check("2.0.0"); err != nil {
		t.Error(err)
	}
	if err := p.Check("1.0.1"); err == nil || !strings.Contains(err.Error(), "version 1.0.1 is below 1.1.0, which the policy requires (minor bump since 1.0.0)") {
		t.Errorf("got %v", err)
	}
}

func TestSections(t *testing.T) {
	p := &Plan{
		Dependencies: []Dependency{
			{File: "a.txt", Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Upgraded, Name: "Kinto-Signer", From: "7.0.0", To: "8.0.0"}},
			{File: "a.txt", Ecosystem: "pypi", Index: "https://mirror.example/simple", Change: lockfile.Change{Kind: lockfile.Added, Name: "kinto-emailer", To: "3.0.0"}},
			{File: "go.txt", Ecosystem: "gomod", Change: lockfile.Change{Kind: lockfile.Removed, Name: "example.com/x", From: "v1.0.0"}},
		},
		Configs: []policy.Change{{Kind: "config-key-added", Name: "app:main.x", File: "config/example.ini"}},
	}
	got := Sections(p, nil)
	want := []struct{ key, title, line string }{
		{"pypi:kinto-signer", "Kinto-Signer 7.0.0 → 8.0.0", "- https://pypi.org/project/kinto-signer/8.0.0/"},
		{"pypi:kinto-emailer", "kinto-emailer 3.0.0 (new)", ""},
		{"gomod:example.com/x", "example.com/x v1.0.0 (removed)", ""},
		{"config", "Configuration changes", "- `config/example.ini`: new setting `app:main.x`"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sections: %+v", len(got), got)
	}
	for i, w := range want {
		g := got[i]
		line := ""
		if len(g.Lines) > 0 {
			line = g.Lines[0]
		}
		if g.Key != w.key || g.Title != w.title || line != w.line {
			t.Errorf("section %d: %q %q %q, want %q %q %q", i, g.Key, g.Title, line, w.key, w.title, w.line)
		}
	}
}

func TestSectionsSkipWhatIsWritten(t *testing.T) {
	cl, err := changelog.Parse("CHANGELOG.rst", []byte("1.1.0 (unreleased)\n==================\n\nkinto-signer\n''''''''''''\n\n**kinto-signer 7.0.0 → 8.0.0**: https://github.com/Kinto/kinto-signer/releases/tag/8.0.0\n\n- kinto 14.3.0 -> 14.3.1 (see its notes)\n"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := cl.Unreleased()
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{
		Dependencies: []Dependency{
			{File: "a.txt", Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Upgraded, Name: "kinto-signer", From: "7.0.0", To: "8.0.0"}},
			{File: "a.txt", Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Upgraded, Name: "Kinto", From: "14.3.0", To: "14.3.1"}},
			{File: "a.txt", Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Upgraded, Name: "requests", From: "2.31.0", To: "2.32.3"}},
		},
		Configs: []policy.Change{
			{Kind: "config-default-changed", Name: "app:main.kinto.includes", From: "kinto_signer\nkinto_emailer", To: "kinto_signer\nkinto_admin\nkinto_`x`", File: "config/example.ini"},
			{Kind: "config-default-changed", Name: "app:main.a", From: "b\na", To: "a\nb", File: "config/example.ini"},
		},
	}
	var got []string
	for _, s := range Sections(p, u) {
		got = append(got, s.Title)
		got = append(got, s.Lines...)
	}
	want := []string{
		"requests 2.31.0 → 2.32.3", "- https://pypi.org/project/requests/2.32.3/",
		"Configuration changes",
		"- `config/example.ini`: `app:main.kinto.includes` default changed: added `kinto_admin`, `` kinto_`x` ``; removed `kinto_emailer`",
		"- `config/example.ini`: `app:main.a` default changed: the same lines, in another order or spacing",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sections:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The sections merge: no line of theirs has a line break.
	if err := cl.MergeGenerated(Sections(p, u)); err != nil {
		t.Error(err)
	}
}

func mustLock(t *testing.T, s string) *lockfile.File {
	t.Helper()
	f, err := lockfile.Parse("x.txt", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestIndirect: which pins are the ones a user asked for (DESIGN §4).
func TestIndirect(t *testing.T) {
	m, err := manifest.Parse("dist.yaml", []byte(`name: x
lockfiles:
  - {path: default.txt, ecosystem: pypi, dependencies: constraints.txt}
  - {path: constraints.txt, ecosystem: pypi}
  - {path: both.txt, ecosystem: pypi}
  - {path: go.txt, ecosystem: gomod}
  - {path: base.txt, ecosystem: oci}
image: {go: {main: example.com/natsd/v2/cmd/natsd}}
`))
	if err != nil {
		t.Fatal(err)
	}
	both := mustLock(t, "kinto==14.3.0\n    # via -r requirements.in\nwebob==1.8.7\n    # via kinto\n")
	noted := mustLock(t, "example.com/natsd/v2==v2.10.0\nexample.com/tool==v1.0.0\ngolang.org/x/text==v0.43.0\n    # via example.com/natsd/v2\n")
	legacy := mustLock(t, "example.com/natsd/v2==v2.10.0\ngolang.org/x/text==v0.43.0\n")
	for _, tc := range []struct {
		file     int
		f        *lockfile.File
		name     string
		indirect bool
	}{
		{0, both, "webob", false}, // every pin of a lockfile naming dependencies: is direct
		{1, both, "kinto", true},  // every pin of the lockfile it names is not
		{2, both, "kinto", false}, // "# via -r requirements.in" is direct
		{2, both, "webob", true},
		{3, noted, "example.com/natsd/v2", false}, // image.go.main's module
		{3, noted, "example.com/tool", false},     // no note: named to lock add
		{3, noted, "golang.org/x/text", true},
		{3, legacy, "example.com/natsd/v2", false},
		{3, legacy, "golang.org/x/text", true}, // no notes at all: only the main module is direct
		{4, mustLock(t, "docker.io/library/python==3.12\n"), "docker.io/library/python", false},
	} {
		l := &m.Lockfiles[tc.file]
		e := tc.f.Find(tc.name, lockfile.Normalizer(l.Ecosystem))
		if got := Indirect(m, l, tc.f, e); got != tc.indirect {
			t.Errorf("%s in %s: indirect %v, want %v", tc.name, l.Path, got, tc.indirect)
		}
	}
	// Without image.go.main, a gomod lockfile with no notes is all direct,
	// as before dist kept them.
	m.Image = nil
	if Indirect(m, &m.Lockfiles[3], legacy, legacy.Find("golang.org/x/text", lockfile.Normalizer("gomod"))) {
		t.Error("legacy gomod lockfile without image.go.main: want direct")
	}
}

// TestSectionsIndirect: changes among the dependencies go into one section,
// a line each with the level the policy gave them; a project pinned under
// two markers has a section per pin.
func TestSectionsIndirect(t *testing.T) {
	p := &Plan{Dependencies: []Dependency{
		{File: "default.txt", Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Upgraded, Name: "numpy", From: "1.24.0", To: "1.26.4", Marker: `python_version >= "3.8"`}, Rule: "dependency-minor", Level: "minor"},
		{File: "default.txt", Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Upgraded, Name: "numpy", From: "1.21.5", To: "1.21.6", Marker: `python_version < "3.8"`}, Rule: "dependency-patch", Level: "patch"},
		{File: "go.txt", Ecosystem: "gomod", Change: lockfile.Change{Kind: lockfile.Upgraded, Name: "golang.org/x/text", From: "v0.43.0", To: "v0.44.0"}, Indirect: true, Rule: "indirect-major", Level: "patch"},
		{File: "constraints.txt", Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Added, Name: "hupper", To: "1.12.1"}, Indirect: true, Rule: "indirect-added", Level: "patch"},
	}}
	var got []string
	for _, s := range Sections(p, nil) {
		got = append(got, s.Key+" | "+s.Title)
		got = append(got, s.Lines...)
	}
	want := []string{
		`pypi:numpy ; python_version >= "3.8" | numpy 1.24.0 → 1.26.4 ; python_version >= "3.8"`, "- https://pypi.org/project/numpy/1.26.4/",
		`pypi:numpy ; python_version < "3.8" | numpy 1.21.5 → 1.21.6 ; python_version < "3.8"`, "- https://pypi.org/project/numpy/1.21.6/",
		"indirect | Indirect dependencies",
		"- golang.org/x/text v0.43.0 → v0.44.0 (patch)",
		"- hupper 1.12.1 (new, patch)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sections:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A first release lists what it ships, in one "Initial release" section:
// the pins asked for, then a count of what they pull in.
func TestSectionsFirstRelease(t *testing.T) {
	p := &Plan{FirstRelease: true, Dependencies: []Dependency{
		{Ecosystem: "pypi", Change: lockfile.Change{Kind: lockfile.Added, Name: "kinto", To: "14.3.0"}},
		{Ecosystem: "pypi", Indirect: true, Change: lockfile.Change{Kind: lockfile.Added, Name: "pyramid", To: "2.0.2"}},
		{Ecosystem: "oci", Change: lockfile.Change{Kind: lockfile.Added, Name: "docker.io/library/python", To: "3.12-slim"}},
	}}
	got := Sections(p, nil)
	want := []string{"- kinto 14.3.0: https://pypi.org/project/kinto/14.3.0/", "- docker.io/library/python 3.12-slim", "- and 1 dependency these require"}
	if len(got) != 1 || got[0].Title != "Initial release" || got[0].Key != "initial" || strings.Join(got[0].Lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %+v", got)
	}
	if why := p.NothingToList(); why != "" {
		t.Errorf("NothingToList = %q, want none", why)
	}
	if why := (&Plan{FirstRelease: true}).NothingToList(); why != "nothing is pinned yet" {
		t.Errorf("first release with no pins: %q", why)
	}
	if why := (&Plan{Base: "1.0.0"}).NothingToList(); why != "no pin or config key changed since 1.0.0" {
		t.Errorf("no change: %q", why)
	}
}
