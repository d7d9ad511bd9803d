package pep440

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The ordering example from PEP 440 "Summary of permitted suffixes and
// relative ordering", lowest first.
var pepOrdering = []string{
	"1.dev0",
	"1.0.dev456",
	"1.0a1",
	"1.0a2.dev456",
	"1.0a12.dev456",
	"1.0a12",
	"1.0b1.dev456",
	"1.0b2",
	"1.0b2.post345.dev456",
	"1.0b2.post345",
	"1.0rc1.dev456",
	"1.0rc1",
	"1.0",
	"1.0+abc.5",
	"1.0+abc.7",
	"1.0+5",
	"1.0.post456.dev34",
	"1.0.post456",
	"1.0.15",
	"1.1.dev1",
}

func TestCompareOrdering(t *testing.T) {
	for i, a := range pepOrdering {
		for j, b := range pepOrdering {
			got, err := compare(a, b)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("compare(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestCompareEquivalent(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.0.0", "1", 0},
		{"1!1.0", "1!1", 0},
		{"0!1.0", "1.0", 0},
		{"1!0.1", "2.0", 1},
		{"1.0+ubuntu-1", "1.0+ubuntu.1", 0}, // the library alone says these differ
		{"1.0+Ubuntu_1", "1.0+ubuntu.1", 0},
		{"1.0+abc", "1.0+1", -1}, // alphanumeric local segments sort before numeric ones
		{"1.0+abc.1", "1.0+abc", 1},
		{"1.0.post1", "1.0-1", 0},
		{"v1.0RC1", "1.0rc1", 0},
		{"1.0c1", "1.0rc1", 0},
		{"2.0", "10.0", -1},
		{"1.0.1", "1.0.0.1", 1},
		{"1.0a1", "1.0.0a1", 0},
	} {
		got, err := compare(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("compare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if back, _ := compare(c.b, c.a); back != -c.want {
			t.Errorf("compare(%q, %q) = %d, want %d", c.b, c.a, back, -c.want)
		}
	}
	if _, err := compare("1.0", "not a version"); err == nil {
		t.Error("Compare with an invalid version: no error")
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"1.0":              "1.0",
		" v1.0 ":           "1.0",
		"1.0-1":            "1.0.post1",
		"1.0.r2":           "1.0.post2",
		"1.0-rev3":         "1.0.post3",
		"1.0.post":         "1.0.post0",
		"1.0ALPHA":         "1.0a0",
		"1.0-beta.2":       "1.0b2",
		"1.0c1":            "1.0rc1",
		"1.0preview1":      "1.0rc1",
		"1.0-dev":          "1.0.dev0",
		"01.02.003":        "1.2.3",
		"0!1.0":            "1.0",
		"2!1.0_a1.post2":   "2!1.0a1.post2",
		"1.0+Ubuntu-1_2.3": "1.0+ubuntu.1.2.3",
	} {
		got, err := normalize(in)
		if err != nil || got != want {
			t.Errorf("normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "foo", "1.0+", "1.0.", "1..0", "1.0-", "1.0 .1", "1.0+a..b", "1.0a1a2"} {
		if got, err := normalize(bad); err == nil {
			t.Errorf("normalize(%q) = %q, want an error", bad, got)
		}
		if Valid(bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}

func TestIsPrerelease(t *testing.T) {
	for v, want := range map[string]bool{
		"1.0": false, "1.0a1": true, "1.0b2": true, "1.0rc1": true, "1.0.dev0": true,
		"1.0.post1": false, "1.0.post1.dev2": true, "1.0a1.post1": true, "1.0+local": false,
		"junk": false,
	} {
		if got := IsPrerelease(v); got != want {
			t.Errorf("IsPrerelease(%q) = %v, want %v", v, got, want)
		}
	}
}

type containsCase struct {
	spec, version string
	pre, want     bool
}

func runContains(t *testing.T, cases []containsCase) {
	t.Helper()
	for _, c := range cases {
		s, err := ParseSpecifiers(c.spec)
		if err != nil {
			t.Errorf("ParseSpecifiers(%q): %v", c.spec, err)
			continue
		}
		if got := s.Contains(c.version, c.pre); got != c.want {
			t.Errorf("ParseSpecifiers(%q).Contains(%q, pre=%v) = %v, want %v", c.spec, c.version, c.pre, got, c.want)
		}
	}
}

// Examples given in the text of PEP 440 "Version specifiers".
func TestContainsPEP440Examples(t *testing.T) {
	runContains(t, []containsCase{
		// "Examples": ~=3.1: 3.1 or later, but not 4.0 or later.
		{"~=3.1", "3.1", false, true},
		{"~=3.1", "3.9.2", false, true},
		{"~=3.1", "3.0", false, false},
		{"~=3.1", "4.0", false, false},
		// ~=3.1.2: 3.1.2 or later, but not 3.2.0 or later.
		{"~=3.1.2", "3.1.2", false, true},
		{"~=3.1.2", "3.1.10", false, true},
		{"~=3.1.2", "3.1.1", false, false},
		{"~=3.1.2", "3.2.0", false, false},
		// ~=3.1a1: 3.1a1 or later, but not 4.0 or later.
		{"~=3.1a1", "3.1a1", false, true},
		{"~=3.1a1", "3.1b2", false, true},
		{"~=3.1a1", "3.9", false, true},
		{"~=3.1a1", "3.0", false, false},
		{"~=3.1a1", "4.0", false, false},
		{"~=3.1a1", "4.0a1", false, false},
		// == 3.1: 3.1 (or 3.1.0), no pre, post, dev or 3.1.x releases.
		{"== 3.1", "3.1", false, true},
		{"== 3.1", "3.1.0", false, true},
		{"== 3.1", "3.1a1", true, false},
		{"== 3.1", "3.1.post1", false, false},
		{"== 3.1", "3.1.dev1", true, false},
		{"== 3.1", "3.1.1", false, false},
		// == 3.1.*: anything that starts with 3.1.
		{"== 3.1.*", "3.1", false, true},
		{"== 3.1.*", "3.1.0", false, true},
		{"== 3.1.*", "3.1.7", false, true},
		{"== 3.1.*", "3.1.7.post1", false, true},
		{"== 3.1.*", "3.10", false, false},
		{"== 3.1.*", "3.2", false, false},
		// ~=3.1.0, != 3.1.3: 3.1.0 or later, not 3.1.3, not 3.2.0 or later.
		{"~=3.1.0, != 3.1.3", "3.1.0", false, true},
		{"~=3.1.0, != 3.1.3", "3.1.2", false, true},
		{"~=3.1.0, != 3.1.3", "3.1.3", false, false},
		{"~=3.1.0, != 3.1.3", "3.1.4", false, true},
		{"~=3.1.0, != 3.1.3", "3.2.0", false, false},

		// "Version matching", for 1.1.post1:
		{"== 1.1", "1.1.post1", false, false},
		{"== 1.1.post1", "1.1.post1", false, true},
		{"== 1.1.*", "1.1.post1", false, true},
		// for 1.1a1 (prefix match only when pre-releases are requested):
		{"== 1.1", "1.1a1", true, false},
		{"== 1.1a1", "1.1a1", false, true},
		{"== 1.1.*", "1.1a1", true, true},
		{"== 1.1.*", "1.1a1", false, false},
		// for 1.1:
		{"== 1.1", "1.1", false, true},
		{"== 1.1.0", "1.1", false, true},
		{"== 1.1.dev1", "1.1", false, false},
		{"== 1.1a1", "1.1", false, false},
		{"== 1.1.post1", "1.1", false, false},
		{"== 1.1.*", "1.1", false, true},
		// local labels: ignored unless the specifier has one, then compared exactly.
		{"==1.1", "1.1+ubuntu1", false, true},
		{"==1.1+ubuntu1", "1.1+ubuntu1", false, true},
		{"==1.1+ubuntu1", "1.1", false, false},
		{"==1.1+ubuntu1", "1.1+ubuntu2", false, false},
		{"==1.1+ubuntu1", "1.1.0+UBUNTU1", false, true},

		// "Version exclusion", for 1.1.post1:
		{"!= 1.1", "1.1.post1", false, true},
		{"!= 1.1.post1", "1.1.post1", false, false},
		{"!= 1.1.*", "1.1.post1", false, false},

		// "Exclusive ordered comparison":
		// >1.7 allows 1.7.1 but not 1.7.0.post1.
		{">1.7", "1.7.1", false, true},
		{">1.7", "1.7.0.post1", false, false},
		{">1.7", "1.7.post1", false, false},
		// >1.7.post2 allows 1.7.1 and 1.7.0.post3 but not 1.7.0.
		{">1.7.post2", "1.7.1", false, true},
		{">1.7.post2", "1.7.0.post3", false, true},
		{">1.7.post2", "1.7.0", false, false},
		{">1.7.post2", "1.7.post2", false, false},
		// >V must not match a local version of V.
		{">1.7", "1.7+local", false, false},
		{">1.7", "1.7.1+local", false, true},
		// <V must not allow a pre-release of V unless V is one, whatever pre says.
		{"<3.1", "3.1.dev0", true, false},
		{"<3.1", "3.1a1", true, false},
		{"<3.1", "3.0.dev0", true, true},
		{"<3.1", "3.0", false, true},
		{"<3.1rc1", "3.1a1", true, true},
		{"<3.1rc1", "3.1rc1", true, false},
		{"<3.1", "3.1", false, false},

		// "Arbitrary equality": ===foobar matches foobar; ===1.0 is not 1.0+downstream1.
		{"===foobar", "foobar", false, true},
		{"===foobar", "FooBar", false, true},
		{"===foobar", "foobar2", false, false},
		{"===1.0", "1.0", false, true},
		{"===1.0", "1.0+downstream1", false, false},
		{"===1.0", "1.0.0", false, false},
		{"===1.0-1", "1.0-1", false, true},      // the library normalizes to 1.0.post1 and fails this
		{"===1.0-1", "1.0.post1", false, false}, // no normalization at all
	})
}

func TestContainsOperators(t *testing.T) {
	runContains(t, []containsCase{
		// Empty set.
		{"", "1.0", false, true},
		{"", "0!0", false, true},
		{"", "1.0a1", false, false},
		{"", "1.0a1", true, true},
		{"", "not-a-version", true, false},
		// Inclusive comparisons ignore local labels of the candidate.
		{">=1.0", "1.0", false, true},
		{">=1.0", "0.9", false, false},
		{">=1.0", "1.0+local", false, true},
		{">=1.0", "1.0.post1", false, true},
		{">=1.0", "1.0rc1", true, false},
		{">=1.0", "1.1.dev1", false, false},
		{">=1.0", "1.1.dev1", true, true},
		{"<=1.0", "1.0+local", false, true},
		{"<=1.0", "1.0.post1", false, false},
		{"<=1.0", "1.0rc1", true, true},
		{"<1.0", "1.0+local", false, false},
		{"<1.0", "0.9+local", false, true},
		{"<1.0", "1.0rc1", false, false},
		{"<1.0", "1.0rc1", true, false},
		{"<2.0", "1.5b1", false, false}, // excluded as a pre-release
		{"<2.0", "1.5b1", true, true},
		{">1.0", "1.0+local", false, false},
		{">1.0", "1.0.post1", false, false},
		{">1.0", "1.0.1", false, true},
		{">1.0", "2.0.post1", false, true},
		{">1.0rc1", "1.0", false, true},
		{">1.0rc1", "1.0rc2", false, true}, // names a pre-release
		{"!=1.0", "1.0+local", false, false},
		{"!=1.0+local", "1.0", false, true},
		{"!=1.0+local", "1.0+local", false, false},
		{"!=1.0", "1.0.0", false, false},
		// Prefix matching, including the cases the library gets wrong.
		{"==1.0.*", "1", false, true},
		{"==1.0.0.*", "1", false, true},
		{"==1.0.0.*", "1.0rc1", true, true},
		{"==1.0.*", "1.0.5", false, true},
		{"==1.0.0.*", "1.0.5", false, false},
		{"==1.*", "1.0+local", false, true},
		{"==1.*", "10.0", false, false},
		{"==1.*", "2.0", false, false},
		{"!=1.0.*", "1", false, false},
		{"!=1.0.*", "1.1", false, true},
		{"==1.0a1.*", "1.0a1", false, true},
		{"==1.0a1.*", "1.0.0a1.post2", false, true},
		{"==1.0a1.*", "1.0a1.dev3", false, true},
		{"==1.0a1.*", "1.0a10", false, false},
		{"==1.0a1.*", "1.0", false, false},
		{"==1.0.post1.*", "1.0.post1.dev2", true, true},
		{"==1.0.post1.*", "1.0.post2", false, false},
		{"==1.0.post1.*", "1.0a1.post1", true, false},
		// Epochs.
		{"==1.*", "1!1.0", false, false},
		{"==1!1.*", "1!1.5", false, true},
		{"==2!1.0.*", "2!1", false, true},
		{"==1!1.0", "1.0", false, false},
		{">=1.0", "1!0.5", false, true},
		{"<2", "1!0.1", false, false},
		{"~=1!2.2", "1!2.5", false, true},
		{"~=1!2.2", "2.5", false, false},
		{"~=1!2.2", "1!3.0", false, false},
		// Compatible release with suffixes (the library keeps "5" of 1.4.5a4).
		{"~=1.4.5a4", "1.4.6", false, true},
		{"~=1.4.5a4", "1.4.5a4", false, true},
		{"~=1.4.5a4", "1.4.5a3", false, false},
		{"~=1.4.5a4", "1.5", false, false},
		{"~=2.2.post3", "2.2.post3", false, true},
		{"~=2.2.post3", "2.2", false, false},
		{"~=2.2.post3", "2.9", false, true},
		{"~=2.2.post3", "3.0", false, false},
		{"~=2.2.0", "2.2.9", false, true},
		{"~=2.2.0", "2.3", false, false},
		{"~=2.2", "2.2.0+local", false, true},
		{"~=1.0.dev1", "1.0.dev2", false, true},
		// Legacy (non-PEP 440) versions are only reachable through ===.
		{">=0", "2004d", false, false},
		{"===2004d", "2004d", false, true},
		{"===2004d,===2004D", "2004d", false, true},
		{"===2004d,>=0", "2004d", false, false},
		{"!=1.0", "garbage", true, false},
		// Whitespace around the candidate is not part of it.
		{"==1.0", " 1.0\n", false, true},
		{"===foo", " foo ", false, true},
	})
}

// PEP 440 "Compatible release": each ~= clause is equivalent to the pair given.
func TestCompatibleEquivalences(t *testing.T) {
	candidates := []string{
		"0.9", "1", "1.4", "1.4.4", "1.4.5a3", "1.4.5a4", "1.4.5a5", "1.4.5", "1.4.5.0", "1.4.5.1",
		"1.4.6", "1.4.99", "1.5", "1.5a1", "2", "2.1", "2.2", "2.2.post2", "2.2.post3", "2.2.post4",
		"2.2.0", "2.2.1", "2.3", "2.3rc1", "2.99", "3.0", "3.0.dev0", "1.4.5+local", "2.2.1+local",
		"1!2.2", "1.4.5.dev1", "2.2.1.dev0",
	}
	for compat, pair := range map[string]string{
		"~= 2.2":       ">= 2.2, == 2.*",
		"~= 1.4.5":     ">= 1.4.5, == 1.4.*",
		"~= 2.2.post3": ">= 2.2.post3, == 2.*",
		"~= 1.4.5a4":   ">= 1.4.5a4, == 1.4.*",
		"~= 2.2.0":     ">= 2.2.0, == 2.2.*",
		"~= 1.4.5.0":   ">= 1.4.5.0, == 1.4.5.*",
	} {
		a := mustParse(t, compat)
		b := mustParse(t, pair)
		for _, v := range candidates {
			for _, pre := range []bool{false, true} {
				if got, want := a.Contains(v, pre), b.Contains(v, pre); got != want {
					t.Errorf("%q.Contains(%q, %v) = %v but %q gives %v", compat, v, pre, got, pair, want)
				}
			}
		}
	}
}

func mustParse(t testing.TB, s string) Specifiers {
	t.Helper()
	set, err := ParseSpecifiers(s)
	if err != nil {
		t.Fatalf("ParseSpecifiers(%q): %v", s, err)
	}
	return set
}

func TestParseSpecifiersString(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"   ":                               "",
		">=1.0":                             ">=1.0",
		" >= 1.0 , != 1.3.* ,< 2 ":          ">=1.0,!=1.3.*,<2",
		"~= 0.9, >= 1.0, != 1.3.4.*, < 2.0": "~=0.9,>=1.0,!=1.3.4.*,<2.0",
		"<2,>=1":                            "<2,>=1",  // written order kept
		"==1.0.0":                           "==1.0.0", // versions kept as written
		"== V1.0RC1":                        "==V1.0RC1",
		"===  foobar":                       "===foobar",
		">=1,,<2,":                          ">=1,<2",
		"\t==1.0+Local-1\n":                 "==1.0+Local-1",
		"====1":                             "====1", // === with the arbitrary string "=1"
	} {
		s, err := ParseSpecifiers(in)
		if err != nil {
			t.Errorf("ParseSpecifiers(%q): %v", in, err)
			continue
		}
		if got := s.String(); got != want {
			t.Errorf("ParseSpecifiers(%q).String() = %q, want %q", in, got, want)
		}
		if s.Empty() != (want == "") {
			t.Errorf("ParseSpecifiers(%q).Empty() = %v", in, s.Empty())
		}
		again, err := ParseSpecifiers(s.String())
		if err != nil || again.String() != s.String() {
			t.Errorf("re-parse of %q: %q, %v", s.String(), again.String(), err)
		}
	}
	var zero Specifiers
	if !zero.Empty() || zero.String() != "" || !zero.Contains("1.0", false) {
		t.Error("zero Specifiers is not the empty set")
	}
}

func TestParseSpecifiersErrors(t *testing.T) {
	for _, c := range []struct{ in, clause, msg string }{
		{"1.0", `"1.0"`, "missing comparison operator"},
		{"=1.0", `"=1.0"`, "missing comparison operator"},
		{">=1.0, 2.0", `"2.0"`, "missing comparison operator"},
		{">=1.0||<0.5", `">=1.0||<0.5"`, "invalid PEP 440 version"},
		{">=", `">="`, "missing version"},
		{"==", `"=="`, "missing version"},
		{"===", `"==="`, "missing version"},
		{">=1.0 .1", `">=1.0 .1"`, "whitespace inside version"},
		{">=1.0, <bad", `"<bad"`, `invalid PEP 440 version "bad"`},
		{"<=1.0.*", `"<=1.0.*"`, `only allowed with == and !=`},
		{"~=1.0.*", `"~=1.0.*"`, `only allowed with == and !=`},
		{"==1.*.*", `"==1.*.*"`, "invalid PEP 440 version"},
		{"==1.0.dev1.*", `"==1.0.dev1.*"`, "dev release"},
		{"!=1.0+foo1.*", `"!=1.0+foo1.*"`, "local version"},
		{">=1.0+local", `">=1.0+local"`, "local version is only allowed"},
		{"<1.0+local", `"<1.0+local"`, "local version is only allowed"},
		{"~=1.0+local", `"~=1.0+local"`, "local version is only allowed"},
		{"~=1", `"~=1"`, "at least two release components"},
		{"~=1!2", `"~=1!2"`, "at least two release components"},
	} {
		_, err := ParseSpecifiers(c.in)
		if err == nil {
			t.Errorf("ParseSpecifiers(%q): no error", c.in)
			continue
		}
		if !strings.Contains(err.Error(), "clause "+c.clause) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseSpecifiers(%q) error %q: want clause %s and %q", c.in, err, c.clause, c.msg)
		}
	}
}

func TestNamesPrerelease(t *testing.T) {
	for spec, want := range map[string]bool{
		"":               false,
		">=1.0":          false,
		">=2.0b1":        true,
		"==1.0rc1":       true,
		"~=1.0a1":        true,
		"<=2.0.dev0":     true,
		">2.0b1":         true,
		"===1.0a1":       true,
		"===foobar":      false,
		"<2.0.dev0":      false, // the usual "exclude 2.0 pre-releases" idiom
		"!=2.0b1":        false,
		"==1.0.*":        false,
		"==1.0a1.*":      true,
		">=1.0,<2,!=1.5": false,
		">=1.0,<=1.5rc1": true,
	} {
		if got := mustParse(t, spec).NamesPrerelease(); got != want {
			t.Errorf("%q.NamesPrerelease() = %v, want %v", spec, got, want)
		}
	}
	// A named pre-release admits other pre-releases in Contains.
	s := mustParse(t, ">=2.0b1")
	if !s.Contains("2.0rc1", false) || !s.Contains("2.1a1", false) || s.Contains("2.0a1", true) {
		t.Error(">=2.0b1 does not admit later pre-releases")
	}
}

func TestFilter(t *testing.T) {
	versions := []string{"2.0b1", "1.0", "1.1a1", "legacy", "1.1", "0.9", "2.0.dev1", "1.1.post1"}
	for _, c := range []struct {
		spec string
		pre  bool
		want []string
	}{
		{"", false, []string{"1.0", "1.1", "0.9", "1.1.post1"}},
		{"", true, []string{"2.0b1", "1.0", "1.1a1", "1.1", "0.9", "2.0.dev1", "1.1.post1"}},
		{">=1.0", false, []string{"1.0", "1.1", "1.1.post1"}},
		{">=1.0", true, []string{"2.0b1", "1.0", "1.1a1", "1.1", "2.0.dev1", "1.1.post1"}},
		// No final release matches: the matching pre-releases are the answer.
		{">=1.5", false, []string{"2.0b1", "2.0.dev1"}},
		{">1.1.post1", false, []string{"2.0b1", "2.0.dev1"}},
		// The set names a pre-release.
		{">=2.0b1", false, []string{"2.0b1"}},
		{">=1.1a1", false, []string{"2.0b1", "1.1a1", "1.1", "2.0.dev1", "1.1.post1"}},
		{"==1.1.*", false, []string{"1.1", "1.1.post1"}},
		{"==1.1.*", true, []string{"1.1a1", "1.1", "1.1.post1"}},
		{"===legacy", false, []string{"legacy"}},
		{">=3", false, nil},
	} {
		got := mustParse(t, c.spec).Filter(versions, c.pre)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q.Filter(pre=%v) = %q, want %q", c.spec, c.pre, got, c.want)
		}
	}
	if got := mustParse(t, ">=1").Filter(nil, false); len(got) != 0 {
		t.Errorf("Filter(nil) = %q", got)
	}
}

// A Specifiers is shared by resolver goroutines; run with -race.
func TestConcurrentContains(t *testing.T) {
	s := mustParse(t, ">=1.0.0,<2.0.0,!=1.5.*,~=1.0")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, v := range []string{"1.0", "1.2.0", "1.5.1", "2.0", "1.9.0.0"} {
				s.Contains(v, false)
			}
		}()
	}
	wg.Wait()
}

func FuzzParseSpecifiers(f *testing.F) {
	for _, seed := range []string{
		"", ">=1.0", ">=1.0,!=1.3.*,<2", "~=1.4.5a4", "===foobar", "== 1.1.post1 , < 2!3",
		"==1.0+ubuntu-1", ">1.7.post2", "<3.1rc1", "~=3.1.0, != 3.1.3", "v1.0", "==1.0.*", "====1",
	} {
		f.Add(seed)
	}
	probes := []string{"1.0", "1.0a1", "1.3.2", "2!1.0", "1.0+local", "1.0.post1", "foobar", "1.4.5"}
	fixed := mustParse(f, "~=1.4.5a4,!=1.4.7.*,>=1!0.0.0.dev0,<=2!9,>0,<99,==1.4.*,!=1.4.8+local")
	arbitrary := mustParse(f, "===foobar")
	f.Fuzz(func(t *testing.T, in string) {
		// in as a candidate version.
		for _, pre := range []bool{false, true} {
			fixed.Contains(in, pre)
			arbitrary.Contains(in, pre)
		}
		if Valid(in) {
			if _, err := compare(in, "1.0"); err != nil {
				t.Fatalf("compare(%q): %v", in, err)
			}
			n, _ := normalize(in)
			if c, err := compare(n, in); err != nil || c != 0 {
				t.Fatalf("normalize(%q) = %q compares %d, %v", in, n, c, err)
			}
			for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", "==="} {
				if _, err := ParseSpecifiers(op + n); err != nil && strings.Contains(err.Error(), "internal:") {
					t.Fatal(err)
				}
			}
		}

		s, err := ParseSpecifiers(in)
		if err != nil {
			if strings.Contains(err.Error(), "internal:") {
				t.Fatalf("ParseSpecifiers(%q): %v", in, err)
			}
			return
		}
		out := s.String()
		again, err := ParseSpecifiers(out)
		if err != nil {
			t.Fatalf("String() of ParseSpecifiers(%q) = %q does not re-parse: %v", in, out, err)
		}
		if again.String() != out {
			t.Fatalf("String() not stable: %q -> %q -> %q", in, out, again.String())
		}
		for _, p := range probes {
			for _, pre := range []bool{false, true} {
				if s.Contains(p, pre) != again.Contains(p, pre) {
					t.Fatalf("%q and its String %q disagree on %q", in, out, p)
				}
			}
		}
		s.Filter(probes, false)
		s.NamesPrerelease()
	})
}

// normalize is the PEP 440 normalized form of v ("1.0-1" -> "1.0.post1"),
// for the tests that check parsing agrees with the library's ordering.
func normalize(v string) (string, error) {
	pv, err := parseVersion(v)
	if err != nil {
		return "", fmt.Errorf("pep440: %w", err)
	}
	return pv.norm, nil
}

// compare orders two versions by PEP 440: -1, 0 or +1 as a is lower than,
// equal to or higher than b.
func compare(a, b string) (int, error) {
	va, err := parseVersion(a)
	if err != nil {
		return 0, fmt.Errorf("pep440: %w", err)
	}
	vb, err := parseVersion(b)
	if err != nil {
		return 0, fmt.Errorf("pep440: %w", err)
	}
	// The library pads the receiver's release slice in place; both values
	// here are fresh, so nothing shared is written.
	return va.lib.Compare(vb.lib), nil
}
