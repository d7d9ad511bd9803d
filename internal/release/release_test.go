package release

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/manifest"
)

func TestBranchAllowed(t *testing.T) {
	m := &manifest.Manifest{ReleaseBranches: []string{"main", "master", "*.x"}}
	for b, want := range map[string]bool{"main": true, "1.0.x": true, "14.x": true, "feature": false, "main2": false, "fix/1.0.x": false} {
		if got := branchAllowed(m, b); got != want {
			t.Errorf("%s: %v, want %v", b, got, want)
		}
	}
}

func TestRefusalListsEveryReason(t *testing.T) {
	one := (&Refusal{Step: "prerelease", Reasons: []string{"HEAD is detached"}}).Error()
	if one != "prerelease refused: HEAD is detached" {
		t.Errorf("got %q", one)
	}
	two := (&Refusal{Step: "prerelease", Reasons: []string{"a", "b"}}).Error()
	if !strings.Contains(two, "\n  - a\n  - b") {
		t.Errorf("got %q", two)
	}
}
