package registry

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestWriteDockerConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	WriteDockerConfig(t, dir, "127.0.0.1:5000", "alice", "one")
	WriteDockerConfig(t, dir, "localhost:6000", "bob", "two")
	for host, want := range map[string]authn.AuthConfig{
		"127.0.0.1:5000": {Username: "alice", Password: "one"},
		"localhost:6000": {Username: "bob", Password: "two"},
	} {
		reg, err := name.NewRegistry(host)
		if err != nil {
			t.Fatal(err)
		}
		a, err := authn.DefaultKeychain.Resolve(reg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != want.Username || got.Password != want.Password {
			t.Errorf("%s: got %s/%s", host, got.Username, got.Password)
		}
	}
}

func TestPushRandomImage(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := StartInProcess(t)
	img := PushRandomImage(t, host+"/x:img")
	idx := PushRandomImage(t, host+"/x:idx", "linux/amd64", "linux/arm64/v8")
	if img == idx {
		t.Fatal("same digest for image and index")
	}
	ref, err := name.ParseReference(host + "/x:idx")
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest.String() != idx || !d.MediaType.IsIndex() {
		t.Fatalf("got %s %s, want index %s", d.MediaType, d.Digest, idx)
	}
	ii, err := d.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 2 || m.Manifests[1].Platform.Architecture != "arm64" || m.Manifests[1].Platform.Variant != "v8" {
		t.Errorf("manifests = %+v", m.Manifests)
	}
	if again := PushRandomImage(t, host+"/x:img"); again == img {
		t.Error("a second random image has the same digest")
	}
}

func TestStartDistribution(t *testing.T) {
	reg := StartDistribution(t, Options{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	want := PushRandomImage(t, reg.Host+"/x:1")
	ref, err := name.ParseReference(reg.Host + "/x:1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest.String() != want {
		t.Errorf("HEAD = %s, want %s", d.Digest, want)
	}
}
