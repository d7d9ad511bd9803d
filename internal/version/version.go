// Package version parses, compares and classifies the versions of every
// ecosystem dist pins: PEP 440 for pypi, SemVer for Go modules, and the loose
// dotted tags of container images.
package version

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	msemver "github.com/Masterminds/semver/v3"
	pep440 "github.com/aquasecurity/go-pep440-version"
	"golang.org/x/mod/semver"

	"github.com/distbuild/dist/internal/fileerr"
)

// Level is the size of a change between two versions.
type Level int

// Levels, smallest first.
const (
	None Level = iota
	Patch
	Minor
	Major
)

func (l Level) String() string {
	switch l {
	case Patch:
		return "patch"
	case Minor:
		return "minor"
	case Major:
		return "major"
	}
	return "none"
}

// ParseLevel reads "patch", "minor" or "major".
func ParseLevel(s string) (Level, error) {
	switch s {
	case "patch":
		return Patch, nil
	case "minor":
		return Minor, nil
	case "major":
		return Major, nil
	case "none":
		return None, nil
	}
	return None, fmt.Errorf("unknown level %q (want major, minor or patch)", s)
}

// V is a parsed version of some ecosystem.
type V struct {
	Raw     string
	Release []uint64 // numeric release segments
	Pre     bool     // prerelease or development release
	Suffix  string   // oci: what follows the numbers ("-slim")
	pep     *pep440.Version
	simple  bool // a PEP 440 version that is only dotted numbers
	sem     *msemver.Version
	gomod   string
}

// Parse reads a version of the given ecosystem ("pypi", "gomod", "oci").
func Parse(ecosystem, s string) (V, error) {
	switch ecosystem {
	case "pypi":
		// Plain X.Y.Z is nearly every release tag: reading it needs no
		// regular expression, and plan parses a thousand of them.
		if simpleRelease(s) {
			return V{Raw: s, Release: releaseOf(s), simple: true}, nil
		}
		p, err := pep440.Parse(s)
		if err != nil {
			return V{}, fmt.Errorf("%q is not a PEP 440 version", s)
		}
		v := V{Raw: s, pep: &p, Release: releaseOf(p.BaseVersion())}
		v.Pre = pepPre.MatchString(p.String())
		return v, nil
	case "gomod":
		if !semver.IsValid(s) || semver.Canonical(s) != strings.TrimSuffix(s, semver.Build(s)) {
			return V{}, fmt.Errorf("%q is not a canonical Go module version (vX.Y.Z)", s)
		}
		return V{Raw: s, gomod: s, Release: releaseOf(strings.TrimPrefix(strings.SplitN(semver.Canonical(s), "-", 2)[0], "v")), Pre: semver.Prerelease(s) != ""}, nil
	case "oci":
		m := ociTag.FindStringSubmatch(s)
		if m == nil {
			return V{}, fmt.Errorf("tag %q is not a version", s)
		}
		sv, err := msemver.NewVersion(m[1])
		if err != nil {
			return V{}, fmt.Errorf("tag %q is not a version", s)
		}
		v := V{Raw: s, sem: sv, Release: releaseOf(m[1]), Suffix: m[2]}
		v.Pre = ociPre.MatchString(m[2])
		return v, nil
	}
	return V{}, fmt.Errorf("unknown ecosystem %q", ecosystem)
}

// ParseFile reads the content of a VERSION file (DESIGN §1: one PEP 440
// version such as "14.1.0.dev0", blank space around it ignored). path names
// the file in the error: a *fileerr.Error at path:1 when the file holds no
// version, which every command that reads VERSION reports the same way.
func ParseFile(path string, data []byte) (V, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return V{}, fileerr.New(path, 1, "empty version file")
	}
	v, err := Parse("pypi", s)
	if err != nil {
		return V{}, fileerr.Wrap(path, 1, err)
	}
	return v, nil
}

var (
	pepPre = regexp.MustCompile(`\d(a|b|rc)\d+|\.dev\d+`)
	// Image tags: numbers, then anything ("3.12.1-slim-bookworm").
	ociTag = regexp.MustCompile(`^v?(\d+(?:\.\d+){0,2})((?:[-_.+][0-9A-Za-z._+-]*)?)$`)
	ociPre = regexp.MustCompile(`(?i)^[-_.]?(alpha|beta|rc|a|b|pre|dev)\d*`)
)

func releaseOf(s string) []uint64 {
	if i := strings.IndexByte(s, '!'); i >= 0 {
		s = s[i+1:]
	}
	var out []uint64
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}

// Compare returns -1, 0 or 1. Versions of different ecosystems do not compare.
func Compare(a, b V) int {
	if a.simple && b.simple {
		return compareRelease(a.Release, b.Release)
	}
	a, b = a.full(), b.full()
	switch {
	case a.pep != nil && b.pep != nil:
		return a.pep.Compare(*b.pep)
	case a.gomod != "" && b.gomod != "":
		return semver.Compare(a.gomod, b.gomod)
	case a.sem != nil && b.sem != nil:
		if c := a.sem.Compare(b.sem); c != 0 {
			return c
		}
		// "3.12" sorts before "3.12.0": more precise is newer by convention.
		if c := len(a.Release) - len(b.Release); c != 0 {
			return sign(c)
		}
		return strings.Compare(a.Suffix, b.Suffix)
	}
	return strings.Compare(a.Raw, b.Raw)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// SameShape reports whether two image tags belong to one series: the same
// suffix and the same number of components ("3.12-slim" and "3.13-slim",
// not "3.13" nor "3.13.1-slim"). It is always true for other ecosystems.
func SameShape(a, b V) bool {
	if a.sem == nil || b.sem == nil {
		return true
	}
	return a.Suffix == b.Suffix && len(a.Release) == len(b.Release)
}

// Sort orders versions of one ecosystem, oldest first; unparsable ones are dropped.
func Sort(ecosystem string, raw []string) []V {
	var vs []V
	for _, s := range raw {
		if v, err := Parse(ecosystem, s); err == nil {
			vs = append(vs, v)
		}
	}
	sort.SliceStable(vs, func(i, j int) bool { return Compare(vs[i], vs[j]) < 0 })
	return vs
}

// Latest returns the newest version, skipping prereleases unless asked, and
// keeping to like's series when like is given (image tags). ok is false when
// nothing qualifies.
func Latest(ecosystem string, raw []string, includePre bool, like *V) (V, bool) {
	vs := Sort(ecosystem, raw)
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if v.Pre && !includePre {
			continue
		}
		if like != nil && !SameShape(*like, v) {
			continue
		}
		return v, true
	}
	return V{}, false
}

// Classify says how big the change from a to b is. A downgrade is classified
// by the same rule as the matching upgrade.
//
// The rule for 0.x: below 1.0 the leftmost non-zero component is the one
// that breaks, as Cargo and npm's caret read it. 0.3.1 -> 0.4.0 is major,
// 0.3.1 -> 0.3.2 is patch, 0.0.3 -> 0.0.4 is major. Prerelease and
// post-release changes of the same release are patch.
func Classify(a, b V) Level { return ClassifyBelow1(a, b, Major) }

// ClassifyBelow1 is Classify with another reading of 0.x versions: below1
// is the level a change of the leftmost non-zero component gets when both
// versions are below 1.0 (Major is SemVer's §4 as Cargo reads it; Minor
// reads 0.43 -> 0.44 as the minor move most Go modules below 1.0 mean by
// it). Smaller components below it stay patch; a move across 1.0 is major.
func ClassifyBelow1(a, b V, below1 Level) Level {
	if Compare(a, b) == 0 {
		return None
	}
	x, y := a.Release, b.Release
	if Compare(a, b) > 0 {
		x, y = y, x
	}
	at := func(r []uint64, i int) uint64 {
		if i < len(r) {
			return r[i]
		}
		return 0
	}
	n := max(len(x), len(y), 3)
	first := -1
	for i := 0; i < n; i++ {
		if at(x, i) != at(y, i) {
			first = i
			break
		}
	}
	if first < 0 {
		return Patch
	}
	lead := 0
	for lead < n-1 && at(x, lead) == 0 && at(y, lead) == 0 {
		lead++
	}
	switch {
	case first == lead && lead > 0:
		return below1
	case first == lead:
		return Major
	case first == 1 && lead == 0:
		return Minor
	}
	return Patch
}

// Next returns the X.Y.Z release that follows base by level: major resets
// minor and patch, minor resets patch. Below 1.0 a major bump still raises
// the first number (0.9.1 -> 1.0.0): a distribution's version states what
// its users must do, and a breaking change should be loud.
func Next(base V, l Level) string {
	r := append([]uint64(nil), base.Release...)
	for len(r) < 3 {
		r = append(r, 0)
	}
	r = r[:3]
	switch l {
	case Major:
		r[0], r[1], r[2] = r[0]+1, 0, 0
	case Minor:
		r[1], r[2] = r[1]+1, 0
	case Patch:
		r[2]++
	}
	return fmt.Sprintf("%d.%d.%d", r[0], r[1], r[2])
}

// Final returns the release a development or pre-release version leads to:
// "14.1.0" for "14.1.0.dev0" and "14.1.0rc1"; a final version unchanged.
func Final(v V) string {
	if !v.Pre {
		return v.Raw
	}
	parts := make([]string, len(v.Release))
	for i, n := range v.Release {
		parts[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(parts, ".")
}

func simpleRelease(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c != '.' || s[i-1] == '.') {
			return false
		}
	}
	return len(s) < 64
}

// full gives a simple version its PEP 440 form, for comparing with one
// that has pre-, post- or dev-release parts.
func (v V) full() V {
	if v.simple && v.pep == nil {
		if p, err := pep440.Parse(v.Raw); err == nil {
			v.pep = &p
		}
	}
	return v
}

// compareRelease orders release segments as PEP 440 does: missing
// trailing segments count as zero (1.0 == 1.0.0).
func compareRelease(a, b []uint64) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y uint64
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
