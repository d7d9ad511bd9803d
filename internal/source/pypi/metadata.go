package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"cmp"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
)

// ErrNoMetadata is wrapped by Metadata's error for a release whose
// dependencies cannot be known without building it: it has no wheel dist
// can read, and its sdist's PKG-INFO does not declare them reliably.
var ErrNoMetadata = errors.New("no usable core metadata")

type noMetadata struct{ msg string }

// Error names the way out too: a wheel built elsewhere, in the lockfile's
// wheelhouse, is read like the index's.
func (e *noMetadata) Error() string {
	return e.msg + " (build a wheel with pip wheel and put it in the lockfile's wheelhouse: folder)"
}
func (e *noMetadata) Is(target error) bool { return target == ErrNoMetadata }

// maxMetadata bounds the core metadata dist reads into memory. Metadata
// holds the whole description, a few hundred kilobytes at most in practice;
// this is far above that and far below what a hostile archive could claim.
const maxMetadata = 32 << 20

// Metadata returns the core metadata of one release, version matched as
// Release matches it. It reads, in order:
//
//   - the PEP 658/714 metadata file the index advertises for a wheel,
//     checked against the sha256 the page gives for it: a mismatch is an
//     error, not a fallback. An advertised file the index answers 404 for
//     falls back to the wheel, as some mirrors copy the attribute but not
//     the file;
//   - else the *.dist-info/METADATA of a wheel, downloaded through the
//     client's content-addressed cache and checked against its sha256;
//   - else the PKG-INFO of an sdist (.tar.gz, .zip), when it is
//     coremetadata.SdistUsable;
//   - else an error wrapping ErrNoMetadata, naming the project and version
//     and saying why ("kinto 14.3.0: no wheel, and its sdist's PKG-INFO
//     (Metadata-Version 2.1) does not declare its dependencies").
//
// Only the files Release keeps are read, a py3-none-any wheel first, then
// other wheels for any platform, then the rest, in page order; wheelhouse
// wheels (Options.Wheelhouse) are wheels like the index's, so that a
// project the index has only as an sdist dist cannot read is resolvable
// from a wheel built for it. The Name and Version the metadata states must
// be the release's.
//
// Metadata is safe for concurrent use; each release is read once for the
// life of the Source however many callers ask at once. The caller may
// change what it returns.
func (s *Source) Metadata(ctx context.Context, name, version string) (*coremetadata.Metadata, error) {
	rel, err := s.Release(ctx, name, version)
	if err != nil {
		return nil, err
	}
	// Release names the version as the page does, so that every spelling
	// of one version shares one read.
	m, err := s.metas.do(ctx, rel.Name+" "+versionKey(rel.Version), func() (*coremetadata.Metadata, error) {
		return s.loadMetadata(ctx, rel)
	})
	if err != nil {
		return nil, err
	}
	c := *m
	c.RequiresDist = slices.Clone(m.RequiresDist)
	c.ProvidesExtra = slices.Clone(m.ProvidesExtra)
	c.Dynamic = slices.Clone(m.Dynamic)
	c.Classifiers = slices.Clone(m.Classifiers)
	return &c, nil
}

func (s *Source) loadMetadata(ctx context.Context, rel *source.Release) (*coremetadata.Metadata, error) {
	var wheels []wheelFile
	var sdists []source.Artifact
	for _, a := range rel.Artifacts {
		info, ok := parseFilename(a.Filename, rel.Name)
		switch {
		case !ok:
		case info.wheel:
			wheels = append(wheels, wheelFile{a, wheelRank(info)})
		default:
			sdists = append(sdists, a)
		}
	}
	slices.SortStableFunc(wheels, func(a, b wheelFile) int { return cmp.Compare(a.rank, b.rank) })

	for _, w := range wheels {
		if !w.HasMetadata {
			continue
		}
		m, err := s.metadataFile(ctx, rel, w.Artifact)
		if err == nil || !fetch.IsNotFound(err) {
			return m, err
		}
		break
	}

	noWheel := "no wheel"
	for _, w := range wheels {
		// A file without a sha256 cannot be checked, nor locked.
		if w.Hash == "" {
			noWheel = "no wheel with a sha256"
			continue
		}
		return s.readArchive(ctx, rel, w.Artifact, true)
	}

	var unusable error
	for _, a := range sdists {
		if a.Hash == "" || sdistFormat(a.Filename) == "" {
			continue
		}
		m, err := s.readArchive(ctx, rel, a, false)
		if err != nil {
			return nil, err
		}
		if m.SdistUsable() {
			return m, nil
		}
		// Another sdist of the same release says the same; one is enough.
		unusable = sdistUnusable(rel, noWheel, m)
		break
	}
	if unusable != nil {
		return nil, unusable
	}
	if len(sdists) == 0 {
		return nil, &noMetadata{fmt.Sprintf("%s %s: %s and no sdist to read metadata from", rel.Name, rel.Version, noWheel)}
	}
	return nil, &noMetadata{fmt.Sprintf("%s %s: %s, and no sdist with a sha256 in a format dist reads", rel.Name, rel.Version, noWheel)}
}

func sdistUnusable(rel *source.Release, noWheel string, m *coremetadata.Metadata) error {
	for _, d := range m.Dynamic {
		if strings.EqualFold(d, "Requires-Dist") || strings.EqualFold(d, "Provides-Extra") {
			return &noMetadata{fmt.Sprintf("%s %s: %s, and its sdist's PKG-INFO leaves %s to the build (Dynamic)", rel.Name, rel.Version, noWheel, d)}
		}
	}
	return &noMetadata{fmt.Sprintf("%s %s: %s, and its sdist's PKG-INFO (Metadata-Version %s) does not declare its dependencies", rel.Name, rel.Version, noWheel, m.MetadataVersion)}
}

type wheelFile struct {
	source.Artifact
	rank int
}

// wheelRank orders the wheels to read: a pure-Python Python 3 wheel is the
// one most installs use and the least likely to differ, then other wheels
// for any platform, then platform wheels.
func wheelRank(info fileInfo) int {
	switch {
	case slices.Contains(info.py, "py3") && slices.Contains(info.abi, "none") && slices.Contains(info.plat, "any"):
		return 0
	case slices.Contains(info.plat, "any"):
		return 1
	}
	return 2
}

// metadataFile reads the PEP 658 metadata file of a wheel, through the
// cache like any download: by its sha256 when the page gives one.
func (s *Source) metadataFile(ctx context.Context, rel *source.Release, a source.Artifact) (*coremetadata.Metadata, error) {
	u, err := metadataURL(a.URL)
	if err != nil {
		return nil, fmt.Errorf("%s %s: metadata file of %s: %w", rel.Name, rel.Version, a.Filename, err)
	}
	p, err := s.client.Download(ctx, u, a.MetadataHash)
	if err != nil {
		return nil, fmt.Errorf("%s %s: metadata file of %s: %w", rel.Name, rel.Version, a.Filename, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readAtMost(f)
	if err != nil {
		return nil, fmt.Errorf("%s %s: metadata file of %s: %w", rel.Name, rel.Version, a.Filename, err)
	}
	m, err := checkMetadata(rel, a.Filename+".metadata", data)
	if err == nil {
		// PEP 658's file is the wheel's own METADATA.
		s.rememberMetadata(a.Hash, data)
	}
	return m, err
}

// metadataURL is PEP 658's: the file's URL with ".metadata" after its path.
func metadataURL(fileURL string) (string, error) {
	u, err := url.Parse(fileURL)
	if err != nil {
		return "", err
	}
	u.Path += ".metadata"
	if u.RawPath != "" {
		u.RawPath += ".metadata"
	}
	return u.String(), nil
}

// readArchive downloads a wheel or sdist, checked against its sha256, and
// reads its core metadata.
func (s *Source) readArchive(ctx context.Context, rel *source.Release, a source.Artifact, wheel bool) (*coremetadata.Metadata, error) {
	p, err := s.client.Download(ctx, a.URL, a.Hash)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s: %w", rel.Name, rel.Version, a.Filename, err)
	}
	var member string
	var data []byte
	if wheel {
		member, data, err = wheelMetadata(p)
	} else {
		member, data, err = sdistMetadata(p, sdistFormat(a.Filename))
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s: %w", rel.Name, rel.Version, a.Filename, err)
	}
	m, err := checkMetadata(rel, a.Filename+": "+member, data)
	if err == nil && (wheel || m.SdistUsable()) {
		s.rememberMetadata(a.Hash, data)
	}
	return m, err
}

// checkMetadata parses metadata read from where and checks that it is the
// release's, as pip does: a file of another project or version in the
// release's place is a broken or hostile index.
func checkMetadata(rel *source.Release, where string, data []byte) (*coremetadata.Metadata, error) {
	m, err := coremetadata.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s: %w", rel.Name, rel.Version, where, err)
	}
	if pep508.NormalizeName(m.Name) != rel.Name || !sameVersion(m.Version, rel.Version) {
		return nil, fmt.Errorf("%s %s: %s is the metadata of %s %s", rel.Name, rel.Version, where, m.Name, m.Version)
	}
	return m, nil
}

// sameVersion compares versions as PEP 440 does, where 4.0 is 4.0.0.
func sameVersion(a, b string) bool {
	va, err1 := pep440.Parse(a)
	vb, err2 := pep440.Parse(b)
	if err1 != nil || err2 != nil {
		return strings.EqualFold(a, b)
	}
	return va.Equal(vb)
}

// wheelMetadata reads the METADATA of the wheel's one top-level .dist-info
// directory.
func wheelMetadata(p string) (string, []byte, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return "", nil, err
	}
	defer zr.Close()
	var found []*zip.File
	for _, f := range zr.File {
		dir, base, ok := strings.Cut(f.Name, "/")
		if ok && base == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		return "", nil, errors.New("no *.dist-info/METADATA")
	case 1:
	default:
		return "", nil, fmt.Errorf("more than one *.dist-info/METADATA: %s, %s", found[0].Name, found[1].Name)
	}
	rc, err := found[0].Open()
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	data, err := readAtMost(rc)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", found[0].Name, err)
	}
	return found[0].Name, data, nil
}

// sdistFormat returns the extension of an sdist dist can open, "" for
// others.
func sdistFormat(filename string) string {
	lower := strings.ToLower(filename)
	for _, ext := range []string{".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar"} {
		if strings.HasSuffix(lower, ext) {
			return ext
		}
	}
	return ""
}

// sdistMetadata reads the PKG-INFO at the top of an sdist, in its
// "{name}-{version}/" directory; PKG-INFO files further down (in
// *.egg-info directories, in vendored projects) are other files.
func sdistMetadata(p, format string) (string, []byte, error) {
	isPKGInfo := func(name string) bool {
		name = path.Clean(strings.TrimPrefix(name, "./"))
		dir, base, ok := strings.Cut(name, "/")
		return ok && base == "PKG-INFO" && dir != ".." && dir != "."
	}
	if format == ".zip" {
		zr, err := zip.OpenReader(p)
		if err != nil {
			return "", nil, err
		}
		defer zr.Close()
		var found *zip.File
		for _, f := range zr.File {
			if !isPKGInfo(f.Name) || f.FileInfo().IsDir() {
				continue
			}
			if found != nil {
				return "", nil, fmt.Errorf("more than one top-level PKG-INFO: %s, %s", found.Name, f.Name)
			}
			found = f
		}
		if found == nil {
			return "", nil, errors.New("no PKG-INFO in its top directory")
		}
		rc, err := found.Open()
		if err != nil {
			return "", nil, err
		}
		defer rc.Close()
		data, err := readAtMost(rc)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", found.Name, err)
		}
		return found.Name, data, nil
	}

	f, err := os.Open(p)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	var r io.Reader = f
	switch format {
	case ".tar.gz", ".tgz":
		gz, err := gzip.NewReader(f)
		if err != nil {
			return "", nil, err
		}
		defer gz.Close()
		r = gz
	case ".tar.bz2":
		r = bzip2.NewReader(f)
	}
	tr := tar.NewReader(r)
	var name string
	var data []byte
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, err
		}
		if !isPKGInfo(h.Name) || h.Typeflag != tar.TypeReg {
			continue
		}
		// A tar may hold a name twice, the later entry winning when
		// unpacked; the whole archive is read so that this cannot hide.
		if found {
			return "", nil, fmt.Errorf("more than one top-level PKG-INFO: %s, %s", name, h.Name)
		}
		if data, err = readAtMost(tr); err != nil {
			return "", nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		name, found = h.Name, true
	}
	if !found {
		return "", nil, errors.New("no PKG-INFO in its top directory")
	}
	return name, data, nil
}

func readAtMost(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(r, maxMetadata+1))
	if err != nil {
		return nil, err
	}
	if n > maxMetadata {
		return nil, fmt.Errorf("core metadata larger than %d MiB", maxMetadata>>20)
	}
	return b.Bytes(), nil
}
