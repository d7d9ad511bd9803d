package deps

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"io"
	"path"
	"runtime/debug"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/gobuild"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/wheel"
)

// Toolchain is implemented by an installer that compiles a Go server.
type Toolchain interface {
	// GoVersion is the toolchain the server is compiled with
	// ("go1.26.8", gobuild.GoVersion); "" when the distribution has no Go
	// server. release.json and the provenance record it.
	GoVersion(ctx context.Context) (string, error)
}

// Package is one package a dependencies layer holds, as the SBOM lists it.
type Package struct {
	// Ecosystem is "pypi" or "gomod".
	Ecosystem string
	// Name is the project name as the lockfile spells it, or the module
	// path.
	Name string
	// Version is the pinned version.
	Version string
	// Hashes: for pypi the "sha256:<hex>" of the wheel installed; for
	// gomod the "h1:" the binary's build info records for the module.
	Hashes []string
	// License is what a wheel's core metadata states
	// (License-Expression, else License, else its License :: classifiers);
	// "" when nothing, and for Go modules, whose metadata has no field.
	License string
}

// Recorder is implemented by an installer that says what it installed.
type Recorder interface {
	// Installed lists, sorted by ecosystem and name, what Entries
	// installed for platform: each wheel unpacked, and each module linked
	// into the Go server. Nil when Entries has not run for platform.
	Installed(platform v1.Platform) []Package
}

// Installed implements Recorder.
func (in *installer) Installed(p v1.Platform) []Package {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Package(nil), in.installed[p.String()]...)
}

// GoVersion implements Toolchain.
func (in *installer) GoVersion(ctx context.Context) (string, error) {
	if goMain(in.m) == "" {
		return "", nil
	}
	return gobuild.GoVersion(ctx, "", in.logs.Log)
}

// record adds what a platform's install put in the layer. Entries runs
// once per platform; a second run replaces the first's packages.
func (in *installer) record(p v1.Platform, eco string, pkgs []Package) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.installed == nil {
		in.installed = map[string][]Package{}
	}
	key := p.String()
	kept := in.installed[key][:0:0]
	for _, old := range in.installed[key] {
		if old.Ecosystem != eco {
			kept = append(kept, old)
		}
	}
	all := append(kept, pkgs...)
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Ecosystem != all[j].Ecosystem {
			return all[i].Ecosystem < all[j].Ecosystem
		}
		return all[i].Name < all[j].Name
	})
	in.installed[key] = all
}

// wheelLicense reads the license an installed wheel's METADATA states:
// License-Expression (an SPDX expression, PEP 639), else License (free
// text), else the names of its "License ::" classifiers. "" when it states
// none or the metadata cannot be read: a license is information for the
// SBOM, never a reason to fail a build.
func wheelLicense(files []wheel.File) string {
	for _, f := range files {
		if path.Base(f.Path) != "METADATA" || !strings.HasSuffix(path.Dir(f.Path), ".dist-info") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return ""
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return ""
		}
		md, err := coremetadata.Parse(data)
		if err != nil {
			return ""
		}
		if s := strings.TrimSpace(md.LicenseExpression); s != "" {
			return s
		}
		if s := strings.TrimSpace(md.License); s != "" && !strings.EqualFold(s, "UNKNOWN") {
			return s
		}
		var names []string
		for _, c := range md.Classifiers {
			if rest, ok := strings.CutPrefix(c, "License :: "); ok {
				parts := strings.Split(rest, "::")
				names = append(names, strings.TrimSpace(parts[len(parts)-1]))
			}
		}
		return strings.Join(names, ", ")
	}
	return ""
}

// goModules lists the modules linked into a Go server, from the build info
// the binary carries, so that a binary from dist's cache reports the same
// as one just built.
func goModules(binary []byte) []Package {
	info, err := buildinfo.Read(bytes.NewReader(binary))
	if err != nil {
		return nil
	}
	var out []Package
	for _, m := range append([]*debug.Module{&info.Main}, info.Deps...) {
		if m.Path == "" || m.Version == "" || m.Version == "(devel)" {
			continue
		}
		p := Package{Ecosystem: source.GoMod, Name: m.Path, Version: m.Version}
		if m.Sum != "" {
			p.Hashes = []string{m.Sum}
		}
		out = append(out, p)
	}
	return out
}
