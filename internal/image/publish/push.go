package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distbuild/dist/internal/image/regclient"
)

// Pusher pushes to registries.
type Pusher struct {
	Client *regclient.Client
	// Force lets a push move a tag that points at another digest.
	Force bool
}

// Pushed is the outcome of one push.
type Pushed struct {
	Repository string   `json:"repository"`
	Digest     string   `json:"digest"`
	Tags       []string `json:"tags"`
	// Moved lists the tags that pointed at another digest (with --force).
	Moved []string `json:"moved,omitempty"`
}

// TagConflictError is a tag that already names another image.
type TagConflictError struct {
	Tag  string
	Have string
	Want string
}

func (e *TagConflictError) Error() string {
	return fmt.Sprintf("%s already points at %s, not at this build's %s: a version tag does not move (bump VERSION, or pass --force to overwrite it)", e.Tag, e.Have, e.Want)
}

// Push uploads art to repo and then points each tag at it. The image goes
// up by digest first, so that a tag is only ever written once everything
// it names is in the registry: a failed push leaves no tag behind.
//
// mountFrom, when set, is another repository of the same registry that
// already holds the image's blobs (an earlier output of the same build);
// the registry then links them instead of receiving them again.
func (p *Pusher) Push(ctx context.Context, art Artifact, repo name.Repository, tags []string, mountFrom *name.Repository) (*Pushed, error) {
	d, err := art.Digest()
	if err != nil {
		return nil, err
	}
	out := &Pushed{Repository: repo.String(), Digest: d.String(), Tags: []string{}}
	var refs []name.Tag
	for _, t := range tags {
		ref := repo.Tag(t)
		refs = append(refs, ref)
		// Checked before uploading anything, so a refused push costs nothing.
		if _, err := p.checkTag(ctx, ref, d, out); err != nil {
			var tc *TagConflictError
			if errors.As(err, &tc) {
				return nil, err
			}
			return nil, fmt.Errorf("pushing to %s: %w", repo, err)
		}
	}

	t := remote.Taggable(art)
	if mountFrom != nil && mountFrom.RegistryStr() == repo.RegistryStr() && mountFrom.String() != repo.String() {
		t = mountable(art, *mountFrom)
	}
	if err := p.Client.Push(ctx, repo.Digest(d.String()), t); err != nil {
		return nil, err
	}

	out.Moved = nil
	for _, ref := range refs {
		// Again, just before writing: another push may have come between.
		there, err := p.checkTag(ctx, ref, d, out)
		if err != nil {
			return nil, err
		}
		if !there {
			if err := p.Client.Tag(ctx, ref, art); err != nil {
				return nil, err
			}
		}
		out.Tags = append(out.Tags, ref.TagStr())
	}
	return out, nil
}

// Check says whether Push could point tags at art, writing nothing: a tag
// that names another image is a *TagConflictError unless Force, and a
// registry that cannot be asked is an error too. A release checks this
// before it tags anything.
func (p *Pusher) Check(ctx context.Context, art Artifact, repo name.Repository, tags []string) error {
	d, err := art.Digest()
	if err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := p.checkTag(ctx, repo.Tag(t), d, &Pushed{}); err != nil {
			var tc *TagConflictError
			if errors.As(err, &tc) {
				return err
			}
			return fmt.Errorf("%s: %w", repo, err)
		}
	}
	return nil
}

// checkTag reports whether ref already names want, and refuses a tag that
// names another image unless forced.
func (p *Pusher) checkTag(ctx context.Context, ref name.Tag, want v1.Hash, out *Pushed) (bool, error) {
	have, err := p.Client.Head(ctx, ref)
	if errors.Is(err, regclient.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if have.Digest == want {
		return true, nil
	}
	if !p.Force {
		return false, &TagConflictError{Tag: ref.String(), Have: have.Digest.String(), Want: want.String()}
	}
	out.Moved = append(out.Moved, ref.TagStr())
	return false, nil
}

// mountable makes every layer of art mountable from repo.
func mountable(art Artifact, from name.Repository) remote.Taggable {
	switch a := art.(type) {
	case v1.Image:
		return &mountImage{Image: a, from: from}
	case v1.ImageIndex:
		return &mountIndex{idx: a, from: from}
	}
	return art
}

type mountImage struct {
	v1.Image
	from name.Repository
}

func (m *mountImage) Layers() ([]v1.Layer, error) {
	ls, err := m.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		if out[i], err = m.wrap(l); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m *mountImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := m.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return m.wrap(l)
}

// ConfigLayer is how go-containerregistry finds the config blob to upload;
// it is mounted like the layers.
func (m *mountImage) ConfigLayer() (v1.Layer, error) {
	cl, err := partial.ConfigLayer(m.Image)
	if err != nil {
		return nil, err
	}
	return m.wrap(cl)
}

func (m *mountImage) wrap(l v1.Layer) (v1.Layer, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	return &remote.MountableLayer{Layer: l, Reference: m.from.Digest(d.String())}, nil
}

// mountIndex names its index field: embedded, the field would be called
// ImageIndex and hide the ImageIndex method, and the type would stop being
// a v1.ImageIndex.
type mountIndex struct {
	idx  v1.ImageIndex
	from name.Repository
}

func (m *mountIndex) MediaType() (types.MediaType, error)       { return m.idx.MediaType() }
func (m *mountIndex) Digest() (v1.Hash, error)                  { return m.idx.Digest() }
func (m *mountIndex) Size() (int64, error)                      { return m.idx.Size() }
func (m *mountIndex) IndexManifest() (*v1.IndexManifest, error) { return m.idx.IndexManifest() }
func (m *mountIndex) RawManifest() ([]byte, error)              { return m.idx.RawManifest() }

func (m *mountIndex) Image(h v1.Hash) (v1.Image, error) {
	img, err := m.idx.Image(h)
	if err != nil {
		return nil, err
	}
	return &mountImage{Image: img, from: m.from}, nil
}

func (m *mountIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	ii, err := m.idx.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return &mountIndex{idx: ii, from: m.from}, nil
}
