package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
