// Package pypi reads a Python package index through the simple repository
// API: PEP 691 JSON where the index offers it, PEP 503 HTML otherwise.
package pypi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
)

// accept asks for JSON but takes HTML, so that one request serves both kinds
// of index.
const accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"

// Options narrows the files kept in a Release, as hashin's --python-version
// and --platform do. Sdists are always kept, since they build anywhere.
type Options struct {
	// PythonVersion keeps wheels that install on one of these Pythons:
	// "3.12" keeps python tags py3, py312 and cp312, and cp3X wheels of the
	// stable ABI (abi3) with X <= 12. Anything else ("cp312", "pp310") is
	// matched literally against the wheel's python tags.
	PythonVersion []string
	// Platform keeps wheels for one of these platform tags, or "any".
	// A manylinux or musllinux tag also keeps wheels for older glibc or musl
	// of the same architecture, which install there too (PEP 600):
	// "manylinux2014_x86_64" keeps manylinux1_x86_64 and
	// manylinux_2_17_x86_64 wheels, not manylinux_2_28_x86_64.
	Platform []string
	// Wheelhouse is a folder of wheels built elsewhere (pip wheel), as
	// pip's --find-links DIR: an absolute path, "" for none. Its *.whl
	// files join the releases of their projects (matched by the filename's
	// PEP 503-normalized name and PEP 440-normalized version) after the
	// index's files, with the sha256 of their bytes and file:// URLs; a
	// version or project only there is listed too. They are narrowed like
	// the index's wheels, and count as yanked when the index yanked every
	// file of their version. A missing folder is an error.
	Wheelhouse string
}

// Source is one PEP 503/691 index. It is safe for concurrent use.
type Source struct {
	client *fetch.Client
	index  string   // without a trailing slash, credentials included
	base   *url.URL // index, parsed
	opts   Options

	pages flight[*page]                  // by normalized name
	metas flight[*coremetadata.Metadata] // by release, see Metadata
	// house lists opts.Wheelhouse once, see scanWheelhouse.
	house func() (map[string][]string, error)
}

var _ source.Source = (*Source)(nil)

// New returns a Source reading the index at indexURL ("https://pypi.org/simple").
// Credentials in indexURL are sent to the index's host only and never printed.
func New(client *fetch.Client, indexURL string, opts Options) *Source {
	index := strings.TrimRight(indexURL, "/")
	base, _ := url.Parse(index)
	s := &Source{client: client, index: index, base: base, opts: normalizeOptions(opts)}
	s.house = sync.OnceValues(func() (map[string][]string, error) { return scanWheelhouse(s.opts.Wheelhouse) })
	return s
}

// Ecosystem returns source.PyPI.
func (s *Source) Ecosystem() string { return source.PyPI }

// Versions lists the versions that have at least one file kept: not yanked
// and, when Options narrow, matching them. Prereleases are listed.
func (s *Source) Versions(ctx context.Context, name string) (string, []string, error) {
	p, err := s.page(ctx, name)
	if err != nil {
		return "", nil, err
	}
	return p.name, slices.Clone(p.versions), nil
}

// Release describes one version. The version is matched exactly, then by
// its PEP 440 normal form ("1.0.0RC1" finds "1.0.0rc1").
func (s *Source) Release(ctx context.Context, name, ver string) (*source.Release, error) {
	p, err := s.page(ctx, name)
	if err != nil {
		return nil, err
	}
	r := p.lookup(ver)
	switch {
	case r == nil:
		return nil, source.NotFound("pypi project %s has no version %s on %s", p.name, ver, s.where())
	case len(r.files) == 0 && r.filtered == 0 && r.yanked > 0:
		return nil, source.NotFound("every file of %s %s is yanked on %s", p.name, r.display, s.where())
	case len(r.files) == 0 && r.filtered == 0:
		return nil, source.NotFound("%s %s has no files on %s", p.name, r.display, s.where())
	case len(r.files) == 0:
		return nil, source.NotFound("no file of %s %s on %s is for %s", p.name, r.display, s.where(), s.opts.describe())
	}
	return &source.Release{Name: p.name, Version: r.display, Artifacts: slices.Clone(r.files)}, nil
}

// Rehash downloads every artifact and hashes its bytes. The expected hash is
// not handed to the download, so that a mismatch comes back as a different
// hash for the caller to report rather than as a download error.
func (s *Source) Rehash(ctx context.Context, rel *source.Release) ([]string, error) {
	out := make([]string, len(rel.Artifacts))
	errs := make([]error, len(rel.Artifacts))
	var wg sync.WaitGroup
	for i, a := range rel.Artifacts {
		wg.Go(func() {
			out[i], errs[i] = s.rehash(ctx, a)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Source) rehash(ctx context.Context, a source.Artifact) (string, error) {
	if a.Hash != "" {
		// The cache is content-addressed: bytes stored under a digest were
		// hashed to it as they arrived, so asking for the expected digest
		// either finds them or downloads and hashes in one pass. Other bytes
		// come back as a mismatch that names their real digest.
		_, err := s.client.Download(ctx, a.URL, a.Hash)
		var mismatch *fetch.HashMismatchError
		switch {
		case err == nil:
			return lockfileHash(a.Hash), nil
		case errors.As(err, &mismatch):
			return mismatch.Got, nil
		}
		return "", fmt.Errorf("rehash %s: %w", a.Filename, err)
	}
	p, err := s.client.Download(ctx, a.URL, "")
	if err != nil {
		return "", fmt.Errorf("rehash %s: %w", a.Filename, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("rehash %s: %w", a.Filename, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("rehash %s: %w", a.Filename, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// maxPage caps a project page: a server that sends more is refused rather
// than read into memory whole. Tests lower it.
var maxPage = 64 << 20

func lockfileHash(h string) string { return strings.ToLower(h) }

// page returns the parsed project page, fetching it once for the life of the
// Source however many callers ask at the same time.
func (s *Source) page(ctx context.Context, name string) (*page, error) {
	norm := pep508.NormalizeName(strings.TrimSpace(name))
	if norm == "" || strings.ContainsAny(norm, "/?#% ") {
		return nil, fmt.Errorf("%q is not a Python project name", name)
	}
	return s.pages.do(ctx, norm, func() (*page, error) {
		house, err := s.wheelhouseFiles(ctx, norm)
		if err != nil {
			return nil, err
		}
		doc, err := s.load(ctx, name, norm)
		if len(house) > 0 && errors.Is(err, source.ErrNotFound) {
			// As with pip's --find-links, a project the index lacks is
			// found in the wheelhouse.
			doc, err = &rawPage{}, nil
		}
		if err != nil {
			return nil, err
		}
		doc.files = append(doc.files, house...)
		return s.build(norm, doc), nil
	})
}

func (s *Source) load(ctx context.Context, name, norm string) (*rawPage, error) {
	pageURL := s.index + "/" + norm + "/"
	resp, err := s.client.Get(ctx, pageURL, http.Header{"Accept": {accept}})
	if err != nil {
		if fetch.IsNotFound(err) {
			return nil, source.NotFound("pypi project %q not found on %s", name, s.where())
		}
		return nil, fmt.Errorf("pypi project %q: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(maxPage)+1))
	if err != nil {
		return nil, fmt.Errorf("pypi project %q: %s: %w", name, fetch.Redact(pageURL), err)
	}
	if len(body) > maxPage {
		return nil, fmt.Errorf("pypi project %q: %s: the page is larger than %d MiB", name, fetch.Redact(pageURL), maxPage>>20)
	}

	// Links resolve against the page as finally served, after redirects.
	// fetch dropped the credentials from that URL; they go back on when the
	// page is still on the index's host, so that relative file links of a
	// private index download with the same credentials.
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("pypi project %q: %s: not a valid URL", name, fetch.Redact(pageURL))
	}
	if resp.Request != nil && resp.Request.URL != nil {
		final := *resp.Request.URL
		if fetch.SameOrigin(&final, base) {
			final.User = base.User
		}
		base = &final
	}

	var doc *rawPage
	if isJSON(resp.Header.Get("Content-Type"), body) {
		doc, err = parseJSON(body, base)
	} else {
		doc, err = parseHTML(body, base)
	}
	if err != nil {
		return nil, fmt.Errorf("pypi project %q: %s: %w", name, fetch.Redact(pageURL), err)
	}
	for i := range doc.files {
		doc.files[i].url = s.withCredentials(doc.files[i].url)
	}
	return doc, nil
}

// withCredentials gives an absolute link to the index's own host the index's
// credentials, as pip does, since such a host usually wants them for files too.
func (s *Source) withCredentials(raw string) string {
	if s.base == nil || s.base.User == nil {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || !fetch.SameOrigin(u, s.base) {
		return raw
	}
	u.User = s.base.User
	return u.String()
}

func isJSON(contentType string, body []byte) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && mt != "" {
		return strings.HasSuffix(mt, "json")
	}
	return strings.HasPrefix(strings.TrimSpace(string(body[:min(len(body), 64)])), "{")
}
