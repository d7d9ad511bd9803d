package lockset

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/source"
)

// Problem is one thing wrong at a line of a lockfile: what lock verify
// reports, and what RequirePins and the completeness check find.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Problem string `json:"problem"`
	// Malformed is set for a line that is not a lockfile pin as DESIGN §2
	// has it (not pinned ==, no hash, a marker that does not parse, a line
	// pip refuses in hash mode): what the file says is wrong on its own, a
	// configuration error, where every other problem is a check against
	// the index or the rest of the set that failed.
	Malformed bool `json:"-"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Problem)
}

// NotAPin says why e is not a pin as DESIGN §2 has it (pinned ==, hashed),
// or "" when it is one.
func NotAPin(e *lockfile.Entry) string {
	switch {
	case !e.Pinned() && e.Op == "":
		return fmt.Sprintf("%s is not pinned (want %s==VERSION)", e.Name, e.Name)
	case !e.Pinned():
		return fmt.Sprintf("%s is not pinned with == (found %s%s)", e.Name, e.Op, e.Version)
	case len(e.Hashes) == 0:
		return fmt.Sprintf("%s==%s has no --hash", e.Name, e.Version)
	}
	return ""
}

// RequirePins refuses a lockfile that holds an entry that is not a pin
// (not pinned ==, no hash) or a line pip refuses in hash mode, for the
// commands that ship what it pins (build, bundle): a *fileerr.Error at the
// first such line, a configuration error as lock verify's report of it is.
func (t *Target) RequirePins() error {
	for _, e := range t.File.Entries() {
		if e.IsURL() {
			continue // PipRefusals judges it
		}
		if why := NotAPin(e); why != "" {
			return fileerr.New(t.Lock.Path, e.Line, "%s (dist lock verify reports every problem)", why)
		}
	}
	if ps := PipRefusals(t); len(ps) > 0 {
		return fileerr.New(ps[0].File, ps[0].Line, "%s (dist lock verify reports every problem)", ps[0].Problem)
	}
	return nil
}

// PipRefusals returns the lines of a pypi lockfile that `pip install
// --require-hashes -r FILE` refuses, each at its file:line. These are pip's
// rules for lines that are not index pins (checked against pip 23):
//
//   - an editable requirement (-e, --editable): "cannot be installed when
//     requiring hashes, because there is no single file to hash";
//   - a version control URL (git+, hg+, svn+, bzr+), hashed or not: "Can't
//     verify hashes for these requirements because we don't have a way to
//     hash version control repositories";
//   - a local directory, by path or file: URL: "Can't verify hashes for
//     these file:// requirements because they point to directories";
//   - any other URL or archive path without --hash: "Hashes are required in
//     --require-hashes mode".
//
// Each is Malformed: the file is not a lockfile pip can consume, a
// configuration error as an unpinned line is.
//
// A hashed archive, as "name @ URL" or a bare path or URL, is installed,
// and so are option lines such as --index-url. Index pins are Verify's to
// check.
func PipRefusals(t *Target) []Problem {
	if t.Lock.Ecosystem != source.PyPI {
		return nil
	}
	var out []Problem
	for _, e := range t.File.Entries() {
		if !e.IsURL() {
			continue
		}
		if why := refusedURL(e.Version, len(e.Hashes) > 0); why != "" {
			out = append(out, Problem{File: t.Lock.Path, Line: e.Line, Name: e.Name, Version: e.Version,
				Problem: fmt.Sprintf("%s @ %s: %s", e.Name, e.Version, why), Malformed: true})
		}
	}
	for _, o := range t.File.Others() {
		bad := func(why string) {
			out = append(out, Problem{File: t.Lock.Path, Line: o.Line, Problem: fmt.Sprintf("%s: %s", o.Text, why), Malformed: true})
		}
		word, rest, _ := strings.Cut(o.Text, " ")
		switch {
		case word == "-e" || word == "--editable" || strings.HasPrefix(word, "--editable=") || strings.HasPrefix(word, "-e") && !strings.HasPrefix(word, "--"):
			bad("pip refuses an editable requirement in --require-hashes mode")
		case !strings.HasPrefix(word, "-"):
			if why := refusedURL(word, strings.Contains(rest, "--hash")); why != "" {
				bad(why)
			}
		}
	}
	return out
}

// vcsSchemes are the URL scheme prefixes pip hands to a version control
// tool.
var vcsSchemes = []string{"git+", "hg+", "svn+", "bzr+"}

// refusedURL says why pip's hash mode refuses a URL or path requirement,
// "" when it installs it.
func refusedURL(target string, hashed bool) string {
	lower := strings.ToLower(target)
	for _, s := range vcsSchemes {
		if strings.HasPrefix(lower, s) {
			return "pip refuses a version control URL in --require-hashes mode (there is no file to hash); pin a released version"
		}
	}
	if !isArchive(target) && isLocal(target) {
		return "pip refuses a directory in --require-hashes mode (there is no single file to hash); build a wheel and pin it with its --hash"
	}
	if !hashed {
		return "pip refuses a URL or path without --hash in --require-hashes mode"
	}
	return ""
}

// isLocal reports whether a requirement's target is on this machine: a
// file: URL or a path.
func isLocal(target string) bool {
	u, err := url.Parse(target)
	return err != nil || u.Scheme == "" || u.Scheme == "file" || len(u.Scheme) == 1 // "C:\…"
}

// archiveExts are the archive formats pip installs from a URL or path
// (pip's utils/filetypes.py).
var archiveExts = []string{".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma"}

func isArchive(target string) bool {
	p := target
	if u, err := url.Parse(target); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		p = u.Path
	}
	base := strings.ToLower(path.Base(strings.ReplaceAll(p, `\`, "/")))
	for _, ext := range archiveExts {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}
