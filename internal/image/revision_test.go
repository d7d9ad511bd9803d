package image

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/manifest"
)

// scratchRepo is a committed distribution on scratch with a file, an
// executable, a directory holding a symbolic link and a rendered config.
func scratchRepo(t *testing.T) (dir, commit string) {
	t.Helper()
	dir = t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{
		"dist.yaml": `name: tiny
configs:
  - {template: templates/app.conf.tmpl, output: config/app.conf}
image:
  files:
    - {src: bin/server, dst: /usr/local/bin/server}
    - {src: share, dst: /usr/share/tiny}
`,
		"VERSION":                 "1.0.0\n",
		"templates/app.conf.tmpl": "port = 8080\n",
		"config/app.conf":         "port = 8080\n",
		"bin/server*":             "#!/bin/sh\necho server\n",
		"share/docs/README":       "docs\n",
		"share/latest":            "-> docs",
	})
	return dir, imagetest.Commit(t, dir, time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC))
}

// layerFiles reads every file of an image's layers in an OCI layout:
// path → content, a symbolic link as "-> target", an executable's path
// ending in "*".
func layerFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(rc)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch h.Typeflag {
			case tar.TypeSymlink:
				out[h.Name] = "-> " + h.Linkname
			case tar.TypeReg:
				b, _ := io.ReadAll(tr)
				name := h.Name
				if h.Mode&0o111 != 0 {
					name += "*"
				}
				out[name] = string(b)
			}
		}
		rc.Close()
	}
	return out
}

func buildRevision(t *testing.T, dir, revision, out string) *BuildReport {
	t.Helper()
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(context.Background(), BuildOptions{
		Manifest: m, Revision: revision, Outputs: []string{"oci-layout:" + out},
		Client: fetch.New(fetch.Options{CacheDir: t.TempDir()}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRevisionBuildReadsTheCommit: a build of a revision holds the
// commit's files whatever the work tree says, its dist.yaml included, and
// records the commit; the work tree is left as it was.
func TestRevisionBuildReadsTheCommit(t *testing.T) {
	dir, commit := scratchRepo(t)
	clean := buildRevision(t, dir, "HEAD", filepath.Join(t.TempDir(), "clean"))

	imagetest.WriteFiles(t, dir, map[string]string{
		"share/docs/extra": "untracked\n",
		"VERSION":          "9.9.9\n",
	})
	f, err := os.OpenFile(filepath.Join(dir, "config", "app.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("# local hack\n")
	f.Close()
	os.Remove(filepath.Join(dir, "bin", "server"))
	os.WriteFile(filepath.Join(dir, "dist.yaml"), []byte("name: other\n"), 0o644)

	out := filepath.Join(t.TempDir(), "oci")
	rep := buildRevision(t, dir, commit, out)
	if rep.Commit != commit || rep.Version != "1.0.0" || rep.Name != "tiny" || len(rep.Dirty) != 0 {
		t.Errorf("report: commit %s version %s name %s dirty %v", rep.Commit, rep.Version, rep.Name, rep.Dirty)
	}
	if rep.Digest != clean.Digest {
		t.Errorf("the work tree changed the image: %s, was %s", rep.Digest, clean.Digest)
	}
	files := layerFiles(t, out)
	for p, want := range map[string]string{
		"etc/tiny/app.conf":          "port = 8080\n",
		"usr/local/bin/server*":      "#!/bin/sh\necho server\n",
		"usr/share/tiny/docs/README": "docs\n",
		"usr/share/tiny/latest":      "-> docs",
	} {
		if files[p] != want {
			t.Errorf("%s: %q, want %q", p, files[p], want)
		}
	}
	if _, ok := files["usr/share/tiny/docs/extra"]; ok {
		t.Error("an untracked file reached the image")
	}
	if !strings.Contains(files[meta.ReleasePath("tiny")], `"commit": "`+commit+`"`) {
		t.Errorf("release.json: %s", files[meta.ReleasePath("tiny")])
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "VERSION")); string(b) != "9.9.9\n" {
		t.Errorf("the work tree changed: VERSION %q", b)
	}
}

// TestWorkTreeBuildMarksDirty: a build of a work tree that differs from
// HEAD records "<commit>-dirty" and says why; a clean one does not.
func TestWorkTreeBuildMarksDirty(t *testing.T) {
	dir, commit := scratchRepo(t)
	rep := buildRevision(t, dir, "", filepath.Join(t.TempDir(), "a"))
	if rep.Commit != commit || len(rep.Dirty) != 0 {
		t.Fatalf("clean tree: %s %v", rep.Commit, rep.Dirty)
	}

	imagetest.WriteFiles(t, dir, map[string]string{"share/docs/extra": "untracked\n"})
	out := filepath.Join(t.TempDir(), "b")
	rep = buildRevision(t, dir, "", out)
	if rep.Commit != commit+DirtySuffix || strings.Join(rep.Dirty, ",") != "share/docs/extra (untracked)" {
		t.Errorf("untracked file copied: %s %v", rep.Commit, rep.Dirty)
	}
	files := layerFiles(t, out)
	if !strings.Contains(files[meta.ReleasePath("tiny")], `"commit": "`+commit+`-dirty"`) {
		t.Errorf("release.json: %s", files[meta.ReleasePath("tiny")])
	}

	os.Remove(filepath.Join(dir, "share", "docs", "extra"))
	// An untracked file the image does not copy is no matter; a modified
	// tracked file is, wherever it is.
	imagetest.WriteFiles(t, dir, map[string]string{"notes.txt": "x\n", "VERSION": "1.0.0\n\n"})
	rep = buildRevision(t, dir, "", filepath.Join(t.TempDir(), "c"))
	if rep.Commit != commit+DirtySuffix || strings.Join(rep.Dirty, ",") != "VERSION" {
		t.Errorf("modified VERSION: %s %v", rep.Commit, rep.Dirty)
	}
}

// TestLinkPinned: what dist.yaml pins by hash but the commit need not hold
// (a wheelhouse, an OCI layout base) is read from the work tree; what the
// commit holds is never replaced.
func TestLinkPinned(t *testing.T) {
	work, exported := t.TempDir(), t.TempDir()
	imagetest.WriteFiles(t, work, map[string]string{
		"wheels/a-1.0-py3-none-any.whl": "wheel",
		"base/oci-layout":               "{}",
		"kept/x.whl":                    "work tree",
	})
	imagetest.WriteFiles(t, exported, map[string]string{"kept/x.whl": "commit"})
	yaml := "name: tiny\nlockfiles:\n  - {path: a.txt, ecosystem: pypi, wheelhouse: wheels}\n  - {path: b.txt, ecosystem: pypi, wheelhouse: kept}\n" +
		"image:\n  base: oci-layout:base@sha256:" + strings.Repeat("0", 64) + "\n"
	for _, d := range []string{work, exported} {
		imagetest.WriteFiles(t, d, map[string]string{"dist.yaml": yaml})
	}
	wm, err := manifest.Load(work)
	if err != nil {
		t.Fatal(err)
	}
	em, err := manifest.Load(exported)
	if err != nil {
		t.Fatal(err)
	}
	linkPinned(wm, em)
	if b, err := os.ReadFile(filepath.Join(exported, "wheels", "a-1.0-py3-none-any.whl")); err != nil || string(b) != "wheel" {
		t.Errorf("wheelhouse: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(exported, "base", "oci-layout")); err != nil {
		t.Errorf("layout base: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(exported, "kept", "x.whl")); string(b) != "commit" {
		t.Errorf("the commit's wheelhouse was replaced: %q", b)
	}
}
