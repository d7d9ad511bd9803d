package channel

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestLooksLikeVersion(t *testing.T) {
	for _, s := range []string{"1", "1.0", "1.0.0", "v1.0.0", "V2", "14.1.0.dev0", "1.0rc1", "2!1.0", "1.0.post1", "1.2.3-rc.1", "v1.2.3-beta.2+build.5", "1.0+local"} {
		if !LooksLikeVersion(s) {
			t.Errorf("%q: not seen as a version", s)
		}
	}
	for _, s := range []string{"stage", "prod", "dev", "latest", "v", "version", "main", "1st-line", "edge", "release", "x1.0"} {
		if LooksLikeVersion(s) {
			t.Errorf("%q: seen as a version", s)
		}
	}
}

func TestValidate(t *testing.T) {
	loop := Config{{Name: "dev", Track: "main"}, {Name: "stage"}, {Name: "prod", From: "stage"}}
	if err := loop.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg     Config
		channel string
		field   string
		msg     string
	}{
		{Config{{Name: "1.0"}}, "1.0", "", "looks like a version"},
		{Config{{Name: "v2"}}, "v2", "", "looks like a version"},
		{Config{{Name: "1.2.3-rc.1"}}, "1.2.3-rc.1", "", "looks like a version"},
		{Config{{Name: "14.1.0.dev0"}}, "14.1.0.dev0", "", "looks like a version"},
		{Config{{Name: ""}}, "", "", "needs a name"},
		{Config{{Name: "-x"}}, "-x", "", "not a valid image tag"},
		{Config{{Name: "my stage"}}, "my stage", "", "not a valid image tag"},
		{Config{{Name: strings.Repeat("a", 129)}}, strings.Repeat("a", 129), "", "not a valid image tag"},
		{Config{{Name: "sha256-" + strings.Repeat("0", 64)}}, "sha256-" + strings.Repeat("0", 64), "", "sha256-"},
		{Config{{Name: "stage"}, {Name: "stage"}}, "stage", "", "defined twice"},
		{Config{{Name: "prod", From: "stage"}}, "prod", "from", `no channel "stage"`},
		{Config{{Name: "prod", From: "prod"}}, "prod", "from", "cycle: prod <- prod"},
		{Config{{Name: "a", From: "c"}, {Name: "b", From: "a"}, {Name: "c", From: "b"}}, "a", "from", "cycle: a <- c <- b <- a"},
		{Config{{Name: "stage"}, {Name: "x", From: "y"}, {Name: "y", From: "z"}, {Name: "z", From: "y"}}, "x", "from", "cycle: x <- y <- z <- y"},
		{Config{{Name: "stage"}, {Name: "prod", Track: "main", From: "stage"}}, "prod", "from", "not both"},
		{Config{{Name: "dev", Track: "feature..x"}}, "dev", "track", "not a valid branch name"},
		{Config{{Name: "dev", Track: "a b"}}, "dev", "track", "not a valid branch name"},
		{Config{{Name: "dev", Track: "refs/tags/v1"}}, "dev", "track", "tracks a branch"},
	} {
		err := tc.cfg.Validate()
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%+v: got %v, want an *Error", tc.cfg, err)
			continue
		}
		if ce.Channel != tc.channel || ce.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: got %q (channel %q, field %q), want channel %q field %q and %q", tc.cfg, err, ce.Channel, ce.Field, tc.channel, tc.field, tc.msg)
		}
		if !strings.Contains(err.Error(), `channel "`+tc.channel+`"`) {
			t.Errorf("%q does not name the channel", err)
		}
	}
}

func TestTracking(t *testing.T) {
	cfg := Config{
		{Name: "dev", Track: "main"},
		{Name: "nightly", Track: "refs/heads/release"},
		{Name: "candidate", Track: "release"},
		{Name: "legacy", Track: "0.9.x"},
		{Name: "stage"},
		{Name: "prod", From: "stage"},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		branch  string
		release bool
		want    []string
	}{
		{"main", false, []string{"dev"}},
		{"main", true, []string{"dev", "candidate"}},
		{"", true, []string{"candidate"}},
		{"release", false, []string{"nightly"}},
		{"0.9.x", true, []string{"candidate", "legacy"}},
		{"feature", false, nil},
	} {
		if got := cfg.Tracking(tc.branch, tc.release); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Tracking(%q, %v) = %v, want %v", tc.branch, tc.release, got, tc.want)
		}
	}
}
