package textdiff

import "testing"

func TestUnified(t *testing.T) {
	if Unified("x", "a\n", "a\n") != "" {
		t.Error("equal texts gave a diff")
	}
	got := Unified("f.txt", "a\nb\nc\n", "a\nB\nc\n")
	want := "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
