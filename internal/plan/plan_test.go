package plan

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/lockfile"
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
