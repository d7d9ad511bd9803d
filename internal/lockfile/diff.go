package lockfile

import (
	"regexp"
	"sort"
	"strings"

	"github.com/distbuild/dist/internal/version"
)

var pep503 = regexp.MustCompile(`[-_.]+`)

// Normalizer returns how names of an ecosystem are compared: PEP 503 for
// pypi, exact for Go module paths, case-insensitive for image repositories.
func Normalizer(ecosystem string) func(string) string {
	switch ecosystem {
	case "pypi":
		return func(s string) string { return pep503.ReplaceAllString(strings.ToLower(s), "-") }
	case "oci":
		return strings.ToLower
	}
	return func(s string) string { return s }
}

// ChangeKind says how one name differs between two lockfiles.
type ChangeKind string

// Change kinds.
const (
	Added      ChangeKind = "added"
	Removed    ChangeKind = "removed"
	Upgraded   ChangeKind = "upgraded"
	Downgraded ChangeKind = "downgraded"
	Rehashed   ChangeKind = "rehashed"
)

// Change is one difference between two lockfiles.
type Change struct {
	Kind  ChangeKind
	Name  string
	From  string // version before, "" when added
	To    string // version after, "" when removed
	Level version.Level
	Line  int // line in the newer file, or the older one for a removal
}

// Diff reports what changed from a to b, sorted by name. Either may be nil
// (a file that did not exist).
func Diff(ecosystem string, a, b *File) []Change {
	norm := Normalizer(ecosystem)
	index := func(f *File) map[string]*Entry {
		m := map[string]*Entry{}
		if f != nil {
			for _, e := range f.Entries() {
				m[norm(e.Name)] = e
			}
		}
		return m
	}
	old, cur := index(a), index(b)
	var out []Change
	for n, e := range cur {
		o, ok := old[n]
		if !ok {
			out = append(out, Change{Kind: Added, Name: e.Name, To: e.Version, Level: version.None, Line: e.Line})
			continue
		}
		if o.Version == e.Version {
			if !sameSet(o.Hashes, e.Hashes) {
				out = append(out, Change{Kind: Rehashed, Name: e.Name, From: o.Version, To: e.Version, Line: e.Line})
			}
			continue
		}
		c := Change{Kind: Upgraded, Name: e.Name, From: o.Version, To: e.Version, Line: e.Line}
		va, errA := version.Parse(ecosystem, o.Version)
		vb, errB := version.Parse(ecosystem, e.Version)
		if errA == nil && errB == nil {
			c.Level = version.Classify(va, vb)
			if version.Compare(va, vb) > 0 {
				c.Kind = Downgraded
			}
		} else {
			c.Level = version.Major // unknown versions: assume the worst
		}
		out = append(out, c)
	}
	for n, o := range old {
		if _, ok := cur[n]; !ok {
			out = append(out, Change{Kind: Removed, Name: o.Name, From: o.Version, Line: o.Line})
		}
	}
	sort.Slice(out, func(i, j int) bool { return norm(out[i].Name) < norm(out[j].Name) })
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, h := range a {
		m[NormHash(h)]++
	}
	for _, h := range b {
		m[NormHash(h)]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// NormHash lower-cases a hex digest; base64 hashes (h1:) are case-sensitive
// and kept as they are.
func NormHash(h string) string {
	algo, val, ok := strings.Cut(h, ":")
	if ok && strings.HasPrefix(algo, "sha") {
		return strings.ToLower(algo) + ":" + strings.ToLower(val)
	}
	return h
}
