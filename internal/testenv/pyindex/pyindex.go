// Package pyindex is a real Python package index for tests and benchmarks: it
// generates installable wheels and sdists and serves them over the PEP 691
// JSON and PEP 503 HTML simple APIs, with each wheel's core metadata as a
// PEP 658/714 metadata file, and with the faults a test needs to inject.
//
//	srv := pyindex.Start(t, pyindex.Project{Name: "Kinto", Versions: []pyindex.Release{
//		{Version: "13.0.0", Yanked: true},
//		{Version: "14.3.0", Files: []pyindex.File{pyindex.Wheel("py3-none-any"), pyindex.Sdist()},
//			RequiresDist: []string{"requests>=2.8", `speedup>=1.0 ; extra == "fast"`}, ProvidesExtra: []string{"fast"}},
//		{Version: "15.0.0rc1"},
//	}})
//	src := pypi.New(client, srv.IndexURL(), pypi.Options{})
package pyindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kind says what a File is.
type Kind string

// File kinds.
const (
	KindWheel Kind = "wheel"
	KindSdist Kind = "sdist"
)

// Project is one project of the index.
type Project struct {
	// Name is the spelling used in filenames and metadata ("Kinto",
	// "zope.interface"); URLs use its normalized form.
	Name     string
	Versions []Release
}

// Release is one version of a project.
type Release struct {
	Version string
	// Files of the release; a py3-none-any wheel and a .tar.gz sdist when nil.
	Files []File
	// Yanked yanks every file of the release, with YankedReason if given.
	Yanked       bool
	YankedReason string
	// RequiresPython and Pad apply to every file that does not set its own.
	RequiresPython string
	Pad            int
	// RequiresDist are the release's dependencies, PEP 508 lines written
	// as given into every file's core metadata ("requests>=2.8",
	// `speedup>=1.0 ; extra == "fast"`), and into an sdist's pyproject.toml
	// so that a build agrees.
	RequiresDist []string
	// ProvidesExtra are the extras the release declares.
	ProvidesExtra []string
	// Dynamic lists the fields an sdist's PKG-INFO marks Dynamic (PEP 643),
	// as given ("Requires-Dist"); wheels never carry it.
	Dynamic []string
	// MetadataVersion is the Metadata-Version of every file's METADATA or
	// PKG-INFO, "2.1" when empty. PEP 643 trusts an sdist's dependencies
	// from 2.2 on, so a test of that sets "2.2" or later.
	MetadataVersion string
}

// File is one file of a release.
type File struct {
	Kind Kind // KindWheel when empty
	// Tag is a wheel's compatibility tag, compressed sets allowed
	// ("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64");
	// "py3-none-any" when empty.
	Tag string
	// Ext is an sdist's extension, ".tar.gz" (the default) or ".zip".
	Ext            string
	Yanked         bool
	YankedReason   string
	RequiresPython string
	// Pad adds that many incompressible bytes inside the archive, so that a
	// benchmark can serve files of a realistic size.
	Pad int
	// NoHash lists the file without a sha256, as some mirrors do.
	NoHash bool
	// EntryPoints, when set, is a wheel's .dist-info/entry_points.txt,
	// written as given so that a test can also serve a malformed one.
	EntryPoints string
	// Members are more files of a wheel, added after the package's own and
	// listed in RECORD. Names are written as given, unchecked, so that a
	// test can also serve a wheel whose member escapes with "../";
	// DataDir and DistInfoDir name the directories of .data and
	// .dist-info files.
	Members []Member
}

// Member is one extra file of a generated wheel.
type Member struct {
	Name string
	Data string
	// Mode is the member's Unix mode, 0644 when zero; installers give
	// members with an exec bit an executable mode.
	Mode fs.FileMode
}

// DataDir is the "{name}-{version}.data" directory of a generated wheel,
// whose subdirectories (purelib, platlib, scripts, headers, data) are
// installed into the scheme's directories of the same name.
func DataDir(name, version string) string { return wheelStem(name, version) + ".data" }

// DistInfoDir is the "{name}-{version}.dist-info" directory of a generated
// wheel.
func DistInfoDir(name, version string) string { return wheelStem(name, version) + ".dist-info" }

// Wheel returns a wheel with the given tag.
func Wheel(tag string) File { return File{Kind: KindWheel, Tag: tag} }

// Sdist returns a .tar.gz sdist.
func Sdist() File { return File{Kind: KindSdist, Ext: ".tar.gz"} }

// Artifact is a generated file as the index serves it.
type Artifact struct {
	Project  string // normalized project name
	Version  string
	Filename string
	Path     string // URL path on the server, "/files/kinto/Kinto-14.3.0.tar.gz"
	SHA256   string // "sha256:<hex>"
	Size     int64
	Yanked   bool
	Data     []byte
	// Metadata is a wheel's .dist-info/METADATA, which the index also
	// serves at Path+".metadata" (PEP 658); nil for an sdist.
	Metadata []byte
	// MetadataSHA256 is "sha256:<hex>" of Metadata, "" for an sdist.
	MetadataSHA256 string

	file File
}

type project struct {
	name     string
	versions []string
	files    []*Artifact // in publication order
}

// Server is the index. It is an http.Handler; its methods are safe for
// concurrent use, also while it serves.
type Server struct {
	// URL is the base URL ("http://127.0.0.1:PORT") once started by Start or
	// known to the caller; the handler itself does not need it.
	URL string

	mu       sync.RWMutex
	projects map[string]*project // by normalized name
	order    []string            // normalized names, in the order added
	files    map[string]*Artifact
	tampered map[string]bool
	// tamperedMeta holds wheels whose metadata file is served altered.
	tamperedMeta map[string]bool
	noCoreMeta   bool
	htmlOnly     bool
	user         string
	pass         string
	auth         bool

	cmu      sync.Mutex
	counts   map[string]int
	total    int
	failAll  int
	failPath map[string]int
	// Hostile answers, see Throttle and StallNext.
	throttle      int
	throttleCode  int
	throttleAfter string
	stall         int
	stallFor      time.Duration
}

// New generates the projects' files and returns an index serving them.
func New(projects ...Project) (*Server, error) {
	s := &Server{
		projects:     map[string]*project{},
		files:        map[string]*Artifact{},
		tampered:     map[string]bool{},
		tamperedMeta: map[string]bool{},
		counts:       map[string]int{},
		failPath:     map[string]int{},
	}
	if err := s.Add(projects...); err != nil {
		return nil, err
	}
	return s, nil
}

// Start serves the projects on 127.0.0.1 until the test ends.
func Start(t testing.TB, projects ...Project) *Server {
	t.Helper()
	s, err := New(projects...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// ListenAndServe serves the index on addr until an error.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve serves the index on ln, setting URL from its address.
func (s *Server) Serve(ln net.Listener) error {
	s.URL = "http://" + ln.Addr().String()
	return (&http.Server{Handler: s}).Serve(ln)
}

// IndexURL is the simple API's root, to pass as an index URL.
func (s *Server) IndexURL() string { return s.URL + "/simple" }

// Add publishes more projects, or more versions of known ones, as a test of
// "upgrade" needs.
func (s *Server) Add(projects ...Project) error {
	type job struct {
		a     *Artifact
		meta  coreMeta
		ext   string
		pad   int
		wheel bool
		tag   string
		err   error
		done  chan struct{}
	}
	var jobs []*job
	seen := map[string]bool{}
	s.mu.RLock()
	for name := range s.files {
		seen[name] = true
	}
	// A project keeps the spelling it was first published under.
	projects = slices.Clone(projects)
	for i, p := range projects {
		if pr := s.projects[normalize(p.Name)]; pr != nil {
			projects[i].Name = pr.name
		}
	}
	s.mu.RUnlock()
	for _, p := range projects {
		if p.Name == "" || normalize(p.Name) == "" {
			return errors.New("pyindex: project without a name")
		}
		for _, r := range p.Versions {
			if r.Version == "" || strings.ContainsAny(r.Version, "/ ") {
				return fmt.Errorf("pyindex: %s: bad version %q", p.Name, r.Version)
			}
			for _, field := range [][]string{r.RequiresDist, r.ProvidesExtra, r.Dynamic, {r.MetadataVersion}} {
				for _, v := range field {
					// A line break would start a header of its own.
					if strings.ContainsAny(v, "\r\n") {
						return fmt.Errorf("pyindex: %s %s: metadata value %q spans lines", p.Name, r.Version, v)
					}
				}
			}
			files := r.Files
			if files == nil {
				files = []File{Wheel("py3-none-any"), Sdist()}
			}
			for _, f := range files {
				if r.Yanked {
					f.Yanked = true
					if f.YankedReason == "" {
						f.YankedReason = r.YankedReason
					}
				}
				if f.RequiresPython == "" {
					f.RequiresPython = r.RequiresPython
				}
				if f.Pad == 0 {
					f.Pad = r.Pad
				}
				j := &job{meta: coreMeta{
					name: p.Name, version: r.Version, requiresPython: f.RequiresPython,
					metadataVersion: r.MetadataVersion, requiresDist: r.RequiresDist,
					providesExtra: r.ProvidesExtra, dynamic: r.Dynamic,
				}, pad: f.Pad, done: make(chan struct{})}
				var filename string
				switch f.Kind {
				case KindWheel, "":
					f.Kind = KindWheel
					if f.Tag == "" {
						f.Tag = "py3-none-any"
					}
					j.wheel, j.tag = true, f.Tag
					filename = wheelFilename(p.Name, r.Version, f.Tag)
				case KindSdist:
					if f.EntryPoints != "" || len(f.Members) > 0 {
						return fmt.Errorf("pyindex: %s %s: entry points and members are for wheels only", p.Name, r.Version)
					}
					if f.Ext == "" {
						f.Ext = ".tar.gz"
					}
					j.ext = f.Ext
					filename = sdistFilename(p.Name, r.Version, f.Ext)
				default:
					return fmt.Errorf("pyindex: %s: unknown file kind %q", p.Name, f.Kind)
				}
				if seen[filename] {
					return fmt.Errorf("pyindex: file %s given twice", filename)
				}
				seen[filename] = true
				j.a = &Artifact{
					Project:  normalize(p.Name),
					Version:  r.Version,
					Filename: filename,
					Path:     "/files/" + normalize(p.Name) + "/" + filename,
					Yanked:   f.Yanked,
					file:     f,
				}
				jobs = append(jobs, j)
			}
		}
	}

	// Generation is the slow part of a 900-file benchmark index; spread it.
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, j := range jobs {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; close(j.done) }()
			var data, meta []byte
			if j.wheel {
				data, meta, j.err = buildWheel(j.meta, j.tag, j.pad, j.a.file)
			} else {
				data, j.err = buildSdist(j.meta, j.ext, j.pad)
			}
			if j.err != nil {
				j.err = fmt.Errorf("pyindex: %s: %w", j.a.Filename, j.err)
				return
			}
			j.a.Data = data
			j.a.Size = int64(len(data))
			j.a.SHA256 = sha256Hex(data)
			if meta != nil {
				j.a.Metadata = meta
				j.a.MetadataSHA256 = sha256Hex(meta)
			}
		}()
	}
	for _, j := range jobs {
		<-j.done
		if j.err != nil {
			return j.err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range projects {
		n := normalize(p.Name)
		pr := s.projects[n]
		if pr == nil {
			pr = &project{name: p.Name}
			s.projects[n] = pr
			s.order = append(s.order, n)
		}
		for _, r := range p.Versions {
			if !slices.Contains(pr.versions, r.Version) {
				pr.versions = append(pr.versions, r.Version)
			}
		}
	}
	for _, j := range jobs {
		pr := s.projects[j.a.Project]
		pr.files = append(pr.files, j.a)
		s.files[j.a.Filename] = j.a
	}
	return nil
}

// Artifacts returns the files of one version, yanked ones included, in
// publication order.
func (s *Server) Artifacts(name, version string) []*Artifact {
	s.mu.RLock()
	defer s.mu.RUnlock()
	pr := s.projects[normalize(name)]
	if pr == nil {
		return nil
	}
	var out []*Artifact
	for _, a := range pr.files {
		if a.Version == version {
			out = append(out, a)
		}
	}
	return out
}

// Hashes returns the sha256 of every file of a version that is not yanked.
func (s *Server) Hashes(name, version string) []string {
	var out []string
	for _, a := range s.Artifacts(name, version) {
		if !a.Yanked {
			out = append(out, a.SHA256)
		}
	}
	return out
}

// Lockfile returns pip requirement lines with every hash, for pins written
// "name==version", in the shape dist writes them.
func (s *Server) Lockfile(pins ...string) (string, error) {
	var b strings.Builder
	for _, pin := range pins {
		name, ver, ok := strings.Cut(pin, "==")
		if !ok {
			return "", fmt.Errorf("pyindex: pin %q is not name==version", pin)
		}
		hashes := s.Hashes(name, ver)
		if len(hashes) == 0 {
			return "", fmt.Errorf("pyindex: no files for %s", pin)
		}
		b.WriteString(pin)
		for _, h := range hashes {
			b.WriteString(" \\\n    --hash=" + h)
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}

// SetHTMLOnly makes the index answer PEP 503 HTML whatever the client
// accepts, as older indexes do.
func (s *Server) SetHTMLOnly(on bool) {
	s.mu.Lock()
	s.htmlOnly = on
	s.mu.Unlock()
}

// SetCoreMetadata turns PEP 658/714 metadata files on (the default) or off.
// Off, pages advertise none and every ".metadata" URL answers 404, as on an
// index that predates them, so that a client has to read the wheel.
func (s *Server) SetCoreMetadata(on bool) {
	s.mu.Lock()
	s.noCoreMeta = !on
	s.mu.Unlock()
}

// RequireAuth makes every request need HTTP basic credentials.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	s.user, s.pass, s.auth = user, pass, true
	s.mu.Unlock()
}

// Tamper makes the index serve other bytes for filename than the ones its
// pages hash, as a compromised mirror would.
func (s *Server) Tamper(filename string) {
	s.mu.Lock()
	s.tampered[filename] = true
	s.mu.Unlock()
}

// TamperMetadata makes the index serve other bytes for the metadata file of
// the wheel filename than the ones its pages hash: the same METADATA with
// one more Requires-Dist, as a compromised mirror would inject.
func (s *Server) TamperMetadata(filename string) {
	s.mu.Lock()
	s.tamperedMeta[filename] = true
	s.mu.Unlock()
}

// FailNext makes the next n requests, whatever their path, answer 500.
func (s *Server) FailNext(n int) {
	s.cmu.Lock()
	s.failAll = n
	s.cmu.Unlock()
}

// Throttle makes the next n requests answer status (503, 429) with the
// header "Retry-After: retryAfter" ("86400": come back tomorrow).
func (s *Server) Throttle(n, status int, retryAfter string) {
	s.cmu.Lock()
	s.throttle, s.throttleCode, s.throttleAfter = n, status, retryAfter
	s.cmu.Unlock()
}

// StallNext makes the next n requests answer 200 with a Content-Length
// and a few bytes, then send nothing more for d (or until the client
// goes away), as a server that hangs mid-transfer.
func (s *Server) StallNext(n int, d time.Duration) {
	s.cmu.Lock()
	s.stall, s.stallFor = n, d
	s.cmu.Unlock()
}

// FailPath makes the next n requests for path answer 500.
func (s *Server) FailPath(path string, n int) {
	s.cmu.Lock()
	s.failPath[path] = n
	s.cmu.Unlock()
}

// Requests returns how many requests path has received, failed ones and
// redirects included; a metadata file's path is its file's Path+".metadata".
func (s *Server) Requests(path string) int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.counts[path]
}

// TotalRequests returns how many requests the index has received.
func (s *Server) TotalRequests() int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.total
}

// ResetCounts forgets the request counts.
func (s *Server) ResetCounts() {
	s.cmu.Lock()
	s.counts = map[string]int{}
	s.total = 0
	s.cmu.Unlock()
}

const (
	jsonType = "application/vnd.pypi.simple.v1+json"
	htmlType = "text/html; charset=utf-8"
)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	s.cmu.Lock()
	s.counts[path]++
	s.total++
	fail := false
	if s.failAll > 0 {
		s.failAll--
		fail = true
	} else if s.failPath[path] > 0 {
		s.failPath[path]--
		fail = true
	}
	var throttle, stall bool
	code, after, stallFor := s.throttleCode, s.throttleAfter, s.stallFor
	if !fail && s.throttle > 0 {
		s.throttle--
		throttle = true
	} else if !fail && s.stall > 0 {
		s.stall--
		stall = true
	}
	s.cmu.Unlock()
	if fail {
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	}
	if throttle {
		w.Header().Set("Retry-After", after)
		http.Error(w, "injected throttle", code)
		return
	}
	if stall {
		w.Header().Set("Content-Length", "1048576")
		w.Write([]byte("stalled"))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case <-time.After(stallFor):
		case <-r.Context().Done():
		}
		return
	}

	s.mu.RLock()
	auth, user, pass, htmlOnly := s.auth, s.user, s.pass, s.htmlOnly
	s.mu.RUnlock()
	if auth {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="pyindex"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	asJSON := !htmlOnly && acceptsJSON(r.Header.Get("Accept"))

	switch {
	case path == "/simple" || path == "/simple/":
		if path == "/simple" {
			http.Redirect(w, r, "/simple/", http.StatusMovedPermanently)
			return
		}
		s.serveRoot(w, asJSON)
	case strings.HasPrefix(path, "/simple/"):
		name := strings.TrimSuffix(strings.TrimPrefix(path, "/simple/"), "/")
		if name == "" || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		// Like PyPI: one URL per project, others redirect to it.
		if want := "/simple/" + normalize(name) + "/"; path != want {
			http.Redirect(w, r, want, http.StatusMovedPermanently)
			return
		}
		s.serveProject(w, r, normalize(name), asJSON)
	case strings.HasPrefix(path, "/files/"):
		s.serveFile(w, r, path)
	default:
		http.NotFound(w, r)
	}
}

// acceptsJSON reads an Accept header just enough to tell whether the PEP 691
// JSON type is acceptable at all.
func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		if strings.TrimSpace(fields[0]) != jsonType {
			continue
		}
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if k == "q" && strings.Trim(strings.TrimSpace(v), "0.") == "" {
				return false
			}
		}
		return true
	}
	return false
}

func (s *Server) serveRoot(w http.ResponseWriter, asJSON bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if asJSON {
		type proj struct {
			Name string `json:"name"`
		}
		doc := struct {
			Meta     map[string]string `json:"meta"`
			Projects []proj            `json:"projects"`
		}{Meta: map[string]string{"api-version": "1.1"}, Projects: []proj{}}
		for _, n := range s.order {
			doc.Projects = append(doc.Projects, proj{s.projects[n].name})
		}
		writeJSON(w, doc)
		return
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	for _, n := range s.order {
		fmt.Fprintf(&b, "    <a href=\"/simple/%s/\">%s</a>\n", n, html.EscapeString(s.projects[n].name))
	}
	b.WriteString("  </body>\n</html>\n")
	w.Header().Set("Content-Type", htmlType)
	w.Write([]byte(b.String()))
}

func (s *Server) serveProject(w http.ResponseWriter, r *http.Request, name string, asJSON bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	pr := s.projects[name]
	if pr == nil {
		http.NotFound(w, r)
		return
	}
	// Relative URLs, as many private indexes write them, so that clients
	// must resolve them against the page.
	href := func(a *Artifact) string { return "../../files/" + name + "/" + a.Filename }
	// metaHash is the hex sha256 of the file's metadata file, "" when it
	// has none to serve.
	metaHash := func(a *Artifact) string {
		if s.noCoreMeta || a.Metadata == nil {
			return ""
		}
		return strings.TrimPrefix(a.MetadataSHA256, "sha256:")
	}

	if asJSON {
		type file struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python,omitempty"`
			Size           int64             `json:"size"`
			Yanked         any               `json:"yanked"`
			// As PyPI writes them: PEP 714's key, and the one PyPI
			// served before it, which clients written against PyPI read.
			CoreMetadata     map[string]string `json:"core-metadata,omitempty"`
			DistInfoMetadata map[string]string `json:"data-dist-info-metadata,omitempty"`
		}
		doc := struct {
			Meta     map[string]string `json:"meta"`
			Name     string            `json:"name"`
			Files    []file            `json:"files"`
			Versions []string          `json:"versions"`
		}{Meta: map[string]string{"api-version": "1.1"}, Name: name, Files: []file{}, Versions: pr.versions}
		for _, a := range pr.files {
			f := file{Filename: a.Filename, URL: href(a), Hashes: map[string]string{}, Size: a.Size, Yanked: false}
			if !a.file.NoHash {
				f.Hashes["sha256"] = strings.TrimPrefix(a.SHA256, "sha256:")
			}
			if a.file.RequiresPython != "" {
				f.RequiresPython = &a.file.RequiresPython
			}
			if h := metaHash(a); h != "" {
				f.CoreMetadata = map[string]string{"sha256": h}
				f.DistInfoMetadata = f.CoreMetadata
			}
			if a.Yanked {
				f.Yanked = true
				if a.file.YankedReason != "" {
					f.Yanked = a.file.YankedReason
				}
			}
			doc.Files = append(doc.Files, f)
		}
		writeJSON(w, doc)
		return
	}

	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for %s</title>\n  </head>\n  <body>\n    <h1>Links for %s</h1>\n", html.EscapeString(name), html.EscapeString(name))
	for _, a := range pr.files {
		u := href(a)
		if !a.file.NoHash {
			u += "#sha256=" + strings.TrimPrefix(a.SHA256, "sha256:")
		}
		fmt.Fprintf(&b, "    <a href=\"%s\"", html.EscapeString(u))
		if a.file.RequiresPython != "" {
			fmt.Fprintf(&b, " data-requires-python=\"%s\"", html.EscapeString(a.file.RequiresPython))
		}
		if a.Yanked {
			fmt.Fprintf(&b, " data-yanked=\"%s\"", html.EscapeString(a.file.YankedReason))
		}
		if h := metaHash(a); h != "" {
			fmt.Fprintf(&b, " data-core-metadata=\"sha256=%s\" data-dist-info-metadata=\"sha256=%s\"", h, h)
		}
		fmt.Fprintf(&b, ">%s</a><br />\n", html.EscapeString(a.Filename))
	}
	b.WriteString("  </body>\n</html>\n")
	w.Header().Set("Content-Type", htmlType)
	w.Write([]byte(b.String()))
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.RLock()
	rest := strings.TrimPrefix(path, "/files/")
	proj, filename, _ := strings.Cut(rest, "/")
	a := s.files[filename]
	var data []byte
	if a != nil {
		data = a.Data
		if s.tampered[filename] {
			data = append([]byte(nil), data...)
			data[len(data)-1] ^= 0xff
		}
	} else if wheel, ok := strings.CutSuffix(filename, ".metadata"); ok && !s.noCoreMeta {
		a = s.files[wheel]
		if a != nil {
			data = a.Metadata
			if s.tamperedMeta[wheel] {
				data = append(slices.Clip(data), "Requires-Dist: tampered\n"...)
			}
		}
	}
	s.mu.RUnlock()
	if a == nil || a.Project != proj || data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(data)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonType)
	w.Write(b)
}
