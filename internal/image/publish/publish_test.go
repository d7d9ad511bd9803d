package publish_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/cache"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/testenv/registry"
)

// image builds a scratch image holding content (and size random bytes).
func image(t *testing.T, content string, size int, platforms ...string) *build.Result {
	t.Helper()
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{
		"dist.yaml":  "name: app\nimage:\n  entrypoint: [/app]\n  files: [{src: data, dst: /data}]\n",
		"data/a.txt": content,
	})
	if size > 0 {
		b := make([]byte, size)
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, "data", "big.bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Prepare(build.Options{Manifest: m, Version: "1.0.0", Time: time.Unix(1700000000, 0), Platforms: platforms})
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

func client(t *testing.T) *regclient.Client {
	c := fetch.New(fetch.Options{CacheDir: t.TempDir(), RetryWaitMin: time.Millisecond})
	return regclient.New(regclient.Options{Transport: c.Transport(), Jobs: c.Jobs()})
}

func repo(t *testing.T, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseDest(t *testing.T) {
	for in, want := range map[string]string{
		"oci-layout:build/oci":       "layout build/oci",
		"docker-archive:out/img.tar": "archive out/img.tar",
		"127.0.0.1:5000/app:1.0":     "registry 127.0.0.1:5000/app:1.0",
		"ghcr.io/org/app":            "registry ghcr.io/org/app",
		"app:1.0":                    "error",
		"oci-layuot:dir":             "error",
		"ghcr.io/org/app@sha256:00":  "error",
		"oci-layout:":                "error",
	} {
		d, err := publish.ParseDest(in)
		got := "error"
		if err == nil {
			got = []string{"layout", "archive", "registry"}[d.Kind] + " " + d.Path + d.Ref
		}
		if got != want {
			t.Errorf("%s: got %q (%v), want %q", in, got, err, want)
		}
	}
}

// TestInDir: a relative local destination is taken from the directory,
// anything else is left as given.
func TestInDir(t *testing.T) {
	for in, want := range map[string]string{
		"oci-layout:build/oci":      "oci-layout:repo/build/oci",
		"oci-layout:oci:1.0":        "oci-layout:repo/oci:1.0",
		"docker-archive:../app.tar": "docker-archive:app.tar",
		"oci-layout:/abs/oci":       "oci-layout:/abs/oci",
		"127.0.0.1:5000/app:1.0":    "127.0.0.1:5000/app:1.0",
		"oci-layout:":               "oci-layout:",
	} {
		if got := publish.InDir(in, "repo"); got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
	if got := publish.InDir("oci-layout:oci", ""); got != "oci-layout:oci" {
		t.Errorf("no dir: %q", got)
	}
}

func TestLayout(t *testing.T) {
	skopeo := imagetest.Tool(t, "skopeo")
	crane := imagetest.Tool(t, "crane")
	res := image(t, "one", 0, "linux/amd64", "linux/arm64")
	dir := filepath.Join(t.TempDir(), "oci")
	if err := publish.WriteLayout(dir, res.Artifact, "1.0.0"); err != nil {
		t.Fatal(err)
	}

	// skopeo reads the index, and the image of this machine's platform.
	raw := imagetest.Run(t, "", nil, skopeo, "inspect", "--raw", "oci:"+dir)
	want, _ := res.Artifact.RawManifest()
	if raw != string(want) {
		t.Errorf("skopeo read another index:\n%s\nwant\n%s", raw, want)
	}
	var si struct{ Digest, Architecture string }
	out := imagetest.Run(t, "", nil, skopeo, "inspect", "--override-arch", "arm64", "oci:"+dir+":1.0.0")
	if err := json.Unmarshal([]byte(out), &si); err != nil || si.Digest != res.Digest.String() || si.Architecture != "arm64" {
		t.Errorf("skopeo inspect: %v %s", err, out)
	}

	// skopeo copies the layout to a registry as it is; crane agrees on the
	// digest and finds every blob sound.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	imagetest.Run(t, "", nil, skopeo, "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "oci:"+dir+":1.0.0", "docker://"+host+"/fromlayout:1")
	if got := strings.TrimSpace(imagetest.Run(t, "", nil, crane, "digest", host+"/fromlayout:1")); got != res.Digest.String() {
		t.Errorf("crane digest %s, want %s", got, res.Digest)
	}
	imagetest.Run(t, "", nil, crane, "validate", "--remote", host+"/fromlayout:1")

	// The same ref name is replaced, another is kept.
	other := image(t, "two", 0)
	if err := publish.WriteLayout(dir, other.Artifact, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := publish.WriteLayout(dir, res.Artifact, "0.9.0"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	var idx v1.IndexManifest
	json.Unmarshal(b, &idx)
	if len(idx.Manifests) != 2 || idx.Manifests[0].Digest != other.Digest || idx.Manifests[1].Digest != res.Digest {
		t.Errorf("index.json:\n%s", b)
	}

	// A directory holding something else is not turned into a layout.
	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "notes.txt"), nil, 0o644)
	if err := publish.WriteLayout(busy, res.Artifact, "x"); err == nil || !strings.Contains(err.Error(), "is not an OCI layout") {
		t.Errorf("busy directory: %v", err)
	}
}

func TestArchive(t *testing.T) {
	crane := imagetest.Tool(t, "crane")
	res := image(t, "one", 0)
	file := filepath.Join(t.TempDir(), "img.tar")
	tag, _ := name.NewTag("example.org/app:1.0.0")
	if err := publish.WriteArchive(file, res.Artifact, tag); err != nil {
		t.Fatal(err)
	}
	imagetest.Run(t, "", nil, crane, "validate", "--tarball", file)
	img, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := img.ConfigName()
	want, _ := res.Artifact.(v1.Image).ConfigName()
	if got != want {
		t.Errorf("config %s, want %s", got, want)
	}
	multi := image(t, "one", 0, "linux/amd64", "linux/arm64")
	if err := publish.WriteArchive(file, multi.Artifact, tag); !errors.Is(err, publish.ErrArchiveIndex) {
		t.Errorf("index into an archive: %v", err)
	}
}

func TestPushSkipsMountsAndProtectsTags(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	proxy := imagetest.NewProxy(t, registry.StartInProcess(t))
	p := &publish.Pusher{Client: client(t)}
	ctx := context.Background()
	res := image(t, "one", 64<<10, "linux/amd64", "linux/arm64")
	app := repo(t, proxy.Host+"/app")

	pushed, err := p.Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Digest != res.Digest.String() || strings.Join(pushed.Tags, ",") != "1.0.0" {
		t.Errorf("pushed %+v", pushed)
	}
	if proxy.Count("upload-data") == 0 {
		t.Fatal("nothing was uploaded")
	}

	// Again: the registry has it all, nothing moves but a few HEADs.
	proxy.Reset()
	if _, err := p.Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil); err != nil {
		t.Fatal(err)
	}
	if n := proxy.Count("upload-start") + proxy.Count("manifest-put") + proxy.Count("blob-get"); n != 0 {
		t.Errorf("second push made %d uploads", n)
	}

	// Another repository of the same registry sends no blob again (this
	// registry shares blobs between repositories; the distribution test
	// checks mounting where they are separate).
	proxy.Reset()
	if _, err := p.Push(ctx, res.Artifact, repo(t, proxy.Host+"/mirror"), []string{"1.0.0"}, &app); err != nil {
		t.Fatal(err)
	}
	if n := proxy.Count("upload-data"); n != 0 {
		t.Errorf("mirroring sent %d blobs", n)
	}

	// A version tag never moves without --force; Check says so first,
	// uploading nothing.
	other := image(t, "two", 0)
	var tc *publish.TagConflictError
	proxy.Reset()
	if err := p.Check(ctx, other.Artifact, app, []string{"1.0.0"}); !errors.As(err, &tc) || tc.Have != res.Digest.String() {
		t.Fatalf("check: %v", err)
	}
	if err := p.Check(ctx, res.Artifact, app, []string{"1.0.0", "2.0.0"}); err != nil {
		t.Errorf("check of the same image, and of a free tag: %v", err)
	}
	if n := proxy.Count("upload-start") + proxy.Count("manifest-put"); n != 0 {
		t.Errorf("check uploaded %d things", n)
	}
	_, err = p.Push(ctx, other.Artifact, app, []string{"1.0.0"}, nil)
	if !errors.As(err, &tc) || tc.Have != res.Digest.String() {
		t.Fatalf("conflict: %v", err)
	}
	if !strings.Contains(err.Error(), "a version tag does not move") {
		t.Errorf("message: %v", err)
	}
	rc := client(t)
	d, err := rc.Head(ctx, app.Tag("1.0.0"))
	if err != nil || d.Digest != res.Digest {
		t.Errorf("tag moved: %v %v", d, err)
	}
	forced, err := (&publish.Pusher{Client: rc, Force: true}).Push(ctx, other.Artifact, app, []string{"1.0.0"}, nil)
	if err != nil || strings.Join(forced.Moved, ",") != "1.0.0" {
		t.Fatalf("forced: %+v %v", forced, err)
	}
	if d, _ := rc.Head(ctx, app.Tag("1.0.0")); d.Digest != other.Digest {
		t.Errorf("forced tag at %s", d.Digest)
	}
}

// TestPushLogsBlobCounts: with a Log, each push says where it went and
// how many blobs it uploaded and skipped; the counts are the uploads the
// registry saw.
func TestPushLogsBlobCounts(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	proxy := imagetest.NewProxy(t, registry.StartInProcess(t))
	var logged []string
	p := &publish.Pusher{Client: client(t), Log: func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }}
	ctx := context.Background()
	res := image(t, "one", 64<<10, "linux/amd64", "linux/arm64")
	app := repo(t, proxy.Host+"/app")

	if _, err := p.Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil); err != nil {
		t.Fatal(err)
	}
	n := proxy.Count("upload-start")
	if n == 0 {
		t.Fatal("nothing was uploaded")
	}
	want := fmt.Sprintf("pushed %s to %s: %d blobs uploaded, 0 skipped (already in the registry or mounted)", res.Digest, app, n)
	if len(logged) != 1 || logged[0] != want {
		t.Errorf("logged %q, want %q", logged, want)
	}

	// Again, and to another repository with a mount: nothing goes up.
	logged = nil
	if _, err := p.Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil); err != nil {
		t.Fatal(err)
	}
	mirror := repo(t, proxy.Host+"/mirror")
	if _, err := p.Push(ctx, res.Artifact, mirror, []string{"1.0.0"}, &app); err != nil {
		t.Fatal(err)
	}
	for i, r := range []name.Repository{app, mirror} {
		want := fmt.Sprintf("pushed %s to %s: 0 blobs uploaded, %d skipped (already in the registry or mounted)", res.Digest, r, n)
		if len(logged) != 2 || logged[i] != want {
			t.Errorf("logged %q, want %q", logged, want)
		}
	}
}
