// Package gomod is the source for Go modules: it speaks the GOPROXY
// protocol (https:// and file:// proxies, with the go command's list
// semantics), hashes module zips and go.mod files exactly as go.sum does,
// checks them against the checksum database, and computes a module's build
// list by minimal version selection.
//
// GOPROXY's "direct", and modules matching GONOPROXY or GOPRIVATE, are
// fetched the way the go command fetches them, by the go command itself
// (go mod download -json), which honours the user's git configuration and
// credentials; what it downloads is hashed and checked as a proxy's files
// are.
package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
)

// Source is a Go module proxy (or a GOPROXY list of them).
type Source struct {
	client  *fetch.Client
	env     Env
	proxies []proxy
	// envErr is a bad GOPROXY or GOSUMDB, reported by every call so that
	// New needs no error return.
	envErr error
	sumdb  *sumDB // nil when GOSUMDB=off
	// goRuns remembers the go command's answers, see runGo.
	goRuns goCalls
}

var (
	_ source.Source   = (*Source)(nil)
	_ source.Requirer = (*Source)(nil)
)

// New returns a Source fetching with client under env. A malformed env is
// reported by the first call that needs it.
func New(client *fetch.Client, env Env) *Source {
	s := &Source{client: client, env: env.withDefaults()}
	s.proxies, s.envErr = parseGOPROXY(s.env.GOPROXY)
	if s.envErr == nil && s.env.GOSUMDB != "off" {
		s.sumdb, s.envErr = newSumDB(s, s.env.GOSUMDB)
	}
	return s
}

// Ecosystem returns source.GoMod.
func (s *Source) Ecosystem() string { return source.GoMod }

// Env returns the configuration in effect, defaults applied.
func (s *Source) Env() Env { return s.env }

func wrap(modPath, version string, err error) error {
	if version == "" {
		return fmt.Errorf("gomod: %s: %w", modPath, err)
	}
	return fmt.Errorf("gomod: %s@%s: %w", modPath, version, err)
}

// Versions returns the tagged versions of a module, oldest first, as
// `go list -m -versions` does: pseudo-versions are left out, and so are
// versions retracted by the module's latest go.mod (Go's counterpart of a
// yanked release). A module with no tag at all answers its @latest, which
// is then a pseudo-version. Module paths are case-sensitive, so the
// canonical name is the path as given.
func (s *Source) Versions(ctx context.Context, name string) (string, []string, error) {
	if err := module.CheckPath(name); err != nil {
		return "", nil, wrap(name, "", err)
	}
	rel, err := protocolPath(name, "@v/list")
	if err != nil {
		return "", nil, wrap(name, "", err)
	}
	var data []byte
	err = s.tryProxies(name, func(p proxy) error {
		var err error
		data, err = s.getBytes(ctx, p, rel)
		return err
	})
	if err != nil {
		return "", nil, wrap(name, "", err)
	}
	seen := map[string]bool{}
	var versions []string
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		v := f[0]
		if !semver.IsValid(v) || module.IsPseudoVersion(v) || seen[v] || module.Check(name, v) != nil {
			continue
		}
		seen[v] = true
		versions = append(versions, v)
	}
	semver.Sort(versions)

	if len(versions) == 0 {
		v, err := s.latest(ctx, name)
		if err != nil {
			return "", nil, wrap(name, "", err)
		}
		versions = []string{v}
	}

	retracted, err := s.retractions(ctx, name, newestOf(versions))
	if err != nil {
		return "", nil, wrap(name, "", err)
	}
	if len(retracted) > 0 {
		kept := versions[:0]
		for _, v := range versions {
			if !isRetracted(retracted, v) {
				kept = append(kept, v)
			}
		}
		versions = kept
	}
	return name, versions, nil
}

// latest asks @latest, which answers even for a module with no tag.
func (s *Source) latest(ctx context.Context, name string) (string, error) {
	rel, err := protocolPath(name, "@latest")
	if err != nil {
		return "", err
	}
	var data []byte
	err = s.tryProxies(name, func(p proxy) error {
		var err error
		data, err = s.getBytes(ctx, p, rel)
		return err
	})
	if err != nil {
		return "", err
	}
	var info struct{ Version string }
	if err := json.Unmarshal(data, &info); err != nil {
		return "", fmt.Errorf("invalid @latest answer: %w", err)
	}
	if err := module.Check(name, info.Version); err != nil {
		return "", fmt.Errorf("invalid @latest answer: %w", err)
	}
	return info.Version, nil
}

// newestOf returns the version whose go.mod rules on retractions, as the
// go command picks it: the highest release, else the highest prerelease.
func newestOf(sorted []string) string {
	for i := len(sorted) - 1; i >= 0; i-- {
		if semver.Prerelease(sorted[i]) == "" {
			return sorted[i]
		}
	}
	return sorted[len(sorted)-1]
}

func (s *Source) retractions(ctx context.Context, name, version string) ([]modfile.VersionInterval, error) {
	data, _, err := s.goMod(ctx, name, version)
	if errors.Is(err, source.ErrNotFound) {
		// A listed version without a go.mod is the proxy's problem, not a
		// reason to hide every version.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := modfile.ParseLax(name+"@"+version+"/go.mod", data, nil)
	if err != nil {
		return nil, err
	}
	var out []modfile.VersionInterval
	for _, r := range f.Retract {
		out = append(out, r.VersionInterval)
	}
	return out, nil
}

func isRetracted(retracted []modfile.VersionInterval, v string) bool {
	for _, r := range retracted {
		if semver.Compare(r.Low, v) <= 0 && semver.Compare(v, r.High) <= 0 {
			return true
		}
	}
	return false
}

// goMod returns a version's go.mod and the URL it came from.
func (s *Source) goMod(ctx context.Context, name, version string) ([]byte, string, error) {
	rel, err := versionFile(name, version, ".mod")
	if err != nil {
		return nil, "", err
	}
	var data []byte
	var from string
	err = s.tryProxies(name, func(p proxy) error {
		u := p.fileURL(rel)
		local, err := s.download(ctx, u)
		if err != nil {
			return err
		}
		data, err = os.ReadFile(local)
		from = u
		return err
	})
	return data, from, err
}

// zipFile returns a local path to a version's zip and the URL it came from.
func (s *Source) zipFile(ctx context.Context, name, version string) (string, string, error) {
	rel, err := versionFile(name, version, ".zip")
	if err != nil {
		return "", "", err
	}
	var local, from string
	err = s.tryProxies(name, func(p proxy) error {
		u := p.fileURL(rel)
		var err error
		local, err = s.download(ctx, u)
		from = u
		return err
	})
	return local, from, err
}

// Release returns the two go.sum hashes of name@version, as two artifacts
// in this order:
//
//  0. the module zip, Filename "<module>@<version>.zip", Hash the h1: that
//     `go mod download -json` reports as Sum and go.sum holds on the
//     "<module> <version> h1:..." line. This is the hash a lockfile pins.
//  1. the go.mod, Filename "<module>@<version>/go.mod", Hash the h1: that
//     `go mod download -json` reports as GoModSum and go.sum holds on the
//     "<module> <version>/go.mod h1:..." line.
//
// Computing the zip hash needs the whole zip; it is downloaded into the
// fetch cache, where a later build finds it. Unless GOSUMDB=off or the
// module matches GONOSUMDB (or GOPRIVATE), both hashes are checked against
// the checksum database, and a difference is an error.
func (s *Source) Release(ctx context.Context, name, version string) (*source.Release, error) {
	if err := module.Check(name, version); err != nil {
		return nil, wrap(name, version, err)
	}
	if version != module.CanonicalVersion(version) {
		return nil, wrap(name, version, fmt.Errorf("version is not canonical (use %s)", module.CanonicalVersion(version)))
	}
	mod, modURL, err := s.goMod(ctx, name, version)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	modSum, err := goModHash(mod)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	zipPath, zipURL, err := s.zipFile(ctx, name, version)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	zipSum, zipSize, err := zipHash(name, version, zipPath)
	if err != nil {
		return nil, wrap(name, version, err)
	}
	if sum, modSumGo, ok := s.goSums(ctx, name, version); ok && (sum != zipSum || modSumGo != modSum) {
		// What the go command reports is what go.sum will hold: hashing
		// its files otherwise would be a bug here, or a changed cache.
		return nil, wrap(name, version, fmt.Errorf("go mod download reports %s and %s/go.mod %s, but its files hash to %s and %s", sum, version, modSumGo, zipSum, modSum))
	}
	if err := s.checkSumDB(ctx, name, version, zipSum, modSum); err != nil {
		return nil, wrap(name, version, err)
	}
	return &source.Release{
		Name:    name,
		Version: version,
		Artifacts: []source.Artifact{
			{Filename: name + "@" + version + ".zip", URL: zipURL, Hash: zipSum, Size: zipSize},
			{Filename: name + "@" + version + "/go.mod", URL: modURL, Hash: modSum, Size: int64(len(mod))},
		},
		ProjectURL: "https://pkg.go.dev/" + name + "@" + version,
	}, nil
}

// Rehash hashes again the bytes of every artifact of rel. The bytes are the
// fetch cache's copy when there is one: that copy was stored under its own
// sha256, so hashing it is hashing what the proxy served. An artifact
// without a URL (a release rebuilt from a lockfile) is looked up through
// GOPROXY by its Filename.
func (s *Source) Rehash(ctx context.Context, rel *source.Release) ([]string, error) {
	out := make([]string, len(rel.Artifacts))
	for i, a := range rel.Artifacts {
		var err error
		switch {
		case strings.HasSuffix(a.Filename, "/go.mod"):
			out[i], err = s.rehashGoMod(ctx, rel, a)
		case strings.HasSuffix(a.Filename, ".zip"):
			out[i], err = s.rehashZip(ctx, rel, a)
		default:
			err = fmt.Errorf("artifact %q is neither a module zip nor a go.mod", a.Filename)
		}
		if err != nil {
			return nil, wrap(rel.Name, rel.Version, err)
		}
	}
	return out, nil
}

func (s *Source) rehashGoMod(ctx context.Context, rel *source.Release, a source.Artifact) (string, error) {
	var data []byte
	var err error
	if a.URL == "" {
		data, _, err = s.goMod(ctx, rel.Name, rel.Version)
	} else {
		var local string
		if local, err = s.download(ctx, a.URL); err == nil {
			data, err = os.ReadFile(local)
		}
	}
	if err != nil {
		return "", err
	}
	return goModHash(data)
}

func (s *Source) rehashZip(ctx context.Context, rel *source.Release, a source.Artifact) (string, error) {
	var local string
	var err error
	if a.URL == "" {
		local, _, err = s.zipFile(ctx, rel.Name, rel.Version)
	} else {
		local, err = s.download(ctx, a.URL)
	}
	if err != nil {
		return "", err
	}
	h, _, err := zipHash(rel.Name, rel.Version, local)
	return h, err
}

// goModHash is go.sum's "/go.mod" hash: dirhash over one file named
// "go.mod" (not "<module>@<version>/go.mod", unlike the zip's entries).
func goModHash(data []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// zipHash checks that a zip is a well-formed zip of name@version (the go
// command refuses to extract one that is not, so pinning it would only
// defer the failure) and returns its go.sum hash and size.
func zipHash(name, version, zipPath string) (string, int64, error) {
	fi, err := os.Stat(zipPath)
	if err != nil {
		return "", 0, err
	}
	if _, err := modzip.CheckZip(module.Version{Path: name, Version: version}, zipPath); err != nil {
		return "", 0, fmt.Errorf("invalid module zip: %w", err)
	}
	h, err := dirhash.HashZip(zipPath, dirhash.DefaultHash)
	if err != nil {
		return "", 0, err
	}
	return h, fi.Size(), nil
}
