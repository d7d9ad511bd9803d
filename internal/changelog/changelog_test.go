package changelog

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// inputs are the fixtures every operation is run on, with what each
// operation is given.
var inputs = []struct {
	file        string
	release     string // version prerelease gives the unreleased entry
	next        string // version postrelease starts
	unreleased  string
	latestDated string
}{
	{"kinto.rst", "14.1.0", "14.1.1", "14.1.0", "14.0.0"},
	{"zest.rst", "3.0.0", "3.0.1", "2.1.0", "2.0.0"}, // prerelease renames 2.1.0
	{"dist.md", "15.0.0", "15.0.1", "14.1.0", "14.0.0"},
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parse(t testing.TB, name string, data []byte) *Changelog {
	t.Helper()
	c, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// Generated sections as dist changelog would produce them, before and after
// the lockfiles moved on.
var (
	firstRun = []Section{
		{Key: "kinto-signer", Title: "kinto-signer 7.0.0 → 8.0.0", Lines: []string{"https://github.com/Kinto/kinto-signer/releases/tag/8.0.0"}},
		{Key: "kinto-attachment", Title: "kinto-attachment 6.1.0 → 6.1.1", Lines: []string{"https://github.com/Kinto/kinto-attachment/releases/tag/6.1.1"}},
		{Key: "kinto-emailer", Title: "kinto-emailer 1.0.2 → 1.1.0"},
	}
	secondRun = []Section{
		{Key: "kinto-signer", Title: "kinto-signer 7.0.0 → 8.0.1", Lines: []string{"https://github.com/Kinto/kinto-signer/releases/tag/8.0.1"}},
		{Key: "kinto-attachment", Title: "kinto-attachment 6.1.0 → 6.1.2", Lines: []string{"https://github.com/Kinto/kinto-attachment/releases/tag/6.1.2"}},
		{Key: "kinto-admin", Title: "kinto-admin 1.25.0 → 1.26.0", Lines: []string{"https://github.com/Kinto/kinto-admin/releases/tag/v1.26.0"}},
	}
)

func TestRoundTrip(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.*")
	if len(paths) < 4 {
		t.Fatalf("testdata: %v", paths)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		variants := map[string]string{
			"as is":           s,
			"CRLF":            strings.ReplaceAll(s, "\n", "\r\n"),
			"no final EOL":    strings.TrimSuffix(s, "\n"),
			"BOM":             bom + s,
			"trailing spaces": strings.ReplaceAll(s, "\n", "  \n"),
		}
		for name, v := range variants {
			c, err := Parse(p, []byte(v))
			if err != nil {
				t.Errorf("%s (%s): %v", p, name, err)
				continue
			}
			if string(c.Bytes()) != v || c.Changed() {
				t.Errorf("%s (%s): round trip changed the file", p, name)
			}
		}
	}
}

func TestEntries(t *testing.T) {
	c := parse(t, "CHANGELOG.rst", read(t, "kinto.rst"))
	if c.Format != ReST {
		t.Errorf("format %v", c.Format)
	}
	var got []string
	for _, e := range c.Entries() {
		got = append(got, e.Version+"|"+e.Date+"|"+e.Heading+"|"+itoa(e.Line))
	}
	want := []string{
		"14.1.0||14.1.0 (unreleased)|8",
		"14.0.0|2024-05-02|14.0.0 (2024-05-02)|14",
		"13.0.0|2024-01-15|13.0.0 (2024-01-15)|51",
		"12.0.0|2023-11-06|12.0.0 (2023-11-06)|63",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	u, err := c.Unreleased()
	if err != nil || u.Version != "14.1.0" || !u.OnlyNothingChanged() || u.Body() != "- Nothing changed yet." {
		t.Errorf("unreleased: %+v %v", u, err)
	}
	l, err := c.LatestDated()
	if err != nil || l.Version != "14.0.0" {
		t.Errorf("latest dated: %+v %v", l, err)
	}
	if e, err := c.Entry("v13.0.0"); err != nil || e.Date != "2024-01-15" {
		t.Errorf("Entry(v13.0.0): %+v %v", e, err)
	}
	if _, err := c.Entry("9.9.9"); err == nil || err.Error() != `CHANGELOG.rst: no entry for version "9.9.9"` {
		t.Errorf("Entry(9.9.9): %v", err)
	}

	var titles []string
	for _, s := range l.Sections {
		titles = append(titles, itoa(s.Level)+":"+s.Title+"@"+itoa(s.Line))
	}
	if got, want := strings.Join(titles, ", "), "0:Breaking changes@17, 1:kinto@21, 0:New features@26, 0:Bug fixes@32, 1:kinto-signer@36, 0:Breaking changes@41"; got != want {
		t.Errorf("sections: %s\nwant %s", got, want)
	}
	if s := l.Section("bug FIXES:"); s == nil || len(s.Lines) != 1 || !strings.HasPrefix(s.Lines[0], "* Fix crash") {
		t.Errorf("Section(bug fixes) = %+v", s)
	}
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestHasSectionAndNothingChanged(t *testing.T) {
	for _, tc := range []struct {
		file, version string
		breaking      bool
		nothing       bool
	}{
		{"kinto.rst", "14.1.0", false, true},
		{"kinto.rst", "14.0.0", true, false},
		{"kinto.rst", "13.0.0", false, false},
		{"zest.rst", "2.0.0", true, false},
		{"zest.rst", "2.1.0", false, false},
		{"dist.md", "14.1.0", true, false},
		{"dist.md", "14.0.0", true, false},
		{"dist.md", "13.0.0", false, false},
	} {
		c := parse(t, tc.file, read(t, tc.file))
		e, err := c.Entry(tc.version)
		if err != nil {
			t.Fatal(err)
		}
		if e.HasSection("Breaking changes") != tc.breaking || e.OnlyNothingChanged() != tc.nothing {
			t.Errorf("%s %s: breaking=%v nothing=%v", tc.file, tc.version, e.HasSection("Breaking changes"), e.OnlyNothingChanged())
		}
	}
	c := parse(t, "c.md", []byte("## 1.0 (unreleased)\n\n\n## 0.9 (2020-01-01)\n\n- x\n"))
	if u, _ := c.Unreleased(); !u.OnlyNothingChanged() {
		t.Error("an empty unreleased entry is not worth releasing either")
	}
	c = parse(t, "c.md", []byte("## 1.0 (unreleased)\n\n* nothing changed yet\n"))
	if u, _ := c.Unreleased(); !u.OnlyNothingChanged() {
		t.Error("placeholder spelling variants")
	}
}

// TestGolden runs every operation on every fixture and compares the bytes
// with testdata/golden; go test -update rewrites them after a reviewed
// change.
func TestGolden(t *testing.T) {
	for _, in := range inputs {
		t.Run(in.file, func(t *testing.T) {
			data := read(t, in.file)

			c := parse(t, in.file, data)
			if err := c.SetRelease(in.release, "2024-06-01"); err != nil {
				t.Fatal(err)
			}
			golden(t, in.file+".prerelease", c.Bytes())
			if e, err := c.LatestDated(); err != nil || e.Version != in.release || e.Date != "2024-06-01" {
				t.Errorf("after prerelease: %+v %v", e, err)
			}
			if err := c.AddUnreleased(in.next); err != nil {
				t.Fatal(err)
			}
			golden(t, in.file+".postrelease", c.Bytes())
			again := string(c.Bytes())
			if err := c.AddUnreleased(in.next); err != nil || string(c.Bytes()) != again {
				t.Errorf("postrelease run twice: %v", err)
			}
			if u, err := c.Unreleased(); err != nil || u.Version != in.next || !u.OnlyNothingChanged() {
				t.Errorf("after postrelease: %+v %v", u, err)
			}

			c = parse(t, in.file, data)
			if err := c.MergeGenerated(firstRun); err != nil {
				t.Fatal(err)
			}
			merged := c.Bytes()
			golden(t, in.file+".merge", merged)
			if err := c.MergeGenerated(firstRun); err != nil || string(c.Bytes()) != string(merged) {
				t.Errorf("merge is not idempotent (%v):\n%s", err, c.Bytes())
			}
			u, _ := c.Unreleased()
			if !u.HasSection("kinto-emailer 1.0.2 → 1.1.0") || u.OnlyNothingChanged() {
				t.Errorf("merged entry sections: %+v", u.Sections)
			}

			// A maintainer adds notes inside and after the generated blocks,
			// then the lockfiles move on.
			c = parse(t, in.file, handEdit(t, c.Format, merged))
			if err := c.MergeGenerated(secondRun); err != nil {
				t.Fatal(err)
			}
			remerged := c.Bytes()
			golden(t, in.file+".remerge", remerged)
			if err := c.MergeGenerated(secondRun); err != nil || string(c.Bytes()) != string(remerged) {
				t.Errorf("re-merge is not idempotent (%v)", err)
			}
			for _, l := range []string{"- Fixes uploads to S3 (hand-written).", "- A hand-written note after the blocks."} {
				if !strings.Contains(string(remerged), l) {
					t.Errorf("hand-written line %q was dropped", l)
				}
			}
			if strings.Contains(string(remerged), "kinto-emailer") {
				t.Error("a generated block no longer wanted was kept")
			}

			var notes strings.Builder
			for _, e := range parse(t, in.file, remerged).Entries() {
				notes.WriteString("=== " + e.Heading + "\n")
				notes.WriteString(c.Notes(e))
			}
			golden(t, in.file+".notes", []byte(notes.String()))
		})
	}
}

// handEdit adds a line inside the kinto-attachment block and one after the
// last block, as a maintainer would.
func handEdit(t *testing.T, f Format, data []byte) []byte {
	t.Helper()
	s := string(data)
	link := "https://github.com/Kinto/kinto-attachment/releases/tag/6.1.1\n"
	end := "<!-- dist: end -->\n"
	if f == ReST {
		end = ".. dist: end\n"
	}
	i := strings.LastIndex(s, end)
	if !strings.Contains(s, link) || i < 0 {
		t.Fatalf("unexpected merge result:\n%s", s)
	}
	s = s[:i] + end + "\n- A hand-written note after the blocks.\n" + s[i+len(end):]
	return []byte(strings.Replace(s, link, link+"\n- Fixes uploads to S3 (hand-written).\n", 1))
}

func TestSetReleaseResizesAdornment(t *testing.T) {
	for _, tc := range []struct{ name, in, version, want string }{
		{"underline grows", "1.0 (unreleased)\n----------------\n\n- x\n", "1.0.0rc1",
			"1.0.0rc1 (2024-06-01)\n---------------------\n\n- x\n"},
		{"underline shrinks", "1.0.0.dev (unreleased)\n----------------------\n\n- x\n", "1.0",
			"1.0 (2024-06-01)\n----------------\n\n- x\n"},
		{"padding kept", "1.0 (unreleased)\n--------------------\n\n- x\n", "1.0",
			"1.0 (2024-06-01)\n--------------------\n\n- x\n"},
		{"overline and inset", "===================\n 1.0 (unreleased)\n===================\n\n- x\n", "1.0.1",
			"=====================\n 1.0.1 (2024-06-01)\n=====================\n\n- x\n"},
		{"too short is fixed", "1.0 (unreleased)\n-----\n\n- x\n", "1.0",
			"1.0 (2024-06-01)\n----------------\n\n- x\n"},
		{"CRLF", "1.0 (unreleased)\r\n----------------\r\n\r\n- x\r\n", "1.0.10",
			"1.0.10 (2024-06-01)\r\n-------------------\r\n\r\n- x\r\n"},
		{"markdown", "# Changes\n\n## 1.0 (unreleased)\n\n- x\n", "2.0",
			"# Changes\n\n## 2.0 (2024-06-01)\n\n- x\n"},
		{"markdown setext", "1.0 (unreleased)\n================\n\n- x\n", "1.0",
			"1.0 (2024-06-01)\n================\n\n- x\n"},
	} {
		name := "CHANGELOG.rst"
		if strings.HasPrefix(tc.name, "markdown") {
			name = "CHANGELOG.md"
		}
		c := parse(t, name, []byte(tc.in))
		if err := c.SetRelease(tc.version, "2024-06-01"); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := string(c.Bytes()); got != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}

func TestAddUnreleasedStyle(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"CHANGELOG.md", "# Changes\n## 1.0 (2024-01-01)\n- x\n",
			"# Changes\n## 1.1 (unreleased)\n\n- Nothing changed yet.\n\n## 1.0 (2024-01-01)\n- x\n"},
		{"CHANGELOG.md", "# 1.0 (2024-01-01)\r\n\r\n- x\r\n",
			"# 1.1 (unreleased)\r\n\r\n- Nothing changed yet.\r\n\r\n# 1.0 (2024-01-01)\r\n\r\n- x\r\n"},
		{"CHANGELOG.rst", "=====\nTitle\n=====\n\n\n1.0 (2024-01-01)\n~~~~~~~~~~~~~~~~\n\n- x\n",
			"=====\nTitle\n=====\n\n\n1.1 (unreleased)\n~~~~~~~~~~~~~~~~\n\n- Nothing changed yet.\n\n\n1.0 (2024-01-01)\n~~~~~~~~~~~~~~~~\n\n- x\n"},
		{"CHANGELOG.rst", bom + "================\n1.0 (2024-01-01)\n================\n\n- x\n",
			bom + "================\n1.1 (unreleased)\n================\n\n- Nothing changed yet.\n\n================\n1.0 (2024-01-01)\n================\n\n- x\n"},
	} {
		c := parse(t, tc.name, []byte(tc.in))
		if err := c.AddUnreleased("1.1"); err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := string(c.Bytes()); got != tc.want {
			t.Errorf("%q:\n%q\nwant\n%q", tc.in, got, tc.want)
		}
	}
}

func TestMergeEdgeCases(t *testing.T) {
	one := []Section{{Title: "alpha 1.0 → 2.0"}}
	for _, tc := range []struct {
		name, in string
		secs     []Section
		want     string
	}{
		{"empty merge restores the placeholder", "## 1.1 (unreleased)\n\n<!-- dist: generated 9379a376 alpha 1.0 → 2.0 -->\n\n**alpha 1.0 → 2.0**\n\n<!-- dist: end -->\n\n## 1.0 (2020-01-01)\n",
			nil, "## 1.1 (unreleased)\n\n- Nothing changed yet.\n\n## 1.0 (2020-01-01)\n"},
		{"empty merge on the placeholder changes nothing", "## 1.1 (unreleased)\n\n- Nothing changed yet.\n",
			nil, "## 1.1 (unreleased)\n\n- Nothing changed yet.\n"},
		{"entry with no body, at the end, no final newline", "# Changes\n\n## 1.1 (unreleased)",
			one, "# Changes\n\n## 1.1 (unreleased)\n\n<!-- dist: generated 9379a376 alpha 1.0 → 2.0 -->\n\n**alpha 1.0 → 2.0**\n\n<!-- dist: end -->"},
		{"entry with no body before another", "## 1.1 (unreleased)\n## 1.0 (2020-01-01)\n",
			one, "## 1.1 (unreleased)\n\n<!-- dist: generated 9379a376 alpha 1.0 → 2.0 -->\n\n**alpha 1.0 → 2.0**\n\n<!-- dist: end -->\n\n## 1.0 (2020-01-01)\n"},
		{"hand-edited block no longer wanted stays as text", "## 1.1 (unreleased)\n\n<!-- dist: generated 9379a376 alpha 1.0 → 2.0 -->\n\n**alpha 1.0 → 2.0**\n\n- edited\n\n<!-- dist: end -->\n",
			nil, "## 1.1 (unreleased)\n\n**alpha 1.0 → 2.0**\n\n- edited\n"},
		{"a marker inside a code fence is text", "## 1.1 (unreleased)\n\n```\n<!-- dist: end -->\n```\n",
			one, "## 1.1 (unreleased)\n\n```\n<!-- dist: end -->\n```\n\n<!-- dist: generated 9379a376 alpha 1.0 → 2.0 -->\n\n**alpha 1.0 → 2.0**\n\n<!-- dist: end -->\n"},
	} {
		c := parse(t, "CHANGELOG.md", []byte(tc.in))
		if err := c.MergeGenerated(tc.secs); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := string(c.Bytes()); got != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.name, got, tc.want)
		}
		first := string(c.Bytes())
		if err := c.MergeGenerated(tc.secs); err != nil || string(c.Bytes()) != first {
			t.Errorf("%s: not idempotent (%v): %q", tc.name, err, c.Bytes())
		}
	}
}

// TestMergeNeverDropsHandLines merges several section sets, in turn, into
// every fixture and checks that each non-blank line of the original file
// (but the placeholder) is still there as many times.
func TestMergeNeverDropsHandLines(t *testing.T) {
	sets := [][]Section{firstRun, secondRun, nil, firstRun[:1], secondRun}
	for _, in := range inputs {
		data := read(t, in.file)
		c := parse(t, in.file, data)
		for i, s := range sets {
			if err := c.MergeGenerated(s); err != nil {
				t.Fatalf("%s set %d: %v", in.file, i, err)
			}
			if missing := droppedLines(string(data), string(c.Bytes())); len(missing) > 0 {
				t.Errorf("%s set %d dropped %q", in.file, i, missing)
			}
		}
	}
}

func droppedLines(before, after string) []string {
	count := map[string]int{}
	for _, l := range strings.Split(after, "\n") {
		count[strings.TrimRight(l, "\r")]++
	}
	var missing []string
	for _, l := range strings.Split(before, "\n") {
		l = strings.TrimRight(l, "\r")
		if isBlank(l) || nothingRE.MatchString(strings.TrimSpace(l)) {
			continue
		}
		if count[l] == 0 {
			missing = append(missing, l)
		}
		count[l]--
	}
	return missing
}

func TestMergeCRLF(t *testing.T) {
	for _, in := range inputs {
		lf := parse(t, in.file, read(t, in.file))
		crlf := parse(t, in.file, []byte(strings.ReplaceAll(string(read(t, in.file)), "\n", "\r\n")))
		for _, c := range []*Changelog{lf, crlf} {
			if err := c.MergeGenerated(firstRun); err != nil {
				t.Fatal(err)
			}
			if err := c.SetRelease(in.release, "2024-06-01"); err != nil {
				t.Fatal(err)
			}
			if err := c.AddUnreleased(in.next); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := string(crlf.Bytes()), strings.ReplaceAll(string(lf.Bytes()), "\n", "\r\n"); got != want {
			t.Errorf("%s: CRLF file edited differently:\n%q\nwant\n%q", in.file, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	type op func(c *Changelog) error
	parseOnly := op(nil)
	unreleased := func(c *Changelog) error { _, err := c.Unreleased(); return err }
	merge := func(s ...Section) op { return func(c *Changelog) error { return c.MergeGenerated(s) } }
	release := func(v, d string) op { return func(c *Changelog) error { return c.SetRelease(v, d) } }
	add := func(v string) op { return func(c *Changelog) error { return c.AddUnreleased(v) } }
	for _, tc := range []struct {
		name, in string
		op       op
		want     string
	}{
		{"CHANGELOG.md", "# Changelog\n\nNo entries.\n", parseOnly,
			`CHANGELOG.md:1: no changelog entries (want a heading like "## 1.2.0 (unreleased)")`},
		{"CHANGELOG.rst", "Changelog\n=========\n\n1.0\n---\n", parseOnly,
			`CHANGELOG.rst:1: no changelog entries (want a heading like "1.2.0 (unreleased)" underlined with "-")`},
		{"CHANGELOG.md", "# Changelog\n\n## 1.0 (2024-01-01)\n\n- x\n", unreleased,
			`CHANGELOG.md: no unreleased entry (want a heading like "## 1.2.0 (unreleased)")`},
		{"CHANGELOG.rst", "1.0 (2024-01-01)\n================\n\n- x\n", unreleased,
			`CHANGELOG.rst: no unreleased entry (want a heading like "1.2.0 (unreleased)" underlined with "=")`},
		{"CHANGELOG.md", "## 1.0.0 (2024-01-01)\n\n- x\n\n## 0.9 (2023-01-01)\n\n## v1.0.0 (2022-01-01)\n", parseOnly,
			`CHANGELOG.md:7: version v1.0.0 already has an entry at line 1`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n\n## 1.2 (Unreleased)\n", parseOnly,
			`CHANGELOG.md:5: a second unreleased entry (the first is at line 1)`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n\n# 1.0 (2020-01-01)\n", parseOnly,
			`CHANGELOG.md:5: release heading "1.0 (2020-01-01)" is at a higher level than the entry at line 1`},
		{"CHANGELOG.rst", "\n=========\nChangelog\n==========\n", parseOnly,
			`CHANGELOG.rst:4: title overline and underline do not match`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n<!-- dist: generated 4ed8ed02 alpha -->\n\n- x\n", merge(),
			`CHANGELOG.md:3: generated block has no end marker (want "<!-- dist: end -->")`},
		{"CHANGELOG.rst", "1.1 (unreleased)\n----------------\n\n- x\n\n.. dist: end\n", merge(),
			`CHANGELOG.rst:6: dist end marker without a generated marker before it`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n<!-- dist: generated alpha -->\n", merge(),
			`CHANGELOG.md:3: unreadable dist marker "<!-- dist: generated alpha -->" (want "<!-- dist: generated SUM KEY -->" or "<!-- dist: end -->")`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n", merge(Section{Title: "a"}, Section{Key: "a", Lines: []string{"b"}}),
			`CHANGELOG.md: generated section 2: key "a" given twice`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n", merge(Section{}),
			`CHANGELOG.md: generated section 1: empty`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n", merge(Section{Title: "a", Lines: []string{"## 1.0.5 (2020-01-01)"}}),
			`CHANGELOG.md:1: the generated sections would change the file's entries (does a line read as a heading?); nothing changed`},
		{"CHANGELOG.rst", "1.1 (unreleased)\n----------------\n\n- x\n", merge(Section{Title: "a", Lines: []string{"Notes", "-----"}}),
			`CHANGELOG.rst:1: the generated sections would change the file's entries (does a line read as a heading?); nothing changed`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n\n## 1.0 (2020-01-01)\n", release("1.0", "2024-01-01"),
			`CHANGELOG.md:5: version 1.0 already has an entry`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n", release("1.1 beta", "2024-01-01"),
			`CHANGELOG.md: invalid version "1.1 beta" for a changelog heading`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n", release("1.1", "(today)"),
			`CHANGELOG.md: invalid release date "(today)"`},
		{"CHANGELOG.md", "## 1.1 (unreleased)\n\n- x\n", add("1.2"),
			`CHANGELOG.md:1: there is already an unreleased entry "1.1 (unreleased)"`},
		{"CHANGELOG.md", "## 1.1 (2024-01-01)\n\n- x\n", add("1.1"),
			`CHANGELOG.md:1: version 1.1 already has an entry`},
		{"CHANGELOG.md", "## [Unreleased]\n\n- x\n\n## [1.0.0] - 2020-01-01\n", release("1.1.0", "2024-01-01"),
			`CHANGELOG.md:1: keep-a-changelog headings are read-only; dist writes headings like "## 1.2.0 (unreleased)"`},
	} {
		c, err := Parse(tc.name, []byte(tc.in))
		if tc.op != nil {
			if err != nil {
				t.Errorf("%q: %v", tc.in, err)
				continue
			}
			err = tc.op(c)
			if string(c.Bytes()) != tc.in {
				t.Errorf("%q: a failed edit changed the file to %q", tc.in, c.Bytes())
			}
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}

func TestErrNoUnreleased(t *testing.T) {
	c := parse(t, "CHANGELOG.md", []byte("## 1.0 (2024-01-01)\n"))
	for _, err := range []error{
		func() error { _, err := c.Unreleased(); return err }(),
		c.SetRelease("1.1", "2024-02-02"),
		c.MergeGenerated(nil),
	} {
		if !errors.Is(err, ErrNoUnreleased) {
			t.Errorf("%v is not ErrNoUnreleased", err)
		}
	}
}

func TestKeepAChangelog(t *testing.T) {
	c := parse(t, "CHANGELOG.md", read(t, "kac.md"))
	u, err := c.Unreleased()
	if err != nil || u.Version != "" || !u.HasSection("added") {
		t.Fatalf("unreleased: %+v %v", u, err)
	}
	l, _ := c.LatestDated()
	if l.Version != "1.1.0" || l.Date != "2024-02-01" {
		t.Errorf("latest: %+v", l)
	}
	if got, want := c.Notes(l), "## Fixed\n\n- A crash.\n"; got != want {
		t.Errorf("notes %q want %q", got, want)
	}
	if err := c.AddUnreleased("1.2.0"); err == nil {
		t.Error("AddUnreleased on a keep-a-changelog file")
	}
}

func TestFormatDetection(t *testing.T) {
	md := "Changes\n\n## 1.0 (2024-01-01)\n\n- x\n"
	rst := "1.0 (2024-01-01)\n----------------\n\n- x\n"
	for _, tc := range []struct {
		name, in string
		want     Format
	}{
		{"CHANGELOG.md", md, Markdown}, {"CHANGES.markdown", md, Markdown},
		{"HISTORY.rst", rst, ReST}, {"CHANGES.txt", rst, ReST},
		{"CHANGELOG", md, Markdown}, {"CHANGELOG", rst, ReST},
	} {
		if c := parse(t, tc.name, []byte(tc.in)); c.Format != tc.want {
			t.Errorf("%s: %v", tc.name, c.Format)
		}
	}
}

func TestWrite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "CHANGELOG.md")
	if err := os.WriteFile(p, read(t, "dist.md"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MergeGenerated(firstRun); err != nil || !c.Changed() {
		t.Fatal(err)
	}
	if err := c.Write(); err != nil || c.Changed() {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(got) != string(c.Bytes()) || st.Mode().Perm() != 0o600 {
		t.Errorf("written %d bytes, mode %v", len(got), st.Mode())
	}
}

func TestNotesInline(t *testing.T) {
	targets := map[string]string{"api changelog": "https://example.org/api"}
	for in, want := range map[string]string{
		"``a`` and ``b`c``":                 "`a` and `` b`c ``",
		"`text <https://x.org/a>`_ done":    "[text](https://x.org/a) done",
		"`anon <https://x.org/b>`__":        "[anon](https://x.org/b)",
		"`<https://x.org/c>`_":              "<https://x.org/c>",
		"See `API  Changelog`_.":            "See [API  Changelog](https://example.org/api).",
		"See `unknown`_.":                   "See unknown.",
		"``not `a <link>`_`` kept":          "`` not `a <link>`_ `` kept",
		":pr:`12` and `x <https://y>`_":     ":pr:`12` and [x](https://y)",
		"**bold** and *em* and `interp`":    "**bold** and *em* and `interp`",
		"unclosed ``literal and `backquote": "unclosed ``literal and `backquote",
		"``@reify``\\ 'd":                   "`@reify`'d",
	} {
		if got := rstInline(in, targets); got != want {
			t.Errorf("rstInline(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotesDropsMarkupThatIsNotContent(t *testing.T) {
	in := "1.1 (unreleased)\n----------------\n\n.. a comment\n   spanning two lines\n\n.. note::\n\n   Kept.\n\n- item::\n\n      code\n\n::\n\n    more code\n\n.. code-block:: ini\n    :linenos:\n\n    [app:main]\n\n    a = 1\n\nAfter.\n"
	c := parse(t, "CHANGELOG.rst", []byte(in))
	u, _ := c.Unreleased()
	want := ".. note::\n\n   Kept.\n\n- item:\n\n```\ncode\n```\n\n```\nmore code\n```\n\n```ini\n[app:main]\n\na = 1\n```\n\nAfter.\n"
	if got := c.Notes(u); got != want {
		t.Errorf("notes:\n%q\nwant\n%q", got, want)
	}
}
