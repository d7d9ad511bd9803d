package policy

import (
	"testing"

	"github.com/distbuild/dist/internal/version"
)

// TestRules proves each rule of the policy, one subtest per rule name.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		rule string
		c    Change
		want version.Level
	}{
		{DependencyMajor, Change{Kind: "dependency-upgraded", Name: "kinto-signer", From: "7.0.0", To: "8.0.0", Size: version.Major}, version.Major},
		{DependencyMinor, Change{Kind: "dependency-upgraded", Name: "requests", From: "2.31.0", To: "2.32.3", Size: version.Minor}, version.Minor},
		{DependencyPatch, Change{Kind: "dependency-upgraded", Name: "kinto", From: "14.3.0", To: "14.3.1", Size: version.Patch}, version.Patch},
		{DependencyAdded, Change{Kind: "dependency-added", Name: "kinto-emailer", To: "3.0.0"}, version.Minor},
		{DependencyRemoved, Change{Kind: "dependency-removed", Name: "kinto-changes", From: "1.0"}, version.Major},
		{DependencyDowngraded, Change{Kind: "dependency-downgraded", Name: "x", From: "2.0", To: "1.9", Size: version.Major}, version.Major},
		{ConfigKeyAdded, Change{Kind: "config-key-added", Name: "app:main.kinto.signer.to_review_enabled"}, version.Minor},
		{ConfigKeyRemoved, Change{Kind: "config-key-removed", Name: "app:main.kinto.bucket_create_principals"}, version.Major},
		{ConfigDefaultChanged, Change{Kind: "config-default-changed", Name: "app:main.kinto.storage_backend", From: "memory", To: "postgresql"}, version.Major},
		{BreakingChanges, Change{Kind: "breaking-changes", Name: "Breaking changes"}, version.Major},
		{IndirectMajor, Change{Kind: "dependency-upgraded", Name: "golang.org/x/text", From: "v0.43.0", To: "v0.44.0", Size: version.Major, Indirect: true}, version.Patch},
		{IndirectMinor, Change{Kind: "dependency-upgraded", Name: "requests", From: "2.31.0", To: "2.32.3", Size: version.Minor, Indirect: true}, version.Patch},
		{IndirectPatch, Change{Kind: "dependency-rehashed", Name: "webob", From: "1.8.7", To: "1.8.7", Indirect: true}, version.Patch},
		{IndirectAdded, Change{Kind: "dependency-added", Name: "pyramid-storage", To: "1.3.0", Indirect: true}, version.Patch},
		{IndirectRemoved, Change{Kind: "dependency-removed", Name: "hupper", From: "1.12.1", Indirect: true}, version.Patch},
		{IndirectDowngraded, Change{Kind: "dependency-downgraded", Name: "ecdsa", From: "0.19.0", To: "0.18.0", Size: version.Major, Indirect: true}, version.Patch},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			bump, reasons := Judge(nil, []Change{tc.c})
			if bump != tc.want || len(reasons) != 1 || reasons[0].Rule != tc.rule || reasons[0].Level != tc.want.String() {
				t.Errorf("got %v %+v", bump, reasons)
			}
		})
	}
}

func TestNothingIsPatch(t *testing.T) {
	bump, reasons := Judge(nil, nil)
	if bump != version.Patch || len(reasons) != 0 {
		t.Errorf("got %v %v", bump, reasons)
	}
}

func TestBiggestWinsAndOrder(t *testing.T) {
	bump, reasons := Judge(nil, []Change{
		{Kind: "dependency-upgraded", Name: "b", Size: version.Patch, File: "a.txt"},
		{Kind: "dependency-added", Name: "a", File: "a.txt"},
		{Kind: "dependency-upgraded", Name: "c", Size: version.Major, File: "b.txt"},
	})
	if bump != version.Major || reasons[0].Name != "c" || reasons[1].Name != "a" || reasons[2].Name != "b" {
		t.Errorf("got %v %+v", bump, reasons)
	}
}

func TestConfigurableLevels(t *testing.T) {
	rules, err := ParseRules(map[string]string{"dependency-added": "patch", "config-key-removed": "minor"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bump, _ := Judge(rules, []Change{{Kind: "dependency-added"}, {Kind: "config-key-removed"}})
	if bump != version.Minor {
		t.Errorf("got %v", bump)
	}
	if _, err := ParseRules(map[string]string{"nope": "major"}, nil); err == nil {
		t.Error("unknown rule accepted")
	}
	if _, err := ParseRules(nil, map[string]string{"npm": "minor"}); err == nil {
		t.Error("unknown ecosystem accepted")
	}
}

// TestIndirectOverride: an indirect rule's level is set like any other.
func TestIndirectOverride(t *testing.T) {
	rules, err := ParseRules(map[string]string{"indirect-minor": "minor"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bump, reasons := Judge(rules, []Change{
		{Kind: "dependency-upgraded", Name: "requests", From: "2.31.0", To: "2.32.3", Size: version.Minor, Indirect: true},
		{Kind: "dependency-upgraded", Name: "idna", From: "3.7", To: "4.0", Size: version.Major, Indirect: true},
	})
	if bump != version.Minor || reasons[0].Rule != IndirectMinor || reasons[0].Level != "minor" || reasons[1].Rule != IndirectMajor || reasons[1].Level != "patch" {
		t.Errorf("got %v %+v", bump, reasons)
	}
}

// TestBelow1: the nats-server case. Five golang.org/x modules move
// 0.x -> 0.x+1: SemVer's 0.x rule calls each major. Indirect, they are
// patch; a direct one is major unless below_1_0 reads gomod's 0.x moves
// as minor, which leaves pypi's reading alone.
func TestBelow1(t *testing.T) {
	x := Change{Kind: "dependency-upgraded", Name: "golang.org/x/text", From: "v0.43.0", To: "v0.44.0", Size: version.Major, Ecosystem: "gomod"}
	ix := x
	ix.Indirect = true
	if bump, r := Judge(nil, []Change{ix}); bump != version.Patch || r[0].Rule != IndirectMajor {
		t.Errorf("indirect: %v %+v", bump, r)
	}
	if bump, r := Judge(nil, []Change{x}); bump != version.Major || r[0].Rule != DependencyMajor {
		t.Errorf("direct: %v %+v", bump, r)
	}
	rules, err := ParseRules(nil, map[string]string{"gomod": "minor"})
	if err != nil {
		t.Fatal(err)
	}
	if bump, r := Judge(rules, []Change{x}); bump != version.Minor || r[0].Rule != DependencyMinor {
		t.Errorf("gomod below 1.0 minor: %v %+v", bump, r)
	}
	if bump, r := Judge(rules, []Change{ix}); bump != version.Patch || r[0].Rule != IndirectMinor {
		t.Errorf("indirect, gomod below 1.0 minor: %v %+v", bump, r)
	}
	py := Change{Kind: "dependency-upgraded", Name: "ecdsa", From: "0.18.0", To: "0.19.0", Size: version.Major, Ecosystem: "pypi"}
	if bump, _ := Judge(rules, []Change{py}); bump != version.Major {
		t.Errorf("pypi keeps SemVer's reading: %v", bump)
	}
}
