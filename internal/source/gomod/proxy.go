package gomod

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
)

// ErrOff is returned when GOPROXY is "off" (or reaches "off").
var ErrOff = errors.New("module lookup disabled by GOPROXY=off")

type proxyKind int

const (
	kindURL proxyKind = iota
	kindDirect
	kindOff
	// kindGo is "direct" at work: the go command fetches (see goProxy).
	kindGo
)

// proxy is one entry of GOPROXY.
type proxy struct {
	kind proxyKind
	base string // URL without trailing slash, for kindURL
	// dir is the local directory of a file:// proxy, read without HTTP.
	dir string
	// fallBackOnError is true after "|": any error moves on to the next
	// entry, not only "not found".
	fallBackOnError bool
}

// parseGOPROXY splits a GOPROXY list as the go command does: entries are
// separated by "," or "|", the separator after an entry deciding when to
// fall through from it, and "off" and "direct" end the list.
func parseGOPROXY(list string) ([]proxy, error) {
	var out []proxy
	rest := list
	for rest != "" {
		var entry string
		fallBack := false
		if i := strings.IndexAny(rest, ",|"); i >= 0 {
			entry, fallBack, rest = rest[:i], rest[i] == '|', rest[i+1:]
		} else {
			entry, rest = rest, ""
		}
		entry = strings.TrimSpace(entry)
		switch entry {
		case "":
			continue
		case "off":
			return append(out, proxy{kind: kindOff}), nil
		case "direct":
			return append(out, proxy{kind: kindDirect}), nil
		}
		// As in the go command, a bare host ("goproxy.example.org") means https.
		if strings.ContainsAny(entry, ".:/") && !strings.Contains(entry, ":/") && !filepath.IsAbs(entry) && !path.IsAbs(entry) {
			entry = "https://" + entry
		}
		u, err := url.Parse(entry)
		if err != nil {
			return nil, fmt.Errorf("invalid GOPROXY entry %q: %v", fetch.Redact(entry), err)
		}
		p := proxy{kind: kindURL, base: strings.TrimSuffix(entry, "/"), fallBackOnError: fallBack}
		switch u.Scheme {
		case "http", "https":
		case "file":
			p.dir = filepath.FromSlash(u.Path)
			if p.dir == "" {
				return nil, fmt.Errorf("invalid GOPROXY entry %q: no directory", entry)
			}
		default:
			return nil, fmt.Errorf("invalid GOPROXY entry %q: scheme must be http, https or file", fetch.Redact(entry))
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("GOPROXY %q lists no proxy", list)
	}
	return out, nil
}

// fileURL joins a proxy base and a protocol path ("<escaped module>/@v/list").
func (p proxy) fileURL(rel string) string {
	if p.kind == kindGo {
		return p.base + rel
	}
	return p.base + "/" + rel
}

// protocolPath returns the protocol path of a module file; suffix is
// "@v/list", "@latest", or a version file name already escaped.
func protocolPath(modPath, suffix string) (string, error) {
	ep, err := module.EscapePath(modPath)
	if err != nil {
		return "", err
	}
	return ep + "/" + suffix, nil
}

func versionFile(modPath, version, ext string) (string, error) {
	ev, err := module.EscapeVersion(version)
	if err != nil {
		return "", err
	}
	return protocolPath(modPath, "@v/"+ev+ext)
}

// isNotFound is the only outcome that lets a ","-separated GOPROXY entry
// fall through to the next.
func isNotFound(err error) bool {
	return fetch.IsNotFound(err) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, source.ErrNotFound)
}

// tryProxies calls f with each GOPROXY entry that may serve modPath, in
// order, until one succeeds or the list says to stop. "direct", and a
// module matching GONOPROXY (or GOPRIVATE) that no file:// entry serves,
// are fetched by the go command (goProxy), as the go command itself would:
// from version control, with the user's git credentials. The error
// returned is the most useful one seen: a proxy failing beats "not found",
// which beats reaching "off", so that a module no proxy has is reported as
// not found (wrapping source.ErrNotFound).
func (s *Source) tryProxies(modPath string, f func(p proxy) error) error {
	if s.envErr != nil {
		return s.envErr
	}
	private := module.MatchPrefixPatterns(s.env.GONOPROXY, modPath)
	var failed, notFound error
	tried := false
	end := func(reached error) error {
		switch {
		case failed != nil:
			return failed
		case notFound != nil:
			if reached != nil {
				return fmt.Errorf("%w: %v (and GOPROXY ends with off)", source.ErrNotFound, notFound)
			}
			return fmt.Errorf("%w: %v", source.ErrNotFound, notFound)
		case reached != nil:
			return reached
		}
		return fmt.Errorf("%w: GOPROXY lists no proxy that may serve %s", source.ErrNotFound, modPath)
	}
	direct := func() error {
		err := f(goProxy)
		switch {
		case err == nil || notFound == nil || isNotFound(err):
			// The go command has the last word.
			return err
		case failed != nil:
			return failed
		}
		// The proxies do not have it, and its repository could not be
		// read: not found, with the reason.
		return fmt.Errorf("%w: %v; direct: %v", source.ErrNotFound, notFound, err)
	}
	for _, p := range s.proxies {
		switch p.kind {
		case kindOff:
			return end(ErrOff)
		case kindDirect:
			return direct()
		}
		// A private path must not be sent to a proxy over the network; a
		// local directory leaks nothing, so it is still read.
		if private && p.dir == "" {
			continue
		}
		tried = true
		err := f(p)
		if err == nil {
			return nil
		}
		if isNotFound(err) {
			if notFound == nil {
				notFound = err
			}
			continue
		}
		if failed == nil {
			failed = err
		}
		if !p.fallBackOnError {
			return err
		}
	}
	if private && !tried {
		return direct()
	}
	return end(nil)
}

// getBytes reads one protocol file that must not be cached (lists and
// @latest change over time).
func (s *Source) getBytes(ctx context.Context, p proxy, rel string) ([]byte, error) {
	if p.kind == kindGo {
		b, _, err := s.goFile(ctx, rel)
		return b, err
	}
	if p.dir != "" {
		return os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
	}
	b, _, err := s.client.GetBytes(ctx, p.fileURL(rel), nil)
	return b, err
}

// download returns a local path holding the file at rawURL: the file
// itself for file://, else the fetch cache's copy, keyed by URL because a
// module version's .mod and .zip never change.
func (s *Source) download(ctx context.Context, rawURL string) (string, error) {
	if rel, ok := strings.CutPrefix(rawURL, goProxy.base); ok {
		_, local, err := s.goFile(ctx, rel)
		return local, err
	}
	if strings.HasPrefix(rawURL, "file:") {
		u, err := url.Parse(rawURL)
		if err != nil {
			return "", err
		}
		p := filepath.FromSlash(u.Path)
		if _, err := os.Stat(p); err != nil {
			return "", err
		}
		return p, nil
	}
	return s.client.Download(ctx, rawURL, "")
}
