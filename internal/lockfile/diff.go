package lockfile

import (
	"slices"
	"sort"
	"strings"

	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/version"
)

// Normalizer returns how names of an ecosystem are compared: PEP 503 for
// pypi, exact for Go module paths, case-insensitive for image repositories.
func Normalizer(ecosystem string) func(string) string {
	switch ecosystem {
	case "pypi":
		return pep508.NormalizeName
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
	// Marker is the pin's environment marker (the newer entry's, or the
	// older one's for a removal), "" for none.
	Marker string
	// Old and New are the entries compared: Old is nil for an addition,
	// New for a removal.
	Old, New *Entry
	// MovedFrom is the path of the lockfile the pin left, when DiffAll
	// found it moved to this one at another version or with other hashes.
	MovedFrom string
}

// Diff reports what changed from a to b, sorted by name. Either may be nil
// (a file that did not exist).
//
// A project pinned on several lines (under disjoint markers, or bare and
// with extras) is several pins: lines are paired by marker and extras
// first, then by version, then in file order, and what is left over was
// added or removed.
func Diff(ecosystem string, a, b *File) []Change {
	norm := Normalizer(ecosystem)
	group := func(f *File) (map[string][]*Entry, []string) {
		m := map[string][]*Entry{}
		var names []string
		if f != nil {
			for _, e := range f.Entries() {
				n := norm(e.Name)
				if _, ok := m[n]; !ok {
					names = append(names, n)
				}
				m[n] = append(m[n], e)
			}
		}
		return m, names
	}
	old, oldNames := group(a)
	cur, curNames := group(b)
	var out []Change
	for _, n := range curNames {
		pairs, removed, added := pairEntries(old[n], cur[n])
		for _, p := range pairs {
			if c, ok := compare(ecosystem, p[0], p[1]); ok {
				out = append(out, c)
			}
		}
		for _, e := range added {
			out = append(out, Change{Kind: Added, Name: e.Name, To: e.Version, Level: version.None, Line: e.Line, Marker: e.Marker, New: e})
		}
		for _, o := range removed {
			out = append(out, removal(o))
		}
	}
	for _, n := range oldNames {
		if _, ok := cur[n]; !ok {
			for _, o := range old[n] {
				out = append(out, removal(o))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return norm(out[i].Name) < norm(out[j].Name) })
	return out
}

func removal(o *Entry) Change {
	return Change{Kind: Removed, Name: o.Name, From: o.Version, Line: o.Line, Marker: o.Marker, Old: o}
}

// compare says how o became e; ok is false when it did not change.
func compare(ecosystem string, o, e *Entry) (Change, bool) {
	c := Change{Name: e.Name, From: o.Version, To: e.Version, Line: e.Line, Marker: e.Marker, Old: o, New: e}
	if o.Version == e.Version {
		if sameSet(o.Hashes, e.Hashes) {
			return Change{}, false
		}
		c.Kind = Rehashed
		return c, true
	}
	c.Kind = Upgraded
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
	return c, true
}

// pinKey is what tells two lines of one project apart.
func pinKey(e *Entry) string {
	return strings.Join(strings.Fields(e.Marker), " ") + "\x00" + strings.ToLower(e.Extras)
}

// pairEntries pairs the lines of one project in an older and a newer file:
// one line each is one pin whatever its marker; otherwise lines with the
// same marker and extras, then lines at the same version, then the rest in
// file order.
func pairEntries(olds, curs []*Entry) (pairs [][2]*Entry, removed, added []*Entry) {
	if len(olds) == 1 && len(curs) == 1 {
		return [][2]*Entry{{olds[0], curs[0]}}, nil, nil
	}
	olds, curs = slices.Clone(olds), slices.Clone(curs)
	match := func(same func(o, e *Entry) bool) {
		for i := 0; i < len(curs); i++ {
			for j, o := range olds {
				if same(o, curs[i]) {
					pairs = append(pairs, [2]*Entry{o, curs[i]})
					olds = slices.Delete(olds, j, j+1)
					curs = slices.Delete(curs, i, i+1)
					i--
					break
				}
			}
		}
	}
	match(func(o, e *Entry) bool { return pinKey(o) == pinKey(e) })
	match(func(o, e *Entry) bool { return o.Version == e.Version })
	match(func(o, e *Entry) bool { return true })
	return pairs, olds, curs
}

// Pair is one lockfile before and after; either side may be nil (a file
// that did not exist). Path names it in MovedFrom.
type Pair struct {
	Path     string
	Old, New *File
}

// DiffAll diffs the lockfiles of one ecosystem as one set of pins, the way
// pip installs them together: what changed in each pair, as Diff reports
// it, except that a pin removed from one file and added to another moved.
// At the same version and hashes a move is no change at all; otherwise it
// is the up- or downgrade (or rehash) in the file it went to, with
// MovedFrom naming the one it left. A removal and an addition pair by
// name, preferring the same marker and extras, then the same version.
// The other lines of a moved pin are part of its move: a project that
// arrives in a file as "requests[socks]==2.32.3" and "requests==2.32.3"
// (pip's hash mode wants a line per form asked for) where one line left
// another file was added on neither line, and a line left behind by a
// project that moved out at that version was not removed.
func DiffAll(ecosystem string, pairs []Pair) [][]Change {
	norm := Normalizer(ecosystem)
	out := make([][]Change, len(pairs))
	type at struct{ i, j int }
	removed := map[string][]at{}
	for i, p := range pairs {
		out[i] = Diff(ecosystem, p.Old, p.New)
		for j, c := range out[i] {
			if c.Kind == Removed {
				removed[norm(c.Name)] = append(removed[norm(c.Name)], at{i, j})
			}
		}
	}
	drop := map[at]bool{}
	// A project at a version, in one file: where moves arrived and left.
	type pin struct {
		i             int
		name, version string
	}
	movedIn, movedOut := map[pin]bool{}, map[pin]bool{}
	for i := range out {
		for j, c := range out[i] {
			if c.Kind != Added {
				continue
			}
			var best *at
			score := -1
			for k, r := range removed[norm(c.Name)] {
				if r.i == i || drop[r] {
					continue
				}
				o := out[r.i][r.j].Old
				s := 0
				if pinKey(o) == pinKey(c.New) {
					s += 2
				}
				if o.Version == c.New.Version {
					s++
				}
				if s > score {
					best, score = &removed[norm(c.Name)][k], s
				}
			}
			if best == nil {
				continue
			}
			drop[*best] = true
			movedIn[pin{i, norm(c.Name), c.To}] = true
			movedOut[pin{best.i, norm(c.Name), out[best.i][best.j].From}] = true
			moved, changed := compare(ecosystem, out[best.i][best.j].Old, c.New)
			if !changed {
				drop[at{i, j}] = true
				continue
			}
			moved.MovedFrom = pairs[best.i].Path
			out[i][j] = moved
		}
	}
	for i := range out {
		var kept []Change
		for j, c := range out[i] {
			switch {
			case drop[at{i, j}]:
			case c.Kind == Added && c.MovedFrom == "" && movedIn[pin{i, norm(c.Name), c.To}]:
			case c.Kind == Removed && movedOut[pin{i, norm(c.Name), c.From}]:
			default:
				kept = append(kept, c)
			}
		}
		out[i] = kept
	}
	return out
}

// Located is a pin and the path of the lockfile that holds it.
type Located struct {
	Path  string
	Entry *Entry
}

// Conflict is a project pinned at two versions where both pins apply:
// Pin, and Prev before it.
type Conflict struct {
	Pin, Prev Located
}

// Conflicts finds the pins, among pins of one ecosystem in file order,
// that name a project an earlier pin names at another version, where both
// apply. Pins under disjoint environment markers (pep508.Disjoint) are two
// pins, not a conflict; a marker that does not parse is taken to overlap.
// Each pin is reported once, against the first earlier pin it conflicts
// with.
func Conflicts(ecosystem string, pins []Located) []Conflict {
	norm := Normalizer(ecosystem)
	byName := map[string][]Located{}
	markers := map[*Entry]*pep508.Marker{}
	marker := func(e *Entry) (*pep508.Marker, bool) {
		if e.Marker == "" {
			return nil, true
		}
		if m, ok := markers[e]; ok {
			return m, m != nil
		}
		m, err := pep508.ParseMarker(e.Marker)
		if err != nil {
			m = nil
		}
		markers[e] = m
		return m, err == nil
	}
	var out []Conflict
	for _, p := range pins {
		n := norm(p.Entry.Name)
		for _, q := range byName[n] {
			if q.Entry.Version == p.Entry.Version {
				continue
			}
			a, okA := marker(p.Entry)
			b, okB := marker(q.Entry)
			if okA && okB && pep508.Disjoint(a, b) {
				continue
			}
			out = append(out, Conflict{Pin: p, Prev: q})
			break
		}
		byName[n] = append(byName[n], p)
	}
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
