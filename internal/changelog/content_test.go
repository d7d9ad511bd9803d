package changelog

import (
	"errors"
	"strings"
	"testing"
)

// The shape of kinto-dist's CHANGELOG.rst that broke every command: an
// undated heading in its history, below a dated one.
const history = `2.0.0 (unreleased)
==================
- Something.

1.7 (2017-01-12)
================
- Something else.

1.6 (unreleased)
================
- never dated
`

func TestUndatedHistory(t *testing.T) {
	c := parse(t, "CHANGELOG.rst", []byte(history))
	u, err := c.Unreleased()
	if err != nil || u.Version != "2.0.0" {
		t.Fatalf("unreleased: %+v %v", u, err)
	}
	e, err := c.Entry("1.7")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Notes(e); got != "- Something else.\n" {
		t.Errorf("notes 1.7 = %q", got)
	}
	if l, err := c.LatestDated(); err != nil || l.Version != "1.7" {
		t.Errorf("latest dated: %+v %v", l, err)
	}
	old, err := c.Entry("1.6")
	if err != nil || old.Date != "" || c.Notes(old) != "- never dated\n" {
		t.Errorf("1.6: %+v %v", old, err)
	}

	// Dated at the top: there is no unreleased entry, 1.6 is not one, and
	// the edits that need one fail without touching 1.6.
	dated := history[strings.Index(history, "1.7 ("):]
	c = parse(t, "CHANGELOG.rst", []byte(dated))
	if _, err := c.Unreleased(); !errors.Is(err, ErrNoUnreleased) {
		t.Errorf("Unreleased() = %v, want ErrNoUnreleased", err)
	}
	if err := c.MergeGenerated([]Section{{Title: "alpha 1.0 → 2.0"}}); !errors.Is(err, ErrNoUnreleased) || c.Changed() {
		t.Errorf("MergeGenerated: %v, changed %v", err, c.Changed())
	}
	if err := c.SetRelease("1.8", "2017-02-01"); !errors.Is(err, ErrNoUnreleased) || c.Changed() {
		t.Errorf("SetRelease: %v, changed %v", err, c.Changed())
	}
	if err := c.AddUnreleased("1.7.1"); err != nil {
		t.Fatal(err)
	}
	if err := c.MergeGenerated([]Section{{Title: "alpha 1.0 → 2.0"}}); err != nil {
		t.Fatal(err)
	}
	want := "1.7.1 (unreleased)\n==================\n\n.. dist: generated 9379a376 alpha 1.0 → 2.0\n\n**alpha 1.0 → 2.0**\n\n.. dist: end\n\n" + dated
	if got := string(c.Bytes()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// Right below the unreleased entry, a second undated heading is still
	// a mistake.
	_, err = Parse("CHANGELOG.rst", []byte("2.0 (unreleased)\n================\n\n1.9 (unreleased)\n================\n\n1.8 (2017-01-01)\n================\n"))
	if err == nil || err.Error() != "CHANGELOG.rst:4: a second unreleased entry (the first is at line 1)" {
		t.Errorf("two at the top: %v", err)
	}
}

// TestKintoDistHistory reads a changelog shaped like kinto-dist's: dozens
// of entries, component sub-headings underlined with "'", hand-written
// "**name A → B**: URL" lines, bold titles and an undated 1.6 far down.
func TestKintoDistHistory(t *testing.T) {
	data := read(t, "kinto-dist-history.rst")
	c := parse(t, "CHANGELOG.rst", data)
	es := c.Entries()
	if len(es) != 47 {
		t.Fatalf("%d entries", len(es))
	}
	u, err := c.Unreleased()
	if err != nil || u.Version != "17.0.0" {
		t.Fatalf("unreleased: %+v %v", u, err)
	}
	if title, line, ok := u.Breaking(); !ok || title != "Breaking changes" || line != 11 {
		t.Errorf("Breaking() = %q %d %v", title, line, ok)
	}
	if !u.WritesChange("kinto-signer", "7.0.0", "8.0.0") || u.WritesChange("kinto-signer", "7.0.0", "8.0.1") || u.WritesChange("kinto", "7.0.0", "8.0.0") {
		t.Error("WritesChange")
	}
	old, err := c.Entry("1.6")
	if err != nil || old.Date != "" || old.Line < 1600 {
		t.Fatalf("1.6: %+v %v", old, err)
	}
	if l, _ := c.LatestDated(); l.Version != "16.0.0" {
		t.Errorf("latest dated %s", l.Version)
	}
	// Every hand-written component line is found as what it is, and each
	// component sub-heading is a level-1 section.
	subs := 0
	for _, e := range es {
		for _, s := range e.Sections {
			if s.Level == 1 {
				subs++
			}
		}
		if e.Version == "1.6" || e.Version == "17.0.0" {
			continue
		}
		if !strings.Contains(c.Notes(e), " → ") {
			t.Errorf("%s: notes without a component line", e.Version)
		}
	}
	if subs < 60 {
		t.Errorf("only %d component sub-headings", subs)
	}
	// Dating 17.0.0 leaves 1.6 history; a new entry goes on top.
	if err := c.SetRelease("17.0.0", "2026-05-06"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddUnreleased("17.0.1"); err != nil {
		t.Fatal(err)
	}
	if u, err := c.Unreleased(); err != nil || u.Version != "17.0.1" || u.Line != 8 {
		t.Errorf("new entry: %+v %v", u, err)
	}
	if got := len(c.Bytes()) - len(data); got != len("17.0.1 (unreleased)\n===================\n\n- Nothing changed yet.\n\n\n") {
		t.Errorf("grew by %d bytes", got)
	}
}

func TestText(t *testing.T) {
	c := parse(t, "CHANGELOG.rst", read(t, "kinto.rst"))
	u, _ := c.Unreleased()
	if got, want := c.Text(u), "14.1.0 (unreleased)\n===================\n\n- Nothing changed yet.\n"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	c = parse(t, "CHANGELOG.md", []byte("\ufeff## 1.1 (unreleased)\r\n\r\n- x\r\n\r\n## 1.0 (2020-01-01)\r\n\r\n- y"))
	es := c.Entries()
	if got := c.Text(es[0]); got != "## 1.1 (unreleased)\n\n- x\n" {
		t.Errorf("Text = %q", got)
	}
	if got := c.Text(es[1]); got != "## 1.0 (2020-01-01)\n\n- y\n" {
		t.Errorf("Text = %q", got)
	}
}

func TestBreaking(t *testing.T) {
	md := func(body string) string {
		return "## 1.1 (unreleased)\n\n" + body + "\n\n- Something.\n\n## 1.0 (2020-01-01)\n\n- x\n"
	}
	rst := func(body string) string {
		return "1.1 (unreleased)\n----------------\n\n" + body + "\n\n- Something.\n\n1.0 (2020-01-01)\n----------------\n\n- x\n"
	}
	for _, tc := range []struct {
		file, in string
		title    string // "" when there is none
		line     int
	}{
		{"CHANGELOG.md", md("**Breaking changes**"), "Breaking changes", 3},
		{"CHANGELOG.md", md("**Breaking changes:**"), "Breaking changes", 3},
		{"CHANGELOG.md", md("**Breaking changes**:"), "Breaking changes", 3},
		{"CHANGELOG.md", md("**Breaking changes** :"), "Breaking changes", 3},
		{"CHANGELOG.md", md("__Breaking change__"), "Breaking change", 3},
		{"CHANGELOG.md", md("*Breaking changes*"), "Breaking changes", 3},
		{"CHANGELOG.md", md("### Breaking changes"), "Breaking changes", 3},
		{"CHANGELOG.md", md("###### BREAKING CHANGES ######"), "BREAKING CHANGES", 3},
		{"CHANGELOG.md", md("### ⚠ BREAKING CHANGES"), "⚠ BREAKING CHANGES", 3},
		{"CHANGELOG.md", md("### ⚠️ Breaking Changes"), "⚠️ Breaking Changes", 3},
		{"CHANGELOG.md", md("⚠ BREAKING CHANGES"), "⚠ BREAKING CHANGES", 3},
		{"CHANGELOG.md", md("Breaking changes:"), "Breaking changes", 3},
		{"CHANGELOG.md", md("Breaking changes"), "Breaking changes", 3},
		{"CHANGELOG.md", md("**New features/Breaking changes**"), "New features/Breaking changes", 3},
		{"CHANGELOG.md", md("### Features and breaking changes"), "Features and breaking changes", 3},
		{"CHANGELOG.md", md("**Bug fixes, breaking changes:**"), "Bug fixes, breaking changes", 3},
		{"CHANGELOG.md", md("- **Breaking changes:**\n  - Python 3.8 is gone."), "Breaking changes", 3},
		{"CHANGELOG.md", md("**Backward incompatible changes**"), "Backward incompatible changes", 3},
		{"CHANGELOG.md", md("- Something.\n\n### Upgrading\n\n#### Breaking changes"), "Breaking changes", 7},
		{"CHANGELOG.rst", rst("Breaking changes\n~~~~~~~~~~~~~~~~"), "Breaking changes", 4},
		{"CHANGELOG.rst", rst("Breaking changes:"), "Breaking changes", 4},
		{"CHANGELOG.rst", rst("**Breaking changes:**"), "Breaking changes", 4},
		{"CHANGELOG.rst", rst("kinto\n'''''\n\n**Breaking changes**"), "Breaking changes", 7},

		{"CHANGELOG.md", md("- No breaking changes in this release."), "", 0},
		{"CHANGELOG.md", md("Breaking changes: none this time."), "", 0},
		{"CHANGELOG.md", md("- **Breaking change**: nothing, despite the rumours."), "", 0},
		{"CHANGELOG.md", md("This release has no\nbreaking changes:"), "", 0},
		{"CHANGELOG.md", md("- Upgrading is safe; there are no\n  breaking changes:"), "", 0},
		{"CHANGELOG.md", md("### Not breaking changes"), "", 0},
		{"CHANGELOG.md", md("### Breaking changes reverted"), "", 0},
		{"CHANGELOG.md", md("```\n### Breaking changes\n```"), "", 0},
		{"CHANGELOG.md", md("    Breaking changes:"), "", 0},
		{"CHANGELOG.md", md("<!-- dist: generated 879d9ebd x -->\n\n**Breaking changes**\n\n<!-- dist: end -->"), "", 0},
		{"CHANGELOG.rst", rst("Upgrade notes::\n\n    Breaking changes:"), "", 0},
	} {
		c, err := Parse(tc.file, []byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		u, err := c.Unreleased()
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		title, line, ok := u.Breaking()
		if ok != (tc.title != "") || title != tc.title || line != tc.line {
			t.Errorf("%q: Breaking() = %q %d %v, want %q %d", tc.in, title, line, ok, tc.title, tc.line)
		}
	}
}

func TestGeneratedBreakingBlockIsIgnored(t *testing.T) {
	// The checksum in TestBreaking's generated block must be real for the
	// case to mean anything: a block edited by hand counts as hand-written.
	c := parse(t, "CHANGELOG.md", []byte("## 1.1 (unreleased)\n\n- x\n"))
	if err := c.MergeGenerated([]Section{{Key: "x", Title: "Breaking changes"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(c.Bytes()), "<!-- dist: generated 879d9ebd x -->") {
		t.Fatalf("checksum changed:\n%s", c.Bytes())
	}
	u, _ := c.Unreleased()
	if _, _, ok := u.Breaking(); ok {
		t.Error("a generated block counted")
	}
	edited := strings.Replace(string(c.Bytes()), "**Breaking changes**", "**Breaking changes:**", 1)
	u, _ = parse(t, "CHANGELOG.md", []byte(edited)).Unreleased()
	if _, _, ok := u.Breaking(); !ok {
		t.Error("a block edited by hand did not count")
	}
}

func TestWritesChange(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"**kinto-signer 4.0.1 → 5.0.0**: https://github.com/Kinto/kinto-signer/releases/tag/5.0.0", true},
		{"**kinto-signer 4.0.1 -> 5.0.0**", true},
		{"- Kinto_Signer 4.0.1 → 5.0.0.", true},
		{"- kinto.signer v4.0.1 -> v5.0.0 (security fix)", true},
		{"`kinto-signer 4.0.1 → 5.0.0 <https://example.org>`_", true},
		{"`kinto-signer 4.0.1 → 5.0.0`_", true},
		{"[kinto-signer 4.0.1 → 5.0.0](https://example.org)", true},
		{"kinto-signer 4.0.1→5.0.0", true},
		{"kinto-signer 4.0.1 → 5.0.0rc1", false},
		{"kinto-signer 4.0.1 → 5.0.01", false},
		{"kinto-signer 4.0.1 → 5.0.0.1", false},
		{"kinto-signer 14.0.1 → 5.0.0", false},
		{"kinto-signer 4.0.1 → 6.0.0", false},
		{"pykinto-signer 4.0.1 → 5.0.0", false},
		{"kinto-signer-ext 4.0.1 → 5.0.0", false},
		{"kinto-signer was upgraded to 5.0.0", false},
		{"    kinto-signer 4.0.1 → 5.0.0", true}, // literal text is still text
	} {
		c := parse(t, "CHANGELOG.md", []byte("## 1.1 (unreleased)\n\n"+tc.line+"\n"))
		u, _ := c.Unreleased()
		if got := u.WritesChange("kinto-signer", "4.0.1", "5.0.0"); got != tc.want {
			t.Errorf("%q: WritesChange = %v, want %v", tc.line, got, tc.want)
		}
	}
	// dist's own intact block does not count; an edited one does.
	c := parse(t, "CHANGELOG.md", []byte("## 1.1 (unreleased)\n\n- x\n"))
	if err := c.MergeGenerated([]Section{{Key: "k", Title: "kinto-signer 4.0.1 → 5.0.0"}}); err != nil {
		t.Fatal(err)
	}
	u, _ := c.Unreleased()
	if u.WritesChange("kinto-signer", "4.0.1", "5.0.0") {
		t.Error("an intact generated block counted")
	}
	edited := strings.Replace(string(c.Bytes()), "5.0.0**", "5.0.0**: see the upgrade notes", 1)
	u, _ = parse(t, "CHANGELOG.md", []byte(edited)).Unreleased()
	if !u.WritesChange("kinto-signer", "4.0.1", "5.0.0") {
		t.Error("a block edited by hand did not count")
	}
}
