package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/distbuild/dist/internal/cli"
)

func TestWritePages(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1795305600") // 2026-11-22
	dir := t.TempDir()
	pages, err := writePages(dir, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dist.1", "dist-lock.1", "dist-lock-add.1", "dist-lock-upgrade.1", "dist-release.1", "dist-completion-bash.1"} {
		if !slices.Contains(pages, want) {
			t.Errorf("no %s among %v", want, pages)
		}
	}
	for _, no := range []string{"dist-help.1", "dist-__complete.1"} {
		if slices.Contains(pages, no) {
			t.Errorf("%s written: hidden commands and help have no page", no)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "dist-lock-upgrade.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "DIST-LOCK-UPGRADE" "1" "Nov 2026" "dist 1.2.3" "dist manual"`, "--dry-run", "dist-lock(1)"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("dist-lock-upgrade.1 lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(string(page), "HISTORY") {
		t.Errorf("dist-lock-upgrade.1 has a HISTORY section (cobra's generated-on date)")
	}
	// The same inputs give the same bytes.
	again := t.TempDir()
	if _, err := writePages(again, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		a, _ := os.ReadFile(filepath.Join(dir, p))
		b, _ := os.ReadFile(filepath.Join(again, p))
		if string(a) != string(b) {
			t.Errorf("%s differs between two runs", p)
		}
	}
}

// Every command's help reaches its page as written: its Short, each line
// of its Long and each flag's usage, though Markdown would read "<2" as a
// tag, "[:TAG] (x)" as a link, "*" as emphasis.
func TestPagesKeepHelpText(t *testing.T) {
	dir := t.TempDir()
	if _, err := writePages(dir, ""); err != nil {
		t.Fatal(err)
	}
	// A fresh tree: writePages escaped the text of its own.
	root := cli.NewRoot(io.Discard, io.Discard)
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root && (!c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand()) {
			return
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			return
		}
		page := roffText(string(data))
		want := []string{c.Short}
		for _, l := range strings.Split(c.Long, "\n") {
			// cobra's completion help has Markdown headings, rendered as
			// such (.SS).
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				want = append(want, l)
			}
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				want = append(want, strings.ReplaceAll(f.Usage, "`", ""))
			}
		})
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// roffText is a page's text as man shows it, near enough to find help
// text in: font changes and zero-width escapes dropped, a backslash
// unescaped.
func roffText(page string) string {
	return strings.NewReplacer(`\fB`, "", `\fP`, "", `\fR`, "", `\fI`, "", `\&`, "", `\\`, `\`).Replace(page)
}
