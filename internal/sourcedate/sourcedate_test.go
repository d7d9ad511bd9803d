package sourcedate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTime(t *testing.T) {
	errNoCommit := errors.New("not a git repository")
	commitAt := func(tm time.Time) func() (time.Time, error) {
		return func() (time.Time, error) { return tm, nil }
	}
	noCommit := func() (time.Time, error) { return time.Time{}, errNoCommit }
	// A commit made at 12:00:00.5 in UTC+5.
	committed := time.Date(2024, 1, 2, 12, 0, 0, 5e8, time.FixedZone("", 5*3600))

	for _, tc := range []struct {
		epoch  string
		commit func() (time.Time, error)
		want   time.Time
		err    string
	}{
		{"86400", noCommit, time.Unix(86400, 0).UTC(), ""},
		// SOURCE_DATE_EPOCH wins over the commit.
		{"0", commitAt(committed), time.Unix(0, 0).UTC(), ""},
		{" 1700000000\n", noCommit, time.Unix(1700000000, 0).UTC(), ""},
		{"", commitAt(committed), time.Date(2024, 1, 2, 7, 0, 0, 0, time.UTC), ""},
		{"", noCommit, time.Time{}, "not a git repository: the time dist stamps comes from the commit built, or from SOURCE_DATE_EPOCH"},
		{"yesterday", commitAt(committed), time.Time{}, `SOURCE_DATE_EPOCH="yesterday": want whole seconds since 1970`},
		{"-1", noCommit, time.Time{}, `SOURCE_DATE_EPOCH="-1": want whole seconds since 1970`},
		{"1.5", noCommit, time.Time{}, `SOURCE_DATE_EPOCH="1.5": want whole seconds since 1970`},
	} {
		got, err := Time(tc.epoch, tc.commit)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Time(%q): %v, want error %q", tc.epoch, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("Time(%q) = %v, %v; want %v", tc.epoch, got, err, tc.want)
		}
	}
	// The commit's error stays reachable, for a caller that tells them apart.
	if _, err := Time("", noCommit); !errors.Is(err, errNoCommit) || !strings.Contains(err.Error(), Var) {
		t.Errorf("no commit: %v", err)
	}
}
