package pypi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
	"golang.org/x/net/html"

	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/version"
)

// rawPage is a project page as served, before any file is kept or dropped.
type rawPage struct {
	name     string   // JSON "name", empty from HTML
	versions []string // PEP 700 "versions", nil when absent
	files    []rawFile
}

type rawFile struct {
	filename       string
	url            string // absolute, without fragment
	sha256         string // lowercase hex, empty when the index gives none
	requiresPython string
	size           int64
	yanked         bool
	// metadata says a PEP 658 metadata file is served beside the file;
	// metadataSHA256 is its lowercase hex sha256, "" when not given.
	metadata       bool
	metadataSHA256 string
	// wheelhouse marks a file of Options.Wheelhouse, listed after the
	// index's.
	wheelhouse bool
}

// page is a project page reduced to what dist asks of it.
type page struct {
	name     string   // canonical spelling
	versions []string // versions with kept files, oldest first
	releases map[string]*release
}

type release struct {
	display  string
	files    []source.Artifact // kept files, in page order
	yanked   int
	filtered int
	// index files of the version and how many of them are yanked, which
	// decide whether its wheelhouse files are.
	indexFiles, indexYanked int
	// spelling of the version in the first sdist, and in the first file.
	sdistSpelling, anySpelling string
}

func parseJSON(body []byte, base *url.URL) (*rawPage, error) {
	var doc struct {
		Meta struct {
			APIVersion string `json:"api-version"`
		} `json:"meta"`
		Name  string `json:"name"`
		Files []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python"`
			Size           int64             `json:"size"`
			Yanked         json.RawMessage   `json:"yanked"`
			CoreMetadata   json.RawMessage   `json:"core-metadata"`
			// PEP 691 named it dist-info-metadata; PyPI served it as
			// data-dist-info-metadata until PEP 714 renamed both.
			DistInfoMetadata     json.RawMessage `json:"dist-info-metadata"`
			DataDistInfoMetadata json.RawMessage `json:"data-dist-info-metadata"`
		} `json:"files"`
		Versions []string `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("bad PEP 691 JSON: %w", err)
	}
	// PEP 691: a client must refuse a major version it does not know.
	if major, _, _ := strings.Cut(doc.Meta.APIVersion, "."); major != "" && major != "1" {
		return nil, fmt.Errorf("unsupported simple API version %s", doc.Meta.APIVersion)
	}
	p := &rawPage{name: doc.Name, versions: doc.Versions}
	for _, f := range doc.Files {
		u, err := resolve(base, f.URL)
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", f.Filename, err)
		}
		rf := rawFile{filename: f.Filename, url: u, size: f.Size, yanked: yanked(f.Yanked)}
		rf.sha256 = strings.ToLower(f.Hashes["sha256"])
		if f.RequiresPython != nil {
			rf.requiresPython = *f.RequiresPython
		}
		// PEP 714: the new key wins, the old ones count only without it.
		for _, raw := range []json.RawMessage{f.CoreMetadata, f.DistInfoMetadata, f.DataDistInfoMetadata} {
			if len(raw) > 0 && string(raw) != "null" {
				rf.metadata, rf.metadataSHA256 = metadataJSON(raw)
				break
			}
		}
		p.files = append(p.files, rf)
	}
	return p, nil
}

// metadataJSON reads a PEP 691 core-metadata value: true, false, or a
// dictionary of hashes. A file is only said to have metadata when dist can
// check it as the index means it to be checked: hashes, when given, must
// include a well-formed sha256, or the metadata file is ignored and the
// caller reads the artifact, whose own hash it can check.
func metadataJSON(raw json.RawMessage) (bool, string) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, ""
	}
	var hashes map[string]string
	if json.Unmarshal(raw, &hashes) != nil {
		return false, ""
	}
	if len(hashes) == 0 {
		return true, ""
	}
	h := strings.ToLower(hashes["sha256"])
	if !isSHA256(h) {
		return false, ""
	}
	return true, h
}

// metadataHTML reads a PEP 658/714 data-core-metadata attribute: "true" or
// "<hashname>=<hex>", with the same rule as metadataJSON.
func metadataHTML(v string) (bool, string) {
	if v == "true" {
		return true, ""
	}
	name, h, ok := strings.Cut(v, "=")
	h = strings.ToLower(h)
	if !ok || name != "sha256" || !isSHA256(h) {
		return false, ""
	}
	return true, h
}

func isSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// yanked reads PEP 691's "yanked": true, or a reason string, yanks.
func yanked(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(raw, &s) == nil
}

func parseHTML(body []byte, base *url.URL) (*rawPage, error) {
	p := &rawPage{}
	z := html.NewTokenizer(bytes.NewReader(body))
	var cur *rawFile
	var href string
	var text strings.Builder
	finish := func() error {
		defer func() { cur = nil }()
		if href == "" {
			return nil
		}
		ref, err := url.Parse(href)
		if err != nil {
			return fmt.Errorf("link %q: %w", href, err)
		}
		if k, v, ok := strings.Cut(ref.Fragment, "="); ok && k == "sha256" {
			cur.sha256 = strings.ToLower(v)
		}
		cur.url, err = resolve(base, href)
		if err != nil {
			return err
		}
		cur.filename = strings.TrimSpace(text.String())
		if cur.filename == "" {
			cur.filename = path.Base(ref.Path)
		}
		p.files = append(p.files, *cur)
		return nil
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				if cur != nil {
					return p, finish()
				}
				return p, nil
			}
			return nil, z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			tag, hasAttr := z.TagName()
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			switch string(tag) {
			case "base":
				// pip honours <base href>; an index that writes one means it.
				if h, ok := attrs["href"]; ok {
					if b, err := base.Parse(h); err == nil {
						if b.Host == base.Host && b.User == nil {
							b.User = base.User
						}
						base = b
					}
				}
			case "a":
				if cur != nil {
					if err := finish(); err != nil {
						return nil, err
					}
				}
				_, y := attrs["data-yanked"]
				cur = &rawFile{yanked: y, requiresPython: attrs["data-requires-python"]}
				// PEP 714: the new attribute wins, the old one counts only
				// without it.
				if v, ok := attrs["data-core-metadata"]; ok {
					cur.metadata, cur.metadataSHA256 = metadataHTML(v)
				} else if v, ok := attrs["data-dist-info-metadata"]; ok {
					cur.metadata, cur.metadataSHA256 = metadataHTML(v)
				}
				href = attrs["href"]
				text.Reset()
				if tt == html.SelfClosingTagToken {
					if err := finish(); err != nil {
						return nil, err
					}
				}
			}
		case html.TextToken:
			if cur != nil {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			if tag, _ := z.TagName(); string(tag) == "a" && cur != nil {
				if err := finish(); err != nil {
					return nil, err
				}
			}
		}
	}
}

func resolve(base *url.URL, href string) (string, error) {
	ref, err := url.Parse(href)
	if err != nil {
		return "", fmt.Errorf("link %q: %w", href, err)
	}
	u := base.ResolveReference(ref)
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}

var sdistExts = []string{".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar"}

// fileInfo is what a filename says.
type fileInfo struct {
	dist, version string
	wheel         bool
	py, abi, plat []string // wheel tags, compressed sets split
}

// parseFilename reads a wheel or sdist filename of the project normalized
// as norm. Other files (eggs, installers) and files of other projects are
// not ones pip would install from this page, and are left out.
func parseFilename(fn, norm string) (fileInfo, bool) {
	if stem, ok := strings.CutSuffix(fn, ".whl"); ok {
		parts := strings.Split(stem, "-")
		if (len(parts) != 5 && len(parts) != 6) || pep508.NormalizeName(parts[0]) != norm || parts[1] == "" {
			return fileInfo{}, false
		}
		n := len(parts)
		return fileInfo{
			dist: parts[0], version: parts[1], wheel: true,
			py:   strings.Split(strings.ToLower(parts[n-3]), "."),
			abi:  strings.Split(strings.ToLower(parts[n-2]), "."),
			plat: strings.Split(strings.ToLower(parts[n-1]), "."),
		}, true
	}
	for _, ext := range sdistExts {
		if len(fn) <= len(ext) || !strings.EqualFold(fn[len(fn)-len(ext):], ext) {
			continue
		}
		stem := fn[:len(fn)-len(ext)]
		// The name may hold dashes itself ("python-dateutil-2.9.0"): the
		// version starts after the first dash where the name matches.
		for i := 0; i < len(stem); i++ {
			if stem[i] == '-' && i+1 < len(stem) && pep508.NormalizeName(stem[:i]) == norm {
				return fileInfo{dist: stem[:i], version: stem[i+1:]}, true
			}
		}
		return fileInfo{}, false
	}
	return fileInfo{}, false
}

// versionKey identifies a version whatever its spelling.
func versionKey(v string) string {
	if p, err := pep440.Parse(v); err == nil {
		return p.String()
	}
	return strings.ToLower(v)
}

func (s *Source) build(norm string, doc *rawPage) *page {
	p := &page{releases: map[string]*release{}}
	var order []*release
	get := func(key string) *release {
		r := p.releases[key]
		if r == nil {
			r = &release{}
			p.releases[key] = r
			order = append(order, r)
		}
		return r
	}
	for _, f := range doc.files {
		info, ok := parseFilename(f.filename, norm)
		if !ok {
			continue
		}
		r := get(versionKey(info.version))
		if r.anySpelling == "" {
			r.anySpelling = info.version
		}
		if !info.wheel && r.sdistSpelling == "" {
			r.sdistSpelling = info.version
		}
		yanked := f.yanked
		switch {
		case !f.wheelhouse:
			r.indexFiles++
			if yanked {
				r.indexYanked++
			}
		case r.indexFiles > 0 && r.indexYanked == r.indexFiles:
			// A wheel built from a release the index withdrew is withdrawn
			// too: the yank is about the version, not about whose bytes.
			yanked = true
		}
		if yanked {
			r.yanked++
			continue
		}
		if !s.opts.keep(info) {
			r.filtered++
			continue
		}
		r.files = append(r.files, source.Artifact{
			Filename:       f.filename,
			URL:            f.url,
			Hash:           hashOf(f.sha256),
			Size:           f.size,
			RequiresPython: f.requiresPython,
			HasMetadata:    f.metadata,
			MetadataHash:   hashOf(f.metadataSHA256),
		})
	}
	for _, r := range order {
		switch {
		case r.sdistSpelling != "":
			r.display = r.sdistSpelling
		default:
			r.display = r.anySpelling
		}
	}
	// PEP 700's list spells the versions the way the index means them, and
	// may name versions without files, which have nothing to lock.
	for _, v := range doc.versions {
		if r := p.releases[versionKey(v)]; r != nil {
			r.display = v
		} else {
			get(versionKey(v)).display = v
		}
	}

	var listed []string
	for _, r := range order {
		if len(r.files) > 0 {
			listed = append(listed, r.display)
		}
	}
	p.versions = sortVersions(listed)

	// PEP 503's normalized form is the canonical name: it is what PyPI's
	// JSON API returns and what pip-compile and uv write, and it does not
	// change with the kind of page (JSON or HTML) an index serves.
	p.name = norm
	return p
}

// hashOf writes a sha256 the lockfile way. A file the index gives no sha256
// for keeps an empty Hash rather than being dropped: Release.Hashes skips it,
// and the caller can tell a lock missing a file from one that has them all,
// and verify --download can still hash its bytes.
func hashOf(hexs string) string {
	if len(hexs) != 64 {
		return ""
	}
	return "sha256:" + hexs
}

// sortVersions orders oldest first. Versions PEP 440 cannot read go first, as
// pip's old LegacyVersion sorted them before every valid one.
func sortVersions(vs []string) []string {
	var legacy []string
	for _, v := range vs {
		if _, err := version.Parse(source.PyPI, v); err != nil {
			legacy = append(legacy, v)
		}
	}
	slices.Sort(legacy)
	out := legacy
	for _, v := range version.Sort(source.PyPI, vs) {
		out = append(out, v.Raw)
	}
	return out
}

func (p *page) lookup(v string) *release {
	for _, r := range p.releases {
		if r.display == v {
			return r
		}
	}
	return p.releases[versionKey(strings.TrimSpace(v))]
}
