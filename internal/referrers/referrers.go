// Package referrers attaches artifacts (an SBOM, a provenance statement) to
// an image as OCI 1.1 referrers, and lists them: in a registry, through the
// referrers API (distribution-spec v1.1 "Listing Referrers") where the
// registry has it and through the referrers tag schema ("sha256-<hex>",
// an image index updated read-modify-write) where it does not, as
// distribution 2.8 does not; and in an OCI image layout, beside the image.
//
// An artifact is an image manifest (image-spec v1.1 "Guidelines for
// Artifact Usage"): artifactType set, the empty config
// (application/vnd.oci.empty.v1+json, "{}"), one layer holding the bytes,
// and subject naming the image. Nothing in it depends on time, so the same
// artifact for the same subject always has the same digest and attaching it
// twice adds nothing.
package referrers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// EmptyMediaType is the media type of image-spec's empty descriptor, the
// config of an artifact manifest that needs none.
const EmptyMediaType = "application/vnd.oci.empty.v1+json"

// TitleAnnotation names the layer's file, so that `oras pull` writes it
// under that name.
const TitleAnnotation = "org.opencontainers.image.title"

// emptyConfig is the empty descriptor's content.
var emptyConfig = []byte("{}")

// Artifact is what to attach.
type Artifact struct {
	// ArtifactType is the manifest's artifactType, how referrers are told
	// apart: "application/spdx+json", "application/vnd.in-toto+json".
	ArtifactType string
	// MediaType is the layer's media type; ArtifactType when empty.
	MediaType string
	// Data is the artifact's content.
	Data []byte
	// FileName, when set, is the layer's org.opencontainers.image.title.
	FileName string
	// Annotations go on the manifest, and so into the referrers list.
	Annotations map[string]string
}

// Referrer is one artifact attached to a subject, as the referrers list
// describes it. Its JSON keys are dist's (snake_case), not the OCI
// descriptor's.
type Referrer struct {
	// ArtifactType is the referrer manifest's artifactType.
	ArtifactType string `json:"artifact_type"`
	// MediaType is the referrer manifest's media type.
	MediaType string `json:"media_type"`
	// Digest is "sha256:<hex>" of the referrer manifest.
	Digest string `json:"digest"`
	// Size is the referrer manifest's size in bytes.
	Size int64 `json:"size"`
	// Annotations are the referrer manifest's annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Image returns the referrer manifest that attaches a to subject (the
// image's descriptor: media type, size and digest), as a v1.Image whose
// blobs are the empty config and a's data.
func Image(subject v1.Descriptor, a Artifact) (v1.Image, error) {
	if a.ArtifactType == "" {
		return nil, errors.New("referrers: artifact type is empty")
	}
	if subject.Digest.Hex == "" || subject.MediaType == "" || subject.Size <= 0 {
		return nil, fmt.Errorf("referrers: subject %+v: want a media type, size and digest", subject)
	}
	mt := a.MediaType
	if mt == "" {
		mt = a.ArtifactType
	}
	layer := static.NewLayer(a.Data, types.MediaType(mt))
	ld, err := layer.Digest()
	if err != nil {
		return nil, err
	}
	cd, _, err := v1.SHA256(bytes.NewReader(emptyConfig))
	if err != nil {
		return nil, err
	}
	ldesc := v1.Descriptor{MediaType: types.MediaType(mt), Size: int64(len(a.Data)), Digest: ld}
	if a.FileName != "" {
		ldesc.Annotations = map[string]string{TitleAnnotation: a.FileName}
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  a.ArtifactType,
		Config:        v1.Descriptor{MediaType: EmptyMediaType, Size: int64(len(emptyConfig)), Digest: cd},
		Layers:        []v1.Descriptor{ldesc},
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest},
		Annotations:   a.Annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifactImage{manifest: raw, layer: layer, layerDigest: ld})
}

// artifactImage is the smallest image go-containerregistry can push and
// lay out: a raw manifest, the empty config and one static layer.
type artifactImage struct {
	manifest    []byte
	layer       v1.Layer
	layerDigest v1.Hash
}

func (i *artifactImage) RawConfigFile() ([]byte, error)      { return emptyConfig, nil }
func (i *artifactImage) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (i *artifactImage) RawManifest() ([]byte, error)        { return i.manifest, nil }

func (i *artifactImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == i.layerDigest {
		return i.layer, nil
	}
	return nil, fmt.Errorf("referrers: artifact has no blob %s", h)
}

// Push attaches a to the image subject names, in subject's repository, and
// returns the referrer it added. The subject must exist: its descriptor
// goes into the manifest. go-containerregistry's remote.Write does the
// rest (checked in v0.22.1): after the PUT it asks the referrers API, and
// where the registry has none it adds the manifest to the "sha256-<hex>"
// fallback index, creating it, keeping what is there and skipping a
// descriptor already listed. That read-modify-write is not guarded by a
// conditional request, so two writers attaching to the same subject at
// once can lose one entry; dist attaches from one process.
func Push(subject name.Digest, a Artifact, opts ...remote.Option) (Referrer, error) {
	desc, err := remote.Head(subject, opts...)
	if err != nil {
		return Referrer{}, fmt.Errorf("referrers: subject %s: %w", subject, err)
	}
	img, err := Image(*desc, a)
	if err != nil {
		return Referrer{}, err
	}
	r, err := describe(img, a)
	if err != nil {
		return Referrer{}, err
	}
	if err := remote.Write(subject.Context().Digest(r.Digest), img, opts...); err != nil {
		return Referrer{}, fmt.Errorf("referrers: attaching %s to %s: %w", a.ArtifactType, subject, err)
	}
	return r, nil
}

// List returns the referrers of subject in its repository, sorted by
// artifact type then digest: from the referrers API when the registry
// answers it, else from the "sha256-<hex>" tag (none when the tag does not
// exist). A registry that lists an artifact under its config's media type
// (go-containerregistry's own registry does, against distribution-spec
// v1.1, which asks for artifactType) is corrected by reading the manifest.
func List(subject name.Digest, opts ...remote.Option) ([]Referrer, error) {
	idx, err := remote.Referrers(subject, opts...)
	if err != nil {
		return nil, fmt.Errorf("referrers: listing %s: %w", subject, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("referrers: listing %s: %w", subject, err)
	}
	var out []Referrer
	for _, d := range im.Manifests {
		r := fromDescriptor(d)
		if r.ArtifactType == "" || r.ArtifactType == EmptyMediaType {
			m, err := remoteManifest(subject.Context().Digest(r.Digest), opts)
			if err != nil {
				return nil, err
			}
			r.ArtifactType = artifactType(m)
		}
		out = append(out, r)
	}
	sortReferrers(out)
	return out, nil
}

// Fetch returns the content of the referrer r of an image in repo: the
// first layer of its manifest, checked against the layer's digest.
func Fetch(repo name.Repository, r Referrer, opts ...remote.Option) ([]byte, error) {
	ref := repo.Digest(r.Digest)
	m, err := remoteManifest(ref, opts)
	if err != nil {
		return nil, err
	}
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("referrers: %s has no layer", ref)
	}
	l, err := remote.Layer(repo.Digest(m.Layers[0].Digest.String()), opts...)
	if err != nil {
		return nil, err
	}
	return readLayer(ref.String(), l)
}

func remoteManifest(ref name.Digest, opts []remote.Option) (*v1.Manifest, error) {
	d, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("referrers: %s: %w", ref, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		return nil, fmt.Errorf("referrers: %s: %w", ref, err)
	}
	return m, nil
}

// readLayer reads a layer's compressed bytes; go-containerregistry checks
// them against the digest as they are read.
func readLayer(what string, l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("referrers: %s: %w", what, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("referrers: %s: %w", what, err)
	}
	return b, nil
}

// artifactType is a manifest's artifact type as distribution-spec v1.1
// defines it for the referrers list: artifactType, else the config's media
// type.
func artifactType(m *v1.Manifest) string {
	if m.ArtifactType != "" {
		return m.ArtifactType
	}
	return string(m.Config.MediaType)
}

func describe(img v1.Image, a Artifact) (Referrer, error) {
	d, err := img.Digest()
	if err != nil {
		return Referrer{}, err
	}
	size, err := img.Size()
	if err != nil {
		return Referrer{}, err
	}
	return Referrer{
		ArtifactType: a.ArtifactType,
		MediaType:    string(types.OCIManifestSchema1),
		Digest:       d.String(),
		Size:         size,
		Annotations:  a.Annotations,
	}, nil
}

func fromDescriptor(d v1.Descriptor) Referrer {
	return Referrer{
		ArtifactType: d.ArtifactType,
		MediaType:    string(d.MediaType),
		Digest:       d.Digest.String(),
		Size:         d.Size,
		Annotations:  d.Annotations,
	}
}

func sortReferrers(rs []Referrer) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].ArtifactType != rs[j].ArtifactType {
			return rs[i].ArtifactType < rs[j].ArtifactType
		}
		return rs[i].Digest < rs[j].Digest
	})
}
