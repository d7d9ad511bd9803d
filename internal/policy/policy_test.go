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
	} {
		t.Run(tc.rule, func(t *testing.T) {
			bump, reasons := Judge(Defaults, []Change{tc.c})
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
	bump, reasons := Judge(Defaults, []Change{
		{Kind: "dependency-upgraded", Name: "b", Size: version.Patch, File: "a.txt"},
		{Kind: "dependency-added", Name: "a", File: "a.txt"},
		{Kind: "dependency-upgraded", Name: "c", Size: version.Major, File: "b.txt"},
	})
	if bump != version.Major || reasons[0].Name != "c" || reasons[1].Name != "a" || reasons[2].Name != "b" {
		t.Errorf("got %v %+v", bump, reasons)
	}
}

func TestConfigurableLevels(t *testing.T) {
	rules, err := ParseRules(map[string]string{"dependency-added": "patch", "config-key-removed": "minor"})
	if err != nil {
		t.Fatal(err)
	}
	bump, _ := Judge(rules, []Change{{Kind: "dependency-added"}, {Kind: "config-key-removed"}})
	if bump != version.Minor {
		t.Errorf("got %v", bump)
	}
	if _, err := ParseRules(map[string]string{"nope": "major"}); err == nil {
		t.Error("unknown rule accepted")
	}
}
