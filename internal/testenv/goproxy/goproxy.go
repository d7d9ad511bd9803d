// Package goproxy is a module proxy for tests: it builds real module zips
// from a few files, lays them out as a GOPROXY directory, serves that
// directory over HTTP on 127.0.0.1, and signs their hashes in a checksum
// database, so that both dist and the go command can be pointed at it.
package goproxy

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
	modzip "golang.org/x/mod/zip"
)

// SumDBName is the name of the checksum database every Proxy serves.
const SumDBName = "sumdb.goproxy.test"

// Module is one version of one module.
type Module struct {
	Path    string
	Version string
	// Files maps slash-separated paths, relative to the module root, to
	// their content. A go.mod built from Go and Requires is added when
	// Files has none, and a one-line Go file when Files has no .go file.
	Files map[string]string
	// Requires lists "path version" (or "path@version") pairs for the
	// generated go.mod.
	Requires []string
	// Go is the go directive of the generated go.mod; 1.21 when empty.
	Go string
	// Time is what .info reports; a fixed time when zero.
	Time time.Time
}

// GoMod returns the module's go.mod as served by .mod.
func (m Module) GoMod() string {
	if gm, ok := m.Files["go.mod"]; ok {
		return gm
	}
	goVersion := m.Go
	if goVersion == "" {
		goVersion = "1.21"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n", m.Path, goVersion)
	if len(m.Requires) > 0 {
		b.WriteString("\nrequire (\n")
		for _, r := range m.Requires {
			fmt.Fprintf(&b, "\t%s\n", strings.Replace(r, "@", " ", 1))
		}
		b.WriteString(")\n")
	}
	return b.String()
}

func (m Module) files() map[string]string {
	out := map[string]string{"go.mod": m.GoMod()}
	hasGo := false
	for name, content := range m.Files {
		out[name] = content
		if strings.HasSuffix(name, ".go") {
			hasGo = true
		}
	}
	if !hasGo {
		out["doc.go"] = "package " + packageName(m.Path) + "\n"
	}
	return out
}

// packageName derives a valid package identifier from the last element of
// a module path, ignoring a /vN major suffix.
func packageName(modPath string) string {
	prefix, _, _ := module.SplitPathVersion(modPath)
	elem := path.Base(prefix)
	var b strings.Builder
	for _, r := range elem {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "pkg"
	}
	return b.String()
}

// built is a module as written: the bytes the checksum database vouches
// for, kept apart from the files on disk so that Tamper can make them differ.
type built struct {
	zipSum, modSum string
}

// Proxy is a running test proxy.
type Proxy struct {
	// URL serves the GOPROXY protocol: use it as GOPROXY.
	URL string
	// Dir holds the same files: use FileURL() as GOPROXY.
	Dir string
	// SumDB is a GOSUMDB value (a verifier key) for the checksum database
	// served under URL/sumdb/SumDBName, which the go command and dist find
	// through GOPROXY=URL.
	SumDB string

	server *httptest.Server
	sumdb  *sumdb.Server

	mu       sync.Mutex
	modules  map[module.Version]built
	requests map[string]int
	failN    int
	failCode int
}

// Start writes modules and serves them until the test ends.
func Start(t testing.TB, modules ...Module) *Proxy {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, SumDBName)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{
		Dir:      t.TempDir(),
		SumDB:    vkey,
		modules:  map[module.Version]built{},
		requests: map[string]int{},
	}
	p.sumdb = sumdb.NewServer(sumdb.NewTestServer(skey, p.gosum))
	p.Add(t, modules...)
	p.server = httptest.NewServer(p)
	t.Cleanup(p.server.Close)
	p.URL = p.server.URL
	return p
}

// FileURL returns the file:// URL of Dir.
func (p *Proxy) FileURL() string { return "file://" + filepath.ToSlash(p.Dir) }

// Add publishes more module versions, as a proxy does when a module is tagged.
func (p *Proxy) Add(t testing.TB, modules ...Module) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range modules {
		b, err := write(p.Dir, m)
		if err != nil {
			t.Fatal(err)
		}
		p.modules[module.Version{Path: m.Path, Version: m.Version}] = b
	}
	if err := writeIndexes(p.Dir, modules); err != nil {
		t.Fatal(err)
	}
}

// WriteDir lays modules out in dir as a GOPROXY=file://dir directory.
func WriteDir(t testing.TB, dir string, modules ...Module) {
	t.Helper()
	for _, m := range modules {
		if _, err := write(dir, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeIndexes(dir, modules); err != nil {
		t.Fatal(err)
	}
}

// Tamper replaces the zip served for path@version with one holding an extra
// file, after the checksum database recorded the original's hash, to stand
// for a proxy that serves other bytes than the module author published.
func (p *Proxy) Tamper(t testing.TB, modPath, version string) {
	t.Helper()
	m := Module{Path: modPath, Version: version}
	dir, err := versionDir(p.Dir, modPath)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := module.EscapeVersion(version)
	mod, err := os.ReadFile(filepath.Join(dir, ev+".mod"))
	if err != nil {
		t.Fatal(err)
	}
	m.Files = map[string]string{"go.mod": string(mod), "evil.go": "package evil\n"}
	zipBytes, err := buildZip(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ev+".zip"), zipBytes, 0o644); err != nil {
		t.Fatal(err)
	}
}

// FailNext makes the next n requests answer 500.
func (p *Proxy) FailNext(n int) { p.FailNextStatus(n, http.StatusInternalServerError) }

// FailNextStatus makes the next n requests answer status.
func (p *Proxy) FailNextStatus(n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failN, p.failCode = n, status
}

// Requests reports how many requests reached urlPath (such as
// "/example.com/a/@v/list"), failed ones included.
func (p *Proxy) Requests(urlPath string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[urlPath]
}

// ModulePath returns the URL path of a module file, escaped as the protocol
// wants: suffix is "list", "latest" or a version's ".info", ".mod", ".zip".
// ModulePath("example.com/A", "v1.0.0.zip") is "/example.com/!a/@v/v1.0.0.zip".
func ModulePath(modPath, suffix string) string {
	ep, err := module.EscapePath(modPath)
	if err != nil {
		panic(err)
	}
	if suffix == "latest" {
		return "/" + ep + "/@latest"
	}
	if suffix != "list" {
		ext := path.Ext(suffix)
		ev, err := module.EscapeVersion(strings.TrimSuffix(suffix, ext))
		if err != nil {
			panic(err)
		}
		suffix = ev + ext
	}
	return "/" + ep + "/@v/" + suffix
}

// ServeHTTP answers the GOPROXY protocol from Dir, and the checksum
// database under /sumdb/SumDBName/.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests[r.URL.Path]++
	fail := p.failN > 0
	if fail {
		p.failN--
	}
	code := p.failCode
	p.mu.Unlock()
	if fail {
		http.Error(w, "injected failure", code)
		return
	}

	if rest, ok := strings.CutPrefix(r.URL.Path, "/sumdb/"+SumDBName+"/"); ok {
		if rest == "supported" {
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rest
		p.sumdb.ServeHTTP(w, r2)
		return
	}

	clean := path.Clean("/" + r.URL.Path)
	file := filepath.Join(p.Dir, filepath.FromSlash(clean))
	p.mu.Lock()
	data, err := os.ReadFile(file)
	p.mu.Unlock()
	if err != nil {
		// Directories, missing files: a proxy says "not found" for both.
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	switch {
	case strings.HasSuffix(file, ".zip"):
		w.Header().Set("Content-Type", "application/zip")
	case strings.HasSuffix(file, ".info"), strings.HasSuffix(file, "@latest"):
		w.Header().Set("Content-Type", "application/json")
	default:
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	}
	w.Write(data)
}

func (p *Proxy) gosum(modPath, version string) ([]byte, error) {
	p.mu.Lock()
	b, ok := p.modules[module.Version{Path: modPath, Version: version}]
	p.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s@%s: %w", modPath, version, os.ErrNotExist)
	}
	return fmt.Appendf(nil, "%s %s %s\n%s %s/go.mod %s\n", modPath, version, b.zipSum, modPath, version, b.modSum), nil
}

func versionDir(root, modPath string) (string, error) {
	ep, err := module.EscapePath(modPath)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, filepath.FromSlash(ep), "@v"), nil
}

func write(root string, m Module) (built, error) {
	if err := module.Check(m.Path, m.Version); err != nil {
		return built{}, err
	}
	dir, err := versionDir(root, m.Path)
	if err != nil {
		return built{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return built{}, err
	}
	ev, _ := module.EscapeVersion(m.Version)
	zipBytes, err := buildZip(m)
	if err != nil {
		return built{}, err
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{m.Version, infoTime(m)})
	mod := []byte(m.GoMod())
	for ext, data := range map[string][]byte{".zip": zipBytes, ".mod": mod, ".info": info} {
		if err := os.WriteFile(filepath.Join(dir, ev+ext), data, 0o644); err != nil {
			return built{}, err
		}
	}
	zipSum, err := dirhash.HashZip(filepath.Join(dir, ev+".zip"), dirhash.DefaultHash)
	if err != nil {
		return built{}, err
	}
	modSum, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(mod)), nil
	})
	if err != nil {
		return built{}, err
	}
	return built{zipSum: zipSum, modSum: modSum}, nil
}

func infoTime(m Module) time.Time {
	if !m.Time.IsZero() {
		return m.Time.UTC()
	}
	if module.IsPseudoVersion(m.Version) {
		if t, err := module.PseudoVersionTime(m.Version); err == nil {
			return t
		}
	}
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
}

// buildZip goes through a real directory so that the zip is made by the
// same code path, and with the same file filtering, as a proxy's.
func buildZip(m Module) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "goproxy-module-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for name, content := range m.files() {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := modzip.CreateFromDir(&buf, module.Version{Path: m.Path, Version: m.Version}, tmp); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeIndexes rewrites @v/list and @latest of every module path touched,
// from the versions on disk, so that Add can publish one version at a time.
func writeIndexes(root string, modules []Module) error {
	done := map[string]bool{}
	for _, m := range modules {
		if done[m.Path] {
			continue
		}
		done[m.Path] = true
		dir, err := versionDir(root, m.Path)
		if err != nil {
			return err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		var tagged, all []string
		for _, e := range entries {
			ev, ok := strings.CutSuffix(e.Name(), ".info")
			if !ok {
				continue
			}
			v, err := module.UnescapeVersion(ev)
			if err != nil {
				return err
			}
			all = append(all, v)
			// Like a real proxy, list only tagged versions.
			if !module.IsPseudoVersion(v) {
				tagged = append(tagged, v)
			}
		}
		semver.Sort(tagged)
		list := strings.Join(tagged, "\n")
		if list != "" {
			list += "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "list"), []byte(list), 0o644); err != nil {
			return err
		}
		latest := latestOf(tagged, all)
		ev, _ := module.EscapeVersion(latest)
		info, err := os.ReadFile(filepath.Join(dir, ev+".info"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "@latest"), info, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// latestOf picks what a proxy's @latest answers: the highest release, else
// the highest prerelease, else the highest pseudo-version.
func latestOf(tagged, all []string) string {
	best := ""
	for _, v := range tagged {
		if semver.Prerelease(v) == "" && semver.Compare(v, best) > 0 {
			best = v
		}
	}
	if best != "" {
		return best
	}
	for _, v := range tagged {
		if semver.Compare(v, best) > 0 {
			best = v
		}
	}
	if best != "" {
		return best
	}
	sort.Slice(all, func(i, j int) bool { return semver.Compare(all[i], all[j]) < 0 })
	return all[len(all)-1]
}

// GoEnv returns an environment for running the go command against goproxy
// in isolation: its own GOPATH and module cache, no checksum database
// (append GOSUMDB=... to check one), no user go env file, no toolchain
// switching, no workspace. The build cache is shared, to keep tests fast.
func GoEnv(t testing.TB, goproxy string) []string {
	t.Helper()
	// GOPATH too, not only GOMODCACHE: the go command remembers each checksum
	// database's latest tree in $GOPATH/pkg/sumdb, and every Proxy signs
	// with a new key under the same name.
	gopath := t.TempDir()
	modcache := filepath.Join(gopath, "pkg", "mod")
	t.Cleanup(func() {
		// The module cache is read-only; without this, TempDir cleanup fails.
		filepath.WalkDir(gopath, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(path, 0o755)
			}
			return nil
		})
	})
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOFLAGS",
			"GOPATH", "GOMODCACHE", "GOENV", "GOTOOLCHAIN", "GOWORK", "GOINSECURE", "GO111MODULE":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"GOPROXY="+goproxy,
		"GOSUMDB=off",
		"GOFLAGS=-mod=mod",
		"GOPATH="+gopath,
		"GOMODCACHE="+modcache,
		"GOENV=off",
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"GO111MODULE=on",
	)
}
