package deps_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image"
	imagebuild "github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/deps"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source/opener"
)

// TestInstalledIsRecorded builds the Kinto-shaped distribution and asks
// the installer what it put in the image, which the SBOM lists: every
// pypi pin once, with the sha256 of the wheel it unpacked (one of the
// pin's hashes), and every module linked into the Go server with its h1:,
// the same from a cached binary as from a fresh build; and the Go
// toolchain, which release.json records.
func TestInstalledIsRecorded(t *testing.T) {
	w := setup(t)
	m, err := manifest.Load(w.repo)
	if err != nil {
		t.Fatal(err)
	}
	locked := map[string][]string{}
	for _, f := range []string{"lockfiles/default.txt", "lockfiles/go.txt"} {
		data, err := os.ReadFile(filepath.Join(w.repo, f))
		if err != nil {
			t.Fatal(err)
		}
		lf, err := lockfile.Parse(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range lf.Entries() {
			locked[e.Name+"=="+e.Version] = e.Hashes
		}
	}
	cache := t.TempDir()
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	var first []deps.Package
	for run := 0; run < 2; run++ {
		client := fetch.New(fetch.Options{CacheDir: cache, RetryWaitMin: time.Millisecond})
		in := deps.New(m, client, opener.New(client, opener.Settings{}), deps.Logs{})
		rep, err := image.Build(ctx, image.BuildOptions{
			Manifest: m, Client: client, SourceDateEpoch: epoch, Platforms: []string{"linux/amd64"},
			Outputs: []string{"oci-layout:" + filepath.Join(t.TempDir(), "oci")}, DependenciesFor: func(*manifest.Manifest) imagebuild.Installer { return in },
		})
		if err != nil {
			t.Fatal(err)
		}
		gv, err := in.(deps.Toolchain).GoVersion(ctx)
		if err != nil || !strings.HasPrefix(gv, "go1.") || rep.GoVersion != gv {
			t.Errorf("go version %q (report %q), %v", gv, rep.GoVersion, err)
		}
		got := in.(deps.Recorder).Installed(amd64)
		if run == 1 {
			// The second build reuses the cached binary.
			if !slices.EqualFunc(got, first, func(a, b deps.Package) bool {
				return a.Name == b.Name && a.Version == b.Version && slices.Equal(a.Hashes, b.Hashes)
			}) {
				t.Errorf("cached build recorded\n%+v\nfirst build\n%+v", got, first)
			}
			break
		}
		first = got
		var pypi, gomod int
		for _, p := range got {
			hashes, ok := locked[p.Name+"=="+p.Version]
			if !ok || len(p.Hashes) != 1 || !slices.Contains(hashes, p.Hashes[0]) {
				t.Errorf("%+v is not a locked pin with one of its hashes (%v)", p, hashes)
			}
			switch p.Ecosystem {
			case "pypi":
				pypi++
			case "gomod":
				gomod++
			}
		}
		if pypi != len(pypiPins) || gomod < 1 {
			t.Errorf("%d pypi packages (want %d) and %d modules recorded: %+v", pypi, len(pypiPins), gomod, got)
		}
		if n := in.(deps.Recorder).Installed(v1.Platform{OS: "linux", Architecture: "arm64"}); n != nil {
			t.Errorf("a platform not built: %+v", n)
		}
	}
}
