package changelog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/manifest"
)

// TestLoadFor: the changelog dist.yaml names, read from the distribution's
// directory; one that leads outside it is refused before it is read.
func TestLoadFor(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "HISTORY.md"), []byte("# Changelog\n\n## 1.0.0 (2024-01-01)\n\n- First.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{Dir: dir, Path: filepath.Join(dir, "dist.yaml"), Changelog: "HISTORY.md"}
	cl, err := LoadFor(m)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := cl.LatestDated(); err != nil || e.Version != "1.0.0" {
		t.Errorf("latest dated: %+v, %v", e, err)
	}
	m.Changelog = "../elsewhere.md"
	if _, err := LoadFor(m); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("outside the repository: %v", err)
	}
}
