// Package bundle writes the offline tarball of a distribution: its
// lockfiles, every locked artifact (each checked against its hash), the
// rendered config, VERSION, the changelog and an install script, so that
// an air-gapped host installs with no network, in the spirit of the Sync
// server's release tarball and vendor directory.
//
// The tarball is reproducible: entries sorted, fixed owners, modes and
// mtimes, and gzip without a timestamp or name.
package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/sourcedate"
)

// Options configures Write.
type Options struct {
	// Output is the .tar.gz to write; "" for build/NAME-VERSION.tar.gz in
	// the distribution's directory.
	Output string
	// DryRun makes the tarball in memory, to say what it would hold, and
	// writes nothing (artifacts still go through the download cache).
	DryRun bool
	// Open opens each lockfile's index, where the artifacts come from
	// (source/opener.New).
	Open lockset.Opener
	// SourceDateEpoch is $SOURCE_DATE_EPOCH, "" when unset: the time
	// every entry is stamped with, else HEAD's commit time, as an image
	// is dated (sourcedate.Time).
	SourceDateEpoch string
}

// Result says what went in (or, in a dry run, would).
type Result struct {
	Path string `json:"file"`
	// Root is the tarball's top directory, NAME-VERSION.
	Root string `json:"root"`
	// Files are the tarball's files under Root, sorted.
	Files     []string `json:"files"`
	Artifacts int      `json:"artifact_count"`
	// Bytes is the size of the .tar.gz in bytes.
	Bytes   int64    `json:"size"`
	Skipped []string `json:"skipped,omitempty"` // lockfiles not bundled, with why
	DryRun  bool     `json:"dry_run,omitempty"`
}

// Write writes the bundle of the distribution m describes, at its
// VERSION, from every lockfile of dist.yaml, or with o.DryRun says what it
// would hold.
//
// Errors: a VERSION that is no version, or a lockfile that does not parse
// or holds an entry that is no pin (*fileerr.Error); a pypi pin set that
// is not complete; SOURCE_DATE_EPOCH that is not a number, or no commit to
// take the time from (*failure.UsageError); an index that fails, or an
// artifact whose bytes do not match its hash.
func Write(ctx context.Context, m *manifest.Manifest, o Options) (*Result, error) {
	ver, err := m.Version()
	if err != nil {
		return nil, err
	}
	targets, err := lockset.Load(m, "", o.Open)
	if err != nil {
		return nil, err
	}
	if o.Output == "" {
		o.Output = filepath.Join(m.Dir, "build", m.Name+"-"+ver.Raw+".tar.gz")
	}
	if !o.DryRun {
		if err := os.MkdirAll(filepath.Dir(o.Output), 0o755); err != nil {
			return nil, err
		}
	}
	mtime, err := sourcedate.Time(o.SourceDateEpoch, func() (time.Time, error) {
		repo, err := gitrepo.Open(m.Dir)
		if err != nil {
			return time.Time{}, err
		}
		defer repo.Close()
		return repo.HeadTime()
	})
	if err != nil {
		return nil, failure.Usage(err)
	}
	return pack(ctx, m, targets, o, m.Name+"-"+ver.Raw, mtime)
}

// pack builds the bundle from the manifest and its loaded lockfiles,
// under the top directory root, every entry dated mtime.
func pack(ctx context.Context, m *manifest.Manifest, targets []*lockset.Target, o Options, root string, mtime time.Time) (*Result, error) {
	// An offline install runs pip in hash mode: an entry that is no pin,
	// or a set that misses a requirement, fails there, far from here.
	// Refuse them now, as build does.
	for _, t := range targets {
		if _, ok := t.Source.(source.Fetcher); ok {
			if err := t.RequirePins(); err != nil {
				return nil, err
			}
		}
	}
	set, err := lockset.NewPySet(m, targets)
	if err != nil {
		return nil, err
	}
	if set != nil {
		if err := set.RequireComplete(ctx); err != nil {
			return nil, err
		}
	}
	res := &Result{Path: o.Output, Root: root, Files: []string{}, DryRun: o.DryRun}
	// Paths are inside the root directory until the tarball is written.
	var mu sync.Mutex
	var entries []tarlayer.Entry
	add := func(e tarlayer.Entry) {
		mu.Lock()
		entries = append(entries, e)
		mu.Unlock()
	}
	for _, f := range []string{m.VersionFile, m.Changelog, manifest.FileName} {
		var data []byte
		if f == manifest.FileName {
			data, err = os.ReadFile(m.Abs(f))
			if err == nil {
				data = RedactURLs(data)
			}
		} else {
			data, err = m.ReadFile(f)
		}
		if err != nil {
			return nil, err
		}
		add(tarlayer.Bytes(f, data, f))
	}
	for _, c := range m.Configs {
		data, err := m.ReadFileKey("config output", c.Output)
		if errors.Is(err, os.ErrNotExist) {
			// As plan says it: the repository is not ready to ship.
			return nil, fileerr.New(c.Output, 0, "not rendered (run dist config render)")
		} else if err != nil {
			return nil, err
		}
		add(tarlayer.Bytes(c.Output, data, c.Output))
	}
	var pypiLocks, gomodLocks []string
	g, gctx := errgroup.WithContext(ctx)
	for _, t := range targets {
		add(tarlayer.Bytes(t.Lock.Path, t.File.Bytes(), t.Lock.Path))
		eco := t.Source.Ecosystem()
		fetcher, ok := t.Source.(source.Fetcher)
		if !ok {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %s artifacts are not bundled (push the image instead)", t.Lock.Path, eco))
			continue
		}
		switch eco {
		case source.PyPI:
			pypiLocks = append(pypiLocks, t.Lock.Path)
		case source.GoMod:
			gomodLocks = append(gomodLocks, t.Lock.Path)
		}
		for _, e := range t.File.Entries() {
			g.Go(func() error {
				files, err := fetchEntry(gctx, t, fetcher, e)
				if err != nil {
					return err
				}
				for _, f := range files {
					add(f)
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	install := tarlayer.Bytes("install.sh", installScript(pypiLocks, gomodLocks, m), "install.sh")
	install.Exec = true
	add(install)
	// One module version may be needed by two lockfiles: keep one copy.
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	var uniq []tarlayer.Entry
	for i, e := range entries {
		if i > 0 && e.Path == entries[i-1].Path {
			continue
		}
		uniq = append(uniq, e)
		res.Files = append(res.Files, e.Path)
		if strings.HasPrefix(e.Path, "vendor/") && !strings.HasSuffix(e.Path, "/list") && !strings.HasSuffix(e.Path, ".info") {
			res.Artifacts++
		}
	}
	// A dry run compresses too, into nothing, to say how large the
	// tarball would be.
	write := func(w io.Writer) error {
		cw := &counter{w: w}
		err := writeTarGz(cw, root, uniq, mtime)
		res.Bytes = cw.n
		return err
	}
	if o.DryRun {
		err = write(io.Discard)
	} else {
		err = atomicfile.Write(o.Output, 0o644, write)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// fetchEntry copies the artifacts an entry's hashes name: for pypi the
// files pip would choose among (vendor/pypi/FILE), for Go modules a
// GOPROXY tree (vendor/goproxy/...) that GOPROXY=file:// reads.
func fetchEntry(ctx context.Context, t *lockset.Target, f source.Fetcher, e *lockfile.Entry) ([]tarlayer.Entry, error) {
	rel, err := t.Source.Release(ctx, e.Name, e.Version)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
	}
	want := map[string]bool{}
	for _, h := range e.Hashes {
		want[lockfile.NormHash(h)] = true
	}
	var out []tarlayer.Entry
	// The artifacts stay in the download cache until the tarball is
	// written, and are streamed from there.
	onDisk := func(name, p string) error {
		te, err := tarlayer.OnDisk(name, p, name)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
		}
		te.Exec = false
		out = append(out, te)
		return nil
	}
	switch t.Source.Ecosystem() {
	case source.PyPI:
		n := 0
		for _, a := range rel.Artifacts {
			if !want[lockfile.NormHash(a.Hash)] {
				continue
			}
			p, err := f.Fetch(ctx, rel, a)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
			}
			if err := onDisk("vendor/pypi/"+path.Base(a.Filename), p); err != nil {
				return nil, err
			}
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s:%d: %s==%s: none of its hashes is a file the index or the lockfile's wheelhouse publishes", t.Lock.Path, e.Line, e.Name, e.Version)
		}
	case source.GoMod:
		esc, err := module.EscapePath(rel.Name)
		if err != nil {
			return nil, err
		}
		ev, err := module.EscapeVersion(rel.Version)
		if err != nil {
			return nil, err
		}
		dir := "vendor/goproxy/" + esc + "/@v/"
		zipOK := false
		for _, a := range rel.Artifacts {
			p, err := f.Fetch(ctx, rel, a)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
			}
			if strings.HasSuffix(a.Filename, ".zip") {
				if !want[a.Hash] {
					return nil, fmt.Errorf("%s:%d: %s==%s: the proxy's zip hashes to %s, not to the pinned hash", t.Lock.Path, e.Line, e.Name, e.Version, a.Hash)
				}
				zipOK = true
				err = onDisk(dir+ev+".zip", p)
			} else {
				err = onDisk(dir+ev+".mod", p)
			}
			if err != nil {
				return nil, err
			}
		}
		if !zipOK {
			return nil, fmt.Errorf("%s:%d: %s==%s: no module zip", t.Lock.Path, e.Line, e.Name, e.Version)
		}
		info, _ := json.Marshal(map[string]string{"Version": rel.Version})
		out = append(out, tarlayer.Bytes(dir+ev+".info", append(info, '\n'), dir+ev+".info"),
			tarlayer.Bytes(dir+"list", []byte(rel.Version+"\n"), dir+"list"))
	}
	return out, nil
}

// writeTarGz writes entries under the directory root as a gzipped tar,
// streamed: tarlayer's sorted entries with fixed owner, modes and mtime
// (those of image layers, so that both are reproducible the same way), and
// klauspost's gzip, as image layers are compressed, with no name or time
// in its header. The same entries and mtime give the same bytes with the
// same compressor version.
func writeTarGz(w io.Writer, root string, entries []tarlayer.Entry, mtime time.Time) error {
	dirs := map[string]bool{}
	var all []tarlayer.Entry
	for _, e := range entries {
		// Every directory has an entry, so that an unpacker makes it with
		// the fixed mode and time rather than its own.
		for d := path.Dir(e.Path); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
		e.Path = path.Join(root, e.Path)
		all = append(all, e)
	}
	all = append(all, tarlayer.Entry{Path: root, Kind: tarlayer.Dir, Source: root})
	for d := range dirs {
		all = append(all, tarlayer.Entry{Path: path.Join(root, d), Kind: tarlayer.Dir, Source: d})
	}
	// A bundle is made once and carried: the smallest file is worth the
	// time.
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	// klauspost's writer stores the header's time as it is: a zero
	// time.Time would come out as a date in 2042. The Unix epoch is 0,
	// which gzip reads as "no time".
	zw.ModTime = time.Unix(0, 0)
	if err := tarlayer.Write(zw, all, tarlayer.Options{ModTime: mtime}); err != nil {
		return err
	}
	return zw.Close()
}

func installScript(pypiLocks, gomodLocks []string, m *manifest.Manifest) []byte {
	var b strings.Builder
	b.WriteString(`#!/bin/sh
# Offline install of ` + m.Name + `, written by dist bundle.
# Every file under vendor/ was checked against the lockfiles' hashes when the
# bundle was made, and is checked again by the installer below.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
`)
	if len(pypiLocks) > 0 {
		b.WriteString("\n# Python packages: pip reads only vendor/ and refuses any file whose hash is not pinned.\n")
		b.WriteString("${PYTHON:-python3} -m pip install --no-index --find-links \"$here/vendor/pypi\" --require-hashes")
		for _, l := range pypiLocks {
			fmt.Fprintf(&b, " \\\n    -r \"$here/%s\"", l)
		}
		b.WriteString(" \\\n    \"$@\"\n")
	}
	if len(gomodLocks) > 0 {
		main := "MODULE/cmd/SERVER"
		if m.Image != nil && m.Image.Go != nil && m.Image.Go.Main != "" {
			main = m.Image.Go.Main
		}
		b.WriteString(`
# Go modules: vendor/goproxy is a module proxy on disk. Build the server from
# it with no network; go checks every module against go.sum's hashes, which
# are the lockfile's (` + strings.Join(gomodLocks, ", ") + `):
#
#   GOPROXY="file://$here/vendor/goproxy" GOSUMDB=off GOFLAGS=-mod=mod \
#     go install ` + main + `@VERSION
#
# with VERSION the pinned version of its module.
echo "Go modules are in $here/vendor/goproxy: see the comment in install.sh to build offline."
`)
	}
	return []byte(b.String())
}

// urlUserinfo is the user[:password]@ of a URL.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#@'"\[\]{},]+@`)

// RedactURLs removes the credentials (user:password@) from every URL in
// data, leaving the rest byte for byte: the bundle ships dist.yaml, and a
// password written in an index URL must not go with it.
func RedactURLs(data []byte) []byte {
	return urlUserinfo.ReplaceAll(data, []byte("$1"))
}
