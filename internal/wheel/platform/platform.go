// Package platform reads the platform tags of Python wheels that promise a
// Linux C library: manylinux (a glibc version, PEP 600, and the legacy
// names of PEP 513, 571 and 599) and musllinux (a musl version, PEP 656),
// as the platform compatibility tags specification on packaging.python.org
// defines them.
//
// It is its own package, below both, so that the wheel installer (which
// picks the wheel pip would pick) and the pypi source (which narrows a
// lockfile to --platform) read a tag the same way without the source
// depending on the installer.
package platform

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Linux is what a manylinux or musllinux tag promises: the wheel runs on
// Arch with a C library of Family at version Major.Minor or newer.
type Linux struct {
	Family       string // "manylinux" (glibc) or "musllinux" (musl)
	Major, Minor int    // the oldest libc version: 2, 17 for glibc 2.17
	Arch         string // "x86_64", "aarch64", ...
}

// String is the tag in its PEP 600 / PEP 656 spelling,
// "manylinux_2_17_x86_64", whichever spelling it was read from.
func (l Linux) String() string {
	return fmt.Sprintf("%s_%d_%d_%s", l.Family, l.Major, l.Minor, l.Arch)
}

// legacy are the manylinux names before PEP 600, the glibc minor version
// (of glibc 2) each stands for, and the architectures each was defined
// for: "manylinux1_aarch64" promises nothing.
var legacy = map[string]struct {
	minor int
	archs string
}{
	"manylinux1":    {5, " x86_64 i686 "},
	"manylinux2010": {12, " x86_64 i686 "},
	"manylinux2014": {17, " x86_64 i686 aarch64 armv7l ppc64 ppc64le s390x "},
}

var perLibc = regexp.MustCompile(`^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$`)

// ParseLinux reads a platform tag, lower case as wheel filenames spell
// it: "manylinux_2_17_x86_64", "musllinux_1_2_aarch64",
// "manylinux2014_x86_64" (as glibc 2.17). ok is false for every other tag
// ("linux_x86_64", "macosx_11_0_arm64", "any"), for a legacy name on an
// architecture it was not defined for, and for a version too large to be
// a number.
func ParseLinux(tag string) (l Linux, ok bool) {
	if m := perLibc.FindStringSubmatch(tag); m != nil {
		major, err1 := strconv.Atoi(m[2])
		minor, err2 := strconv.Atoi(m[3])
		if err1 != nil || err2 != nil {
			return Linux{}, false
		}
		return Linux{Family: m[1], Major: major, Minor: minor, Arch: m[4]}, true
	}
	name, arch, _ := strings.Cut(tag, "_")
	v, ok := legacy[name]
	if !ok || arch == "" || !strings.Contains(v.archs, " "+arch+" ") {
		return Linux{}, false
	}
	return Linux{Family: "manylinux", Major: 2, Minor: v.minor, Arch: arch}, true
}
