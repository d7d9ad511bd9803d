package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSkipCompletionsAccepted: every --skip value that completion offers is
// one the command accepts, and the check would see one it refuses.
func TestSkipCompletionsAccepted(t *testing.T) {
	dir := t.TempDir()
	for cmd, values := range skipValues {
		for _, v := range append(values, "bogus") {
			var stdout, stderr bytes.Buffer
			Run(context.Background(), []string{"-C", dir, cmd, "--skip", v}, &stdout, &stderr)
			refused := strings.Contains(stderr.String(), "--skip "+v+":")
			if refused != (v == "bogus") {
				t.Errorf("dist %s --skip %s: %s", cmd, v, stderr.String())
			}
		}
	}
}
