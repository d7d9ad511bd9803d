package gobuild

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/source/gomod"
)

// buildContext is what goError needs to name modules and lockfile lines.
type buildContext struct {
	lockName string
	pins     []pin
	graph    *gomod.ModGraph
	main     string
	mainPin  *pin
	dir      string // the build module, the go command's working directory
	modCache string
}

var (
	checksumRE = regexp.MustCompile(`verifying (\S+?)@(\S+): checksum mismatch\s+downloaded: (\S+)\s+go\.sum:\s+(\S+)`)
	goModSumRE = regexp.MustCompile(`(\S+?)@(\S+): missing go\.sum entry for go\.mod file`)
	pkgSumRE   = regexp.MustCompile(`missing go\.sum entry for module providing package (\S+)(?: \(imported by (\S+)\))?`)
	noPkgRE    = regexp.MustCompile(`cannot find module providing package (\S+?):`)
)

// goError turns the go command's complaints about go.sum, which here mean
// complaints about the lockfile, into messages naming the module and the
// lockfile line; anything else is the go command's own output.
func goError(stderr string, runErr error, c buildContext) error {
	out := c.clean(stderr)
	var mismatch, unpinned []string
	seen := map[string]bool{}
	add := func(list *[]string, msg string) {
		if !seen[msg] {
			seen[msg] = true
			*list = append(*list, msg)
		}
	}
	for _, m := range checksumRE.FindAllStringSubmatch(out, -1) {
		path, vers, got, want := m[1], m[2], m[3], m[4]
		if v, ok := strings.CutSuffix(vers, "/go.mod"); ok {
			add(&mismatch, fmt.Sprintf("%s %s: hash mismatch: its go.mod hashes to %s where the checksum database says %s (is the module cache %s damaged?)", path, v, got, want, c.modCache))
			continue
		}
		at := c.lockName
		if p := c.pinOf(path); p != nil {
			at = fmt.Sprintf("%s:%d", c.lockName, p.line)
		}
		add(&mismatch, fmt.Sprintf("%s %s: hash mismatch: the module downloaded hashes to %s, but %s pins %s (the proxy or the module cache serves other bytes than were locked)", path, vers, got, at, want))
	}
	for _, m := range goModSumRE.FindAllStringSubmatch(out, -1) {
		if msg := c.notPinned(m[1], m[2], ""); msg != "" {
			add(&unpinned, msg)
		}
	}
	for _, m := range pkgSumRE.FindAllStringSubmatch(out, -1) {
		pkg, importer := m[1], m[2]
		why := "provides package " + pkg
		if importer != "" {
			why += ", imported by " + importer
		}
		mod := c.moduleOf(pkg)
		if mod == nil {
			add(&unpinned, fmt.Sprintf("package %s (imported by %s) is in no module that %s pins", pkg, importer, c.lockName))
		} else if msg := c.notPinned(mod.Name, mod.Version, why); msg != "" {
			add(&unpinned, msg)
		}
	}
	switch {
	case len(mismatch) > 0:
		return &kindError{ErrHashMismatch, strings.Join(mismatch, "; ")}
	case len(unpinned) > 0:
		return &kindError{ErrNotPinned, strings.Join(unpinned, "; ")}
	}
	if m := noPkgRE.FindStringSubmatch(out); m != nil && m[1] == c.main {
		return fmt.Errorf("%w: %s@%s has no package %s", ErrBuildFailed, c.mainPin.path, c.mainPin.version, c.main)
	}
	if out == "" {
		return fmt.Errorf("%w: %v", ErrBuildFailed, runErr)
	}
	return fmt.Errorf("%w:\n%s", ErrBuildFailed, tail(out, 30))
}

// kindError is one of the Err* kinds with a message that already says it
// in its own words.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// notPinned says why path@version lacks a go.sum line, or "" when the
// lockfile does pin exactly that (a gap in dist's go.mod lines, which the
// go command's own message then explains better).
func (c buildContext) notPinned(path, version, why string) string {
	if why != "" {
		why = " (it " + why + ")"
	}
	p := c.pinOf(path)
	switch {
	case p == nil:
		return fmt.Sprintf("the build needs %s %s%s, which %s does not pin", path, version, why, c.lockName)
	case p.version != version:
		return fmt.Sprintf("the build needs %s %s%s, but %s:%d pins %s", path, version, why, c.lockName, p.line, p.version)
	}
	return ""
}

func (c buildContext) pinOf(path string) *pin {
	for i := range c.pins {
		if c.pins[i].path == path {
			return &c.pins[i]
		}
	}
	return nil
}

// moduleOf finds the module of the graph that provides pkg: the longest
// module path prefixing it, at its selected version.
func (c buildContext) moduleOf(pkg string) *source.Pin {
	var best *source.Pin
	if c.graph == nil {
		return nil
	}
	for i, s := range c.graph.Selected {
		if (pkg == s.Name || strings.HasPrefix(pkg, s.Name+"/")) && (best == nil || len(s.Name) > len(best.Name)) {
			best = &c.graph.Selected[i]
		}
	}
	return best
}

// clean drops progress lines and shortens module cache paths to
// module@version/file, the part that means something to the reader.
func (c buildContext) clean(stderr string) string {
	var prefixes []string
	if c.modCache != "" {
		prefixes = append(prefixes, filepath.Clean(c.modCache)+string(filepath.Separator))
		if rel, err := filepath.Rel(c.dir, c.modCache); err == nil {
			prefixes = append(prefixes, rel+string(filepath.Separator))
		}
	}
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "go: downloading ") || strings.TrimSpace(l) == "" {
			continue
		}
		for _, p := range prefixes {
			l = strings.ReplaceAll(l, p, "")
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
