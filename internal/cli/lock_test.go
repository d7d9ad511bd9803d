package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/lock"
)

// A row without a level (none today; a source that cannot classify a move
// tomorrow) prints "-" in the CHANGE column instead of panicking.
func TestPrintOutdatedNoLevel(t *testing.T) {
	var out bytes.Buffer
	a := &app{streams: newStreams(&out, &bytes.Buffer{})}
	rows := []lock.Outdated{
		{File: "lockfiles/default.txt", Line: 1, Name: "requests", Current: "2.31.0", Latest: "2.32.3", Level: "minor"},
		{File: "lockfiles/default.txt", Line: 2, Name: "idna", Current: "3.6", Latest: "3.7"},
	}
	if err := a.printOutdated(rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out.String())
	}
	if f := strings.Fields(lines[1]); f[len(f)-1] != "Minor" {
		t.Errorf("row 1: %q, want CHANGE Minor", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 5 || f[4] != "-" {
		t.Errorf("row 2: %q, want CHANGE -", lines[2])
	}
}
