package changelog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/fileerr"
)

// FuzzParse checks that the parser never panics, that whatever it accepts
// it writes back byte for byte, and that the edits dist makes on such a file
// either fail leaving it untouched or give a file that parses again, keeps
// every hand-written line, and is stable when repeated.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.*")
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		f.Add(data, strings.HasSuffix(p, ".rst"))
	}
	goldens, _ := filepath.Glob("testdata/golden/*.remerge")
	for _, p := range goldens {
		data, _ := os.ReadFile(p)
		f.Add(data, strings.HasSuffix(p, ".rst.remerge"))
	}
	f.Add([]byte("## 1.0 (unreleased)"), false)
	f.Add([]byte("1.0 (unreleased)\r\n---\r\n"), true)
	f.Add([]byte("===\n1 (x)\n===\n\n2 (unreleased)\n---\n"), true)
	f.Add([]byte("## 1 (unreleased)\n```\n## 0 (x)\n"), false)
	f.Add([]byte("1 (unreleased)\n================\n.. dist: generated 00000000 k\n"), true)
	f.Add([]byte("2 (unreleased)\n===\n- a\n\n1.7 (2017-01-12)\n===\n- b\n\n1.6 (unreleased)\n===\n- c\n"), true)
	f.Add([]byte("## 1.1 (unreleased)\n\n**Breaking changes:**\n\n### alpha\n\n**alpha 1.0 -> 2.0**: x\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, rst bool) {
		name := "CHANGELOG.md"
		if rst {
			name = "CHANGELOG.rst"
		}
		c, err := Parse(name, data)
		if err != nil {
			var ce *fileerr.Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), name+":") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if string(c.Bytes()) != string(data) {
			t.Fatalf("round trip:\n%q\nwant\n%q", c.Bytes(), data)
		}
		for i, e := range c.Entries() {
			c.Notes(e)
			e.OnlyNothingChanged()
			e.HasSection("Breaking changes")
			if title, line, ok := e.Breaking(); ok && (!IsBreakingTitle(title) || line < e.Line) {
				t.Fatalf("Breaking() = %q at line %d in the entry at line %d", title, line, e.Line)
			}
			e.WritesChange("alpha", "1.0", "2.0")
			if text := c.Text(e); !strings.HasSuffix(text, "\n") || !strings.Contains(text, e.Heading) {
				t.Fatalf("Text() = %q for %q", text, e.Heading)
			}
			if e.Date == "" && i > 0 {
				// Only the topmost entry can be the unreleased one.
				if u, err := c.Unreleased(); err == nil && u == e {
					t.Fatalf("entry %d, %q, is the unreleased one", i, e.Heading)
				}
			}
		}

		secs := []Section{
			{Key: "alpha", Title: "alpha 1.0 → 2.0", Lines: []string{"https://example.org/alpha"}},
			{Title: "beta 0.1 → 0.2"},
		}
		m := parse(t, name, data)
		if err := m.MergeGenerated(secs); err != nil {
			if string(m.Bytes()) != string(data) {
				t.Fatalf("failed merge (%v) changed the file", err)
			}
		} else {
			once := string(m.Bytes())
			again := parse(t, name, m.Bytes())
			if err := again.MergeGenerated(secs); err != nil || string(again.Bytes()) != once {
				t.Fatalf("merge not idempotent (%v):\n%q\nthen\n%q", err, once, again.Bytes())
			}
			if !strings.Contains(string(data), "dist:") {
				if missing := droppedLines(string(data), once); len(missing) > 0 {
					t.Fatalf("merge dropped %q from\n%q\ngiving\n%q", missing, data, once)
				}
			}
			if err := again.MergeGenerated(nil); err != nil {
				t.Fatalf("removing the blocks again: %v", err)
			}
		}

		r := parse(t, name, data)
		if err := r.SetRelease("99.0.0", "2099-01-02"); err != nil {
			if string(r.Bytes()) != string(data) {
				t.Fatalf("failed SetRelease (%v) changed the file", err)
			}
			return
		}
		if e, err := parse(t, name, r.Bytes()).Entry("99.0.0"); err != nil || e.Date != "2099-01-02" {
			t.Fatalf("released entry: %+v %v in\n%q", e, err, r.Bytes())
		}
		before := string(r.Bytes())
		if err := r.AddUnreleased("99.0.1"); err != nil {
			if string(r.Bytes()) != before {
				t.Fatalf("failed AddUnreleased (%v) changed the file", err)
			}
			return
		}
		u, err := parse(t, name, r.Bytes()).Unreleased()
		if err != nil || u.Version != "99.0.1" || !u.OnlyNothingChanged() {
			t.Fatalf("new entry: %+v %v in\n%q", u, err, r.Bytes())
		}
	})
}
