package pypi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
)

// ErrNotCached is returned by CachedMetadata when the cache holds neither
// the metadata of any of the files nor one of the files itself.
var ErrNotCached = errors.New("metadata not cached")

// metadataDir is where, under the fetch cache, the metadata of a file is
// recorded by the file's sha256: one file per artifact, named by its hex
// digest, holding the "sha256:<hex>" of the metadata blob in the cache.
// A file's bytes fix its metadata, so the record never goes stale.
const metadataDir = "pypi-metadata"

// rememberMetadata records that the file whose hash is artifactHash has
// the core metadata data, so that CachedMetadata finds it without the
// index. Failures only cost a lookup later, so they are ignored.
func (s *Source) rememberMetadata(artifactHash string, data []byte) {
	rec, ok := s.metadataRecord(artifactHash)
	if !ok {
		return
	}
	_, digest, err := s.client.Cache().Put(bytes.NewReader(data), "")
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(rec), 0o755); err != nil {
		return
	}
	tmp := fmt.Sprintf("%s.%d", rec, os.Getpid())
	if os.WriteFile(tmp, []byte(digest+"\n"), 0o644) == nil {
		os.Rename(tmp, rec)
	}
}

func (s *Source) metadataRecord(artifactHash string) (string, bool) {
	hexs, ok := strings.CutPrefix(strings.ToLower(artifactHash), "sha256:")
	if !ok || len(hexs) != 64 || strings.Trim(hexs, "0123456789abcdef") != "" {
		return "", false
	}
	return filepath.Join(s.client.Cache().Dir, metadataDir, hexs[:2], hexs), true
}

// CachedMetadata returns the core metadata of name==version without asking
// the index, from what earlier commands left in the fetch cache: the
// metadata dist read for one of the files whose hashes a lockfile pins
// (recorded by Metadata), else one of those files itself, a wheel's
// *.dist-info/METADATA or an sdist's PKG-INFO when it declares its
// dependencies (coremetadata.SdistUsable). The metadata must name the
// project and version (PEP 503 and PEP 440 equality), as Metadata checks.
// Nothing cached is an error wrapping ErrNotCached.
func (s *Source) CachedMetadata(name, version string, hashes []string) (*coremetadata.Metadata, error) {
	rel := &source.Release{Name: pep508.NormalizeName(name), Version: version}
	cache := s.client.Cache()
	var problems []error
	for _, h := range hashes {
		rec, ok := s.metadataRecord(h)
		if !ok {
			continue
		}
		digest, err := os.ReadFile(rec)
		if err != nil {
			continue
		}
		p, ok := cache.Lookup(strings.TrimSpace(string(digest)))
		if !ok {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		data, err := readAtMost(f)
		f.Close()
		if err != nil {
			continue
		}
		m, err := checkMetadata(rel, "cached metadata of "+h, data)
		if err == nil {
			return m, nil
		}
		problems = append(problems, err)
	}
	for _, h := range hashes {
		p, ok := cache.Lookup(h)
		if !ok {
			continue
		}
		if member, data, err := wheelMetadata(p); err == nil {
			m, err := checkMetadata(rel, "cached file "+h+": "+member, data)
			if err == nil {
				return m, nil
			}
			problems = append(problems, err)
			continue
		}
		for _, format := range []string{".tar.gz", ".zip"} {
			member, data, err := sdistMetadata(p, format)
			if err != nil {
				continue
			}
			m, err := checkMetadata(rel, "cached file "+h+": "+member, data)
			if err == nil && m.SdistUsable() {
				return m, nil
			}
			break
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s %s: %w: %w", name, version, ErrNotCached, errors.Join(problems...))
	}
	return nil, fmt.Errorf("%s %s: %w", name, version, ErrNotCached)
}

// FileVersion returns the version a wheel or sdist filename states for
// project name (PEP 427, PEP 625 and older sdist names, name compared PEP
// 503-normalized): "teamlib-1.0-py3-none-any.whl" gives "1.0".
func FileVersion(filename, name string) (string, bool) {
	info, ok := parseFilename(filename, pep508.NormalizeName(name))
	return info.version, ok && info.version != ""
}

// FileMetadata returns the core metadata of a file that is not on the
// index, as a "name @ URL --hash=…" requirement pins one: downloaded
// through the cache and checked against one of hashes (the first that
// matches), then read as Metadata reads a release's files. An sdist whose
// PKG-INFO does not declare its dependencies is an error wrapping
// ErrNoMetadata. The metadata is recorded for CachedMetadata.
func (s *Source) FileMetadata(ctx context.Context, name, version, fileURL string, hashes []string) (*coremetadata.Metadata, error) {
	rel := &source.Release{Name: pep508.NormalizeName(name), Version: version}
	filename := path.Base(fileURL)
	if u, err := url.Parse(fileURL); err == nil {
		filename = path.Base(u.Path)
	}
	info, ok := parseFilename(filename, rel.Name)
	if !ok || !info.wheel && sdistFormat(filename) == "" {
		return nil, &noMetadata{fmt.Sprintf("%s %s: %s is neither a wheel nor an sdist dist reads", name, version, filename)}
	}
	var last error
	for _, h := range hashes {
		m, err := s.readArchive(ctx, rel, source.Artifact{Filename: filename, URL: fileURL, Hash: h}, info.wheel)
		var mismatch *fetch.HashMismatchError
		if errors.As(err, &mismatch) {
			last = err
			continue
		}
		if err == nil && !info.wheel && !m.SdistUsable() {
			return nil, sdistUnusable(rel, "a URL to an sdist", m)
		}
		return m, err
	}
	if last == nil {
		last = fmt.Errorf("%s %s: %s has no --hash to check it against", name, version, filename)
	}
	return nil, last
}
