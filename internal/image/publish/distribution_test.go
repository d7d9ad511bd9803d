package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/testenv/registry"
)

// These tests push to Debian's docker-registry (distribution 2.8), which
// keeps blobs per repository, checks digests on upload and speaks htpasswd.

func TestDistributionPush(t *testing.T) {
	crane := imagetest.Tool(t, "crane")
	skopeo := imagetest.Tool(t, "skopeo")
	reg := registry.StartDistribution(t, registry.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	proxy := imagetest.NewProxy(t, reg.Host)
	ctx := context.Background()
	res := image(t, "one", 256<<10, "linux/amd64", "linux/arm64")
	p := &publish.Pusher{Client: client(t)}
	app := repo(t, proxy.Host+"/dist/app")
	if _, err := p.Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil); err != nil {
		t.Fatal(err)
	}
	ref := reg.Host + "/dist/app:1.0.0"
	if got := strings.TrimSpace(imagetest.Run(t, "", nil, crane, "digest", ref)); got != res.Digest.String() {
		t.Errorf("crane digest %s, want %s", got, res.Digest)
	}
	imagetest.Run(t, "", nil, crane, "validate", "--remote", ref)
	var si struct{ Digest, Architecture string }
	out := imagetest.Run(t, "", nil, skopeo, "inspect", "--tls-verify=false", "docker://"+ref)
	if err := json.Unmarshal([]byte(out), &si); err != nil || si.Digest != res.Digest.String() || si.Architecture != "amd64" {
		t.Errorf("skopeo: %v %s", err, out)
	}

	// Into a second repository, the blobs are mounted, not sent again.
	proxy.Reset()
	if _, err := p.Push(ctx, res.Artifact, repo(t, proxy.Host+"/dist/mirror"), []string{"1.0.0"}, &app); err != nil {
		t.Fatal(err)
	}
	if n := proxy.Count("upload-data"); n != 0 {
		t.Errorf("mirror: %d blobs sent instead of mounted", n)
	}
	if proxy.Count("upload-start") == 0 {
		t.Error("mirror: no mount asked for")
	}
}

func TestDistributionAuth(t *testing.T) {
	crane := imagetest.Tool(t, "crane")
	const password = "s3cret-Pa55word"
	reg := registry.StartDistribution(t, registry.Options{Htpasswd: map[string]string{"alice": password}})
	ctx := context.Background()
	res := image(t, "one", 0)
	app := repo(t, reg.Host+"/app")

	good := t.TempDir()
	registry.WriteDockerConfig(t, good, reg.Host, "alice", password)
	t.Setenv("DOCKER_CONFIG", good)
	if _, err := (&publish.Pusher{Client: client(t)}).Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(imagetest.Run(t, "", []string{"DOCKER_CONFIG=" + good}, crane, "digest", reg.Host+"/app:1.0.0")); got != res.Digest.String() {
		t.Errorf("crane digest %s", got)
	}

	bad := t.TempDir()
	registry.WriteDockerConfig(t, bad, reg.Host, "alice", "wrong-"+password)
	t.Setenv("DOCKER_CONFIG", bad)
	other := image(t, "two", 0)
	_, err := (&publish.Pusher{Client: client(t)}).Push(ctx, other.Artifact, app, []string{"2.0.0"}, nil)
	if !errors.Is(err, regclient.ErrUnauthorized) {
		t.Fatalf("wrong password: %v", err)
	}
	msg := fmt.Sprintf("%v %+v %#v", err, err, err)
	imagetest.Contains(t, err.Error(), reg.Host, "refused access (401 Unauthorized)", "DOCKER_CONFIG")
	if strings.Contains(msg, password) {
		t.Errorf("the password is in the error: %s", msg)
	}

	// Nothing of the refused push is tagged.
	t.Setenv("DOCKER_CONFIG", good)
	if _, err := client(t).Head(ctx, app.Tag("2.0.0")); !errors.Is(err, regclient.ErrNotFound) {
		t.Errorf("tag 2.0.0 after a refused push: %v", err)
	}
}

func TestDistributionFaults(t *testing.T) {
	crane := imagetest.Tool(t, "crane")
	reg := registry.StartDistribution(t, registry.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ctx := context.Background()
	// The image has three blobs (files layer, release layer, config): one
	// more upload request shows the retry, one more upload session shows
	// that the registry's half-written session was given up for a new one.
	for i, tc := range []struct {
		name             string
		faults           []imagetest.Fault
		sessions, chunks int
	}{
		{"500 before the registry sees the upload", []imagetest.Fault{imagetest.Fail500}, 3, 4},
		{"500 after the registry took the bytes", []imagetest.Fault{imagetest.Fail500After}, 4, 5},
		{"connection dropped mid-upload", []imagetest.Fault{imagetest.Drop}, 3, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := imagetest.NewProxy(t, reg.Host)
			res := image(t, fmt.Sprint("content ", i), 512<<10)
			app := repo(t, fmt.Sprintf("%s/fault%d", proxy.Host, i))
			proxy.FailNext(tc.faults...)
			if _, err := (&publish.Pusher{Client: client(t)}).Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil); err != nil {
				t.Fatalf("not retried: %v\n%s", err, reg.Logs())
			}
			if s, c := proxy.Count("upload-start"), proxy.Count("upload-data"); s != tc.sessions || c != tc.chunks {
				t.Errorf("%d upload sessions and %d uploads, want %d and %d", s, c, tc.sessions, tc.chunks)
			}
			ref := fmt.Sprintf("%s/fault%d:1.0.0", reg.Host, i)
			if got := strings.TrimSpace(imagetest.Run(t, "", nil, crane, "digest", ref)); got != res.Digest.String() {
				t.Errorf("crane digest %s, want %s", got, res.Digest)
			}
			imagetest.Run(t, "", nil, crane, "validate", "--remote", ref)
		})
	}

	t.Run("a fault that does not go away", func(t *testing.T) {
		proxy := imagetest.NewProxy(t, reg.Host)
		res := image(t, "persistent", 64<<10)
		app := repo(t, proxy.Host+"/broken")
		var faults []imagetest.Fault
		for range 50 {
			faults = append(faults, imagetest.Fail500)
		}
		proxy.FailNext(faults...)
		_, err := (&publish.Pusher{Client: client(t)}).Push(ctx, res.Artifact, app, []string{"1.0.0"}, nil)
		if err == nil || !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("got %v", err)
		}
		if _, err := client(t).Head(ctx, app.Tag("1.0.0")); !errors.Is(err, regclient.ErrNotFound) {
			t.Errorf("a failed push left a tag: %v", err)
		}
	})

	t.Run("registry unreachable", func(t *testing.T) {
		res := image(t, "x", 0)
		_, err := (&publish.Pusher{Client: client(t)}).Push(ctx, res.Artifact, repo(t, "127.0.0.1:1/app"), []string{"1.0.0"}, nil)
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("got %v", err)
		}
	})
}

// TestDistributionPublishersMount: the registry publishers of one build
// share their Pusher, and a later one mounts the blobs an earlier one
// pushed to the same registry (distribution keeps blobs per repository,
// so a skipped upload here is a mount).
func TestDistributionPublishersMount(t *testing.T) {
	reg := registry.StartDistribution(t, registry.Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	proxy := imagetest.NewProxy(t, reg.Host)
	ctx := context.Background()
	res := image(t, "one", 256<<10, "linux/amd64", "linux/arm64")
	o := publish.Options{Version: "1.0.0", Pusher: &publish.Pusher{Client: client(t)}}
	for i, out := range []string{proxy.Host + "/dist/app", proxy.Host + "/dist/mirror"} {
		d, err := publish.ParseDest(out)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := publish.New(d, o)
		if err != nil {
			t.Fatal(err)
		}
		proxy.Reset()
		if _, err := pub.Publish(ctx, res.Artifact); err != nil {
			t.Fatal(err)
		}
		if sent := proxy.Count("upload-data"); (i == 0) != (sent > 0) {
			t.Errorf("%s: %d blobs sent", out, sent)
		}
	}
	if proxy.Count("upload-start") == 0 {
		t.Error("mirror: no mount asked for")
	}
}
