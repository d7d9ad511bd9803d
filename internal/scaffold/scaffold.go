// Package scaffold creates a new distribution repository: the files dist
// init writes, never overwriting one that exists.
package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/distbuild/dist/internal/atomicfile"
)

// Result lists what Init did with each file.
type Result struct {
	Created []string
	Kept    []string // already there, left alone
}

// Init writes the skeleton of a distribution named name into dir.
func Init(dir, name string) (*Result, error) {
	files := []struct{ path, body string }{
		{"dist.yaml", fmt.Sprintf(manifestTmpl, name)},
		{"VERSION", "0.1.0.dev0\n"},
		{"CHANGELOG.md", "# Changelog\n\n## 0.1.0 (unreleased)\n\n- Nothing changed yet.\n"},
		{"lockfiles/default.txt", "# Hashed pins: edit with `dist lock add` and `dist lock upgrade`.\n"},
		{"lockfiles/constraints.txt", "# What the pins in default.txt pull in, resolved by dist (do not edit by hand).\n"},
		{"templates/example.ini.tmpl", exampleTmpl},
		{".gitignore", "/build/\n/dist-bundle*.tar.gz\n"},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &Result{}
	for _, f := range files {
		p := filepath.Join(dir, f.path)
		if _, err := os.Lstat(p); err == nil {
			res.Kept = append(res.Kept, f.path)
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return res, err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return res, err
		}
		if err := atomicfile.WriteFile(p, []byte(f.body), 0o644); err != nil {
			return res, err
		}
		res.Created = append(res.Created, f.path)
	}
	return res, nil
}

const manifestTmpl = `# dist.yaml: the distribution's manifest. See dist's DESIGN for every key.
name: %s
changelog: CHANGELOG.md
version_file: VERSION
tag_format: "{version}"
release_branches: [main, master, "*.x"]
lockfiles:
  # The components you pin (dist lock add NAME); what they pull in is
  # resolved into the dependencies: lockfile, each pin with a "# via" note.
  - path: lockfiles/default.txt
    ecosystem: pypi
    index: https://pypi.org/simple
    python_version: ["3.12"]
    dependencies: lockfiles/constraints.txt
  - path: lockfiles/constraints.txt
    ecosystem: pypi
    index: https://pypi.org/simple
    python_version: ["3.12"]
configs:
  - template: templates/example.ini.tmpl
    output: config/example.ini
`

const exampleTmpl = `# Example configuration for {{ .Name }} {{ .Version }}.
[app:main]
# Add the settings your server reads here.
`
