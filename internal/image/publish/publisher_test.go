package publish_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/testenv/registry"
)

// TestNewRefuses: New checks what it can before anything is written.
func TestNewRefuses(t *testing.T) {
	o := publish.Options{Version: "1.0.0", Name: "app", Pusher: &publish.Pusher{Client: client(t)}}
	for _, tc := range []struct {
		dest publish.Dest
		name string
		want string
	}{
		{publish.Dest{Kind: publish.Registry, Ref: "127.0.0.1:5000/app:1.0.0+build"}, "app", "cannot be a tag"},
		{publish.Dest{Kind: publish.Registry, Ref: "127.0.0.1:5000/UPPER"}, "app", "repository"},
		{publish.Dest{Kind: publish.Archive, Path: "img.tar"}, "Not An Image", "is not a valid image name"},
	} {
		o.Name = tc.name
		if _, err := publish.New(tc.dest, o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.dest, err, tc.want)
		}
	}
}

// TestPublishers: one Options makes the publisher of every kind of
// destination, each writes the same image its own way, and the ones whose
// destination holds referrers attach them.
func TestPublishers(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	proxy := imagetest.NewProxy(t, registry.StartInProcess(t))
	ctx := context.Background()
	res := image(t, "one", 0)
	dir := t.TempDir()
	o := publish.Options{Version: "1.0.0", Name: "team/app", Pusher: &publish.Pusher{Client: client(t)}}
	sbom := referrers.Artifact{ArtifactType: "application/spdx+json", Data: []byte(`{"spdxVersion":"SPDX-2.3"}`), FileName: "sbom.spdx.json"}

	for _, tc := range []struct {
		out    string
		kind   string
		tags   string
		attach bool
	}{
		{"oci-layout:" + filepath.Join(dir, "oci"), "oci-layout", "", true},
		{"docker-archive:" + filepath.Join(dir, "img.tar"), "docker-archive", "team/app:1.0.0", false},
		{proxy.Host + "/team/app", "registry", "1.0.0", true},
		{proxy.Host + "/team/mirror:edge", "registry", "edge", true},
	} {
		d, err := publish.ParseDest(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		if d.Kind.String() != tc.kind {
			t.Errorf("%s: kind %s, want %s", tc.out, d.Kind, tc.kind)
		}
		pub, err := publish.New(d, o)
		if err != nil {
			t.Fatalf("%s: %v", tc.out, err)
		}
		if _, ok := pub.(*publish.RegistryPublisher); ok != (d.Kind == publish.Registry) {
			t.Errorf("%s: a %T", tc.out, pub)
		}
		r, err := pub.Publish(ctx, res.Artifact)
		if err != nil {
			t.Fatalf("%s: %v", tc.out, err)
		}
		if got := strings.Join(r.Tags, ","); got != tc.tags || len(r.Moved) != 0 {
			t.Errorf("%s: tags %q moved %q, want %q", tc.out, got, r.Moved, tc.tags)
		}
		at, ok := pub.(publish.Attacher)
		if ok != tc.attach {
			t.Fatalf("%s: attacher %v, want %v", tc.out, ok, tc.attach)
		}
		if !ok {
			continue
		}
		refs, err := at.Attach(ctx, res.Digest, []referrers.Artifact{sbom})
		if err != nil || len(refs) != 1 || refs[0].ArtifactType != sbom.ArtifactType {
			t.Errorf("%s: attached %+v, %v", tc.out, refs, err)
		}
	}

	// Only a registry has tags to check before writing: another image
	// cannot take 1.0.0.
	d, _ := publish.ParseDest(proxy.Host + "/team/app")
	pub, err := publish.New(d, o)
	if err != nil {
		t.Fatal(err)
	}
	var tc *publish.TagConflictError
	if err := pub.(*publish.RegistryPublisher).Check(ctx, image(t, "two", 0).Artifact); !errors.As(err, &tc) {
		t.Errorf("check of another image at 1.0.0: %v", err)
	}
}
