package lock

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
)

// CheckPlacement refuses, before any lockfile is read, a spec lock add cannot
// pin in the lockfiles it would go to (the one file names, or every one):
// a Go module path or an image reference where those are all pypi
// lockfiles. A Python project name never holds "/" or ":", so such a spec
// is another ecosystem's; the *failure.UsageError says which lockfile of dist.yaml
// takes it, or how to declare one (the dist.yaml lines to add).
func CheckPlacement(m *manifest.Manifest, file string, specs []string) error {
	var targets []*manifest.Lockfile
	if file != "" {
		l, err := m.Lockfile(file)
		if err != nil {
			return failure.Usage(err)
		}
		targets = append(targets, l)
	} else {
		for i := range m.Lockfiles {
			targets = append(targets, &m.Lockfiles[i])
		}
	}
	for _, l := range targets {
		if l.Ecosystem != source.PyPI {
			return nil
		}
	}
	for _, s := range specs {
		eco := guessEcosystem(s)
		if eco == "" {
			continue
		}
		what := map[string]string{source.GoMod: "a Go module", source.OCI: "an image reference"}[eco]
		var home []string
		for _, l := range m.Lockfiles {
			if l.Ecosystem == eco {
				home = append(home, l.Path)
			}
		}
		if len(home) > 0 {
			return failure.Usagef("%s is %s, and %s %s pypi pins: add it to the %s lockfile with -f %s", s, what, describeTargets(targets), map[bool]string{true: "holds", false: "hold"}[len(targets) == 1], eco, home[0])
		}
		path := map[string]string{source.GoMod: "lockfiles/go.txt", source.OCI: "lockfiles/base.txt"}[eco]
		return failure.Usagef("%s is %s, and %s lists no %s lockfile to pin it in. Declare one under lockfiles: in %s:\n\n"+
			"  - path: %s\n    ecosystem: %s\n\nthen run: dist lock add -f %s %s", s, what, m.Path, eco, m.Path, path, eco, path, s)
	}
	return nil
}

func describeTargets(targets []*manifest.Lockfile) string {
	var paths []string
	for _, l := range targets {
		paths = append(paths, l.Path)
	}
	return strings.Join(paths, ", ")
}

// guessEcosystem says which ecosystem a spec that cannot be a Python
// project belongs to: an image when it has a tag or digest after its last
// "/" ("docker.io/library/python:3.12"), or when, without any "/", it is
// a reference with a tag ("python:3.12-slim": a PEP 508 requirement never
// holds ":" outside a URL or marker); else, with a "/", a Go module
// ("github.com/nats-io/nats-server/v2@v2.10.0"). "" for a spec that reads
// as a PEP 508 requirement, or is neither.
func guessEcosystem(spec string) string {
	if strings.ContainsAny(spec, " \t;") {
		return "" // a Python project, or "name @ URL"
	}
	if _, err := pep508.ParseRequirement(spec); err == nil {
		return "" // "name@URL"
	}
	if !strings.Contains(spec, "/") {
		if strings.Contains(spec, ":") {
			if _, err := name.NewTag(spec); err == nil {
				return source.OCI
			}
		}
		return ""
	}
	if strings.Contains(spec, "@sha256:") {
		return source.OCI
	}
	if i := strings.LastIndexByte(spec, '/'); strings.Contains(spec[i:], ":") && !strings.Contains(spec, "@") {
		return source.OCI
	}
	return source.GoMod
}
