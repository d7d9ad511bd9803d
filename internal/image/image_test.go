package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/testenv/registry"
)

// distribution writes a distribution repository whose image has a pinned
// multi-platform base, files, a rendered config and a lockfile, and commits
// it.
func distribution(t *testing.T, baseRepo, baseDigest string) string {
	t.Helper()
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{
		"dist.yaml": `name: kinto-dist
lockfiles:
  - {path: lockfiles/base.txt, ecosystem: oci}
  - {path: lockfiles/default.txt, ecosystem: pypi}
configs:
  - {template: templates/kinto.ini.tmpl, output: config/kinto.ini}
image:
  repository: registry.example.org/kinto/kinto-dist
  base: ` + baseRepo + `:3.12
  platforms: [linux/amd64, linux/arm64]
  entrypoint: [kinto, start, --ini, /etc/kinto.ini]
  files:
    - {src: config/kinto.ini, dst: /etc/kinto.ini}
    - {src: bin, dst: /usr/local/bin}
    - {src: share, dst: /usr/share/kinto}
`,
		"VERSION":                  "14.1.0\n",
		"lockfiles/base.txt":       baseRepo + "==3.12 \\\n    --hash=" + baseDigest + "\n",
		"lockfiles/default.txt":    "kinto==14.3.0 \\\n    --hash=sha256:4d7f557b19932b4f719b6e1a81c96aebd49b990124e10175ea2b866e976e6a66\n",
		"templates/kinto.ini.tmpl": "[app:main]\n",
		"config/kinto.ini":         "[app:main]\nkinto.storage_backend = memory\n",
		"bin/kinto-wsgi*":          "#!/bin/sh\nexec kinto \"$@\"\n",
		"share/docs/README":        "docs\n",
		"share/latest":             "-> docs",
	})
	imagetest.Commit(t, dir, time.Date(2024, 2, 29, 23, 59, 58, 0, time.FixedZone("", -7*3600)))
	return dir
}

func buildIn(t *testing.T, dir string, outputs ...string) *BuildReport {
	t.Helper()
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(context.Background(), BuildOptions{
		Manifest: m,
		Outputs:  outputs,
		Client:   fetch.New(fetch.Options{CacheDir: t.TempDir()}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// blobs reads every file of an OCI layout.
func blobs(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFreshCloneIsByteIdentical builds the same commit from two fresh
// clones in different directories, one checked out with another umask,
// each with its own empty cache: every blob is the same, and so is the
// digest, which a real registry then reports for the pushed image too.
func TestFreshCloneIsByteIdentical(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	baseDigest := registry.PushRandomImage(t, host+"/library/python:3.12", "linux/amd64", "linux/arm64")
	origin := distribution(t, host+"/library/python", baseDigest)

	a := filepath.Join(t.TempDir(), "work", "a")
	b := filepath.Join(t.TempDir(), "elsewhere", "deeper", "b")
	imagetest.Run(t, "", nil, "git", "clone", "-q", origin, a)
	imagetest.Run(t, "", nil, "sh", "-c", `umask 077 && git clone -q "$0" "$1"`, origin, b)
	if st, _ := os.Stat(filepath.Join(b, "config", "kinto.ini")); st.Mode().Perm() != 0o600 {
		t.Fatalf("the umask did not apply (%v): the test would prove less", st.Mode())
	}

	ra := buildIn(t, a)
	rb := buildIn(t, b)
	if ra.Digest != rb.Digest {
		t.Fatalf("digests differ: %s and %s", ra.Digest, rb.Digest)
	}
	la, lb := blobs(t, filepath.Join(a, "build", "oci")), blobs(t, filepath.Join(b, "build", "oci"))
	var names []string
	for n := range la {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(la) != len(lb) {
		t.Fatalf("%d files and %d files", len(la), len(lb))
	}
	for _, n := range names {
		if !bytes.Equal(la[n], lb[n]) {
			t.Errorf("%s differs", n)
		}
	}
	if ra.Created != "2024-03-01T06:59:58Z" || ra.Commit == "" {
		t.Errorf("created %s commit %s", ra.Created, ra.Commit)
	}
	// Two manifests, two configs, one index, the base's layers (one per
	// platform), the dependency-free layers shared by both platforms.
	t.Logf("%d blobs, digest %s", len(names)-2, ra.Digest)

	// Pushed, the registry computes the same digest.
	dist := registry.StartDistribution(t, registry.Options{})
	pushed := buildIn(t, b, dist.Host+"/kinto/kinto-dist")
	if pushed.Digest != ra.Digest || pushed.Outputs[0].Tags[0] != "14.1.0" {
		t.Fatalf("pushed %+v", pushed)
	}
	if crane := imagetest.Tool(t, "crane"); crane != "" {
		got := strings.TrimSpace(imagetest.Run(t, "", nil, crane, "digest", dist.Host+"/kinto/kinto-dist:14.1.0"))
		if got != ra.Digest {
			t.Errorf("registry digest %s, built %s", got, ra.Digest)
		}
	}
}

func TestBuildOptionsAndErrors(t *testing.T) {
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{
		"dist.yaml": "name: Tiny\nimage:\n  platforms: [linux/amd64, linux/arm64]\n",
		"VERSION":   "1.0.0\n",
	})
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	client := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	ctx := context.Background()
	var ue *failure.UsageError

	// Outside git, SOURCE_DATE_EPOCH is the only time there is.
	_, err = Build(ctx, BuildOptions{Manifest: m, Client: client})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("no time: %v", err)
	}
	_, err = Build(ctx, BuildOptions{Manifest: m, Client: client, SourceDateEpoch: "yesterday"})
	if !errors.As(err, &ue) {
		t.Errorf("bad epoch: %v", err)
	}
	for _, out := range []string{"nowhere:x", "host/repo@sha256:abc"} {
		_, err = Build(ctx, BuildOptions{Manifest: m, Client: client, SourceDateEpoch: "1", Outputs: []string{out}})
		if !errors.As(err, &ue) {
			t.Errorf("%s: %v", out, err)
		}
	}
	_, err = Build(ctx, BuildOptions{Manifest: m, Client: client, SourceDateEpoch: "1", Outputs: []string{"docker-archive:x.tar"}})
	if !errors.Is(err, publish.ErrArchiveIndex) || !errors.As(err, &ue) {
		t.Errorf("index to archive: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.tar")); err == nil {
		t.Error("a refused build wrote something")
	}

	rep, err := Build(ctx, BuildOptions{Manifest: m, Client: client, SourceDateEpoch: "86400", DryRun: true,
		Outputs: []string{"oci-layout:out", "127.0.0.1:5000/tiny"}})
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(rep)
	if !rep.DryRun || rep.Digest != "" || len(rep.Platforms) != 2 || rep.Outputs[1].Tags[0] != "1.0.0" || rep.Created != "1970-01-02T00:00:00Z" {
		t.Errorf("dry run: %s", j)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a dry run wrote the layout")
	}

	rep, err = Build(ctx, BuildOptions{Manifest: m, Client: client, SourceDateEpoch: "86400", Platforms: []string{"linux/arm64"},
		Outputs: []string{"docker-archive:img.tar"}})
	if err != nil {
		t.Fatal(err)
	}
	// The archive names the image by the distribution's name, lower-cased.
	if rep.Outputs[0].Tags[0] != "index.docker.io/library/tiny:1.0.0" && rep.Outputs[0].Tags[0] != "tiny:1.0.0" {
		t.Errorf("archive tag %v", rep.Outputs[0].Tags)
	}
}

// readHead is what a work-tree build records: HEAD's commit and time.
func readHead(dir string) (string, time.Time, error) {
	tr, err := openTree(&manifest.Manifest{Dir: dir}, "")
	if err != nil {
		return "", time.Time{}, err
	}
	defer tr.close()
	return tr.commit, tr.when, tr.gitErr
}

func TestReadHead(t *testing.T) {
	dir := t.TempDir()
	imagetest.WriteFiles(t, dir, map[string]string{"sub/f": "x"})
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", 5*3600))
	want := imagetest.Commit(t, dir, when)

	for _, d := range []string{dir, filepath.Join(dir, "sub")} {
		commit, at, err := readHead(d)
		if err != nil {
			t.Fatal(err)
		}
		if commit != want || !at.Equal(when) || at.Location() != time.UTC {
			t.Errorf("%s: got %s at %s, want %s at %s", d, commit, at, want, when.UTC())
		}
	}

	// A linked worktree reads its own HEAD through the common git dir.
	wt := filepath.Join(t.TempDir(), "wt")
	imagetest.Run(t, dir, nil, "git", "worktree", "add", "-q", "--detach", wt)
	if commit, _, err := readHead(wt); err != nil || commit != want {
		t.Errorf("worktree: %s %v", commit, err)
	}

	if _, _, err := readHead(t.TempDir()); !errors.Is(err, gitrepo.ErrNotRepository) {
		t.Errorf("outside git: %v", err)
	}
	empty := t.TempDir()
	imagetest.Run(t, empty, nil, "git", "init", "-q")
	if _, _, err := readHead(empty); !errors.Is(err, gitrepo.ErrNoCommits) {
		t.Errorf("a repository without commits: %v", err)
	}
}
