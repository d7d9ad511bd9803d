package lockset

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/manifest"
)

func target(t *testing.T, path, eco, content string) *Target {
	t.Helper()
	tg, err := NewTarget(&manifest.Lockfile{Path: path, Ecosystem: eco}, "", []byte(content), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// The lines pip 23's --require-hashes mode refuses, and the ones it
// installs (checked with pip install --dry-run --require-hashes).
func TestPipRefusals(t *testing.T) {
	const h = " --hash=sha256:fe52e73d78352684f142702752c0da412f5696660e6229cec414e26423be0179"
	for _, tc := range []struct {
		line string
		want string // "" when pip installs it
	}{
		{"-e git+https://git.example.org/teamlib.git#egg=teamlib", "editable"},
		{"-e ./src/teamlib", "editable"},
		{"--editable=./src", "editable"},
		{"teamlib @ git+https://git.example.org/teamlib.git" + h, "version control"},
		{"teamlib @ file:///srv/src/teamlib" + h, "directory"},
		{"./src/teamlib" + h, "directory"},
		{"teamlib @ https://files.example.org/teamlib-1.0-py3-none-any.whl", "without --hash"},
		{"https://files.example.org/teamlib-1.0.tar.gz", "without --hash"},
		{"teamlib @ https://files.example.org/teamlib-1.0-py3-none-any.whl" + h, ""},
		{"teamlib @ file:///srv/wheels/teamlib-1.0-py3-none-any.whl" + h, ""},
		{"./wheels/teamlib-1.0-py3-none-any.whl" + h, ""},
		{"https://files.example.org/teamlib-1.0.tar.gz" + h, ""},
		{"--index-url https://pypi.example.org/simple", ""},
		{"-r other.txt", ""},
	} {
		tg := target(t, "req.txt", "pypi", "kinto==14.3.1"+h+"\n"+tc.line+"\n")
		ps := PipRefusals(tg)
		switch {
		case tc.want == "" && len(ps) > 0:
			t.Errorf("%s: refused: %v", tc.line, ps)
		case tc.want != "" && (len(ps) != 1 || !strings.Contains(ps[0].Problem, tc.want) || ps[0].Line != 2):
			t.Errorf("%s: got %v, want one problem at line 2 saying %q", tc.line, ps, tc.want)
		}
	}
	if ps := PipRefusals(target(t, "go.txt", "gomod", "-e x\n")); len(ps) != 0 {
		t.Errorf("a gomod lockfile is not pip's: %v", ps)
	}
}
