package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// image is an image whose manifest and config dist wrote itself, so that
// every byte of them is decided here and not by a library's defaults.
type image struct {
	raw          []byte
	config       []byte
	configDigest v1.Hash
	layers       map[v1.Hash]v1.Layer
}

// add records a layer; from, when set, is the repository it can be
// mounted from instead of uploaded (a base from the same registry).
func (i *image) add(d v1.Descriptor, l v1.Layer, from string) {
	if from != "" {
		if ref, err := name.NewDigest(from+"@"+d.Digest.String(), name.WeakValidation); err == nil {
			l = &remote.MountableLayer{Layer: l, Reference: ref}
		}
	}
	i.layers[d.Digest] = l
}

func (i *image) RawManifest() ([]byte, error)        { return i.raw, nil }
func (i *image) RawConfigFile() ([]byte, error)      { return i.config, nil }
func (i *image) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func (i *image) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	if h == i.configDigest {
		return partial.ConfigLayer(i)
	}
	return nil, fmt.Errorf("image has no blob %s", h)
}

func (i *image) v1() (v1.Image, error) { return partial.CompressedToImage(i) }

// index is a multi-platform image index.
type index struct {
	raw      []byte
	manifest *v1.IndexManifest
	children map[v1.Hash]v1.Image
}

var _ v1.ImageIndex = (*index)(nil)

func (x *index) MediaType() (types.MediaType, error) { return types.OCIImageIndex, nil }
func (x *index) Digest() (v1.Hash, error)            { return digestOf(x.raw), nil }
func (x *index) Size() (int64, error)                { return int64(len(x.raw)), nil }
func (x *index) RawManifest() ([]byte, error)        { return x.raw, nil }

func (x *index) IndexManifest() (*v1.IndexManifest, error) {
	return v1.ParseIndexManifest(bytes.NewReader(x.raw))
}

func (x *index) Image(h v1.Hash) (v1.Image, error) {
	if img, ok := x.children[h]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("index has no image %s", h)
}

func (x *index) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	return nil, fmt.Errorf("index has no index %s", h)
}

func digestOf(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	// Keep "<", ">" and "&" as they are in commands and labels; escaping
	// them is for HTML, and other tools would show the escapes.
	enc.SetEscapeHTML(false)
	return enc
}
