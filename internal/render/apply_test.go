package render

import (
	"errors"
	"os"
	"testing"

	"github.com/distbuild/dist/internal/failure"
)

// TestApply runs dist config render's modes over testdata/repo, whose two
// outputs are not written yet.
func TestApply(t *testing.T) {
	m := repo(t)
	exists := func(i int) bool {
		_, err := os.Stat(m.Abs(m.Configs[i].Output))
		return err == nil
	}

	// --check: both outputs drift; nothing is written; a failed check,
	// with the result to show first.
	res, err := Apply(m, Options{Check: true})
	var check *failure.CheckError
	if !errors.As(err, &check) || err.Error() != "2 rendered configs are out of date: run dist config render" {
		t.Fatalf("check: %v", err)
	}
	if res == nil || res.Drift != 2 || len(res.Configs) != 2 || !res.Configs[0].Changed || res.Configs[0].Diff == "" || res.DryRun {
		t.Fatalf("check result: %+v", res)
	}
	// --dry-run: the same drift, no error, nothing written.
	res, err = Apply(m, Options{DryRun: true})
	if err != nil || res.Drift != 2 || !res.DryRun {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if exists(0) || exists(1) {
		t.Fatal("--check or --dry-run wrote an output")
	}

	// A render writes both; then there is no drift, and --check passes.
	if res, err = Apply(m, Options{}); err != nil || res.Drift != 2 {
		t.Fatalf("render: %+v, %v", res, err)
	}
	if !exists(0) || !exists(1) {
		t.Fatal("render wrote nothing")
	}
	if res, err = Apply(m, Options{Check: true}); err != nil || res.Drift != 0 || res.Configs[0].Changed {
		t.Fatalf("check after render: %+v, %v", res, err)
	}

	// --set changes a var: one output drifts, and --check says so in the
	// singular.
	_, err = Apply(m, Options{Check: true, Set: []string{"port=9999"}})
	if err == nil || err.Error() != "1 rendered config is out of date: run dist config render" {
		t.Errorf("check with --set: %v", err)
	}

	// A --set that is not KEY=VALUE is a usage error; nothing else runs.
	var usage *failure.UsageError
	if _, err := Apply(m, Options{Set: []string{"port"}}); !errors.As(err, &usage) {
		t.Errorf("bad --set: %v", err)
	}
}
