package base

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/distbuild/dist/internal/image/imagetest"
)

func TestPythonOf(t *testing.T) {
	withLayers := func(img v1.Image, layers ...[]string) v1.Image {
		for _, names := range layers {
			var err error
			if img, err = mutate.AppendLayers(img, imagetest.Layer(t, names...)); err != nil {
				t.Fatal(err)
			}
		}
		return img
	}
	plain := imagetest.PythonBase(t, "linux/amd64", "")
	for _, tc := range []struct {
		name string
		img  v1.Image
		want Python
	}{
		{"official image", imagetest.PythonBase(t, "linux/amd64", "3.12.7", "usr/local/lib/python3.12/"),
			Python{"3.12.7", "PYTHON_VERSION=3.12.7"}},
		{"the environment before the layers", imagetest.PythonBase(t, "linux/amd64", "3.13.0rc2", "usr/lib/python3.11/"),
			Python{"3.13.0rc2", "PYTHON_VERSION=3.13.0rc2"}},
		{"Debian", imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3/dist-packages/", "usr/lib/python3.11/", "usr/lib/python3.11/os.py"),
			Python{"3.11", "/usr/lib/python3.11"}},
		{"files without their directory", imagetest.PythonBase(t, "linux/amd64", "", "./usr/lib/python3.11/os.py"),
			Python{"3.11", "/usr/lib/python3.11"}},
		{"the highest, by number", imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3.9/", "usr/local/lib/python3.11/", "usr/lib/python3.10/"),
			Python{"3.11", "/usr/local/lib/python3.11"}},
		{"neither", plain, Python{}},
		{"only python3", imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3/dist-packages/six.py", "usr/bin/python3"), Python{}},
		{"elsewhere", imagetest.PythonBase(t, "linux/amd64", "", "opt/lib/python3.12/", "usr/share/python3.12/", "usr/lib/python3.12x/"), Python{}},
		{"free-threaded only", imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3.13t/"), Python{}},
		{"across layers", withLayers(plain, []string{"usr/lib/python3.11/"}, []string{"usr/local/lib/python3.12/"}),
			Python{"3.12", "/usr/local/lib/python3.12"}},
		{"removed by a later layer", withLayers(plain, []string{"usr/lib/python3.11/", "usr/lib/python3.12/"}, []string{"usr/lib/.wh.python3.12"}),
			Python{"3.11", "/usr/lib/python3.11"}},
		{"its parent removed", withLayers(plain, []string{"usr/local/lib/python3.12/"}, []string{"usr/local/.wh.lib"}), Python{}},
		{"an opaque directory hides the layers below", withLayers(plain, []string{"usr/lib/python3.12/"}, []string{"usr/lib/.wh..wh..opq", "usr/lib/python3.11/"}),
			Python{"3.11", "/usr/lib/python3.11"}},
		{"a whiteout does not hide its own layer", withLayers(plain, []string{"usr/lib/.wh.python3.11", "usr/lib/python3.11/"}),
			Python{"3.11", "/usr/lib/python3.11"}},
	} {
		got, err := PythonOf(tc.img)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		} else if got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}

	// A PYTHON_VERSION that is no version is no answer.
	img := imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3.11/")
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config.Env = append(cf.Config.Env, "PYTHON_VERSION=${PY}")
	img, _ = mutate.ConfigFile(img, cf)
	if got, err := PythonOf(img); err != nil || got.Version != "3.11" {
		t.Errorf("PYTHON_VERSION=${PY}: got %+v, %v", got, err)
	}
}

// TestPythonOfFetched: the base is read from the cache the build filled,
// without the registry, and reading it is not counted as uploading.
func TestPythonOfFetched(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	host := strings.TrimPrefix(srv.URL, "http://")
	big, err := random.Layer(1<<20, "")
	if err != nil {
		t.Fatal(err)
	}
	amd := imagetest.PythonBase(t, "linux/amd64", "", "usr/lib/python3.11/")
	if amd, err = mutate.AppendLayers(amd, big); err != nil {
		t.Fatal(err)
	}
	arm := imagetest.PythonBase(t, "linux/arm64", "", "usr/lib/python3.12/")
	digest := imagetest.Push(t, host+"/debian-python:bookworm", amd, arm)

	f := fetcher(t, t.TempDir())
	var counted atomic.Int64
	f.Store.Progress = func(n int64) { counted.Add(n) }
	pin := &Pin{Name: host + "/debian-python", Tag: "bookworm", Digest: mustHash(t, digest), From: "lockfiles/base.txt:1"}
	imgs, err := f.Images(context.Background(), pin, []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	for i, want := range []string{"3.11", "3.12"} {
		got, err := PythonOf(imgs[i].Image)
		if err != nil || got.Version != want {
			t.Errorf("platform %d: got %+v, %v; want %s", i, got, err, want)
		}
	}
	if n := counted.Load(); n != 0 {
		t.Errorf("reading the base for its Python counted %d bytes as uploaded", n)
	}
}
