package lockfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) *File {
	t.Helper()
	f, err := Parse("test.txt", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRoundTripTestdata(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.txt")
	if len(paths) == 0 {
		t.Fatal("no testdata")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(p, data)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(f.Bytes()); got != string(data) {
			t.Errorf("%s: round trip changed the file:\n%q\nwant\n%q", p, got, data)
		}
	}
}

func TestEntries(t *testing.T) {
	data, _ := os.ReadFile("testdata/kinto.txt")
	f, err := Parse("kinto.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	es := f.Entries()
	if len(es) != 3 {
		t.Fatalf("got %d entries", len(es))
	}
	r := es[1]
	if r.Name != "requests" || r.Extras != "[socks]" || r.Version != "2.31.0" || r.Marker != `python_version >= "3.8"` || len(r.Hashes) != 1 || r.Line != 8 || r.Comment() != "# security fix" {
		t.Errorf("requests parsed as %+v", r)
	}
	if es[0].Line != 4 || len(es[0].Hashes) != 2 {
		t.Errorf("kinto parsed as %+v", es[0])
	}
	if es[2].Name != "zope-interface" || es[2].Line != 13 {
		t.Errorf("zope parsed as %+v", es[2])
	}
}

func TestUpdateChangesOnlyThatEntry(t *testing.T) {
	data, _ := os.ReadFile("testdata/kinto.txt")
	f, _ := Parse("kinto.txt", data)
	e := f.Find("Requests", Normalizer("pypi"))
	if !f.Update(e, "requests", "2.32.0", []string{"sha256:11", "sha256:22"}) {
		t.Fatal("no change reported")
	}
	want := strings.Replace(string(data), `requests[socks]==2.31.0 ; python_version >= "3.8" \
    --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f  # security fix
`, `requests[socks]==2.32.0 ; python_version >= "3.8" \
    --hash=sha256:11 \
    --hash=sha256:22  # security fix
`, 1)
	if got := string(f.Bytes()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if f.Update(e, "requests", "2.32.0", []string{"sha256:11", "sha256:22"}) {
		t.Error("a no-op update reported a change")
	}
}

func TestAddSortedAndUnsorted(t *testing.T) {
	norm := Normalizer("pypi")
	f := mustParse(t, "# head\n\nalpha==1 \\\n  --hash=sha256:a\ncharlie==1 --hash=sha256:c\n")
	f.Add("Bravo", "2", []string{"sha256:b"}, norm)
	want := "# head\n\nalpha==1 \\\n  --hash=sha256:a\nBravo==2 \\\n  --hash=sha256:b\ncharlie==1 --hash=sha256:c\n"
	if got := string(f.Bytes()); got != want {
		t.Errorf("sorted add:\n%s\nwant\n%s", got, want)
	}
	f = mustParse(t, "zeta==1 --hash=sha256:z\nalpha==1 --hash=sha256:a")
	f.Add("beta", "1", []string{"sha256:b"}, norm)
	want = "zeta==1 --hash=sha256:z\nalpha==1 --hash=sha256:a\nbeta==1 \\\n    --hash=sha256:b\n"
	if got := string(f.Bytes()); got != want {
		t.Errorf("unsorted add:\n%q\nwant\n%q", got, want)
	}
	f = mustParse(t, "")
	f.Add("a", "1", []string{"sha256:a"}, norm)
	if got := string(f.Bytes()); got != "a==1 \\\n    --hash=sha256:a\n" {
		t.Errorf("empty add: %q", got)
	}
}

func TestCRLFKept(t *testing.T) {
	data, _ := os.ReadFile("testdata/crlf.txt")
	f, err := Parse("crlf.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	f.Update(f.Entries()[0], "alpha", "2.0", []string{"sha256:bb"})
	want := "alpha==2.0 \\\r\n  --hash=sha256:bb\r\n# tail without newline"
	if got := string(f.Bytes()); got != want {
		t.Errorf("got %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ok==1\n\nfoo bar\n", "test.txt:3: foo: expected ==VERSION"},
		{"--hash=sha256:aa\n", "test.txt:1: expected a requirement"},
		{"a==1 \\\n  --hash=nocolon\n", "test.txt:1: a: malformed hash"},
		{"a==1 --global-option=x\n", `test.txt:1: a: unexpected "--global-option=x"`},
		{"a>=1,<2\n", "test.txt:1: a: version ranges"},
		{"a==\n", "test.txt:1: a: == with no version"},
	} {
		_, err := Parse("test.txt", []byte(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q...", tc.in, err, tc.want)
		}
	}
}

func TestUnpinnedAndOtherEcosystems(t *testing.T) {
	f := mustParse(t, "a>=1\nb\ngithub.com/mccutchen/go-httpbin/v2==v2.15.0 \\\n    --hash=h1:AbC+/d=\nlocalhost:5000/x/y==3.12-slim --hash=sha256:ff\n")
	es := f.Entries()
	if es[0].Pinned() || es[1].Pinned() || es[1].Op != "" {
		t.Errorf("unpinned entries read as pinned: %+v %+v", es[0], es[1])
	}
	if es[2].Name != "github.com/mccutchen/go-httpbin/v2" || es[2].Hashes[0] != "h1:AbC+/d=" {
		t.Errorf("gomod entry: %+v", es[2])
	}
	if es[3].Name != "localhost:5000/x/y" || es[3].Version != "3.12-slim" {
		t.Errorf("oci entry: %+v", es[3])
	}
}

func TestDiff(t *testing.T) {
	a := mustParse(t, "alpha==1.1.0 --hash=sha256:a\nbeta==2.0 --hash=sha256:b\ngamma==1.0 --hash=sha256:g\ndelta==3.0 --hash=sha256:d\n")
	b := mustParse(t, "Alpha==1.2.0 --hash=sha256:a2\nbeta==1.9 --hash=sha256:b1\ngamma==1.0 --hash=sha256:G2\nepsilon==0.1 --hash=sha256:e\n")
	got := Diff("pypi", a, b)
	want := []string{"Alpha upgraded 1.1.0 1.2.0 minor", "beta downgraded 2.0 1.9 major", "delta removed 3.0  none", "epsilon added  0.1 none", "gamma rehashed 1.0 1.0 none"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i, c := range got {
		s := c.Name + " " + string(c.Kind) + " " + c.From + " " + c.To + " " + c.Level.String()
		if s != want[i] {
			t.Errorf("change %d: %q, want %q", i, s, want[i])
		}
	}
	if d := Diff("pypi", a, a); len(d) != 0 {
		t.Errorf("self diff: %v", d)
	}
}

func changeStrings(cs []Change) []string {
	var out []string
	for _, c := range cs {
		s := c.Name + " " + string(c.Kind) + " " + c.From + " " + c.To + " " + c.Level.String()
		if c.Marker != "" {
			s += " ; " + c.Marker
		}
		if c.MovedFrom != "" {
			s += " from " + c.MovedFrom
		}
		out = append(out, s)
	}
	return out
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDiffMarkers: one name pinned under two disjoint markers is two pins;
// moving one of them is that one moving.
func TestDiffMarkers(t *testing.T) {
	a := mustParse(t, "numpy==1.21.6 ; python_version < \"3.8\" --hash=sha256:a\nnumpy==1.24.0 ; python_version >= \"3.8\" --hash=sha256:b\n")
	b := mustParse(t, "numpy==1.21.6 ; python_version < \"3.8\" --hash=sha256:a\nnumpy==1.26.4 ; python_version >= \"3.8\" --hash=sha256:c\n")
	sameStrings(t, "one moves", changeStrings(Diff("pypi", a, b)), []string{`numpy upgraded 1.24.0 1.26.4 minor ; python_version >= "3.8"`})
	// The marker's spelling may change; a third pin for a new range is an
	// addition, and the pin at the same version keeps its place.
	c := mustParse(t, "numpy==1.21.6 ; python_version < \"3.8\" --hash=sha256:a\nnumpy==1.24.0 ; python_version >= \"3.8\" and python_version < \"3.12\" --hash=sha256:b\nnumpy==2.0.0 ; python_version >= \"3.12\" --hash=sha256:d\n")
	sameStrings(t, "split", changeStrings(Diff("pypi", a, c)), []string{`numpy added  2.0.0 none ; python_version >= "3.12"`})
	// One pin each side is the same pin whatever its marker.
	d := mustParse(t, "numpy==1.24.0 --hash=sha256:b\n")
	sameStrings(t, "merged", changeStrings(Diff("pypi", d, mustParse(t, "numpy==1.26.4 ; python_version >= \"3.8\" --hash=sha256:c\n"))), []string{`numpy upgraded 1.24.0 1.26.4 minor ; python_version >= "3.8"`})
	sameStrings(t, "dropped", changeStrings(Diff("pypi", a, d)), []string{`numpy removed 1.21.6  none ; python_version < "3.8"`})
}

// TestDiffAllMoves: a pin that moves between lockfiles at the same version
// is no change; at another version it is the move in the file it went to.
func TestDiffAllMoves(t *testing.T) {
	def0 := mustParse(t, "kinto==14.3.0 --hash=sha256:k\n")
	con0 := mustParse(t, "requests==2.31.0 --hash=sha256:r\nwebob==1.8.7 --hash=sha256:w\nidna==3.7 --hash=sha256:i\n")
	def1 := mustParse(t, "kinto==14.3.0 --hash=sha256:k\nrequests==2.31.0 --hash=sha256:r\nwebob==1.8.8 --hash=sha256:w2\n")
	con1 := mustParse(t, "idna==3.7 --hash=sha256:i\nhupper==1.12.1 --hash=sha256:h\n")
	got := DiffAll("pypi", []Pair{{Path: "default.txt", Old: def0, New: def1}, {Path: "constraints.txt", Old: con0, New: con1}})
	sameStrings(t, "default.txt", changeStrings(got[0]), []string{"webob upgraded 1.8.7 1.8.8 patch from constraints.txt"})
	sameStrings(t, "constraints.txt", changeStrings(got[1]), []string{"hupper added  1.12.1 none"})
	// A file that is new takes the pins of one that is gone.
	got = DiffAll("pypi", []Pair{{Path: "old.txt", Old: con0}, {Path: "new.txt", New: con0}})
	if len(got[0])+len(got[1]) != 0 {
		t.Errorf("renamed file: %v", got)
	}
	// Without the other file, it is a removal and an addition.
	if d := Diff("pypi", con0, con1); len(d) != 3 {
		t.Errorf("single diff: %v", changeStrings(d))
	}
}

// TestDiffAllMovesWithExtras: a pin that moves with a line per form asked
// for (pip's hash mode, pypa/pip#9644) moved on every line. The same
// project at the same version is no change; at another version it is one
// change, on the line the move paired. Lines of a project that did not
// move stay additions and removals.
func TestDiffAllMovesWithExtras(t *testing.T) {
	def0 := mustParse(t, "kinto==14.3.0 --hash=sha256:k\n")
	con0 := mustParse(t, "requests==2.32.3 --hash=sha256:r\nwebob==1.8.8 --hash=sha256:w\n")
	def1 := mustParse(t, "kinto==14.3.0 --hash=sha256:k\nrequests[socks]==2.32.3 --hash=sha256:r\nrequests==2.32.3 --hash=sha256:r\n")
	con1 := mustParse(t, "webob==1.8.8 --hash=sha256:w\npysocks==1.7.1 --hash=sha256:p\n")
	got := DiffAll("pypi", []Pair{{Path: "default.txt", Old: def0, New: def1}, {Path: "constraints.txt", Old: con0, New: con1}})
	sameStrings(t, "same version: default.txt", changeStrings(got[0]), nil)
	sameStrings(t, "same version: constraints.txt", changeStrings(got[1]), []string{"pysocks added  1.7.1 none"})

	// Both forms leave, one arrives: nothing was removed.
	con2 := mustParse(t, "requests==2.32.3 --hash=sha256:r\nrequests[socks]==2.32.3 --hash=sha256:r\n")
	def2 := mustParse(t, "requests[socks]==2.32.3 --hash=sha256:r\n")
	got = DiffAll("pypi", []Pair{{Path: "default.txt", Old: nil, New: def2}, {Path: "constraints.txt", Old: con2, New: nil}})
	if len(got[0])+len(got[1]) != 0 {
		t.Errorf("both forms left, one arrived: %v %v", changeStrings(got[0]), changeStrings(got[1]))
	}

	// Moved and upgraded: the upgrade, once.
	con3 := mustParse(t, "requests==2.31.0 --hash=sha256:q\n")
	def3 := mustParse(t, "requests[socks]==2.32.3 --hash=sha256:r\nrequests==2.32.3 --hash=sha256:r\n")
	got = DiffAll("pypi", []Pair{{Path: "default.txt", New: def3}, {Path: "constraints.txt", Old: con3}})
	sameStrings(t, "moved and upgraded", changeStrings(got[0]), []string{"requests upgraded 2.31.0 2.32.3 minor from constraints.txt"})
	sameStrings(t, "moved and upgraded: constraints.txt", changeStrings(got[1]), nil)

	// In one file, a new form of a pin that stayed is still an addition.
	a := mustParse(t, "requests==2.32.3 --hash=sha256:r\n")
	b := mustParse(t, "requests==2.32.3 --hash=sha256:r\nrequests[socks]==2.32.3 --hash=sha256:r\n")
	got = DiffAll("pypi", []Pair{{Path: "default.txt", Old: a, New: b}})
	sameStrings(t, "new form in place", changeStrings(got[0]), []string{"requests added  2.32.3 none"})
}

func TestConflicts(t *testing.T) {
	f := mustParse(t, "numpy==1.21.6 ; python_version < \"3.8\" --hash=sha256:a\n"+
		"numpy==1.24.0 ; python_version >= \"3.8\" --hash=sha256:b\n"+
		"numpy==1.26.4 ; python_version >= \"3.10\" --hash=sha256:c\n"+
		"requests==2.31.0 --hash=sha256:r\n"+
		"requests[socks]==2.31.0 --hash=sha256:r\n"+
		"idna==3.7 ; python_version < \"3.8\" --hash=sha256:i\n"+
		"idna==3.6 ; python_version <> \"3.8\" --hash=sha256:i\n")
	g := mustParse(t, "requests==2.32.3 --hash=sha256:s\n")
	var pins []Located
	for _, e := range f.Entries() {
		pins = append(pins, Located{Path: "a.txt", Entry: e})
	}
	for _, e := range g.Entries() {
		pins = append(pins, Located{Path: "b.txt", Entry: e})
	}
	var got []string
	for _, c := range Conflicts("pypi", pins) {
		got = append(got, c.Pin.Path+":"+strconv.Itoa(c.Pin.Entry.Line)+" "+c.Pin.Entry.Version+" vs "+c.Prev.Path+":"+strconv.Itoa(c.Prev.Entry.Line)+" "+c.Prev.Entry.Version)
	}
	sameStrings(t, "conflicts", got, []string{
		"a.txt:3 1.26.4 vs a.txt:2 1.24.0", // python 3.10 and up has both
		"a.txt:7 3.6 vs a.txt:6 3.7",       // a marker that does not parse overlaps
		"b.txt:1 2.32.3 vs a.txt:4 2.31.0",
	})
}
