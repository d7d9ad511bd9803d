package oci

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/testenv/registry"
)

func newSource(t *testing.T, opts Options) *Source {
	t.Helper()
	return New(fetch.New(fetch.Options{RetryWaitMin: time.Millisecond, CacheDir: t.TempDir()}), opts)
}

// isolate keeps the developer's own registry credentials out of the test.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("REGISTRY_AUTH_FILE", "")
	return dir
}

func TestProjectURL(t *testing.T) {
	for in, want := range map[string]string{
		"python":            "https://hub.docker.com/_/python",
		"bitnami/redis":     "https://hub.docker.com/r/bitnami/redis",
		"ghcr.io/owner/app": "",
	} {
		r, err := newSource(t, Options{}).repository(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := projectURL(r); got != want {
			t.Errorf("projectURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkResolve exercises the whole Source against one registry.
func checkResolve(t *testing.T, s *Source, host string) {
	t.Helper()
	ctx := context.Background()
	repo := host + "/dist/app"
	single := registry.PushRandomImage(t, repo+":1.0")
	multi := registry.PushRandomImage(t, repo+":2.0", "linux/amd64", "linux/arm64/v8")

	canon, tags, err := s.Versions(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	if canon != repo || !slices.Equal(tags, []string{"1.0", "2.0"}) {
		t.Errorf("Versions = %q, %q", canon, tags)
	}

	for tag, want := range map[string]string{"1.0": single, "2.0": multi} {
		rel, err := s.Release(ctx, repo, tag)
		if err != nil {
			t.Fatal(err)
		}
		if rel.Name != repo || rel.Version != tag || len(rel.Artifacts) != 1 {
			t.Fatalf("Release(%s) = %+v", tag, rel)
		}
		a := rel.Artifacts[0]
		if a.Hash != want || a.Filename != repo+"@"+want || a.URL != repo+"@"+want || a.Size <= 0 {
			t.Errorf("Release(%s) artifact = %+v, want hash %s", tag, a, want)
		}
		got, err := s.Rehash(ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, []string{want}) {
			t.Errorf("Rehash(%s) = %v, want %s", tag, got, want)
		}
	}

	for _, c := range []struct{ repo, tag string }{{repo, "nope"}, {host + "/dist/missing", "1.0"}} {
		_, err := s.Release(ctx, c.repo, c.tag)
		if !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Release(%s, %s) = %v, want ErrNotFound", c.repo, c.tag, err)
		}
	}
	if _, _, err := s.Versions(ctx, host+"/dist/missing"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Versions(missing) = %v, want ErrNotFound", err)
	}
}

func TestInProcess(t *testing.T) {
	isolate(t)
	host := registry.StartInProcess(t)
	checkResolve(t, newSource(t, Options{}), host)
}

// Release is called for many lockfile entries at once.
func TestConcurrentReleases(t *testing.T) {
	isolate(t)
	host := registry.StartInProcess(t)
	want := registry.PushRandomImage(t, host+"/c:1")
	s := newSource(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			rel, err := s.Release(context.Background(), host+"/c", "1")
			if err == nil && rel.Artifacts[0].Hash != want {
				err = errors.New("wrong digest " + rel.Artifacts[0].Hash)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestRehashDetectsMovedTag(t *testing.T) {
	isolate(t)
	host := registry.StartInProcess(t)
	ctx := context.Background()
	s := newSource(t, Options{})
	repo := host + "/moving"
	before := registry.PushRandomImage(t, repo+":latest")
	rel, err := s.Release(ctx, repo, "latest")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Artifacts[0].Hash != before {
		t.Fatalf("Release = %s, want %s", rel.Artifacts[0].Hash, before)
	}
	after := registry.PushRandomImage(t, repo+":latest", "linux/amd64")
	got, err := s.Rehash(ctx, rel)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != after || got[0] == before {
		t.Errorf("Rehash after moving the tag = %s, want %s (was %s)", got[0], after, before)
	}
}

func TestInvalidNames(t *testing.T) {
	s := newSource(t, Options{})
	ctx := context.Background()
	if _, _, err := s.Versions(ctx, "UPPER/case"); err == nil || errors.Is(err, source.ErrNotFound) {
		t.Errorf("Versions(invalid) = %v", err)
	}
	if _, err := s.Release(ctx, "localhost:1/x", "bad tag"); err == nil || errors.Is(err, source.ErrNotFound) {
		t.Errorf("Release(invalid tag) = %v", err)
	}
}

// Plain HTTP goes to loopback registries (TestInProcess) and, with
// Insecure, to any other; the rule itself is regclient's and tested there.
// 0.0.0.0 reaches this machine without being a loopback name, so it stands
// in for a remote registry that speaks plain HTTP.
func TestPlainHTTPOnlyWhereAllowed(t *testing.T) {
	isolate(t)
	host := registry.StartInProcess(t)
	want := registry.PushRandomImage(t, host+"/dist/app:1")
	_, port, err := net.SplitHostPort(host)
	if err != nil {
		t.Fatal(err)
	}
	repo := net.JoinHostPort("0.0.0.0", port) + "/dist/app"
	ctx := context.Background()

	if _, err := newSource(t, Options{}).Release(ctx, repo, "1"); err == nil || errors.Is(err, source.ErrNotFound) {
		t.Errorf("Release over plain HTTP without Insecure = %v", err)
	}
	if _, _, err := newSource(t, Options{}).Versions(ctx, repo); err == nil || errors.Is(err, source.ErrNotFound) {
		t.Errorf("Versions over plain HTTP without Insecure = %v", err)
	}
	rel, err := newSource(t, Options{Insecure: true}).Release(ctx, repo, "1")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Artifacts[0].Hash != want {
		t.Errorf("Release with Insecure = %s, want %s", rel.Artifacts[0].Hash, want)
	}
}

func TestDistributionWithAuth(t *testing.T) {
	reg := registry.StartDistribution(t, registry.Options{Htpasswd: map[string]string{"alice": "s3cret-pass"}})
	cfg := isolate(t)
	registry.WriteDockerConfig(t, cfg, reg.Host, "alice", "s3cret-pass")
	checkResolve(t, newSource(t, Options{}), reg.Host)

	// A second image, so that the failures below are about the password.
	registry.PushRandomImage(t, reg.Host+"/dist/other:1")
	registry.WriteDockerConfig(t, cfg, reg.Host, "alice", "wrong-password-xyz")
	s := newSource(t, Options{})
	ctx := context.Background()
	_, relErr := s.Release(ctx, reg.Host+"/dist/other", "1")
	_, _, verErr := s.Versions(ctx, reg.Host+"/dist/other")
	for _, err := range []error{relErr, verErr} {
		if err == nil {
			t.Fatal("wrong password accepted")
		}
		msg := err.Error()
		if strings.Contains(msg, "wrong-password-xyz") || strings.Contains(msg, base64.StdEncoding.EncodeToString([]byte("alice:wrong-password-xyz"))) {
			t.Errorf("error leaks the password: %s", msg)
		}
		if !strings.Contains(msg, "401") || !strings.Contains(msg, "credentials") || !strings.Contains(msg, reg.Host) {
			t.Errorf("unclear error: %s", msg)
		}
		if errors.Is(err, source.ErrNotFound) {
			t.Errorf("auth failure reported as not found: %s", msg)
		}
	}
}
