package image

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/testenv/registry"
)

// goInstaller installs nothing and says it compiles with version, as the
// real installer does for a Go server.
type goInstaller struct {
	build.None
	version string
}

func (g goInstaller) GoVersion(context.Context) (string, error) { return g.version, nil }

// installs is BuildOptions.DependenciesFor giving in for any manifest.
func installs(in build.Installer) func(*manifest.Manifest) build.Installer {
	return func(*manifest.Manifest) build.Installer { return in }
}

func loadManifest(t *testing.T, dir string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSupplyChainLayout writes a build to a layout: the SBOM and the
// provenance are beside the image, say what the build knows (the pins of
// release.json from an installer that reports nothing, the base, the
// commit, the lockfiles, the ref, dist's and Go's versions), and a work
// tree that is no commit gets the SBOM alone.
func TestSupplyChainLayout(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	baseDigest := registry.PushRandomImage(t, host+"/library/python:3.12", "linux/amd64", "linux/arm64")
	dir := distribution(t, host+"/library/python", baseDigest)
	out := filepath.Join(t.TempDir(), "oci")
	rep, err := Build(context.Background(), BuildOptions{
		Manifest: loadManifest(t, dir), Outputs: []string{"oci-layout:" + out},
		Client:          fetch.New(fetch.Options{CacheDir: t.TempDir()}),
		DependenciesFor: installs(goInstaller{version: "go1.99.1"}), DistVersion: "9.8.7", SourceRef: "refs/tags/14.1.0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.GoVersion != "go1.99.1" || rep.NoProvenance != "" || len(rep.Outputs[0].Referrers) != 2 {
		t.Fatalf("report %+v", rep)
	}
	digest, _ := v1.NewHash(rep.Digest)
	rs, err := referrers.ListLayout(out, digest)
	if err != nil || len(rs) != 2 {
		t.Fatalf("referrers %+v, %v", rs, err)
	}
	sbomDoc, err := referrers.FetchLayout(out, rs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"name": "registry.example.org/kinto/kinto-dist"`,
		`"referenceLocator": "pkg:pypi/kinto@14.3.0"`,
		`"checksumValue": "4d7f557b19932b4f719b6e1a81c96aebd49b990124e10175ea2b866e976e6a66"`,
		`"Tool: dist-9.8.7"`,
		`"created": "2024-03-01T06:59:58Z"`,
		strings.TrimPrefix(baseDigest, "sha256:"),
	} {
		if !strings.Contains(string(sbomDoc), want) {
			t.Errorf("the SBOM lacks %s:\n%s", want, sbomDoc)
		}
	}
	prov, err := referrers.FetchLayout(out, rs[1])
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Subject []struct {
			Digest map[string]string
		}
		Predicate struct {
			BuildDefinition struct {
				ExternalParameters struct {
					Source          map[string]string
					Platforms       []string
					SourceDateEpoch int64
				}
				ResolvedDependencies []struct {
					Name   string
					URI    string
					Digest map[string]string
				}
			}
			RunDetails struct {
				Builder struct{ Version map[string]string }
			}
		}
	}
	if err := json.Unmarshal(prov, &st); err != nil {
		t.Fatal(err)
	}
	bd := st.Predicate.BuildDefinition
	if len(st.Subject) != 3 || st.Subject[0].Digest["sha256"] != digest.Hex {
		t.Errorf("subjects %+v", st.Subject)
	}
	if bd.ExternalParameters.Source["ref"] != "refs/tags/14.1.0" || len(bd.ExternalParameters.Platforms) != 2 ||
		bd.ExternalParameters.SourceDateEpoch != 1709276398 {
		t.Errorf("parameters %+v", bd.ExternalParameters)
	}
	// The source at its commit, the lockfiles, the base.
	if len(bd.ResolvedDependencies) != 4 || bd.ResolvedDependencies[0].Digest["gitCommit"] != rep.Commit ||
		bd.ResolvedDependencies[1].Name != "lockfiles/base.txt" || bd.ResolvedDependencies[3].Digest["sha256"] != strings.TrimPrefix(baseDigest, "sha256:") {
		t.Errorf("resolved dependencies %+v", bd.ResolvedDependencies)
	}
	// The source has no URL: its origin is a path, nothing on another machine.
	if bd.ResolvedDependencies[0].URI != "" {
		t.Errorf("source URI %q", bd.ResolvedDependencies[0].URI)
	}
	if v := st.Predicate.RunDetails.Builder.Version; v["dist"] != "9.8.7" || v["go"] != "go1.99.1" {
		t.Errorf("builder %v", v)
	}

	// A work tree that differs from HEAD: the SBOM, and why there is no
	// provenance.
	if err := os.WriteFile(filepath.Join(dir, "share", "docs", "README"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirty := filepath.Join(t.TempDir(), "oci")
	rep, err = Build(context.Background(), BuildOptions{
		Manifest: loadManifest(t, dir), Outputs: []string{"oci-layout:" + dirty, "docker-archive:" + filepath.Join(t.TempDir(), "a.tar")},
		Platforms: []string{"linux/amd64"}, Client: fetch.New(fetch.Options{CacheDir: t.TempDir()}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.NoProvenance, "differs from HEAD") || len(rep.Outputs[0].Referrers) != 1 ||
		rep.Outputs[0].Referrers[0].ArtifactType != "application/spdx+json" || len(rep.Outputs[1].Referrers) != 0 {
		t.Errorf("dirty: %+v", rep)
	}
}

func TestPublicURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@github.com/o/r.git": "https://github.com/o/r.git",
		"git@github.com:o/r.git":             "ssh://github.com/o/r.git",
		"ssh://git@example.org:2222/r.git":   "ssh://example.org:2222/r.git",
		"/srv/git/r.git":                     "",
		"../r.git":                           "",
		"file:///srv/git/r.git":              "",
	} {
		if got := publicURL(in); got != want {
			t.Errorf("publicURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestVerifyGoVersion rebuilds with another Go toolchain than the image
// records: the digests differ, the release layer (release.json records
// the version) is the first difference, and the report says why.
func TestVerifyGoVersion(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	baseDigest := registry.PushRandomImage(t, host+"/library/python:3.12", "linux/amd64", "linux/arm64")
	dir := distribution(t, host+"/library/python", baseDigest)
	client := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	m := loadManifest(t, dir)
	if _, err := Build(context.Background(), BuildOptions{
		Manifest: m, Outputs: []string{host + "/kinto/app"}, Client: client, DependenciesFor: installs(goInstaller{version: "go1.20.1"}),
	}); err != nil {
		t.Fatal(err)
	}
	verify := func(version string) *VerifyReport {
		t.Helper()
		rep, err := Verify(context.Background(), VerifyOptions{
			Build: BuildOptions{Manifest: m, Client: client, DependenciesFor: installs(goInstaller{version: version})},
			Image: host + "/kinto/app:14.1.0",
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := verify("go1.20.1"); !rep.Match || rep.GoDiffers || rep.Difference != nil {
		t.Errorf("the same toolchain: %+v", rep)
	}
	rep := verify("go1.26.8")
	if rep.Match || !rep.GoDiffers || rep.GoVersion != "go1.20.1" || rep.LocalGoVersion != "go1.26.8" {
		t.Errorf("another toolchain: %+v", rep)
	}
	if d := rep.Difference; d == nil || d.Kind != "layer" || d.Role != "release" || d.Platform != "linux/amd64" {
		t.Errorf("difference %+v", rep.Difference)
	}

	// A commit the repository does not hold is configuration.
	other := t.TempDir()
	imagetest.WriteFiles(t, other, map[string]string{"dist.yaml": "name: kinto-dist\n", "VERSION": "1.0.0\n"})
	imagetest.Commit(t, other, time.Now())
	_, err := Verify(context.Background(), VerifyOptions{
		Build: BuildOptions{Manifest: loadManifest(t, other), Client: client}, Image: host + "/kinto/app:14.1.0",
	})
	var ue *failure.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "not in this repository") {
		t.Errorf("another repository: %v", err)
	}
}

func TestJSONDifference(t *testing.T) {
	for _, c := range []struct{ a, b, field, av, bv string }{
		{`{"config":{"Labels":{"a":"1"}}}`, `{"config":{"Labels":{"a":"1","x":"1"}}}`, "config.Labels.x", "", `"1"`},
		{`{"history":[{"created_by":"a"},{"created_by":"b"}]}`, `{"history":[{"created_by":"a"},{"created_by":"c"}]}`, "history[1].created_by", `"b"`, `"c"`},
		{`{"a":1,"b":2}`, `{"a":1,"b":3}`, "b", "2", "3"},
		{`{"a":[1]}`, `{"a":[1,2]}`, "a[1]", "", "2"},
		{`{"a":{"b":1}}`, `{"a":"s"}`, "a", `{"b":1}`, `"s"`},
	} {
		field, av, bv := jsonDifference([]byte(c.a), []byte(c.b))
		if field != c.field || av != c.av || bv != c.bv {
			t.Errorf("%s vs %s: %q %q %q, want %q %q %q", c.a, c.b, field, av, bv, c.field, c.av, c.bv)
		}
	}
	if f, _, _ := jsonDifference([]byte(`{"a":1}`), []byte(`{"a":1}`)); f != "" {
		t.Errorf("equal documents differ at %q", f)
	}
}
