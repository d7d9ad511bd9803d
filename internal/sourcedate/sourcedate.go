// Package sourcedate is the one time dist stamps on what it builds (an
// image's created time and its files' mtimes, a bundle's entries):
// SOURCE_DATE_EPOCH when the builder sets it, as the reproducible-builds
// convention says (https://reproducible-builds.org/specs/source-date-epoch/),
// else the committer time of the commit built.
//
// The fallback is the commit's time, never the clock and never a made-up
// date, because that is the one time every builder of the same commit
// agrees on: a rebuild tomorrow, or on another machine, gives the same
// bytes, and the date still says when the release was made (DESIGN §5:
// "default the release commit's time").
package sourcedate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Var is the environment variable the convention names. The command line
// reads it, once; packages receive its value.
const Var = "SOURCE_DATE_EPOCH"

// Time is the time to stamp, in UTC and whole seconds.
//
// epoch is the value of SOURCE_DATE_EPOCH, "" when unset: a decimal count
// of seconds since 1970-01-01 00:00:00 UTC, white space around it ignored.
// When it is empty, commit gives the committer time of the commit built
// (HEAD's for a work-tree build, the tagged commit's for a release).
//
// Errors: an epoch that is not a whole, non-negative number of seconds;
// commit's error, when there is no commit (outside git, or before the
// first commit), saying that SOURCE_DATE_EPOCH is the way out. Both are
// the builder's to fix: callers report them as usage errors (exit 2).
func Time(epoch string, commit func() (time.Time, error)) (time.Time, error) {
	if epoch != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(epoch), 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%s=%q: want whole seconds since 1970", Var, epoch)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := commit()
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: the time dist stamps comes from the commit built, or from %s", err, Var)
	}
	return t.UTC().Truncate(time.Second), nil
}
