package lockfile

import (
	"fmt"
	"testing"
)

// Lines pip installs without an index pin are kept verbatim, listed by
// Others (or, for "name @ URL", as URL entries), and never stop a parse.
func TestNonPinLines(t *testing.T) {
	in := "# team libraries\n" +
		"-e git+https://git.example.org/teamlib.git#egg=teamlib\n" +
		"--index-url https://pypi.example.org/simple\n" +
		"./wheels/local-1.0-py3-none-any.whl \\\n    --hash=sha256:aa\n" +
		"https://files.example.org/x-2.0.tar.gz --hash=sha256:bb  # vendored\n" +
		"teamlib2 @ https://files.example.org/teamlib2-1.0-py3-none-any.whl --hash=sha256:cc\n" +
		"kinto==14.3.1 --hash=sha256:dd\n"
	f := mustParse(t, in)
	if got := string(f.Bytes()); got != in {
		t.Fatalf("round trip:\n%q\nwant\n%q", got, in)
	}
	var got []string
	for _, o := range f.Others() {
		got = append(got, fmt.Sprintf("%d %s", o.Line, o.Text))
	}
	want := []string{
		"2 -e git+https://git.example.org/teamlib.git#egg=teamlib",
		"3 --index-url https://pypi.example.org/simple",
		"4 ./wheels/local-1.0-py3-none-any.whl      --hash=sha256:aa",
		"6 https://files.example.org/x-2.0.tar.gz --hash=sha256:bb",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Others:\n%q\nwant\n%q", got, want)
	}
	es := f.Entries()
	if len(es) != 2 || !es[0].IsURL() || es[0].Name != "teamlib2" || es[0].Line != 7 || len(es[0].Hashes) != 1 || es[1].IsURL() {
		t.Errorf("entries: %+v", es)
	}
}
