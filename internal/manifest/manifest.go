// Package manifest loads dist.yaml: strictly (an unknown key or a wrong type
// is an error naming file and line), with defaults filled in and paths kept
// relative to the repository root.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/policy"
	"github.com/distbuild/dist/internal/source"
)

// FileName is the manifest's name at the repository root.
const FileName = "dist.yaml"

// Manifest is dist.yaml.
type Manifest struct {
	Name            string            `yaml:"name"`
	Changelog       string            `yaml:"changelog"`
	VersionFile     string            `yaml:"version_file"`
	TagFormat       string            `yaml:"tag_format"`
	DevMarker       string            `yaml:"dev_marker"`
	ReleaseBranches []string          `yaml:"release_branches"`
	Lockfiles       []Lockfile        `yaml:"lockfiles"`
	Configs         []Config          `yaml:"configs"`
	Vars            map[string]string `yaml:"vars"`
	Image           *Image            `yaml:"image"`
	GitHub          *GitHub           `yaml:"github"`
	Policy          Policy            `yaml:"policy"`
	// Channels are the image's channels (channels.go).
	Channels Channels `yaml:"channels"`

	// Dir is the repository root the manifest was loaded from.
	Dir string `yaml:"-"`
	// Path is the manifest's path as shown in errors.
	Path string `yaml:"-"`

	// paths is every repository path dist.yaml names, with its key and
	// line, so that Resolve can say where a path that escapes was written.
	paths []namedPath
}

// namedPath is one repository path named in dist.yaml.
type namedPath struct {
	Key  string // as in errors: "image.env_file", "changelog", ...
	Rel  string
	Line int
}

// Lockfile is one entry of lockfiles:.
type Lockfile struct {
	Path      string `yaml:"path"`
	Ecosystem string `yaml:"ecosystem"`
	Index     string `yaml:"index"`
	// PythonVersion and Platform narrow the pypi files pinned, as hashin's
	// --python-version and --platform do.
	PythonVersion []string `yaml:"python_version"`
	Platform      []string `yaml:"platform"`
	// Dependencies names the pypi lockfile that receives what this
	// lockfile's pins pull in (kinto-dist's default.txt and
	// constraints.txt): the pins asked for stay here, their resolved
	// dependencies go there. Empty: both in this file.
	Dependencies string `yaml:"dependencies"`
	// Wheelhouse is a folder of wheels built elsewhere (pip wheel) for
	// projects the index has only as sdists; its files are offered beside
	// the index's and pinned by hash like them.
	Wheelhouse string `yaml:"wheelhouse"`
	Line       int    `yaml:"-"`
	// Root is the repository root (Manifest.Dir) that Path and Wheelhouse
	// are relative to, set by Load, so that whoever is handed one lockfile
	// can find its files.
	Root string `yaml:"-"`
}

// WheelhouseDir returns the wheelhouse folder under Root, "" when the
// lockfile names none.
func (l *Lockfile) WheelhouseDir() string {
	if l.Wheelhouse == "" {
		return ""
	}
	return filepath.Join(l.Root, l.Wheelhouse)
}

// Policy is dist.yaml's policy: section: rule names with their levels
// ("dependency-added: patch"), and below_1_0, a map of ecosystems to the
// level a 0.x version's leftmost move gets ("below_1_0: {gomod: minor}").
// policy.ParseRules reads and checks the values.
type Policy struct {
	Levels map[string]string
	Below1 map[string]string
}

// UnmarshalYAML reads the section's one map of two kinds of value, with
// the line of a value of the wrong shape.
func (p *Policy) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: policy: want a map of rule names to levels", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == policy.Below1Key {
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: policy: %s: want a map of ecosystems to levels, such as {gomod: minor}", v.Line, k.Value)
			}
			if err := v.Decode(&p.Below1); err != nil {
				return err
			}
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: policy: %s: want a level (major, minor, patch or none)", v.Line, k.Value)
		}
		if p.Levels == nil {
			p.Levels = map[string]string{}
		}
		p.Levels[k.Value] = v.Value
	}
	return nil
}

// Config is one template rendered to an example config.
type Config struct {
	Template string `yaml:"template"`
	Output   string `yaml:"output"`
	// Format is how dist reads the output for the config diff: ini, env,
	// yaml, toml, json, or none (rendered, not read). Empty: from the
	// output's extension (configdiff.For).
	Format string `yaml:"format"`
	Line   int    `yaml:"-"`
}

// Image describes the container image.
type Image struct {
	Repository string            `yaml:"repository"`
	Base       string            `yaml:"base"`
	Platforms  []string          `yaml:"platforms"`
	Entrypoint []string          `yaml:"entrypoint"`
	Cmd        []string          `yaml:"cmd"`
	Env        map[string]string `yaml:"env"`
	// EnvFile is a rendered env file (KEY=VALUE lines) whose settings
	// become the image's environment, so that a server configured by
	// environment starts with the repository's example settings. Keys in
	// env: win.
	EnvFile string            `yaml:"env_file"`
	Workdir string            `yaml:"workdir"`
	User    string            `yaml:"user"`
	Ports   []string          `yaml:"ports"`
	Labels  map[string]string `yaml:"labels"`
	Files   []FileCopy        `yaml:"files"`
	Python  *Python           `yaml:"python"`
	Go      *GoBuild          `yaml:"go"`
}

// FileCopy copies a repository path into the image.
type FileCopy struct {
	Src string `yaml:"src"`
	Dst string `yaml:"dst"`
}

// Python says where wheels go in the base image, and for which Python.
type Python struct {
	SitePackages string `yaml:"site_packages"`
	Interpreter  string `yaml:"interpreter"`
	// Version is the image's Python, "3.12" or "3.12.4": the version
	// environment markers and wheel tags are judged against. Empty: read
	// from the base image, else from the paths above.
	Version string `yaml:"version"`
}

// GoBuild names the main package of a gomod server.
type GoBuild struct {
	Main string `yaml:"main"`
	Path string `yaml:"path"`
}

// GitHub configures release drafts.
type GitHub struct {
	Repository string `yaml:"repository"`
	APIURL     string `yaml:"api_url"`
	TokenEnv   string `yaml:"token_env"`
}

// ErrNotFound is returned by Load when dir has no dist.yaml: a usage error
// (*failure.UsageError), since dist was started in the wrong place.
var ErrNotFound = failure.Usage(errors.New("no " + FileName + " found (run dist init, or use -C DIR)"))

// Load reads dir/dist.yaml. Every error is a usage or configuration one:
// ErrNotFound, or an *fileerr.Error (several joined when YAML reports several).
func Load(dir string) (*Manifest, error) {
	p := filepath.Join(dir, FileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		msg := err.Error()
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &fileerr.Error{Path: FileName, Msg: msg, Err: err}
	}
	m, err := Parse(FileName, data)
	if err != nil {
		return nil, err
	}
	m.Dir = dir
	for i := range m.Lockfiles {
		m.Lockfiles[i].Root = dir
	}
	return m, nil
}

var unknownField = regexp.MustCompile(`^field (\S+) not found in type .*$`)

// Parse decodes and validates a manifest; path is used in errors.
func Parse(path string, data []byte) (*Manifest, error) {
	m := &Manifest{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(m); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(path, err)
	}
	if line, ok := secondDocument(data); ok {
		return nil, &fileerr.Error{Path: path, Line: line, Msg: "a second YAML document (after ---): " + FileName + " must be a single document"}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		for i := range m.Lockfiles {
			m.Lockfiles[i].Line = lineOf(&root, "lockfiles", i)
		}
		for i := range m.Configs {
			m.Configs[i].Line = lineOf(&root, "configs", i)
		}
	}
	m.Path = path
	m.defaults()
	m.paths = m.namedPaths(&root)
	if err := m.validate(&root); err != nil {
		return nil, err
	}
	return m, nil
}

// yamlError turns yaml.v3's messages into "file:line: message", one *fileerr.Error
// per problem, joined, so that every error reads the same.
func yamlError(path string, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []error
	for _, s := range msgs {
		e := fileerr.FromYAML(path, s)
		if m := unknownField.FindStringSubmatch(e.Msg); m != nil {
			e.Msg = fmt.Sprintf("unknown key %q", m[1])
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// lineOf finds the line of root[key][i] in a parsed document.
func lineOf(root *yaml.Node, key string, i int) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return 0
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			seq := n.Content[k+1]
			if seq.Kind == yaml.SequenceNode && i >= 0 && i < len(seq.Content) {
				return seq.Content[i].Line
			}
			return seq.Line
		}
	}
	return 0
}

func (m *Manifest) defaults() {
	if m.Changelog == "" {
		m.Changelog = "CHANGELOG.md"
	}
	if m.VersionFile == "" {
		m.VersionFile = "VERSION"
	}
	if m.TagFormat == "" {
		m.TagFormat = "{version}"
	}
	if m.DevMarker == "" {
		m.DevMarker = ".dev0"
	}
	if len(m.ReleaseBranches) == 0 {
		m.ReleaseBranches = []string{"main", "master", "*.x"}
	}
}

func (m *Manifest) validate(root *yaml.Node) error {
	bad := func(line int, format string, args ...any) error {
		return fileerr.New(m.Path, line, format, args...)
	}
	// wrap is bad for a message with a cause: format has one %w.
	wrap := func(line int, format string, args ...any) error {
		return fileerr.Wrap(m.Path, line, fmt.Errorf(format, args...))
	}
	if m.Name == "" {
		return bad(0, "name is required")
	}
	if !strings.Contains(m.TagFormat, "{version}") {
		return bad(0, "tag_format %q must contain {version}", m.TagFormat)
	}
	seen := map[string]bool{}
	for _, l := range m.Lockfiles {
		if l.Path == "" {
			return bad(l.Line, "lockfile without a path")
		}
		if err := checkRelative(l.Path); err != nil {
			return wrap(l.Line, "lockfile %s: %w", l.Path, err)
		}
		if seen[filepath.Clean(l.Path)] {
			return bad(l.Line, "lockfile %s is listed twice", l.Path)
		}
		seen[filepath.Clean(l.Path)] = true
		known := false
		for _, e := range source.Ecosystems {
			known = known || e == l.Ecosystem
		}
		if !known {
			return bad(l.Line, "lockfile %s: unknown ecosystem %q (want %s)", l.Path, l.Ecosystem, strings.Join(source.Ecosystems, ", "))
		}
		if l.Wheelhouse != "" {
			if l.Ecosystem != source.PyPI {
				return bad(l.Line, "lockfile %s: wheelhouse is for pypi lockfiles", l.Path)
			}
			if err := checkRelative(l.Wheelhouse); err != nil {
				return wrap(l.Line, "lockfile %s: wheelhouse %s: %w", l.Path, l.Wheelhouse, err)
			}
		}
	}
	// A dependencies: file must be another pypi lockfile of the list, and
	// hold only dependencies: a chain would leave its middle file both.
	for _, l := range m.Lockfiles {
		if l.Dependencies == "" {
			continue
		}
		if l.Ecosystem != source.PyPI {
			return bad(l.Line, "lockfile %s: dependencies is for pypi lockfiles", l.Path)
		}
		d := m.findLockfile(l.Dependencies)
		switch {
		case d == nil:
			return bad(l.Line, "lockfile %s: dependencies %s is not listed under lockfiles:", l.Path, l.Dependencies)
		case filepath.Clean(d.Path) == filepath.Clean(l.Path):
			return bad(l.Line, "lockfile %s: dependencies names the lockfile itself", l.Path)
		case d.Ecosystem != source.PyPI:
			return bad(l.Line, "lockfile %s: dependencies %s is not a pypi lockfile", l.Path, l.Dependencies)
		case d.Dependencies != "":
			return bad(l.Line, "lockfile %s: dependencies %s names dependencies of its own", l.Path, l.Dependencies)
		}
	}
	if m.Image != nil && m.Image.Python != nil && m.Image.Python.Version != "" && !pythonVersionRE.MatchString(m.Image.Python.Version) {
		return bad(lineOf(root, "image", -1), "image.python.version %q: want X.Y or X.Y.Z", m.Image.Python.Version)
	}
	for i, c := range m.Configs {
		if c.Template == "" || c.Output == "" {
			return bad(c.Line, "a config needs both template and output")
		}
		if c.Format != "" {
			if _, err := configdiff.FormatNamed(c.Format); err != nil {
				return wrap(lineAt(root, "configs", i, "format"), "config %s: format: %w", c.Output, err)
			}
		}
		for _, p := range []string{c.Template, c.Output} {
			if err := checkRelative(p); err != nil {
				return wrap(c.Line, "%s: %w", p, err)
			}
		}
	}
	for _, p := range m.paths {
		if err := checkRelative(filepath.FromSlash(p.Rel)); err != nil {
			return wrap(p.Line, "%s %s: %w", p.Key, p.Rel, err)
		}
	}
	if _, err := policy.ParseRules(m.Policy.Levels, m.Policy.Below1); err != nil {
		return fileerr.Wrap(m.Path, lineOf(root, "policy", -1), err)
	}
	return m.Channels.validate(m, lineAt(root, "channels"))
}

var pythonVersionRE = regexp.MustCompile(`^3\.\d+(\.\d+)?$`)

func (m *Manifest) findLockfile(p string) *Lockfile {
	for i := range m.Lockfiles {
		if filepath.Clean(m.Lockfiles[i].Path) == filepath.Clean(p) {
			return &m.Lockfiles[i]
		}
	}
	return nil
}

// DependentsOf returns the lockfiles whose dependencies: names l.
func (m *Manifest) DependentsOf(l *Lockfile) []*Lockfile {
	var out []*Lockfile
	for i := range m.Lockfiles {
		if d := m.Lockfiles[i].Dependencies; d != "" && filepath.Clean(d) == filepath.Clean(l.Path) {
			out = append(out, &m.Lockfiles[i])
		}
	}
	return out
}

// DependenciesOf returns the lockfile that receives l's dependencies: the
// one its dependencies: names, else l itself.
func (m *Manifest) DependenciesOf(l *Lockfile) *Lockfile {
	if l.Dependencies != "" {
		if d := m.findLockfile(l.Dependencies); d != nil {
			return d
		}
	}
	return l
}

// checkRelative refuses paths that leave the repository.
func checkRelative(p string) error {
	if filepath.IsAbs(p) {
		return errors.New("must be relative to the repository root")
	}
	c := filepath.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return errors.New("is outside the repository")
	}
	return nil
}

// Abs returns a manifest-relative path as a path on disk.
func (m *Manifest) Abs(rel string) string { return filepath.Join(m.Dir, rel) }

// ImageRepository is image.repository, where the image is pushed and the
// channels are tags: "" when dist.yaml names none.
func (m *Manifest) ImageRepository() string {
	if m.Image == nil {
		return ""
	}
	return m.Image.Repository
}

// Lockfile returns the lockfile entry for a path given on the command line
// (relative to the repository root or to the current directory).
func (m *Manifest) Lockfile(path string) (*Lockfile, error) {
	want := filepath.Clean(path)
	for i := range m.Lockfiles {
		l := &m.Lockfiles[i]
		if filepath.Clean(l.Path) == want {
			return l, nil
		}
		if abs, err := filepath.Abs(path); err == nil {
			if a2, err := filepath.Abs(m.Abs(l.Path)); err == nil && a2 == abs {
				return l, nil
			}
		}
	}
	return nil, &fileerr.Error{Path: m.Path, Msg: fmt.Sprintf("%s is not listed under lockfiles:", path)}
}

// secondDocument reports whether data holds more than one YAML document,
// and the line where the second begins: dist.yaml is one document, and
// anything after a --- would otherwise be silently ignored.
func secondDocument(data []byte) (int, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first, second yaml.Node
	if err := dec.Decode(&first); err != nil {
		return 0, false
	}
	err := dec.Decode(&second)
	if errors.Is(err, io.EOF) {
		return 0, false
	}
	// Find the marker: "---" (or, after a "...", the first content) that
	// follows the first document's content.
	marker := func(l, m string) bool {
		return strings.HasPrefix(l, m) && (len(l) == len(m) || strings.ContainsRune(" \t\r", rune(l[len(m)])))
	}
	content, ended := false, false
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case marker(l, "---"):
			if content || ended {
				return i + 1, true
			}
			content = true // the first document's explicit start
		case marker(l, "..."):
			ended = true
		case t == "" || strings.HasPrefix(t, "#") || (!content && strings.HasPrefix(t, "%")):
		default:
			if ended {
				return i + 1, true
			}
			content = true
		}
	}
	if err == nil && second.Line > 0 {
		return second.Line, true
	}
	return 0, true
}

// lineAt finds the line of a value in a parsed document by its keys, an
// int key indexing a sequence; 0 when it is not there. It falls back to
// the deepest key found, so that a default still points somewhere near.
func lineAt(root *yaml.Node, keys ...any) int {
	n := root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, k := range keys {
		var next *yaml.Node
		switch k := k.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// namedPaths lists every repository path dist.yaml names.
func (m *Manifest) namedPaths(root *yaml.Node) []namedPath {
	var out []namedPath
	add := func(key, rel string, line int) {
		if rel != "" {
			out = append(out, namedPath{Key: key, Rel: rel, Line: line})
		}
	}
	add("changelog", m.Changelog, lineAt(root, "changelog"))
	add("version_file", m.VersionFile, lineAt(root, "version_file"))
	for _, l := range m.Lockfiles {
		add("lockfile", l.Path, l.Line)
		add("wheelhouse", l.Wheelhouse, l.Line)
		add("dependencies", l.Dependencies, l.Line)
	}
	for _, c := range m.Configs {
		add("config template", c.Template, c.Line)
		add("config output", c.Output, c.Line)
	}
	if m.Image != nil {
		add("image.env_file", m.Image.EnvFile, lineAt(root, "image", "env_file"))
		for i, f := range m.Image.Files {
			add("image.files", f.Src, lineAt(root, "image", "files", i))
		}
	}
	return out
}

// named returns the key and line that name rel in dist.yaml: under key
// when one is given (a path may be named by two keys), else the first.
func (m *Manifest) named(key, rel string) namedPath {
	c := filepath.Clean(filepath.FromSlash(rel))
	for _, p := range m.paths {
		if (key == "" || p.Key == key) && filepath.Clean(filepath.FromSlash(p.Rel)) == c {
			return p
		}
	}
	if key != "" {
		return m.named("", rel)
	}
	return namedPath{Key: "path", Rel: rel}
}

// Resolve returns the file on disk a repository path of dist.yaml names,
// with every symbolic link resolved, and refuses (a *fileerr.Error at the
// line of its key, exit 2) a path that leads outside the repository
// (m.Dir, itself resolved), whether by .. or through a link. A path that
// does not exist (yet) resolves as far as it exists; the caller's open
// then says it is missing. A release build's Dir is its export of the
// tagged commit: the same holds there.
func (m *Manifest) Resolve(rel string) (string, error) { return m.ResolveKey("", rel) }

// ResolveKey is Resolve for the path dist.yaml names under key
// ("image.env_file", "image.files", "config template", "config output",
// "lockfile", "changelog", "version_file", "wheelhouse"), so that an
// error points at that key's line.
func (m *Manifest) ResolveKey(key, rel string) (string, error) {
	np := m.named(key, rel)
	bad := func(err error) error {
		return fileerr.Wrap(m.Path, np.Line, fmt.Errorf("%s %s: %w", np.Key, rel, err))
	}
	if err := checkRelative(filepath.FromSlash(rel)); err != nil {
		return "", bad(err)
	}
	root, err := filepath.Abs(m.Dir)
	if err != nil {
		return "", err
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return "", err
	}
	real, err := evalMissing(filepath.Join(root, filepath.FromSlash(rel)), 0)
	if err != nil {
		return "", bad(err)
	}
	if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", bad(fmt.Errorf("leads outside the repository (to %s)", real))
	}
	return real, nil
}

// Checked is m.Abs(rel), the path as dist shows it in messages, once
// ResolveKey has accepted it: for readers that open the path themselves
// (a changelog, a lockfile) and name it in their errors.
func (m *Manifest) Checked(key, rel string) (string, error) {
	if _, err := m.ResolveKey(key, rel); err != nil {
		return "", err
	}
	return m.Abs(rel), nil
}

// ReadLockfile reads the lockfile at rel after Checked: its path as dist
// shows it, and its content, nil for a lockfile that does not exist yet
// (lock add creates it).
func (m *Manifest) ReadLockfile(rel string) (abs string, data []byte, err error) {
	if abs, err = m.Checked("lockfile", rel); err != nil {
		return "", nil, err
	}
	data, err = os.ReadFile(abs)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", nil, err
	}
	return abs, data, nil
}

// ReadFile reads a repository path of dist.yaml after Resolve.
func (m *Manifest) ReadFile(rel string) ([]byte, error) { return m.ReadFileKey("", rel) }

// ReadFileKey reads a repository path of dist.yaml after ResolveKey.
func (m *Manifest) ReadFileKey(key, rel string) ([]byte, error) {
	p, err := m.ResolveKey(key, rel)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// evalMissing is filepath.EvalSymlinks for a path whose last parts may
// not exist: those are kept as they are, under their resolved parent; a
// dangling link is followed to where it points, since writing through it
// would create its target.
func evalMissing(p string, depth int) (string, error) {
	if depth > 64 {
		return "", errors.New("too many levels of symbolic links")
	}
	real, err := filepath.EvalSymlinks(p)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return real, err
	}
	dir := filepath.Dir(p)
	if dir == p {
		return p, nil
	}
	parent, err := evalMissing(dir, depth)
	if err != nil {
		return "", err
	}
	q := filepath.Join(parent, filepath.Base(p))
	if fi, lerr := os.Lstat(q); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(q)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(parent, target)
		}
		return evalMissing(target, depth+1)
	}
	return q, nil
}
