// Package opener opens the right index for a lockfile: it is the one place
// that knows every ecosystem's constructor and how its settings rank.
//
//   - pypi: the flags (--index-url, --python-version, --platform), then
//     what the CLI read of the environment (PIP_INDEX_URL), then dist.yaml
//     (index:, python_version:, platform:), then PyPI.
//   - gomod: the other way round. dist.yaml's index: is the lockfile's
//     GOPROXY and beats $GOPROXY, which beats the go command's default
//     (gomod.DefaultGOPROXY): index: is said of one lockfile, $GOPROXY of
//     every module the go command fetches, and the narrower setting wins.
//     No flag sets it.
//     The go command's other variables (GOFLAGS, GOPRIVATE, GONOSUMDB,
//     ...) are read by gomod, as the go command reads them.
//   - oci: only the flag --insecure; an image's registry is in its
//     reference.
package opener

import (
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/redact"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/source/gomod"
	"github.com/distbuild/dist/internal/source/oci"
	"github.com/distbuild/dist/internal/source/pypi"
)

// DefaultPyPIIndex is used when neither dist.yaml, a flag nor PIP_INDEX_URL names one.
const DefaultPyPIIndex = "https://pypi.org/simple"

// Settings are the command-line overrides, and what the CLI read of the
// environment.
type Settings struct {
	IndexURL string // --index-url, for pypi
	// EnvIndexURL is PIP_INDEX_URL, which the CLI reads: below the flag,
	// above dist.yaml, so that a user pointing pip at a mirror has dist
	// there too.
	EnvIndexURL   string
	PythonVersion []string // --python-version
	Platform      []string // --platform
	Insecure      bool     // plain HTTP to any registry
}

// New returns the opener lockset.Load takes (a lockset.Opener, spelled out
// so that this package, below the lockfile model, does not import it),
// sharing one client (and so one concurrency limit and one cache) across
// every lockfile, and one source per index.
func New(client *fetch.Client, s Settings) func(*manifest.Lockfile) (source.Source, error) {
	cache := map[string]source.Source{}
	return func(l *manifest.Lockfile) (source.Source, error) {
		switch l.Ecosystem {
		case source.PyPI:
			index := firstNonEmpty(s.IndexURL, s.EnvIndexURL, l.Index, DefaultPyPIIndex)
			if err := checkIndexURL(index); err != nil {
				return nil, err
			}
			opts := pypi.Options{PythonVersion: firstList(s.PythonVersion, l.PythonVersion), Platform: firstList(s.Platform, l.Platform)}
			if l.Wheelhouse != "" {
				// Absolute, so that the source does not depend on the
				// working directory (dist -C DIR).
				wh, err := filepath.Abs(l.WheelhouseDir())
				if err != nil {
					return nil, err
				}
				opts.Wheelhouse = wh
			}
			key := fmt.Sprintf("pypi %s %v %v %q", index, opts.PythonVersion, opts.Platform, opts.Wheelhouse)
			if src, ok := cache[key]; ok {
				return src, nil
			}
			src := pypi.New(client, index, opts)
			cache[key] = src
			return src, nil
		case source.GoMod:
			env := gomod.EnvFromOS()
			if l.Index != "" {
				env.GOPROXY = l.Index
			}
			// Keyed by the proxy: a second gomod lockfile with its own
			// index: must not be served by the first one's GOPROXY.
			key := "gomod " + env.GOPROXY
			if src, ok := cache[key]; ok {
				return src, nil
			}
			src := gomod.New(client, env)
			cache[key] = src
			return src, nil
		case source.OCI:
			if src, ok := cache["oci"]; ok {
				return src, nil
			}
			src := oci.New(client, oci.Options{Insecure: s.Insecure})
			cache["oci"] = src
			return src, nil
		}
		return nil, fmt.Errorf("unknown ecosystem %q", l.Ecosystem)
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func firstList(ls ...[]string) []string {
	for _, l := range ls {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

// checkIndexURL refuses an index URL that does not parse, naming it with
// its password hidden: url.Parse's own error would quote it whole.
func checkIndexURL(index string) error {
	u, err := url.Parse(index)
	if err != nil {
		return fmt.Errorf("index URL %s is not a valid URL (a password with %% or @ must be percent-encoded)", redact.URL(index))
	}
	if u.Scheme == "" || (u.Host == "" && u.Scheme != "file") {
		return fmt.Errorf("index URL %s is not an absolute URL", redact.URL(index))
	}
	return nil
}
