package base

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/cache"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/testenv/registry"
)

func repo(t *testing.T, base, lock string) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{
		"dist.yaml":          "name: app\nlockfiles:\n  - path: lockfiles/base.txt\n    ecosystem: oci\n  - path: lockfiles/more.txt\n    ecosystem: oci\nimage:\n  base: " + base + "\n",
		"lockfiles/base.txt": lock,
		"lockfiles/more.txt": "",
	})
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lockLine(name, tag, digest string) string {
	return fmt.Sprintf("%s==%s \\\n    --hash=%s\n", name, tag, digest)
}

const d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
const d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"

func TestFind(t *testing.T) {
	lock := lockLine("docker.io/library/python", "3.12-slim", d1) + lockLine("docker.io/library/python", "3.13-slim", d2)
	for _, tc := range []struct {
		base, want, err string
	}{
		{base: "scratch"},
		{base: "python:3.12-slim", want: "docker.io/library/python:3.12-slim@" + d1},
		{base: "docker.io/library/python:3.13-slim", want: "docker.io/library/python:3.13-slim@" + d2},
		{base: "index.docker.io/library/python:3.13-slim", want: "docker.io/library/python:3.13-slim@" + d2},
		{base: "python", err: "pinned more than once (lockfiles/base.txt:1 (3.12-slim), lockfiles/base.txt:3 (3.13-slim))"},
		{base: "python:3.11", err: "image.base python:3.11 is not pinned: it is not in lockfiles/base.txt, lockfiles/more.txt (dist lock add python:TAG)"},
		{base: "python@" + d1, err: "pin its digest in an oci lockfile"},
		{base: "oci-layout:img@" + d1, want: "oci-layout:img@" + d1},
		{base: "oci-layout:img", err: "oci-layout:DIR@sha256:DIGEST"},
	} {
		p, err := Find(repo(t, tc.base, lock))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want error %q", tc.base, err, tc.err)
			}
			if ue := (*failure.UsageError)(nil); err != nil && !errors.As(err, &ue) {
				t.Errorf("%s: %T is not a *failure.UsageError", tc.base, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.base, err)
		case tc.want == "" && p != nil:
			t.Errorf("%s: got %s, want scratch", tc.base, p.Reference())
		case tc.want != "" && (p == nil || p.Reference() != tc.want):
			t.Errorf("%s: got %+v, want %s", tc.base, p, tc.want)
		}
	}
	_, err := Find(repo(t, "python", "python==3 \\\n    --hash="+d1+" \\\n    --hash="+d2+"\n"))
	if err == nil || !strings.Contains(err.Error(), "exactly one sha256 hash") {
		t.Errorf("two hashes: %v", err)
	}
}

func fetcher(t *testing.T, cacheDir string) *Fetcher {
	c := fetch.New(fetch.Options{CacheDir: cacheDir, RetryWaitMin: 1, Retries: -1})
	return &Fetcher{
		Store:  cache.New(c.Cache()),
		Client: regclient.New(regclient.Options{Transport: c.Transport(), Jobs: c.Jobs()}),
	}
}

func TestImagesFromRegistryThenOffline(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	host := strings.TrimPrefix(srv.URL, "http://")
	digest := registry.PushRandomImage(t, host+"/library/python:3.12", "linux/amd64", "linux/arm64/v8")
	pin := &Pin{Name: host + "/library/python", Tag: "3.12", Digest: mustHash(t, digest), From: "lockfiles/base.txt:1"}
	cacheDir := t.TempDir()
	ctx := context.Background()
	plats := []v1.Platform{{OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "amd64"}}

	imgs, err := fetcher(t, cacheDir).Images(ctx, pin, plats)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(host+"/library/python:3.12", name.Insecure)
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	byPlat := map[string]v1.Hash{}
	for _, m := range im.Manifests {
		byPlat[m.Platform.OS+"/"+m.Platform.Architecture] = m.Digest
	}
	for i, p := range plats {
		if want := byPlat[p.OS+"/"+p.Architecture]; imgs[i].Digest != want {
			t.Errorf("%s: got %s, want %s", p, imgs[i].Digest, want)
		}
		if imgs[i].Repository != pin.Name {
			t.Errorf("repository %q", imgs[i].Repository)
		}
	}

	// The registry goes away: the cache alone serves the same base.
	srv.Close()
	again, err := fetcher(t, cacheDir).Images(ctx, pin, plats)
	if err != nil {
		t.Fatalf("offline rebuild: %v", err)
	}
	for i := range again {
		if again[i].Digest != imgs[i].Digest {
			t.Errorf("offline: %s, online %s", again[i].Digest, imgs[i].Digest)
		}
		ls, _ := again[i].Layers()
		for _, l := range ls {
			rc, err := l.Compressed()
			if err != nil {
				t.Fatal(err)
			}
			rc.Close()
		}
	}
	// A platform the base does not have is named.
	_, err = fetcher(t, cacheDir).Images(ctx, pin, []v1.Platform{{OS: "linux", Architecture: "s390x"}})
	if err == nil || !strings.Contains(err.Error(), "has no linux/s390x image (it has linux/amd64, linux/arm64/v8)") {
		t.Errorf("missing platform: %v", err)
	}
}

func TestMissingDigest(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	digest := registry.PushRandomImage(t, host+"/library/python:3.12")
	ref, _ := name.ParseReference(host+"/library/python@"+digest, name.Insecure)
	if err := remote.Delete(ref); err != nil {
		t.Fatal(err)
	}
	pin := &Pin{Name: host + "/library/python", Tag: "3.12", Digest: mustHash(t, digest), From: "lockfiles/base.txt:1"}
	_, err := fetcher(t, t.TempDir()).Images(context.Background(), pin, []v1.Platform{{OS: "linux", Architecture: "amd64"}})
	want := "base image " + host + "/library/python@" + digest + " (pinned in lockfiles/base.txt:1): the registry does not have it"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %q", err, want)
	}
}

func TestImagesFromLayout(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	digest := registry.PushRandomImage(t, host+"/base:1")
	// Copy the image into a layout the way an air-gapped site would.
	dir := t.TempDir()
	ref, _ := name.ParseReference(host+"/base:1", name.Insecure)
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	write := func(h v1.Hash, b []byte) {
		p := filepath.Join(dir, "blobs", "sha256", h.Hex)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := img.RawManifest()
	write(mustHash(t, digest), raw)
	cfg, _ := img.RawConfigFile()
	cn, _ := img.ConfigName()
	write(cn, cfg)
	ls, _ := img.Layers()
	for _, l := range ls {
		d, _ := l.Digest()
		rc, _ := l.Compressed()
		var b strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := rc.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		write(d, []byte(b.String()))
	}
	pin := &Pin{Name: dir + "@" + digest, Digest: mustHash(t, digest), Layout: dir, From: "image.base"}
	f := &Fetcher{Store: cache.New(&fetch.Cache{Dir: t.TempDir()})}
	imgs, err := f.Images(context.Background(), pin, []v1.Platform{{OS: "linux", Architecture: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	if imgs[0].Digest.String() != digest || imgs[0].Repository != "" {
		t.Errorf("got %+v", imgs[0])
	}
}

func mustHash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
