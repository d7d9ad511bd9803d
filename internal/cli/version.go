package cli

import (
	"runtime/debug"
	"strings"
)

// versionOf is the version `dist --version` reports. linked is the value the
// Makefile links in (make build, make install), and wins. Otherwise bi, the
// binary's build info (nil when the binary has none), says: Main.Version is
// set by the go command for `go install module@version` (v1.2.0) and, since
// Go 1.24, for a build inside a git checkout (a pseudo-version such as
// v0.0.0-20260102030405-0123456789ab+dirty). When it is "(devel)", the
// vcs.revision and vcs.modified settings give "devel-0123456789ab", with
// "+dirty" for a modified work tree, as Go marks a pseudo-version. With
// none of these (a build with -buildvcs=false outside a module version) it
// is "devel".
func versionOf(linked string, bi *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if bi == nil {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	// Twelve hex digits, as a pseudo-version abbreviates a commit.
	if len(rev) > 12 && strings.Trim(rev, "0123456789abcdef") == "" {
		rev = rev[:12]
	}
	v := "devel-" + rev
	if modified {
		v += "+dirty"
	}
	return v
}
