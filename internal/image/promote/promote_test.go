package promote

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/regclient"
	"github.com/distbuild/dist/internal/testenv/registry"
)

func TestPromote(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	proxy := imagetest.NewProxy(t, registry.StartInProcess(t))
	v1 := registry.PushRandomImage(t, proxy.Host+"/app:1.0.0", "linux/amd64", "linux/arm64")
	v2 := registry.PushRandomImage(t, proxy.Host+"/app:1.1.0")
	c := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	rc := regclient.New(regclient.Options{Transport: c.Transport(), Jobs: c.Jobs()})
	repo, err := rc.ParseRepository(proxy.Host + "/app")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	proxy.Reset()
	res, err := Promote(ctx, rc, repo, "1.0.0", "stage", false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != v1 || res.Previous != "" || !res.Changed {
		t.Errorf("first promotion: %+v", res)
	}
	// Only manifests travel: no blob is read or written.
	for _, k := range []string{"blob-get", "blob-head", "upload-start", "upload-data"} {
		if n := proxy.Count(k); n != 0 {
			t.Errorf("%d %s requests", n, k)
		}
	}
	if n := proxy.Count("manifest-put"); n != 1 {
		t.Errorf("%d manifest writes", n)
	}
	stage, err := rc.Head(ctx, repo.Tag("stage"))
	if err != nil || stage.Digest.String() != v1 {
		t.Fatalf("stage: %v %v", stage, err)
	}

	// Moving on records where the channel was.
	res, err = Promote(ctx, rc, repo, "1.1.0", "stage", false)
	if err != nil || res.Previous != v1 || res.Digest != v2 {
		t.Errorf("second promotion: %+v %v", res, err)
	}
	// Again: nothing to do, nothing written.
	proxy.Reset()
	res, err = Promote(ctx, rc, repo, "1.1.0", "stage", false)
	if err != nil || res.Changed || proxy.Count("manifest-put") != 0 {
		t.Errorf("repeat: %+v %v, %d writes", res, err, proxy.Count("manifest-put"))
	}
	// A dry run writes nothing.
	res, err = Promote(ctx, rc, repo, "1.0.0", "prod", true)
	if err != nil || !res.Changed || !res.DryRun || proxy.Count("manifest-put") != 0 {
		t.Errorf("dry run: %+v %v", res, err)
	}
	if _, err := rc.Head(ctx, repo.Tag("prod")); !errors.Is(err, regclient.ErrNotFound) {
		t.Errorf("dry run wrote prod: %v", err)
	}

	var ue *failure.UsageError
	if _, err := Promote(ctx, rc, repo, "1.0.0", "1.0", false); !errors.As(err, &ue) {
		t.Errorf("version as channel: %v", err)
	}
	if _, err := Promote(ctx, rc, repo, "1.0.0", "v2", false); !errors.As(err, &ue) {
		t.Errorf("v-version as channel: %v", err)
	}
	_, err = Promote(ctx, rc, repo, "9.9.9", "prod", false)
	if err == nil || !strings.Contains(err.Error(), "app:9.9.9: not found") {
		t.Errorf("missing version: %v", err)
	}
	if _, err := rc.Head(ctx, repo.Tag("prod")); !errors.Is(err, regclient.ErrNotFound) {
		t.Errorf("a failed promotion wrote prod: %v", err)
	}
}
