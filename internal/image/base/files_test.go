package base

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/distbuild/dist/internal/image/imagetest"
)

func TestFilesOf(t *testing.T) {
	img := imagetest.PythonBase(t, "linux/amd64", "3.12.7",
		"usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/python3.12",
		"usr/local/bin/python3 -> python3.12",
		"usr/local/lib/python3.12/site-packages/",
		"bin -> usr/bin", "usr/bin/sh",
		"etc/loop -> loop2", "etc/loop2 -> loop",
		"usr/local/bin/dangling -> nowhere",
		"usr/lib/python3/dist-packages/six.py",
	)
	more := func(img v1.Image, names ...string) v1.Image {
		out, err := mutate.AppendLayers(img, imagetest.Layer(t, names...))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	f, err := FilesOf(img)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"/usr/local/bin/python3":                  true, // a relative link
		"usr/local/bin/python3.12":                true,
		"/bin/sh":                                 true, // through a linked directory
		"/usr/local/lib/python3.12/site-packages": true,
		"/usr/lib/python3/dist-packages":          true, // implied by what it holds
		"/":                                       true,
		"/usr/bin/python3":                        false,
		"/usr/local/bin/dangling":                 false,
		"/etc/loop":                               false, // a loop ends
		"/usr/local/bin/python3/x":                false, // a file is no directory
	} {
		if got := f.Exists(p); got != want {
			t.Errorf("Exists(%s) = %v, want %v", p, got, want)
		}
	}
	if !f.IsDir("/usr/local/lib/python3.12/site-packages") || f.IsDir("/usr/local/bin/python3") {
		t.Error("IsDir")
	}

	// Later layers: a whiteout, an opaque directory, a file over a
	// directory.
	img = more(img, "usr/local/bin/.wh.python3.12", "usr/lib/.wh..wh..opq", "usr/lib/python3.13/", "usr/local/lib/python3.12")
	if f, err = FilesOf(img); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"/usr/local/bin/python3":                  false, // its target is gone
		"/usr/lib/python3/dist-packages/six.py":   false, // below an opaque directory
		"/usr/lib/python3.13":                     true,  // the opaque directory's own layer
		"/usr/local/lib/python3.12/site-packages": false, // a file replaced the directory
		"/usr/local/lib/python3.12":               true,
		"/bin/sh":                                 true,
	} {
		if got := f.Exists(p); got != want {
			t.Errorf("after more layers: Exists(%s) = %v, want %v", p, got, want)
		}
	}
}
