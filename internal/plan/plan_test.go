package plan

import (
	"strings"
	"testing"

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
	got := Sections(p)
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
