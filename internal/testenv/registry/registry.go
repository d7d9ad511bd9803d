// Package registry runs real OCI registries for tests: go-containerregistry's
// in-process one for speed, and the CNCF distribution registry (Debian's
// docker-registry) where behaviour that only a production registry has
// matters, such as htpasswd authentication.
package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/bcrypt"
)

// DistributionBinary is where Debian's docker-registry package installs the
// registry; PATH is searched first.
const DistributionBinary = "/usr/bin/docker-registry"

// StartInProcess serves go-containerregistry's registry on 127.0.0.1 for the
// duration of the test and returns its host:port.
func StartInProcess(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Options configures StartDistribution.
type Options struct {
	// Htpasswd, when not empty, turns on basic authentication with these
	// users (user → password).
	Htpasswd map[string]string
}

// Registry is a running distribution registry.
type Registry struct {
	// Host is "127.0.0.1:port", usable as the registry part of a reference.
	Host string
	// StorageDir is the registry's filesystem storage root.
	StorageDir string

	logs *syncBuffer
}

// Logs returns what the registry process has written so far.
func (r *Registry) Logs() string { return r.logs.String() }

// StartDistribution runs the docker-registry binary on a free loopback port
// with its own storage, waits until it answers, and stops it when the test
// ends. Without the binary the test is skipped, except under CI=true where a
// missing registry is a broken CI image and fails the test.
func StartDistribution(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		bin = DistributionBinary
		if _, err := os.Stat(bin); err != nil {
			msg := "docker-registry not found in PATH or at " + DistributionBinary + " (apt-get install docker-registry)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + "; CI must install it")
			}
			t.Skip(msg)
		}
	}

	dir := t.TempDir()
	storage := filepath.Join(dir, "storage")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		t.Fatal(err)
	}
	auth := ""
	if len(opts.Htpasswd) > 0 {
		path := filepath.Join(dir, "htpasswd")
		writeHtpasswd(t, path, opts.Htpasswd)
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: dist-test\n    path: %s\n", path)
	}

	// The port is picked by listening and closing, so another process can
	// take it before the registry binds; a few attempts make that harmless.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		host := freePort(t)
		cfg := filepath.Join(dir, "config.yml")
		yml := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: dist-test-secret
%s`, storage, host, auth)
		if err := os.WriteFile(cfg, []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := start(t, bin, cfg, host, storage)
		if err == nil {
			return r
		}
		lastErr = err
	}
	t.Fatalf("starting docker-registry: %v", lastErr)
	return nil
}

func start(t testing.TB, bin, cfg, host, storage string) (*Registry, error) {
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Stdout = logs
	cmd.Stderr = logs
	// REGISTRY_* variables override the configuration file.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return nil, fmt.Errorf("docker-registry exited: %s", strings.TrimSpace(logs.String()))
		default:
		}
		// Any answer will do: with authentication /v2/ says 401.
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("docker-registry did not answer on %s: %v\n%s", host, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(stop)
	return &Registry{Host: host, StorageDir: storage, logs: logs}, nil
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func writeHtpasswd(t testing.TB, path string, users map[string]string) {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, u := range names {
		// The registry checks the hash on every request, so the cheapest
		// cost keeps tests fast; these passwords protect nothing.
		h, err := bcrypt.GenerateFromPassword([]byte(users[u]), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// WriteDockerConfig adds credentials for host to dir/config.json, the file
// Docker and go-containerregistry read when DOCKER_CONFIG=dir. Entries for
// other hosts already in the file are kept.
func WriteDockerConfig(t testing.TB, dir, host, user, pass string) {
	t.Helper()
	path := filepath.Join(dir, "config.json")
	cfg := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	auths, _ := cfg["auths"].(map[string]any)
	if auths == nil {
		auths = map[string]any{}
	}
	auths[host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}
	cfg["auths"] = auths
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// PushRandomImage pushes a small image with random content to ref (a tag
// reference such as "127.0.0.1:5000/app:1.0") and returns its digest. With
// platforms ("linux/amd64", "linux/arm64/v8"), it pushes a manifest list with
// one random image per platform and returns the list's digest. Credentials
// come from the default keychain, so a DOCKER_CONFIG set by the test applies.
func PushRandomImage(t testing.TB, ref string, platforms ...string) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatalf("PushRandomImage: %v", err)
	}
	opts := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	if len(platforms) == 0 {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img, opts...); err != nil {
			t.Fatalf("pushing %s: %v", ref, err)
		}
		return digest(t, img)
	}
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, p := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatalf("PushRandomImage: platform %q: %v", p, err)
		}
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		// The config states the platform too, as a real build would, so
		// that platform-aware clients agree with the list.
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: plat},
		})
	}
	if err := remote.WriteIndex(r, idx, opts...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return digest(t, idx)
}

func digest(t testing.TB, d interface{ Digest() (v1.Hash, error) }) string {
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
