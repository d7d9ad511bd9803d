package release

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/manifest"
)

func TestReadNotes(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"dist.yaml": "name: demo\nchangelog: CHANGELOG.rst\n",
		"VERSION":   "1.1.0.dev0\n",
		"CHANGELOG.rst": `Changelog
=========

1.1.0 (unreleased)
------------------

- Nothing changed yet.

1.0.0 (2024-03-01)
------------------

**New features**

- Use ` + "``kinto``" + ` 14.
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The default is the last release, its ReST as GitHub Markdown.
	n, err := ReadNotes(m, "")
	if err != nil {
		t.Fatal(err)
	}
	if n.Version != "1.0.0" || n.Date != "2024-03-01" || n.Text != "**New features**\n\n- Use `kinto` 14.\n" {
		t.Errorf("latest dated: %+v", n)
	}
	n, err = ReadNotes(m, "1.1.0")
	if err != nil || n.Version != "1.1.0" || n.Date != "" || n.Text != "- Nothing changed yet.\n" {
		t.Errorf("unreleased: %+v, %v", n, err)
	}
	var fe *fileerr.Error
	if _, err := ReadNotes(m, "0.9.0"); !errors.As(err, &fe) || filepath.Base(fe.Path) != "CHANGELOG.rst" {
		t.Errorf("no such entry: %v", err)
	}
}
