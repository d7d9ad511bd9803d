package lock

import (
	"errors"
	"testing"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockset"
)

// TestVerdict: what dist lock verify exits with for what it found
// (DESIGN §3): 2 for a malformed entry, whatever else; the index's error
// when it could not be asked; 1 for any other problem; and no typed nil
// anywhere when the index answered.
func TestVerdict(t *testing.T) {
	unreached := &IndexError{Err: errors.New("connection refused")}
	malformed := lockset.Problem{File: "a.txt", Line: 1, Problem: "kinto is not pinned", Malformed: true}
	mismatch := lockset.Problem{File: "a.txt", Line: 2, Problem: "hash is not published"}
	var usage *failure.UsageError
	var check *failure.CheckError
	var index *IndexError

	for _, tc := range []struct {
		what     string
		problems []lockset.Problem
		indexErr *IndexError
		ok       func(error) bool
	}{
		{"clean", nil, nil, func(err error) bool { return err == nil }},
		{"a hash mismatch", []lockset.Problem{mismatch}, nil, func(err error) bool {
			return errors.As(err, &check) && err.Error() == ""
		}},
		{"a malformed entry", []lockset.Problem{mismatch, malformed}, nil, func(err error) bool {
			return errors.As(err, &usage) && usage.Err == nil && err.Error() == ""
		}},
		{"a malformed entry, index not reached", []lockset.Problem{malformed}, unreached, func(err error) bool {
			return errors.As(err, &usage) && errors.As(err, &index) && index == unreached
		}},
		{"index not reached", []lockset.Problem{mismatch}, unreached, func(err error) bool {
			return err == error(unreached)
		}},
	} {
		res := &VerifyResult{Problems: tc.problems}
		if err := res.Verdict(tc.indexErr); !tc.ok(err) {
			t.Errorf("%s: %#v", tc.what, err)
		}
	}
}
