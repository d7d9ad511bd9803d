package imagetest

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer is a gzip layer holding names: a name ending in "/" is a
// directory, "NAME -> TARGET" a symlink, any other a small file (a
// whiteout such as "usr/lib/.wh.python3.11" too).
func Layer(t testing.TB, names ...string) v1.Layer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, Typeflag: tar.TypeReg}
		var body []byte
		if name, target, ok := strings.Cut(n, " -> "); ok {
			h.Name, h.Linkname, h.Mode, h.Typeflag = name, target, 0o777, tar.TypeSymlink
		} else if strings.HasSuffix(n, "/") {
			h.Mode, h.Typeflag = 0o755, tar.TypeDir
		} else if !strings.Contains(n, ".wh.") {
			body = []byte("# " + n + "\n")
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// PythonBase is a small base image for platform ("linux/amd64") shaped
// like a Python one: a random layer, then one holding dirs (see Layer)
// when there are any, and PYTHON_VERSION=version in its environment
// unless version is "" (as the official python images set it).
func PythonBase(t testing.TB, platform, version string, dirs ...string) v1.Image {
	t.Helper()
	plat, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) > 0 {
		if img, err = mutate.AppendLayers(img, Layer(t, dirs...)); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
	cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if version != "" {
		cf.Config.Env = append(cf.Config.Env, "PYTHON_VERSION="+version)
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// Push writes img to ref ("127.0.0.1:5000/base:1", plain HTTP) and returns
// its digest. Several images, each for the platform its config names,
// are pushed as an index.
func Push(t testing.TB, ref string, imgs ...v1.Image) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	opt := remote.WithAuthFromKeychain(authn.DefaultKeychain)
	if len(imgs) == 1 {
		if err := remote.Write(r, imgs[0], opt); err != nil {
			t.Fatalf("pushing %s: %v", ref, err)
		}
		d, err := imgs[0].Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: cf.Platform()}})
	}
	if err := remote.WriteIndex(r, idx, opt); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}
