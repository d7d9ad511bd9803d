package inspect

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/cache"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/testenv/registry"
)

func built(t *testing.T, platforms ...string) *build.Result {
	t.Helper()
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{
		"dist.yaml":        "name: app\nlockfiles: [{path: lockfiles/go.txt, ecosystem: gomod}]\nimage:\n  entrypoint: [/app, serve]\n  ports: [\"8080\"]\n  files: [{src: big.bin, dst: /big.bin}]\n",
		"lockfiles/go.txt": "example.org/m==v1.0.0 \\\n    --hash=h1:xyz=\n",
	})
	b := make([]byte, 1<<20)
	rand.Read(b)
	os.WriteFile(filepath.Join(dir, "big.bin"), b, 0o644)
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Prepare(build.Options{Manifest: m, Version: "2.0.0", Commit: "cafe", Time: time.Unix(1700000000, 0), Platforms: platforms})
	if err != nil {
		t.Fatal(err)
	}
	store := cache.New(&fetch.Cache{Dir: t.TempDir()})
	res, err := p.Build(context.Background(), store, &base.Fetcher{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func check(t *testing.T, r *Report, digest string) {
	t.Helper()
	if r.Digest != digest || r.Release.Version != "2.0.0" || r.Release.Commit != "cafe" {
		t.Errorf("report %+v", r)
	}
	if len(r.Release.Lockfiles) != 1 || r.Release.Lockfiles[0].Pins[0].Hashes[0] != "h1:xyz=" {
		t.Errorf("pins %+v", r.Release.Lockfiles)
	}
	var roles []string
	for _, l := range r.Layers {
		roles = append(roles, l.Role)
	}
	if strings.Join(roles, ",") != "files,release" {
		t.Errorf("roles %v", roles)
	}
	if strings.Join(r.Config.Entrypoint, " ") != "/app serve" || strings.Join(r.Config.Ports, ",") != "8080/tcp" {
		t.Errorf("config %+v", r.Config)
	}
}

func TestInspectRegistryReadsOnlyWhatItShows(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	proxy := imagetest.NewProxy(t, registry.StartInProcess(t))
	res := built(t, "linux/amd64", "linux/arm64")
	c := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	rc := regclient.New(regclient.Options{Transport: c.Transport(), Jobs: c.Jobs()})
	repo, _ := name.NewRepository(proxy.Host+"/app", name.Insecure)
	if _, err := (&publish.Pusher{Client: rc}).Push(context.Background(), res.Artifact, repo, []string{"2.0.0"}, nil); err != nil {
		t.Fatal(err)
	}
	proxy.Reset()
	r, err := Inspect(context.Background(), proxy.Host+"/app:2.0.0", Options{Client: rc, Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, res.Digest.String())
	if r.Platform != "linux/arm64" || len(r.Platforms) != 2 {
		t.Errorf("platforms %s %v", r.Platform, r.Platforms)
	}
	// The config and the release layer: the 1 MiB files layer stays put.
	if n := proxy.Count("blob-get"); n != 2 {
		t.Errorf("%d blobs read", n)
	}
}

func TestInspectLayout(t *testing.T) {
	res := built(t)
	dir := t.TempDir()
	if err := publish.WriteLayout(dir, res.Artifact, "2.0.0"); err != nil {
		t.Fatal(err)
	}
	r, err := Inspect(context.Background(), LayoutPrefix+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, r, res.Digest.String())
	if r.Annotations["org.opencontainers.image.version"] != "2.0.0" {
		t.Errorf("annotations %v", r.Annotations)
	}

	other := built(t, "linux/arm64")
	if err := publish.WriteLayout(dir, other.Artifact, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(context.Background(), LayoutPrefix+dir, Options{}); err == nil || !strings.Contains(err.Error(), "holds 2 images") {
		t.Errorf("two images: %v", err)
	}
	r, err = Inspect(context.Background(), LayoutPrefix+dir+":1.0.0", Options{})
	if err != nil || r.Digest != other.Digest.String() {
		t.Errorf("by ref: %v %v", r, err)
	}
	if _, err := Inspect(context.Background(), LayoutPrefix+dir+":3.0.0", Options{}); err == nil || !strings.Contains(err.Error(), `no image named "3.0.0"`) {
		t.Errorf("missing ref: %v", err)
	}
	if _, err := Inspect(context.Background(), LayoutPrefix+t.TempDir(), Options{}); err == nil {
		t.Error("an empty directory inspected")
	}
}

// TestInspectReferrers attaches an SBOM and a provenance statement to an
// image in a layout and in a registry: inspect still picks the image (not
// a referrer entry of the layout) and lists both.
func TestInspectReferrers(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	res := built(t, "linux/amd64", "linux/arm64")
	arts := []referrers.Artifact{
		{ArtifactType: "application/spdx+json", Data: []byte("{}\n")},
		{ArtifactType: "application/vnd.in-toto+json", Data: []byte("{\"_type\":\"x\"}\n")},
	}
	want := func(t *testing.T, r *Report) {
		t.Helper()
		check(t, r, res.Digest.String())
		if len(r.Referrers) != 2 || r.Referrers[0].ArtifactType != "application/spdx+json" ||
			r.Referrers[1].ArtifactType != "application/vnd.in-toto+json" || r.Referrers[0].Size <= 0 ||
			!strings.HasPrefix(r.Referrers[0].Digest, "sha256:") {
			t.Errorf("referrers %+v", r.Referrers)
		}
	}

	t.Run("layout", func(t *testing.T) {
		dir := t.TempDir()
		if err := publish.WriteLayout(dir, res.Artifact, "2.0.0"); err != nil {
			t.Fatal(err)
		}
		r, err := Inspect(context.Background(), LayoutPrefix+dir, Options{})
		if err != nil || len(r.Referrers) != 0 {
			t.Fatalf("before attaching: %+v, %v", r, err)
		}
		for _, a := range arts {
			if _, err := referrers.WriteLayout(dir, res.Digest, a); err != nil {
				t.Fatal(err)
			}
		}
		r, err = Inspect(context.Background(), LayoutPrefix+dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want(t, r)
	})

	t.Run("registry", func(t *testing.T) {
		host := registry.StartInProcess(t)
		c := fetch.New(fetch.Options{CacheDir: t.TempDir()})
		rc := regclient.New(regclient.Options{Transport: c.Transport(), Jobs: c.Jobs()})
		repo, _ := name.NewRepository(host+"/app", name.Insecure)
		if _, err := (&publish.Pusher{Client: rc}).Push(context.Background(), res.Artifact, repo, []string{"2.0.0"}, nil); err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			if _, err := referrers.Push(repo.Digest(res.Digest.String()), a); err != nil {
				t.Fatal(err)
			}
		}
		r, err := Inspect(context.Background(), host+"/app:2.0.0", Options{Client: rc})
		if err != nil {
			t.Fatal(err)
		}
		want(t, r)
	})
}
