package version

import (
	"errors"
	"testing"

	"github.com/distbuild/dist/internal/fileerr"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ eco, a, b, want string }{
		{"pypi", "1.2.3", "2.0.0", "major"},
		{"pypi", "1.2.3", "1.3.0", "minor"},
		{"pypi", "1.2.3", "1.2.4", "patch"},
		{"pypi", "1.2", "1.3", "minor"},
		{"pypi", "1.2", "1.2.1", "patch"},
		{"pypi", "14.3.0", "15.0.0rc1", "major"},
		{"pypi", "1.0.0rc1", "1.0.0", "patch"},
		{"pypi", "1.0.0", "1.0.0.post1", "patch"},
		{"pypi", "2.0", "1.9", "major"}, // downgrades are sized like the upgrade
		{"pypi", "0.3.1", "0.4.0", "major"},
		{"pypi", "0.3.1", "0.3.2", "patch"},
		{"pypi", "0.0.3", "0.0.4", "major"},
		{"pypi", "1!1.0", "1!2.0", "major"},
		{"gomod", "v1.2.3", "v1.3.0", "minor"},
		{"gomod", "v0.3.0", "v0.4.0", "major"},
		{"gomod", "v1.0.0-rc.1", "v1.0.0", "patch"},
		{"oci", "3.12-slim", "3.13-slim", "minor"},
		{"oci", "3.12.1", "3.12.2", "patch"},
		{"oci", "v1", "v2", "major"},
		{"pypi", "1.0", "1.0.0", "none"},
	} {
		a, err := Parse(tc.eco, tc.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(tc.eco, tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := Classify(a, b).String(); got != tc.want {
			t.Errorf("%s %s -> %s: %s, want %s", tc.eco, tc.a, tc.b, got, tc.want)
		}
	}
}

// TestClassifyBelow1 reads 0.x versions as dist.yaml's policy.below_1_0
// may ask: the leftmost non-zero component's move gets the given level.
func TestClassifyBelow1(t *testing.T) {
	for _, tc := range []struct {
		a, b   string
		below1 Level
		want   string
	}{
		{"v0.43.0", "v0.44.0", Minor, "minor"},
		{"v0.43.0", "v0.43.1", Minor, "patch"},
		{"v0.0.3", "v0.0.4", Minor, "minor"},
		{"v0.43.0", "v0.44.0", Patch, "patch"},
		{"v0.43.0", "v0.44.0", Major, "major"},
		{"v0.9.0", "v1.0.0", Minor, "major"}, // across 1.0 is no longer below it
		{"v1.2.0", "v1.3.0", Patch, "minor"}, // at 1.0 and above the setting does not apply
		{"v0.44.0", "v0.43.0", Minor, "minor"},
	} {
		a, _ := Parse("gomod", tc.a)
		b, _ := Parse("gomod", tc.b)
		if got := ClassifyBelow1(a, b, tc.below1).String(); got != tc.want {
			t.Errorf("%s -> %s (below 1.0 %s): %s, want %s", tc.a, tc.b, tc.below1, got, tc.want)
		}
	}
}

func TestLatest(t *testing.T) {
	for _, tc := range []struct {
		eco  string
		in   []string
		pre  bool
		like string
		want string
	}{
		{"pypi", []string{"1.0", "2.0rc1", "1.10", "1.9"}, false, "", "1.10"},
		{"pypi", []string{"1.0", "2.0rc1", "1.10"}, true, "", "2.0rc1"},
		{"pypi", []string{"1.0", "2.0.dev3"}, false, "", "1.0"},
		{"gomod", []string{"v1.0.0", "v1.1.0-beta.1", "v1.0.1"}, false, "", "v1.0.1"},
		{"oci", []string{"latest", "3.12-slim", "3.13-slim", "3.13", "3.14.0-slim", "3.14-rc1-slim"}, false, "3.12-slim", "3.13-slim"},
		{"oci", []string{"latest", "3.12-slim", "3.13", "3.13.1", "1.0.0", "3.13.2"}, false, "1.0.0", "3.13.2"},
	} {
		var like *V
		if tc.like != "" {
			l, _ := Parse(tc.eco, tc.like)
			like = &l
		}
		got, ok := Latest(tc.eco, tc.in, tc.pre, like)
		if !ok || got.Raw != tc.want {
			t.Errorf("%v: %q, want %q", tc.in, got.Raw, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ eco, in string }{
		{"pypi", "one.two"}, {"gomod", "1.2.3"}, {"gomod", "v1.2"}, {"oci", "latest"}, {"npm", "1.0.0"},
	} {
		if _, err := Parse(tc.eco, tc.in); err == nil {
			t.Errorf("%s %q parsed", tc.eco, tc.in)
		}
	}
}

// FuzzClassify checks the classifier never panics and is symmetric: a
// downgrade is sized like the matching upgrade, and equal versions are None.
func FuzzClassify(f *testing.F) {
	for _, s := range [][2]string{{"1.2.3", "2.0"}, {"0.1", "0.1.1"}, {"1!2.0rc1", "2.0.post3"}, {"v1.0.0", "v1.0.0-rc.1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, x, y string) {
		for _, eco := range []string{"pypi", "gomod", "oci"} {
			a, err1 := Parse(eco, x)
			b, err2 := Parse(eco, y)
			if err1 != nil || err2 != nil {
				continue
			}
			if Classify(a, b) != Classify(b, a) {
				t.Fatalf("%s: %q<->%q asymmetric", eco, x, y)
			}
			if (Compare(a, b) == 0) != (Classify(a, b) == None) {
				t.Fatalf("%s: %q %q compare %d classify %v", eco, x, y, Compare(a, b), Classify(a, b))
			}
			if Compare(a, b) != -Compare(b, a) {
				t.Fatalf("%s: compare not antisymmetric", eco)
			}
		}
	})
}

func TestNextAndFinal(t *testing.T) {
	for _, tc := range []struct {
		base string
		l    Level
		want string
	}{
		{"14.0.0", Major, "15.0.0"}, {"14.0.3", Minor, "14.1.0"}, {"14.0", Patch, "14.0.1"},
		{"0.9.1", Major, "1.0.0"}, {"1.2.3.4", Patch, "1.2.4"},
	} {
		b, _ := Parse("pypi", tc.base)
		if got := Next(b, tc.l); got != tc.want {
			t.Errorf("Next(%s, %v) = %s, want %s", tc.base, tc.l, got, tc.want)
		}
	}
	for in, want := range map[string]string{"14.1.0.dev0": "14.1.0", "2.0rc1": "2.0", "1.0.0": "1.0.0", "1.0.post1": "1.0.post1"} {
		v, _ := Parse("pypi", in)
		if got := Final(v); got != want {
			t.Errorf("Final(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestSimpleMatchesPEP440: the fast path for plain X.Y.Z orders exactly as
// the full PEP 440 parser does, also against pre- and post-releases.
func TestSimpleMatchesPEP440(t *testing.T) {
	vs := []string{"1", "1.0", "1.0.0", "1.0.1", "1.10", "1.9.9", "2.0rc1", "1.0.post1", "0.9", "10.0.0.0", "1.0.0.dev0"}
	for _, x := range vs {
		for _, y := range vs {
			a, _ := Parse("pypi", x)
			b, _ := Parse("pypi", y)
			want := a.full().pep.Compare(*b.full().pep)
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, PEP 440 says %d", x, y, got, want)
			}
		}
	}
}

// TestParseFile: a VERSION file's version, or the error every command
// reports for it, at VERSION:1.
func TestParseFile(t *testing.T) {
	for _, tc := range []struct{ data, want, err string }{
		{"14.1.0.dev0\n", "14.1.0.dev0", ""},
		{"  1.0.0 \r\n", "1.0.0", ""},
		{"banana\n", "", `VERSION:1: "banana" is not a PEP 440 version`},
		{"\n", "", "VERSION:1: empty version file"},
	} {
		v, err := ParseFile("VERSION", []byte(tc.data))
		var fe *fileerr.Error
		switch {
		case tc.err == "" && (err != nil || v.Raw != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.data, v.Raw, err, tc.want)
		case tc.err != "" && (err == nil || err.Error() != tc.err || !errors.As(err, &fe)):
			t.Errorf("%q: %v (%T); want the *fileerr.Error %q", tc.data, err, err, tc.err)
		}
	}
}
