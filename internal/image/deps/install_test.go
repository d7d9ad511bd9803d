package deps_test

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image"
	imagebuild "github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/deps"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source/gomod"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/testenv/fixtures"
	"github.com/distbuild/dist/internal/testenv/goproxy"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

var ctx = context.Background()

// TestMain gives the go command a module cache of its own: the test proxy
// serves example.com modules that must not land in the user's cache. The
// build cache stays the user's, as in any `go test`, so that the standard
// library is not compiled again. gobuild asks `go env` once per process,
// so the setting is process-wide.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dist-deps-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("GOMODCACHE", filepath.Join(dir, "mod"))
	code := m.Run()
	// The go command makes extracted modules read-only.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	sitePackages = "/usr/local/lib/python3.12/site-packages"
	interpreter  = "/usr/local/bin/python3"
	epoch        = "1700000000"
)

// distYAML is a Kinto-shaped distribution that also ships a Go server:
// wheels into site-packages, the server built from the gomod lockfile, and
// the rendered env file as the image's environment.
const distYAML = `name: deps-dist
lockfiles:
  - {path: lockfiles/default.txt, ecosystem: pypi, index: INDEX}
  - {path: lockfiles/go.txt, ecosystem: gomod}
image:
  entrypoint: [/usr/local/bin/httpd]
  env_file: config/httpd.env
  env: {PORT: "9090"}
  python: {site_packages: ` + sitePackages + `, interpreter: ` + interpreter + `}
  go: {main: example.com/httpd/cmd/httpd}
`

const envFile = `# rendered by dist config render
HOST=0.0.0.0
PORT=8080
GREETING=from the env file
`

// pypiPins is a complete set: the build refuses one that is not.
var pypiPins = append([]string{"kinto==14.3.1", "kinto-http==11.0.0", "zope.interface==6.2",
	"pyramid==2.0.2", "webob==1.8.8", "transaction==5.0", "zope.deprecation==5.0", "venusian==3.1.0",
	"translationstring==1.4", "hupper==1.12.1"}, requestsPins...)

// requestsPins are requests and what it requires.
var requestsPins = []string{"requests==2.32.3", "charset-normalizer==3.3.2", "idna==3.7", "urllib3==2.2.3", "certifi==2024.8.30"}

type world struct {
	repo  string
	index *pyindex.Server
	proxy *goproxy.Proxy
}

// setup writes the repository, with lockfiles pinning what the local index
// and proxy serve, and points the gomod source and the go command at the
// proxy, its checksum database checked.
func setup(t *testing.T) *world {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	idx := pyindex.Start(t, fixtures.KintoProjects()...)
	proxy := goproxy.Start(t, fixtures.GoModules()...)
	for k, v := range map[string]string{
		"GOPROXY": proxy.URL, "GOSUMDB": proxy.SumDB, "GOPRIVATE": "", "GONOPROXY": "", "GONOSUMDB": "",
		"GOENV": "off", "GOFLAGS": "", "PIP_INDEX_URL": "",
	} {
		t.Setenv(k, v)
	}
	py, err := idx.Lockfile(pypiPins...)
	if err != nil {
		t.Fatal(err)
	}
	src := gomod.New(fetch.New(fetch.Options{CacheDir: t.TempDir()}), gomod.Env{GOPROXY: proxy.URL, GOSUMDB: proxy.SumDB})
	var golock strings.Builder
	for _, m := range []string{"example.com/greet@v1.0.0", "example.com/httpd@v1.0.0"} {
		path, ver, _ := strings.Cut(m, "@")
		rel, err := src.Release(ctx, path, ver)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&golock, "%s==%s \\\n    --hash=%s\n", path, ver, rel.Artifacts[0].Hash)
	}
	repo := t.TempDir()
	imagetest.WriteFiles(t, repo, map[string]string{
		"dist.yaml":             strings.Replace(distYAML, "INDEX", idx.IndexURL(), 1),
		"VERSION":               "1.0.0\n",
		"config/httpd.env":      envFile,
		"lockfiles/default.txt": py,
		"lockfiles/go.txt":      golock.String(),
	})
	return &world{repo: repo, index: idx, proxy: proxy}
}

// build runs the real `dist build` path: image.Build with deps.New, one
// platform, into a fresh OCI layout, with a fetch cache of its own.
func build(t *testing.T, repo, cacheDir string, platforms ...string) (string, *image.BuildReport, error) {
	t.Helper()
	m, err := manifest.Load(repo)
	if err != nil {
		t.Fatal(err)
	}
	client := fetch.New(fetch.Options{CacheDir: cacheDir, RetryWaitMin: time.Millisecond})
	out := filepath.Join(t.TempDir(), "oci")
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64"}
	}
	rep, err := image.Build(ctx, image.BuildOptions{
		Manifest: m, Client: client, SourceDateEpoch: epoch, Platforms: platforms,
		Outputs: []string{"oci-layout:" + out},
		DependenciesFor: func(m *manifest.Manifest) imagebuild.Installer {
			return deps.New(m, client, opener.New(client, opener.Settings{}), deps.Logs{})
		},
	})
	return out, rep, err
}

// platformImage reads the image of one platform from an OCI layout.
func platformImage(t *testing.T, dir, platform string) v1.Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	// The SBOM and provenance beside the image are referrers, not images.
	var images []v1.Descriptor
	for _, d := range im.Manifests {
		if d.ArtifactType == "" {
			images = append(images, d)
		}
	}
	if len(images) != 1 {
		t.Fatalf("the layout holds %d images, want 1", len(images))
	}
	d := images[0]
	if !d.MediaType.IsIndex() {
		img, err := top.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	idx, err := top.ImageIndex(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	children, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range children.Manifests {
		if c.Platform != nil && c.Platform.OS+"/"+c.Platform.Architecture == platform {
			img, err := idx.Image(c.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatalf("no %s image in %s", platform, dir)
	return nil
}

// extract unpacks the image's flattened file system into a new directory,
// keeping the modes the layers give, and refusing any entry that leaves it.
func extract(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsLocal(h.Name) {
			t.Fatalf("layer entry %q leaves the root", h.Name)
		}
		p := filepath.Join(root, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fs.FileMode(h.Mode).Perm())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("layer entry %q: unexpected type %c", h.Name, h.Typeflag)
		}
	}
	return root
}

// depsLayer is the digest of the image's dependencies layer, found by the
// role its history records.
func depsLayer(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var nonEmpty []v1.History
	for _, h := range cf.History {
		if !h.EmptyLayer {
			nonEmpty = append(nonEmpty, h)
		}
	}
	for i, h := range nonEmpty {
		if h.CreatedBy == meta.CreatedBy(meta.RoleDependencies) {
			d, err := layers[i].Digest()
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	t.Fatalf("no dependencies layer in %v", nonEmpty)
	return v1.Hash{}
}

func TestImageRunsWhatItHolds(t *testing.T) {
	w := setup(t)
	out, rep, err := build(t, w.repo, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img := platformImage(t, out, "linux/amd64")
	root := extract(t, img)

	t.Run("warnings", func(t *testing.T) {
		// Scratch has no /usr/local/bin/python3: the image builds and
		// says its scripts cannot start as it is.
		want := "linux/amd64: console scripts kinto-http-cli, kinto-http-ping run /usr/local/bin/python3, but the base is scratch: they cannot start unless a base image with /usr/local/bin/python3 is layered under this one (image.base)"
		if len(rep.Warnings) != 1 || rep.Warnings[0] != want {
			t.Errorf("warnings %q\nwant %q", rep.Warnings, want)
		}
	})

	t.Run("env", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"HOST=0.0.0.0", "GREETING=from the env file", "PORT=9090"} {
			if !slices.Contains(cf.Config.Env, want) {
				t.Errorf("config env %q lacks %q", cf.Config.Env, want)
			}
		}
		if slices.Contains(cf.Config.Env, "PORT=8080") {
			t.Errorf("env: PORT should win over the env file's: %q", cf.Config.Env)
		}
	})

	t.Run("go server", func(t *testing.T) {
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			t.Skip("the image's server is linux/amd64")
		}
		bin := filepath.Join(root, "usr/local/bin/httpd")
		st, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: mode %v, want executable", bin, st.Mode())
		}
		cf, _ := img.ConfigFile()
		// The image's environment, as a runtime would give it; the flags
		// keep it on loopback.
		body := runServer(t, bin, cf.Config.Env, "-host", "127.0.0.1", "-port", "0")
		if !strings.Contains(body, `"greeting":"hello, from the env file"`) || !strings.Contains(body, `"x":["1"]`) {
			t.Errorf("GET /get answered %s", body)
		}
	})

	t.Run("python", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("no python3")
		}
		site := filepath.Join(root, sitePackages)
		env := append(os.Environ(), "PYTHONPATH="+site, "PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1")
		run := func(args ...string) string {
			t.Helper()
			cmd := exec.Command(py, args...)
			cmd.Env, cmd.Dir = env, t.TempDir()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("python3 %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return strings.TrimSpace(string(out))
		}
		got := run("-c", `import kinto, kinto_http, kinto_http.cli, requests, zope_interface
for m in (kinto, kinto_http, requests, zope_interface):
    print(m.__name__, m.__version__, m.__file__)`)
		for _, want := range []string{"kinto 14.3.1 " + site + "/kinto/__init__.py", "kinto_http 11.0.0", "requests 2.32.3", "zope_interface 6.2"} {
			if !strings.Contains(got, want) {
				t.Errorf("imports printed\n%s\nwant %q", got, want)
			}
		}
		// The console script and the .data/scripts file: pointed at the
		// image's interpreter, executable, and runnable by a Python.
		for script, want := range map[string]string{
			"kinto-http-cli":  "kinto-http-cli 11.0.0 --server http://x",
			"kinto-http-ping": "pong 11.0.0", // ignores its arguments
		} {
			p := filepath.Join(root, "usr/local/bin", script)
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o755 {
				t.Errorf("%s: mode %v, want 0755", script, st.Mode().Perm())
			}
			data, _ := os.ReadFile(p)
			if first, _, _ := strings.Cut(string(data), "\n"); first != "#!"+interpreter {
				t.Errorf("%s: first line %q, want #!%s", script, first, interpreter)
			}
			if got := run(p, "--server", "http://x"); got != want {
				t.Errorf("%s printed %q, want %q", script, got, want)
			}
		}
		installer, err := os.ReadFile(filepath.Join(site, pyindex.DistInfoDir("kinto-http", "11.0.0"), "INSTALLER"))
		if err != nil || strings.TrimSpace(string(installer)) != "dist" {
			t.Errorf("INSTALLER = %q, %v; want dist", installer, err)
		}
	})

	t.Run("reproducible", func(t *testing.T) {
		// Another clone of the repository, another fetch cache: the same
		// dependencies layer and the same image.
		other := filepath.Join(t.TempDir(), "elsewhere")
		if err := os.CopyFS(other, os.DirFS(w.repo)); err != nil {
			t.Fatal(err)
		}
		out2, rep2, err := build(t, other, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		img2 := platformImage(t, out2, "linux/amd64")
		if a, b := depsLayer(t, img), depsLayer(t, img2); a != b {
			t.Errorf("dependencies layer %s, then %s", a, b)
		}
		if rep.Digest != rep2.Digest {
			t.Errorf("image %s, then %s", rep.Digest, rep2.Digest)
		}
	})
}

// runServer starts bin, waits for its "listening on ADDR" line, and
// returns the body of GET /get?x=1, which must answer 200.
func runServer(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- addr
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var addr string
	select {
	case addr = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not say where it listens")
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/get?x=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /get: %s\n%s", resp.Status, body)
	}
	return string(body)
}

// TestErrorsNameThePin: each bad input fails the build with the pin (and
// its lockfile line) in the message, and writes no layout.
func TestErrorsNameThePin(t *testing.T) {
	w := setup(t)
	cases := []struct {
		name, pins string
		goMain     string
		platform   string
		tamper     string
		want       []string
		mismatch   bool
	}{
		{name: "tampered wheel", pins: "kinto-http==11.0.0", tamper: "kinto_http-11.0.0-py3-none-any.whl",
			want: []string{"lockfiles/default.txt:1: kinto-http==11.0.0: kinto_http-11.0.0-py3-none-any.whl", "hash mismatch"}, mismatch: true},
		{name: "escaping member", pins: "evil-paths==1.0",
			want: []string{"lockfiles/default.txt:1: evil-paths==1.0: member \"../../../../etc/cron.d/evil\""}},
		{name: "malformed entry points", pins: "bad-entrypoints==1.0",
			want: []string{"lockfiles/default.txt:1: bad-entrypoints==1.0:", "entry_points.txt"}},
		{name: "sdist only", pins: "legacy-only==1.0",
			want: []string{"lockfiles/default.txt:1: legacy-only 1.0: cannot read its requirements: no wheel", "wheelhouse: folder"}},
		{name: "no wheel for the platform", pins: "zope.interface==6.2", platform: "linux/arm64",
			want: []string{"lockfiles/default.txt:1: zope.interface==6.2: no wheel for linux/arm64"}},
		{name: "go build fails", goMain: "example.com/broken/cmd/broken",
			want: []string{"lockfiles/go.txt:1: example.com/broken==v1.0.0: build example.com/broken/cmd/broken for linux/amd64: go build failed", "undefined: undefinedThing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			if err := os.CopyFS(repo, os.DirFS(w.repo)); err != nil {
				t.Fatal(err)
			}
			if c.pins != "" {
				pins := []string{c.pins}
				if c.pins == "kinto-http==11.0.0" {
					pins = append(pins, requestsPins...)
				}
				lf, err := w.index.Lockfile(pins...)
				if err != nil {
					t.Fatal(err)
				}
				imagetest.WriteFiles(t, repo, map[string]string{"lockfiles/default.txt": lf})
			}
			y := strings.Replace(distYAML, "INDEX", w.index.IndexURL(), 1)
			if c.goMain != "" {
				y = strings.Replace(y, "example.com/httpd/cmd/httpd", c.goMain, 1)
				imagetest.WriteFiles(t, repo, map[string]string{"lockfiles/default.txt": ""})
				src := gomod.New(fetch.New(fetch.Options{CacheDir: t.TempDir()}), gomod.Env{GOPROXY: w.proxy.URL, GOSUMDB: w.proxy.SumDB})
				rel, err := src.Release(ctx, "example.com/broken", "v1.0.0")
				if err != nil {
					t.Fatal(err)
				}
				imagetest.WriteFiles(t, repo, map[string]string{"lockfiles/go.txt": "example.com/broken==v1.0.0 \\\n    --hash=" + rel.Artifacts[0].Hash + "\n"})
			} else {
				y = strings.Replace(y, "  go: {main: example.com/httpd/cmd/httpd}\n", "", 1)
			}
			imagetest.WriteFiles(t, repo, map[string]string{"dist.yaml": y})
			if c.tamper != "" {
				w.index.Tamper(c.tamper)
			}
			plat := "linux/amd64"
			if c.platform != "" {
				plat = c.platform
			}
			out, _, err := build(t, repo, t.TempDir(), plat)
			if err == nil {
				t.Fatal("the build succeeded")
			}
			t.Log(err)
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\nlacks %q", err, want)
				}
			}
			var hm *fetch.HashMismatchError
			if c.mismatch && !errors.As(err, &hm) {
				t.Errorf("error %q is not a *fetch.HashMismatchError", err)
			}
			if _, serr := os.Stat(out); !errors.Is(serr, fs.ErrNotExist) {
				t.Errorf("the failed build wrote %s (%v)", out, serr)
			}
		})
	}
}
