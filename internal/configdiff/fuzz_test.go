package configdiff

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// formatINI writes entries back as INI, the simplest way: every key at the
// left margin, continuation lines indented.
func formatINI(entries []iniEntry) string {
	var b strings.Builder
	section := ""
	for _, e := range entries {
		if e.Section != section {
			b.WriteString("[" + e.Section + "]\n")
			section = e.Section
		}
		lines := strings.Split(e.Value, "\n")
		b.WriteString(e.Key + " = " + lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

// FuzzINI checks that the INI parser never panics, that every line it
// reports exists, and that what it reads, written back plainly, reads the
// same: keys, sections, values and their order.
func FuzzINI(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.ini")
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Add([]byte("[a]\nk = v\n  [not a section]\n"))
	f.Add([]byte("  k = v\n    more\n  j: w\n"))
	f.Add([]byte("[a]]\nk=\n\n  later\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseINI("fuzz.ini", data)
		if err != nil {
			return
		}
		// YAML (like XML) also ends a line at a lone "\r".
		nlines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
		for _, e := range entries {
			if e.Line < 1 || e.Line > nlines {
				t.Fatalf("key %q at line %d of %d", e.Key, e.Line, nlines)
			}
			if e.Key == "" || strings.Trim(e.Key, iniSpace) != e.Key || strings.Trim(e.Value, iniSpace) != e.Value {
				t.Fatalf("untrimmed key or value: %+v", e)
			}
		}
		again, err := parseINI("fuzz.ini", []byte(formatINI(entries)))
		if err != nil {
			t.Fatalf("written back, it does not parse: %v\n%q", err, formatINI(entries))
		}
		for i := range again {
			again[i].Line = entries[i].Line
		}
		if len(again) != len(entries) || (len(entries) > 0 && !reflect.DeepEqual(again, entries)) {
			t.Fatalf("round trip changed the entries:\n%+v\n%+v\nfrom %q", entries, again, formatINI(entries))
		}
	})
}

// FuzzParse feeds the same bytes to every format: none may panic, and a
// key's line must exist.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/app.*")
	for _, p := range paths {
		if !strings.HasSuffix(p, ".golden") {
			data, _ := os.ReadFile(p)
			f.Add(data)
		}
	}
	f.Add([]byte(`{"a": {"b": [1, {"c": 2}]}, "d": {}}`))
	f.Add([]byte("a: &x {b: 1}\nc: {<<: *x, d: 2}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// YAML (like XML) also ends a line at a lone "\r".
		nlines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
		for _, fm := range []Format{INI, Env, YAML, TOML, JSON} {
			c, err := ParseFormat(fm, "fuzz", data)
			if err != nil {
				continue
			}
			for k, s := range c {
				if s.Line < 0 || s.Line > nlines {
					t.Fatalf("%s: key %q at line %d of %d", fm, k, s.Line, nlines)
				}
			}
		}
	})
}
