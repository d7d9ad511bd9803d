package build

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/cache"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/testenv/registry"
)

var when = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func load(t *testing.T, files map[string]string) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, files)
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func run(t *testing.T, o Options) (*Recipe, *Result) {
	t.Helper()
	p, err := Prepare(o)
	if err != nil {
		t.Fatal(err)
	}
	c := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	store := cache.New(c.Cache())
	rc := regclient.New(regclient.Options{Transport: c.Transport(), Jobs: c.Jobs()})
	res, err := p.Build(context.Background(), store, &base.Fetcher{Store: store, Client: rc})
	if err != nil {
		t.Fatal(err)
	}
	// dist writes its manifests, configs and indexes by hand: they must
	// read back as go-containerregistry reads any image, every digest,
	// size, diff ID and platform agreeing with what it names.
	switch a := res.Artifact.(type) {
	case v1.ImageIndex:
		err = validate.Index(a)
	case v1.Image:
		err = validate.Image(a)
	default:
		t.Fatalf("artifact %T is neither an image nor an index", a)
	}
	if err != nil {
		t.Errorf("go-containerregistry's validate: %v", err)
	}
	return p, res
}

// fakeDeps installs one file whose content names the platform.
type fakeDeps struct{}

func (fakeDeps) Entries(_ context.Context, p v1.Platform, _ v1.Image) ([]tarlayer.Entry, []string, error) {
	e := tarlayer.Bytes("usr/local/bin/server", []byte("binary for "+p.String()), "server")
	e.Exec = true
	return []tarlayer.Entry{e}, []string{"server needs libc", "only on " + p.String()}, nil
}

func files(t *testing.T, l v1.Layer) map[string]*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

func TestBuildOnBaseForTwoPlatforms(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	baseDigest := registry.PushRandomImage(t, host+"/library/python:3.12", "linux/amd64", "linux/arm64")
	m := load(t, map[string]string{
		"dist.yaml": `name: app
lockfiles:
  - path: lockfiles/base.txt
    ecosystem: oci
  - path: lockfiles/go.txt
    ecosystem: gomod
configs:
  - template: templates/app.ini.tmpl
    output: config/app.ini
  - template: templates/extra.ini.tmpl
    output: config/extra.ini
github:
  repository: example/app
image:
  base: ` + host + `/library/python:3.12
  platforms: [linux/amd64, linux/arm64]
  entrypoint: [app, serve]
  cmd: [--port, "8080"]
  env: {APP_MODE: prod, PATH: /app/bin}
  workdir: /srv
  user: "1000:1000"
  ports: ["8080", 53/udp]
  labels: {team: core}
  files:
    - {src: config/app.ini, dst: /etc/app.ini}
    - {src: bin, dst: /app/bin}
`,
		"lockfiles/base.txt":       host + "/library/python==3.12 \\\n    --hash=" + baseDigest + "\n",
		"lockfiles/go.txt":         "example.org/mod==v1.2.3 \\\n    --hash=h1:abc=\n",
		"config/app.ini":           "[app]\n",
		"config/extra.ini":         "[extra]\n",
		"bin/app*":                 "#!/bin/sh\n",
		"templates/app.ini.tmpl":   "",
		"templates/extra.ini.tmpl": "",
	})
	_, res := run(t, Options{Manifest: m, Version: "1.2.0", Commit: "abc123", Time: when, Dependencies: fakeDeps{}})

	if res.MediaType != types.OCIImageIndex || len(res.Images) != 2 {
		t.Fatalf("got %s with %d images", res.MediaType, len(res.Images))
	}
	// A warning every platform gives is said once, with its platforms.
	wantWarnings := []string{"linux/amd64, linux/arm64: server needs libc", "linux/amd64: only on linux/amd64", "linux/arm64: only on linux/arm64"}
	if !reflect.DeepEqual(res.Warnings, wantWarnings) {
		t.Errorf("warnings %q, want %q", res.Warnings, wantWarnings)
	}
	idx := res.Artifact.(v1.ImageIndex)
	im, _ := idx.IndexManifest()
	wantAnn := map[string]string{
		meta.Version: "1.2.0", meta.Revision: "abc123", meta.Created: "2024-03-01T12:00:00Z",
		meta.Title: "app", meta.Source: "https://github.com/example/app",
		meta.BaseName: host + "/library/python:3.12", meta.BaseDigest: baseDigest,
	}
	if !reflect.DeepEqual(im.Annotations, wantAnn) {
		t.Errorf("index annotations:\n%v\nwant\n%v", im.Annotations, wantAnn)
	}

	var depsDigests []v1.Hash
	for i, pi := range res.Images {
		img := pi.Image
		if im.Manifests[i].Platform.String() != pi.Platform.String() {
			t.Errorf("index entry %d is %s", i, im.Manifests[i].Platform)
		}
		cf, _ := img.ConfigFile()
		mf, _ := img.Manifest()
		c := cf.Config
		if !reflect.DeepEqual(c.Entrypoint, []string{"app", "serve"}) || !reflect.DeepEqual(c.Cmd, []string{"--port", "8080"}) ||
			c.WorkingDir != "/srv" || c.User != "1000:1000" {
			t.Errorf("config: %+v", c)
		}
		if !reflect.DeepEqual(c.Env, []string{"APP_MODE=prod", "PATH=/app/bin"}) {
			t.Errorf("env %v", c.Env)
		}
		if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 2 {
			t.Errorf("ports %v", c.ExposedPorts)
		}
		if c.Labels["team"] != "core" || c.Labels[meta.Version] != "1.2.0" || c.Labels[meta.BaseDigest] == baseDigest {
			t.Errorf("labels %v", c.Labels)
		}
		if mf.Annotations[meta.BaseDigest] != c.Labels[meta.BaseDigest] || mf.Annotations[meta.Revision] != "abc123" {
			t.Errorf("manifest annotations %v", mf.Annotations)
		}
		if cf.Architecture != pi.Platform.Architecture || cf.OS != "linux" || cf.Created.Time.Unix() != when.Unix() {
			t.Errorf("config file %+v", cf)
		}
		for _, l := range mf.Layers {
			if !strings.HasPrefix(string(l.MediaType), "application/vnd.oci.image.layer.") {
				t.Errorf("layer media type %s", l.MediaType)
			}
		}
		roles := meta.Roles(cf)
		wantRoles := []string{"base", "dependencies", "files", "config", "release"}
		if !reflect.DeepEqual(roles, wantRoles) {
			t.Fatalf("roles %v", roles)
		}
		layers, _ := img.Layers()
		dep := files(t, layers[1])
		// image.user runs the process; root owns the files, so that the
		// server cannot rewrite its own binary.
		if h := dep["usr/local/bin/server"]; h == nil || h.Mode != 0o755 || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("dependencies layer: %v", dep)
		}
		d, _ := layers[1].Digest()
		depsDigests = append(depsDigests, d)
		fl := files(t, layers[2])
		if len(fl) != 1 || fl["app/bin/app"] == nil || fl["app/bin/app"].Mode != 0o755 {
			t.Errorf("files layer: %v", fl)
		}
		cl := files(t, layers[3])
		if len(cl) != 2 || cl["etc/app.ini"] == nil || cl["etc/app/extra.ini"] == nil {
			t.Errorf("config layer: %v", cl)
		}
		rl := files(t, layers[4])
		if len(rl) != 3 || rl["usr/share/dist/app/release.json"] == nil || rl["usr/share/dist/app/lockfiles/go.txt"] == nil {
			t.Errorf("release layer: %v", rl)
		}
		for name, h := range rl {
			if h.ModTime.Unix() != when.Unix() || h.Uid != 0 || h.Gid != 0 {
				t.Errorf("%s: %v %d:%d", name, h.ModTime, h.Uid, h.Gid)
			}
		}
		rel, err := meta.ReadRelease(img)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rel)
		want := `{"name":"app","version":"1.2.0","commit":"abc123","created":"2024-03-01T12:00:00Z","source":"https://github.com/example/app",` +
			`"base":{"name":"` + host + `/library/python","tag":"3.12","digest":"` + baseDigest + `"},` +
			`"lockfiles":[{"path":"lockfiles/base.txt","ecosystem":"oci","pins":[{"name":"` + host + `/library/python","version":"3.12","hashes":["` + baseDigest + `"]}]},` +
			`{"path":"lockfiles/go.txt","ecosystem":"gomod","pins":[{"name":"example.org/mod","version":"v1.2.3","hashes":["h1:abc="]}]}]}`
		if string(b) != want {
			t.Errorf("release.json:\n%s\nwant\n%s", b, want)
		}
	}
	if depsDigests[0] == depsDigests[1] {
		t.Error("the dependencies layer is the same on both platforms")
	}
	// Layers without a platform in them are shared.
	l0, _ := res.Images[0].Image.Layers()
	l1, _ := res.Images[1].Image.Layers()
	for i := 2; i < 5; i++ {
		a, _ := l0[i].Digest()
		b, _ := l1[i].Digest()
		if a != b {
			t.Errorf("layer %d differs between platforms", i)
		}
	}
}

func TestScratchOnePlatform(t *testing.T) {
	m := load(t, map[string]string{
		"dist.yaml": "name: tiny\nimage:\n  entrypoint: [/tiny]\n  user: app\n",
	})
	_, res := run(t, Options{Manifest: m, Version: "0.1.0", Time: when})
	if res.MediaType != types.OCIManifestSchema1 {
		t.Fatalf("media type %s", res.MediaType)
	}
	img := res.Artifact.(v1.Image)
	cf, _ := img.ConfigFile()
	if cf.Architecture != "amd64" || cf.Config.User != "app" || cf.Config.Labels[meta.BaseName] != "" || cf.Config.Labels[meta.Revision] != "" {
		t.Errorf("config %+v", cf)
	}
	layers, _ := img.Layers()
	if len(layers) != 1 {
		t.Fatalf("%d layers", len(layers))
	}
	// A user name as well as an id: the user runs the process, root owns
	// the files.
	for name, h := range files(t, layers[0]) {
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d", name, h.Uid, h.Gid)
		}
	}
}

func TestPrepareErrors(t *testing.T) {
	for _, tc := range []struct {
		yaml, want string
		usage      bool
	}{
		// A file dist.yaml names that is not there is configuration too.
		{"image:\n  files: [{src: nope, dst: /x}]\n", "image.files: nope: does not exist", true},
		{"image:\n  platforms: [linux]\n", `platform "linux"`, true},
		{"image:\n  base: python\n", "image.base python is not pinned", true},
		{"configs: [{template: t.tmpl, output: config/missing.ini}]\n", "configs: config/missing.ini: does not exist", true},
		{"image:\n  files: [{src: d, dst: /x}]\n", "image.files: d: x/.wh.x: names starting with .wh. are whiteouts", false},
	} {
		m := load(t, map[string]string{"dist.yaml": "name: x\n" + tc.yaml, "t.tmpl": "", "d/.wh.x": ""})
		_, err := Prepare(Options{Manifest: m, Version: "1", Time: when})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
			continue
		}
		if ue := (*failure.UsageError)(nil); errors.As(err, &ue) != tc.usage {
			t.Errorf("%q: a *failure.UsageError: %v, want %v", tc.yaml, !tc.usage, tc.usage)
		}
	}
}

// A path of dist.yaml that leads outside the repository through a link is
// refused where it is read, at the line that names it, before anything of
// it goes into the image.
func TestPrepareOutsideLinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "environ")
	if err := os.WriteFile(outside, []byte("GITHUB_TOKEN=ghp_secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ yaml, link, want string }{
		{"image:\n  env_file: app.env\n", "app.env", "dist.yaml:3: image.env_file app.env: leads outside the repository"},
		{"image:\n  files:\n    - {src: data.txt, dst: /d}\n", "data.txt", "dist.yaml:4: image.files data.txt: leads outside the repository"},
	} {
		m := load(t, map[string]string{"dist.yaml": "name: x\n" + tc.yaml})
		if err := os.Symlink(outside, m.Abs(tc.link)); err != nil {
			t.Fatal(err)
		}
		_, err := Prepare(Options{Manifest: m, Version: "1", Time: when})
		var fe *fileerr.Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want a manifest error %q", tc.yaml, err, tc.want)
		}
	}
}

// TestConfigDests: ConfigDests says where Prepare puts each configs:
// output, whichever way image.files places it.
func TestConfigDests(t *testing.T) {
	m := load(t, map[string]string{
		"dist.yaml": "name: app\nconfigs:\n" +
			"  - {template: t.tmpl, output: config/named.ini}\n" +
			"  - {template: t.tmpl, output: config/into.ini}\n" +
			"  - {template: t.tmpl, output: share/conf/held.yaml}\n" +
			"  - {template: t.tmpl, output: config/default.env}\n" +
			"image:\n  files:\n" +
			"    - {src: config/named.ini, dst: /etc/app/app.ini}\n" +
			"    - {src: config/into.ini, dst: /etc/app/}\n" +
			"    - {src: share, dst: /srv}\n",
		"t.tmpl": "", "config/named.ini": "", "config/into.ini": "", "share/conf/held.yaml": "", "config/default.env": "",
	})
	want := map[string]string{
		"config/named.ini": "etc/app/app.ini", "config/into.ini": "etc/app/into.ini",
		"share/conf/held.yaml": "srv/conf/held.yaml", "config/default.env": "etc/app/default.env",
	}
	got := ConfigDests(m)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigDests = %v, want %v", got, want)
	}
	p, err := Prepare(Options{Manifest: m, Version: "1", Time: when})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, l := range p.Layers {
		for _, e := range l.Entries {
			in[strings.TrimPrefix(e.Path, "/")] = true
		}
	}
	for out, dst := range got {
		if !in[dst] {
			t.Errorf("%s: no %s in the image (%v)", out, dst, in)
		}
	}
}
