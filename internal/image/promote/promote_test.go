package promote

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
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
	o := Options{Client: rc, Repository: proxy.Host + "/app", By: "Jane Doe <jane@example.org>"}
	to := func(o Options, version, ch string) Options {
		o.Version, o.Channel = version, ch
		return o
	}
	res, err := Promote(ctx, to(o, "1.0.0", "stage"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != v1 || res.Previous != "" || !res.Changed || res.Record == "" || res.By != o.By || len(res.Key) != 32 {
		t.Errorf("first promotion: %+v", res)
	}
	// Only manifests travel, and the record's two small blobs (its empty
	// config and its layer): no blob of the image is read or written.
	if n := proxy.Count("blob-get"); n != 0 {
		t.Errorf("%d blob reads", n)
	}
	if n := proxy.Count("upload-start"); n > 2 {
		t.Errorf("%d blob uploads", n)
	}
	// The channel tag, the record, and the record's referrers fallback
	// tag (this registry has no referrers API).
	if n := proxy.Count("manifest-put"); n != 3 {
		t.Errorf("%d manifest writes", n)
	}
	stage, err := rc.Head(ctx, repo.Tag("stage"))
	if err != nil || stage.Digest.String() != v1 {
		t.Fatalf("stage: %v %v", stage, err)
	}

	// Moving on records where the channel was.
	res, err = Promote(ctx, to(o, "1.1.0", "stage"))
	if err != nil || res.Previous != v1 || res.Digest != v2 {
		t.Errorf("second promotion: %+v %v", res, err)
	}
	// Again: nothing to do, nothing written.
	proxy.Reset()
	res, err = Promote(ctx, to(o, "1.1.0", "stage"))
	if err != nil || res.Changed || proxy.Count("manifest-put") != 0 {
		t.Errorf("repeat: %+v %v, %d writes", res, err, proxy.Count("manifest-put"))
	}
	// A dry run writes nothing.
	res, err = Promote(ctx, to(Options{Client: rc, Repository: o.Repository, DryRun: true}, "1.0.0", "prod"))
	if err != nil || !res.Changed || !res.DryRun || proxy.Count("manifest-put") != 0 {
		t.Errorf("dry run: %+v %v", res, err)
	}
	if _, err := rc.Head(ctx, repo.Tag("prod")); !errors.Is(err, regclient.ErrNotFound) {
		t.Errorf("dry run wrote prod: %v", err)
	}

	var ue *failure.UsageError
	if _, err := Promote(ctx, to(o, "1.0.0", "1.0")); !errors.As(err, &ue) {
		t.Errorf("version as channel: %v", err)
	}
	if _, err := Promote(ctx, to(o, "1.0.0", "v2")); !errors.As(err, &ue) {
		t.Errorf("v-version as channel: %v", err)
	}
	_, err = Promote(ctx, to(o, "9.9.9", "prod"))
	if err == nil || !strings.Contains(err.Error(), "app:9.9.9: not found") {
		t.Errorf("missing version: %v", err)
	}
	if _, err := rc.Head(ctx, repo.Tag("prod")); !errors.Is(err, regclient.ErrNotFound) {
		t.Errorf("a failed promotion wrote prod: %v", err)
	}

	// With channels: in dist.yaml, prod takes only what stage has had:
	// 1.0.0 was on stage before 1.1.0 replaced it; a third image never was.
	v3 := registry.PushRandomImage(t, proxy.Host+"/app:1.2.0")
	gated := o
	gated.Manifest = func() (*manifest.Manifest, error) {
		return &manifest.Manifest{Channels: manifest.Channels{Config: channel.Config{{Name: "stage"}, {Name: "prod", From: "stage"}}}}, nil
	}
	var re *RefusedError
	if _, err := Promote(ctx, to(gated, "1.2.0", "prod")); !errors.As(err, &re) || re.From != "stage" || re.Digest != v3 {
		t.Fatalf("1.2.0 to prod: %v", err)
	}
	if _, err := rc.Head(ctx, repo.Tag("prod")); !errors.Is(err, regclient.ErrNotFound) {
		t.Errorf("a refused promotion wrote prod: %v", err)
	}
	if res, err := Promote(ctx, to(gated, "1.0.0", "prod")); err != nil || res.Digest != v1 || res.From != "stage" {
		t.Errorf("1.0.0, once on stage, to prod: %+v %v", res, err)
	}
	if _, err := Promote(ctx, to(gated, "1.0.0", "prdo")); !errors.As(err, &ue) || !strings.Contains(err.Error(), "not one of the channels in dist.yaml (stage, prod)") {
		t.Errorf("a channel dist.yaml does not have: %v", err)
	}
}

// TestTarget: which repository promote moves a tag in, and with which
// channels, from --repository and dist.yaml; every refusal comes before
// the registry is asked.
func TestTarget(t *testing.T) {
	rc := regclient.New(regclient.Options{})
	channels := channel.Config{{Name: "stage"}, {Name: "prod", From: "stage"}}
	withImage := func() (*manifest.Manifest, error) {
		return &manifest.Manifest{Image: &manifest.Image{Repository: "registry.example.org/team/app"}, Channels: manifest.Channels{Config: channels}}, nil
	}
	noImage := func() (*manifest.Manifest, error) { return &manifest.Manifest{}, nil }
	missing := func() (*manifest.Manifest, error) { return nil, manifest.ErrNotFound }
	broken := errors.New("dist.yaml:3: unknown key")
	bad := func() (*manifest.Manifest, error) { return nil, broken }

	var ue *failure.UsageError
	for _, tc := range []struct {
		what     string
		o        Options
		repo     string
		channels int
		err      func(error) bool
	}{
		{"image.repository", Options{Manifest: withImage}, "registry.example.org/team/app", 2, nil},
		{"--repository wins", Options{Manifest: withImage, Repository: "localhost:5000/other"}, "localhost:5000/other", 2, nil},
		{"--repository without dist.yaml", Options{Manifest: missing, Repository: "localhost:5000/other"}, "localhost:5000/other", 0, nil},
		{"no manifest loader", Options{Repository: "localhost:5000/other"}, "localhost:5000/other", 0, nil},
		{"no dist.yaml, no --repository", Options{Manifest: missing}, "", 0, func(err error) bool { return err == manifest.ErrNotFound }},
		{"dist.yaml without image", Options{Manifest: noImage}, "", 0, func(err error) bool {
			return errors.As(err, &ue) && strings.HasPrefix(err.Error(), "no repository:")
		}},
		{"a broken dist.yaml, even with --repository", Options{Manifest: bad, Repository: "localhost:5000/other"}, "", 0, func(err error) bool { return err == broken }},
		{"a repository that does not parse", Options{Repository: "Not A/Repo"}, "", 0, func(err error) bool {
			return errors.As(err, &ue) && strings.HasPrefix(err.Error(), `repository "Not A/Repo":`)
		}},
	} {
		repo, got, err := target(rc, tc.o)
		if tc.err != nil {
			if !tc.err(err) {
				t.Errorf("%s: error %v", tc.what, err)
			}
			continue
		}
		if err != nil || repo.String() != tc.repo || len(got) != tc.channels {
			t.Errorf("%s: %s with %d channels, %v; want %s with %d", tc.what, repo, len(got), err, tc.repo, tc.channels)
		}
	}
}
