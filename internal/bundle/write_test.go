package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

// distribution writes a small distribution into dir: its one lockfile
// pins images, which a bundle does not carry, so that no index is asked.
func distribution(t *testing.T, dir string) *manifest.Manifest {
	t.Helper()
	files := map[string]string{
		"dist.yaml":          "name: demo\nlockfiles:\n  - path: lockfiles/base.txt\n    ecosystem: oci\n",
		"VERSION":            "1.2.0\n",
		"CHANGELOG.md":       "# Changelog\n\n## 1.2.0 (2024-01-01)\n\n- First.\n",
		"lockfiles/base.txt": "# no images yet\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func withOpener() Options {
	return Options{Open: opener.New(fetch.New(fetch.Options{Jobs: 1}), opener.Settings{})}
}

// TestWriteDefaults: the tarball goes to build/NAME-VERSION.tar.gz, its
// top directory is NAME-VERSION, and SOURCE_DATE_EPOCH dates it, with no
// git repository needed; a dry run says the same and writes nothing.
func TestWriteDefaults(t *testing.T) {
	dir := t.TempDir()
	m := distribution(t, dir)
	want := filepath.Join(dir, "build", "demo-1.2.0.tar.gz")

	o := withOpener()
	o.SourceDateEpoch = "86400"
	o.DryRun = true
	res, err := Write(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != want || res.Root != "demo-1.2.0" || !res.DryRun || res.Bytes == 0 {
		t.Errorf("dry run: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "build")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run made build/: %v", err)
	}
	if len(res.Skipped) != 1 || !strings.HasPrefix(res.Skipped[0], "lockfiles/base.txt: oci") {
		t.Errorf("skipped: %q", res.Skipped)
	}
	wantFiles := []string{"CHANGELOG.md", "VERSION", "dist.yaml", "install.sh", "lockfiles/base.txt"}
	if !reflect.DeepEqual(res.Files, wantFiles) {
		t.Errorf("files %q, want %q", res.Files, wantFiles)
	}

	o.DryRun = false
	res, err = Write(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(want)
	if err != nil || st.Size() != res.Bytes {
		t.Fatalf("wrote %+v: %v, %v", res, st, err)
	}
	if when := tarTime(t, want); !when.Equal(time.Unix(86400, 0)) {
		t.Errorf("dated %v, want SOURCE_DATE_EPOCH's", when)
	}
}

// TestWriteDate: without SOURCE_DATE_EPOCH the bundle is dated by HEAD's
// commit; with neither, it is refused as a usage error (exit 2).
func TestWriteDate(t *testing.T) {
	dir := t.TempDir()
	m := distribution(t, dir)
	o := withOpener()
	o.Output = filepath.Join(t.TempDir(), "out", "b.tar.gz")
	var usage *failure.UsageError
	if _, err := Write(context.Background(), m, o); !errors.As(err, &usage) || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Fatalf("no commit, no SOURCE_DATE_EPOCH: %v", err)
	}
	o.SourceDateEpoch = "yesterday"
	if _, err := Write(context.Background(), m, o); !errors.As(err, &usage) {
		t.Fatalf("a bad SOURCE_DATE_EPOCH: %v", err)
	}

	repo := gitenv.Init(t, dir)
	repo.Commit("the distribution", map[string]string{"VERSION": "1.2.0\n"})
	o.SourceDateEpoch = ""
	if _, err := Write(context.Background(), m, o); err != nil {
		t.Fatal(err)
	}
	if when, head := tarTime(t, o.Output), time.Unix(gitenv.Epoch+60, 0); !when.Equal(head) {
		t.Errorf("dated %v, want HEAD's commit time %v", when, head)
	}
}

// tarTime is the time the tarball's first entry is stamped with.
func tarTime(t *testing.T, file string) time.Time {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tar.NewReader(zr).Next()
	if err != nil {
		t.Fatal(err)
	}
	return h.ModTime
}
