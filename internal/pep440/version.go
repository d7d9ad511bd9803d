// Package pep440 implements PEP 440 version specifier sets on top of
// github.com/aquasecurity/go-pep440-version.
//
// The library parses and orders versions correctly, and its ==, !=, <, <=, >
// and >= operators follow PEP 440 (and pypa/packaging). This package works
// around the places where it does not:
//
//   - Prefix matching (==V.*, !=V.*) pads the wrong slice, so ==1.0.* does not
//     match 1, and epochs confuse it; prefix matching is implemented here.
//   - ~= keeps a pre-release suffix in its prefix (~=1.4.5a4 becomes ==1.4.5.*
//     instead of ==1.4.*) and inherits the prefix bug; implemented here.
//   - === compares the normalized form and needs a parseable version; PEP 440
//     defines it as a case-insensitive comparison of the strings as written,
//     so it is implemented here and also works for legacy versions.
//   - Local labels are split on "." only, so 1.0+ubuntu-1 and 1.0+ubuntu.1
//     (equal under PEP 440) differ; versions are normalized before use.
//   - The library has no set-level pre-release exclusion, and its
//     WithPreRelease option also switches off the "<V excludes pre-releases
//     of V" rule; pre-releases are handled here and the option is never used.
//   - The library accepts non-PEP 440 syntax ("1.0", "=1.0", "a||b"); clauses
//     are parsed here and only well-formed ones are handed to it.
package pep440

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

// version is a parsed, normalized PEP 440 version together with its
// components, which the library keeps unexported but prefix matching needs.
type version struct {
	lib     pep440.Version
	norm    string // normalized form, e.g. "1!2.0rc1.post3.dev4+abc.5"
	epoch   uint64
	release []uint64
	pre     string // "", "a", "b" or "rc"
	preN    uint64
	post    bool
	postN   uint64
	dev     bool
	devN    uint64
	local   string
}

// normalizedRe matches the library's normalized String() output, which is
// how the components are recovered.
var normalizedRe = regexp.MustCompile(`^(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)(?:(a|b|rc)([0-9]+))?(?:\.post([0-9]+))?(?:\.dev([0-9]+))?(?:\+([a-z0-9.]+))?$`)

var localSeparators = strings.NewReplacer("-", ".", "_", ".")

func parseVersion(s string) (version, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return version{}, fmt.Errorf("empty version")
	}
	lv, err := pep440.Parse(s)
	if err != nil {
		return version{}, fmt.Errorf("invalid PEP 440 version %q", s)
	}
	// The library keeps "-" and "_" in local labels and compares them as part
	// of one segment; PEP 440 normalizes both to ".".
	if local := lv.Local(); strings.ContainsAny(local, "-_") {
		lv, err = pep440.Parse(lv.Public() + "+" + localSeparators.Replace(local))
		if err != nil {
			return version{}, fmt.Errorf("invalid PEP 440 version %q", s)
		}
	}
	norm := lv.String()
	m := normalizedRe.FindStringSubmatch(norm)
	if m == nil {
		return version{}, fmt.Errorf("invalid PEP 440 version %q (normalized to unexpected %q)", s, norm)
	}
	v := version{lib: lv, norm: norm, pre: m[3], local: m[7]}
	num := func(s string) uint64 {
		n, _ := strconv.ParseUint(s, 10, 64) // the library already bounded these to uint64
		return n
	}
	v.epoch = num(m[1])
	for _, r := range strings.Split(m[2], ".") {
		v.release = append(v.release, num(r))
	}
	v.preN = num(m[4])
	v.post, v.postN = m[5] != "", num(m[5])
	v.dev, v.devN = m[6] != "", num(m[6])
	return v, nil
}

func (v version) isPrerelease() bool { return v.pre != "" || v.dev }

// releaseEqual compares release segments with PEP 440 zero padding.
func releaseEqual(a, b []uint64) bool {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y uint64
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return false
		}
	}
	return true
}

// Valid reports whether v is a valid PEP 440 version (surrounding whitespace
// and a leading "v" are tolerated, as PEP 440 normalization allows).
func Valid(v string) bool {
	_, err := parseVersion(v)
	return err == nil
}

// IsPrerelease reports whether v is a valid PEP 440 pre-release or
// developmental release (1.0a1, 1.0rc1, 1.0.dev0, 1.0.post1.dev2).
func IsPrerelease(v string) bool {
	pv, err := parseVersion(v)
	return err == nil && pv.isPrerelease()
}
