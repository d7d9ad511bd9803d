package lockfile

import (
	"slices"
	"testing"
)

func TestVia(t *testing.T) {
	const in = "# top\n-e ./local\na==1 \\\n    --hash=sha256:00\n    # via b\nc==2 \\\n    --hash=sha256:11\n    # via\n    #   -r requirements.in\n    #   d\n    #   e\nf==3\n    # via -r requirements.in\n"
	f, err := Parse("x.txt", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	es := f.Entries()
	if got := es[0].Via(); !slices.Equal(got, []string{"b"}) {
		t.Errorf("a via %v", got)
	}
	if got := es[1].Via(); !slices.Equal(got, []string{"d", "e"}) {
		t.Errorf("c via %v", got)
	}
	if got := es[2].Via(); len(got) != 0 || !es[2].HasVia() {
		t.Errorf("f via %v, has %v", got, es[2].HasVia())
	}
	if opts := f.Options(); len(opts) != 1 || opts[0].Line != 2 || opts[0].Text != "-e ./local" {
		t.Errorf("options %+v", opts)
	}
	// Setting the same names keeps the bytes, whatever the spelling.
	if f.SetVia(es[1], []string{"d", "e"}) || string(f.Bytes()) != in {
		t.Error("an unchanged via note was rewritten")
	}
	f.SetVia(es[0], []string{"b", "z"})
	f.SetVia(es[1], nil)
	f.SetMarker(es[2], `python_version >= "3.12"`)
	want := "# top\n-e ./local\na==1 \\\n    --hash=sha256:00\n    # via\n    #   b\n    #   z\nc==2 \\\n    --hash=sha256:11\nf==3 ; python_version >= \"3.12\"\n    # via -r requirements.in\n"
	if got := string(f.Bytes()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	g, err := Parse("x.txt", f.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Entries()[0].Via(); !slices.Equal(got, []string{"b", "z"}) {
		t.Errorf("reparsed via %v", got)
	}
}
