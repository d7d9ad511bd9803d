package lock

import (
	"errors"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/pep508"
)

func target(t *testing.T, path, eco, content string) *lockset.Target {
	t.Helper()
	tg, err := lockset.NewTarget(&manifest.Lockfile{Path: path, Ecosystem: eco}, "", []byte(content), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestCheckConflicts(t *testing.T) {
	env, err := pep508.EnvFor("3.12", "linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	envs := []pep508.Env{env}
	norm := lockfile.Normalizer("pypi")
	for _, tc := range []struct {
		name, other, add, marker string
		want                     string // "" for no conflict
	}{
		{"another version elsewhere", "WebOb==1.8.8 --hash=sha256:aa\n", "webob", "",
			"a.txt:2: webob==1.8.7 conflicts with WebOb==1.8.8 at b.txt:1"},
		{"the same version", "webob==1.8.7 --hash=sha256:aa\n", "webob", "", ""},
		{"disjoint markers in the targets", `webob==1.8.8 ; python_version < "3.8" --hash=sha256:aa` + "\n", "webob", `python_version >= "3.8"`, ""},
		{"markers both true in a target", `webob==1.8.8 ; sys_platform == "linux" --hash=sha256:aa` + "\n", "webob", `python_version >= "3.8"`,
			"a.txt:2: webob==1.8.7 conflicts with webob==1.8.8 at b.txt:1"},
		{"a URL line of the name", "webob @ https://example.org/webob-1.8.7-py3-none-any.whl --hash=sha256:aa\n", "webob", "",
			"a.txt:2: webob==1.8.7 conflicts with webob @ https://example.org/webob-1.8.7-py3-none-any.whl at b.txt:1"},
		{"another name", "webob==1.8.8 --hash=sha256:aa\n", "kinto", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := target(t, "a.txt", "pypi", "# direct\n")
			b := target(t, "b.txt", "pypi", tc.other)
			e := a.File.Add(tc.add, "1.8.7", []string{"sha256:bb"}, norm)
			a.File.SetMarker(e, tc.marker)
			err := checkConflicts([]*lockset.Target{a, b}, envs)
			var ce *ConflictError
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected conflict: %v", err)
			case tc.want != "" && !errors.As(err, &ce):
				t.Errorf("got %v, want a *ConflictError", err)
			case tc.want != "" && (len(ce.Problems) != 1 || ce.Problems[0].String() != tc.want):
				t.Errorf("got %q, want %q", ce.Problems, tc.want)
			}
		})
	}

	// A conflict that was there before is verify's to report, not a reason
	// to refuse an unrelated edit; the same name in another ecosystem is
	// another thing.
	a := target(t, "a.txt", "pypi", "webob==1.8.7 --hash=sha256:aa\n")
	b := target(t, "b.txt", "pypi", "webob==1.8.8 --hash=sha256:aa\n")
	c := target(t, "c.txt", "oci", "webob==2.0 --hash=sha256:cc\n")
	a.File.Add("kinto", "14.3.1", []string{"sha256:dd"}, norm)
	if err := checkConflicts([]*lockset.Target{a, b, c}, envs); err != nil {
		t.Errorf("an old conflict refused a new pin: %v", err)
	}

	// Without targets, markers that differ are not taken as overlapping.
	a = target(t, "a.txt", "pypi", "")
	b = target(t, "b.txt", "pypi", `x==1 ; sys_platform == "win32" --hash=sha256:aa`+"\n")
	a.File.SetMarker(a.File.Add("x", "2", []string{"sha256:bb"}, norm), `sys_platform == "linux"`)
	if err := checkConflicts([]*lockset.Target{a, b}, nil); err != nil {
		t.Errorf("different markers without targets: %v", err)
	}
	if err := (&ConflictError{Problems: []lockset.Problem{{File: "a.txt", Line: 1, Problem: "p"}, {File: "b.txt", Line: 2, Problem: "q"}}}).Error(); !strings.Contains(err, "\n  a.txt:1: p\n  b.txt:2: q") {
		t.Errorf("several conflicts: %q", err)
	}
}
