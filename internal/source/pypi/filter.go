package pypi

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/distbuild/dist/internal/wheel/platform"
)

func normalizeOptions(o Options) Options {
	var out Options
	for _, v := range o.PythonVersion {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			out.PythonVersion = append(out.PythonVersion, v)
		}
	}
	// pip spells platforms with "-" or "." too ("manylinux2014-x86_64",
	// "macosx-11.0-arm64"); wheel filenames only ever use "_".
	for _, p := range o.Platform {
		p = strings.ToLower(strings.TrimSpace(p))
		p = strings.NewReplacer("-", "_", ".", "_").Replace(p)
		if p != "" {
			out.Platform = append(out.Platform, p)
		}
	}
	if o.Wheelhouse != "" {
		out.Wheelhouse = filepath.Clean(o.Wheelhouse)
	}
	return out
}

func (o Options) describe() string {
	var parts []string
	if len(o.PythonVersion) > 0 {
		parts = append(parts, "python "+strings.Join(o.PythonVersion, ", "))
	}
	if len(o.Platform) > 0 {
		parts = append(parts, "platform "+strings.Join(o.Platform, ", "))
	}
	return strings.Join(parts, " and ")
}

// keep reports whether a file survives the narrowing.
func (o Options) keep(f fileInfo) bool {
	if !f.wheel {
		return true
	}
	if len(o.PythonVersion) > 0 && !o.pythonOK(f) {
		return false
	}
	if len(o.Platform) > 0 && !o.platformOK(f) {
		return false
	}
	return true
}

var majorMinor = regexp.MustCompile(`^(\d)\.(\d+)$`)

func (o Options) pythonOK(f fileInfo) bool {
	abi3 := false
	for _, a := range f.abi {
		abi3 = abi3 || a == "abi3"
	}
	for _, want := range o.PythonVersion {
		m := majorMinor.FindStringSubmatch(want)
		for _, py := range f.py {
			if m == nil {
				if py == want {
					return true
				}
				continue
			}
			major, minor := m[1], m[2]
			switch py {
			case "py" + major, "py" + major + minor, "cp" + major + minor:
				return true
			}
			// A stable-ABI wheel built for 3.X runs on every later 3.Y.
			if rest, ok := strings.CutPrefix(py, "cp"+major); ok && abi3 && rest != "" {
				built, err1 := strconv.Atoi(rest)
				target, err2 := strconv.Atoi(minor)
				if err1 == nil && err2 == nil && built <= target {
					return true
				}
			}
		}
	}
	return false
}

func (o Options) platformOK(f fileInfo) bool {
	for _, plat := range f.plat {
		if plat == "any" {
			return true
		}
		for _, want := range o.Platform {
			if plat == want || linuxCompatible(want, plat) {
				return true
			}
		}
	}
	return false
}

// linuxCompatible reports whether a wheel for platform tag have installs on a
// system described by want: same libc family and architecture, and a libc no
// newer.
func linuxCompatible(want, have string) bool {
	w, ok1 := platform.ParseLinux(want)
	h, ok2 := platform.ParseLinux(have)
	if !ok1 || !ok2 || w.Family != h.Family || w.Arch != h.Arch {
		return false
	}
	return h.Major < w.Major || (h.Major == w.Major && h.Minor <= w.Minor)
}
