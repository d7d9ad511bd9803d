package lockfile

import (
	"os"
	"path/filepath"
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
