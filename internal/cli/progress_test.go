package cli

import (
	"bytes"
	"strings"
	"testing"
)

// termConsole is a console that draws its bar, as on a terminal, into buf.
func termConsole(buf *bytes.Buffer) *console { return &console{w: buf, term: true} }

func (c *console) barMax() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bar == nil {
		return 0
	}
	return c.bar.GetMax64()
}

// TestDownloadsBarTotalUpFront: an announced batch's bar has its whole
// total from the start, in bytes or, when a size is unknown, in files,
// and goes away when the last file ends; downloads nobody announced get a
// bar with no total.
func TestDownloadsBarTotalUpFront(t *testing.T) {
	var buf bytes.Buffer
	c := termConsole(&buf)
	d := &downloads{c: c}

	d.Expect(2, 12)
	if got := c.barMax(); got != 12 {
		t.Fatalf("bar total %d, want 12", got)
	}
	buf.Reset()
	a := d.Start("a", 4, true)
	a.Add(4)
	if out := buf.String(); !strings.Contains(out, " 33% ") {
		t.Errorf("bar drawn as %q, want 33%%", out)
	}
	a.Done()
	if got := c.barMax(); got != 12 {
		t.Errorf("bar total %d after a download, want 12", got)
	}
	b := d.Start("b", 8, true)
	b.Add(8)
	b.Done()
	if c.bar != nil {
		t.Errorf("the bar stays after its last file")
	}

	d.Expect(3, -1)
	if got := c.barMax(); got != 3 {
		t.Errorf("files bar total %d, want 3", got)
	}
	for _, n := range []string{"x", "y", "z"} {
		d.Start(n, -1, true).Done()
	}
	if c.bar != nil {
		t.Errorf("the files bar stays after its last file")
	}

	// With no total, no percentage is drawn.
	buf.Reset()
	u := d.Start("u", 100, false)
	u.Add(100)
	if out := buf.String(); out == "" || strings.Contains(out, "%") {
		t.Errorf("unannounced bar drawn as %q", out)
	}
	u.Done()
	if c.bar != nil {
		t.Errorf("the bar stays after the last unannounced download")
	}

	// A line clears the bar before it is written.
	d.Expect(1, 10)
	d.Start("v", 10, true).Add(5)
	buf.Reset()
	c.printf("building %s", "linux/amd64")
	if out := buf.String(); !strings.HasSuffix(out, "\rbuilding linux/amd64\n") {
		t.Errorf("line written as %q", out)
	}
}

// TestConsoleNoTerminal: without a terminal, lines only.
func TestConsoleNoTerminal(t *testing.T) {
	var buf bytes.Buffer
	c := (&app{streams: newStreams(nil, &buf)}).console()
	d := &downloads{c: c}
	d.Expect(1, 10)
	tr := d.Start("a", 10, true)
	tr.Add(10)
	tr.Done()
	(&byteCounter{c: c, what: "writing"}).add(5)
	c.printf("pushing %s", "r")
	if got := buf.String(); got != "pushing r\n" {
		t.Errorf("wrote %q", got)
	}
}
