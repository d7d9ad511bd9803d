// Package scaffold creates a new distribution repository: the files dist
// init writes, never overwriting one that exists.
package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/google/go-containerregistry/pkg/name"
	"go.yaml.in/yaml/v3"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/redact"
	"github.com/distbuild/dist/internal/source"
)

// Options shape the scaffold.
type Options struct {
	// Name is the distribution's name (dist.yaml's name:); "" for the
	// name of the directory.
	Name string
	// Ecosystem is the first lockfile's: source.PyPI (the default),
	// source.GoMod or source.OCI.
	Ecosystem string
	// IndexURL is written as the first lockfile's index: a PEP 503/691
	// index for pypi (default https://pypi.org/simple), a GOPROXY value
	// for gomod (default: the environment's). oci lockfiles have none.
	IndexURL string
	// Repository, when set, is image.repository (ko's KO_DOCKER_REPO,
	// goreleaser's image name): where dist release pushes.
	Repository string
	// Base, when set, is image.base: "scratch" or NAME[:TAG], pinned by
	// digest in the oci lockfile lockfiles/base.txt once `dist lock add`
	// has run. Either Repository or Base scaffolds an image: section;
	// without Base, a pypi image starts from DefaultPythonBase and the
	// others from scratch.
	Base string
	// DryRun reports what Init would write and writes nothing.
	DryRun bool
}

// DefaultPythonBase is the base of a pypi distribution's image when
// --base is not given: the official image whose Python matches the
// scaffold's python_version, which dist build reads the layout of.
const DefaultPythonBase = "docker.io/library/python:3.12-slim"

// Result lists what Init did with each file, as dist init --json prints
// it. Paths are slash-separated, relative to Dir.
type Result struct {
	// Dir is the repository's directory, absolute.
	Dir string `json:"dir"`
	// Files are the files written (with DryRun, that would be).
	Files []string `json:"files"`
	// Kept are the files that already existed, left alone.
	Kept   []string `json:"kept"`
	DryRun bool     `json:"dry_run,omitempty"`
	// Next are the commands that complete the scaffold (pinning the base
	// image, the first pins), shown when dist.yaml is written.
	Next []string `json:"next,omitempty"`
}

// file is one file of the scaffold. A shaped file (a lockfile, the
// template) is there for the scaffold's own dist.yaml to name: it is left
// out when a dist.yaml exists, which would not name it.
type file struct {
	path, body string
	shaped     bool
}

// Init writes the skeleton of a distribution into dir, as o shapes it.
// An existing file is never overwritten, so that dist init in a
// repository that has a dist.yaml changes nothing of it; the files every
// distribution has (VERSION, CHANGELOG.md, .gitignore) are still created,
// and the lockfiles and template that only the scaffold's dist.yaml would
// name are not. Errors: a *failure.UsageError for options that cannot be
// scaffolded, else the filesystem's.
func Init(dir string, o Options) (*Result, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = filepath.Base(abs)
	}
	files, next, err := skeleton(o)
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: abs, Files: []string{}, Kept: []string{}, DryRun: o.DryRun}
	if !o.DryRun {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	keptManifest := false
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if _, err := os.Lstat(p); err == nil {
			res.Kept = append(res.Kept, f.path)
			keptManifest = keptManifest || f.path == "dist.yaml"
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return res, err
		}
		if f.shaped && keptManifest {
			continue
		}
		if f.path == "dist.yaml" {
			res.Next = next
		}
		if o.DryRun {
			res.Files = append(res.Files, f.path)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return res, err
		}
		if err := atomicfile.WriteFile(p, []byte(f.body), 0o644); err != nil {
			return res, err
		}
		res.Files = append(res.Files, f.path)
	}
	return res, nil
}

// skeleton is the scaffold o asks for: its files, and the commands that
// complete it (Result.Next). Options that cannot be scaffolded are a
// *failure.UsageError.
func skeleton(o Options) ([]file, []string, error) {
	d := data{Name: quote(o.Name), RawName: o.Name, Image: o.Repository != "" || o.Base != ""}
	if strings.TrimSpace(o.Name) == "" {
		return nil, nil, failure.Usagef("--name: a distribution needs a name")
	}
	switch o.Ecosystem {
	case "", source.PyPI:
		d.Ecosystem = source.PyPI
		d.Index = quote(firstNonEmpty(o.IndexURL, "https://pypi.org/simple"))
	case source.GoMod:
		d.Ecosystem = source.GoMod
		if o.IndexURL != "" {
			d.Index = quote(o.IndexURL)
		}
	case source.OCI:
		d.Ecosystem = source.OCI
		if o.IndexURL != "" {
			return nil, nil, failure.Usagef("--index-url is for pypi and gomod lockfiles: an oci lockfile pins images from the registry its names say")
		}
	default:
		return nil, nil, failure.Usagef("--ecosystem %q: want %s", o.Ecosystem, strings.Join(source.Ecosystems, ", "))
	}
	if err := checkIndex(d.Ecosystem, o.IndexURL); err != nil {
		return nil, nil, err
	}

	var next []string
	if d.Image {
		if o.Repository != "" {
			if err := checkRepository(o.Repository); err != nil {
				return nil, nil, err
			}
			d.Repository = quote(o.Repository)
		}
		b := o.Base
		if b == "" && d.Ecosystem == source.PyPI {
			b = DefaultPythonBase
		}
		if b == "" {
			b = "scratch"
		}
		if err := checkBase(b); err != nil {
			return nil, nil, err
		}
		d.Base = quote(b)
		d.PinnedBase = b != "scratch"
		if d.PinnedBase {
			// The oci lockfile that pins the base by digest: the first
			// lockfile itself for --ecosystem oci.
			d.BaseLock = d.Ecosystem != source.OCI
			next = append(next, "dist lock add -f lockfiles/base.txt "+b)
		}
	}
	switch d.Ecosystem {
	case source.PyPI:
		next = append(next, "dist lock add -f lockfiles/default.txt NAME==VERSION   # the components you ship; what they require goes to constraints.txt")
	case source.GoMod:
		next = append(next, "dist lock add -f lockfiles/go.txt MODULE@VERSION   # the server's module, then image.go.main")
	case source.OCI:
		if !d.PinnedBase {
			next = append(next, "dist lock add -f lockfiles/base.txt IMAGE:TAG")
		}
	}

	var manifest bytes.Buffer
	if err := manifestTmpl.Execute(&manifest, d); err != nil {
		return nil, nil, err
	}
	// dist.yaml first: whether it is kept decides the shaped files.
	files := []file{
		{"dist.yaml", manifest.String(), false},
		{"VERSION", "0.1.0.dev0\n", false},
		{"CHANGELOG.md", "# Changelog\n\n## 0.1.0 (unreleased)\n\n- Nothing changed yet.\n", false},
	}
	switch d.Ecosystem {
	case source.PyPI:
		files = append(files,
			file{"lockfiles/default.txt", "# Hashed pins: edit with `dist lock add` and `dist lock upgrade`.\n", true},
			file{"lockfiles/constraints.txt", "# What the pins in default.txt pull in, resolved by dist (do not edit by hand).\n", true})
	case source.GoMod:
		files = append(files, file{"lockfiles/go.txt", "# Go modules pinned by their go.sum hash: edit with `dist lock add` and `dist lock upgrade`.\n", true})
	}
	if d.Ecosystem == source.OCI || d.BaseLock {
		files = append(files, file{"lockfiles/base.txt", "# Images pinned by digest: edit with `dist lock add` and `dist lock upgrade`.\n", true})
	}
	files = append(files,
		file{"templates/example.ini.tmpl", exampleTmpl, true},
		// dist build writes build/oci (its default output) and dist
		// bundle build/NAME-VERSION.tar.gz: both are under build/.
		file{".gitignore", "# dist build (build/oci) and dist bundle (build/NAME-VERSION.tar.gz)\n/build/\n", false})
	return files, next, nil
}

// checkIndex refuses an index URL that pip or the go command would not
// take: pypi's is an http(s) URL; gomod's a GOPROXY list of such URLs,
// file:// URLs, "direct" and "off".
func checkIndex(eco, index string) error {
	if index == "" {
		return nil
	}
	bad := func(why string) error {
		return failure.Usagef("--index-url %s: %s", redact.URL(index), why)
	}
	if eco == source.PyPI {
		u, err := url.Parse(index)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("want an http(s) URL of a PEP 503/691 index, e.g. https://pypi.org/simple")
		}
		return nil
	}
	for _, part := range strings.FieldsFunc(index, func(r rune) bool { return r == ',' || r == '|' }) {
		if part == "direct" || part == "off" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || !(u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "file") || (u.Scheme != "file" && u.Host == "") {
			return bad("want a GOPROXY list: URLs, direct or off, separated by , or |")
		}
	}
	return nil
}

func checkRepository(repo string) error {
	if _, err := name.NewRepository(repo); err != nil {
		return failure.Usagef("--image %s: want a repository without a tag, e.g. ghcr.io/OWNER/NAME: %w", repo, err)
	}
	return nil
}

func checkBase(b string) error {
	if b == "scratch" {
		return nil
	}
	if strings.Contains(b, "@") {
		return failure.Usagef("--base %s: give NAME[:TAG]; dist lock add pins its digest in lockfiles/base.txt", b)
	}
	if _, err := name.NewTag(b); err != nil {
		return failure.Usagef("--base %s: want scratch or NAME[:TAG], e.g. %s: %w", b, DefaultPythonBase, err)
	}
	return nil
}

// quote writes s as a YAML scalar: plain when that reads back as the same
// string, quoted otherwise (a name with ": " or a leading "*").
func quote(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// data fills manifestTmpl; string fields are YAML scalars already, but
// RawName, which goes in comments.
type data struct {
	RawName                string
	Name, Ecosystem, Index string
	Image                  bool
	Repository, Base       string
	PinnedBase, BaseLock   bool
}

var manifestTmpl = template.Must(template.New("dist.yaml").Parse(`# dist.yaml: the distribution's manifest. Every key: dist's README, "dist.yaml reference".
name: {{.Name}}
changelog: CHANGELOG.md
version_file: VERSION
tag_format: "{version}"
release_branches: [main, master, "*.x"]
lockfiles:
{{- if eq .Ecosystem "pypi"}}
  # The components you pin (dist lock add NAME); what they pull in is
  # resolved into the dependencies: lockfile, each pin with a "# via" note.
  - path: lockfiles/default.txt
    ecosystem: pypi
    index: {{.Index}}
    python_version: ["3.12"]
    dependencies: lockfiles/constraints.txt
  - path: lockfiles/constraints.txt
    ecosystem: pypi
    index: {{.Index}}
    python_version: ["3.12"]
{{- else if eq .Ecosystem "gomod"}}
  # Go modules (dist lock add MODULE@VERSION), hashed as go.sum does; the
  # server's module and, resolved, every module it requires.
  - path: lockfiles/go.txt
    ecosystem: gomod
{{- if .Index}}
    index: {{.Index}}    # GOPROXY for this lockfile
{{- end}}
{{- else}}
  # Images pinned by digest (dist lock add IMAGE:TAG).
  - path: lockfiles/base.txt
    ecosystem: oci
{{- end}}
{{- if .BaseLock}}
  # The base image, pinned by digest (dist lock add -f lockfiles/base.txt IMAGE:TAG).
  - path: lockfiles/base.txt
    ecosystem: oci
{{- end}}
configs:
  - template: templates/example.ini.tmpl
    output: config/example.ini
{{- if .Image}}
image:
{{- if .Repository}}
  repository: {{.Repository}}   # where dist release pushes
{{- end}}
  base: {{.Base}}
  platforms: [linux/amd64]
  # The process runs as this user; every file in the image stays root's.
  user: "65532"
{{- if eq .Ecosystem "pypi"}}
  # python: where wheels go. Unset, dist build reads it from the base
  # (an official python image: /usr/local/lib/pythonX.Y/site-packages).
  # python: {site_packages: /usr/local/lib/python3.12/site-packages, interpreter: /usr/local/bin/python3, version: "3.12"}
  # entrypoint: ["SERVER", "--config", "/etc/{{.RawName}}/example.ini"]
{{- else if eq .Ecosystem "gomod"}}
  # go: the main package dist build compiles, from the module go.txt pins.
  # go: {main: MODULE/cmd/SERVER}
  # entrypoint: ["/usr/local/bin/SERVER"]
{{- end}}
{{- end}}
`))

const exampleTmpl = `# Example configuration for {{ .Name }} {{ .Version }}.
[app:main]
# Add the settings your server reads here.
`
