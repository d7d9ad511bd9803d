package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distbuild/dist/internal/regclient"
)

// Pusher pushes to registries. The RegistryPublishers of one build share
// one, which remembers where they pushed (mountSource).
type Pusher struct {
	Client *regclient.Client
	// Force lets a push move a tag that points at another digest.
	Force bool
	// Log, when set, is the verbose log: each push's target and how many
	// of its blobs went up and how many the registry had (or mounted).
	Log func(format string, args ...any)

	mu sync.Mutex
	// last is, by registry, the repository a RegistryPublisher of this
	// Pusher last pushed to there.
	last map[string]name.Repository
}

// mountSource is the repository of repo's registry that an earlier
// RegistryPublisher of p pushed to, nil for none.
func (p *Pusher) mountSource(repo name.Repository) *name.Repository {
	p.mu.Lock()
	defer p.mu.Unlock()
	if from, ok := p.last[repo.RegistryStr()]; ok {
		return &from
	}
	return nil
}

// pushed records that repo holds the image's blobs now.
func (p *Pusher) pushed(repo name.Repository) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		p.last = map[string]name.Repository{}
	}
	p.last[repo.RegistryStr()] = repo
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

	var from *name.Repository
	if mountFrom != nil && mountFrom.RegistryStr() == repo.RegistryStr() && mountFrom.String() != repo.String() {
		from = mountFrom
	}
	var blobs *blobCount
	t := remote.Taggable(art)
	if p.Log != nil || from != nil {
		if p.Log != nil {
			blobs = &blobCount{uploaded: map[v1.Hash]bool{}}
		}
		if t, err = counted(art, from, blobs); err != nil {
			return nil, err
		}
	}
	if err := p.Client.Push(ctx, repo.Digest(d.String()), t); err != nil {
		return nil, err
	}
	if blobs != nil {
		total, err := blobTotal(art)
		if err != nil {
			return nil, err
		}
		up := blobs.count()
		p.Log("pushed %s to %s: %d %s uploaded, %d skipped (already in the registry or mounted)", d, repo, up, plural(up, "blob"), total-up)
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

// blobCount records the blobs a push reads, which are the ones it
// uploads: go-containerregistry opens a blob only to send it, after
// finding that the registry lacks it and cannot mount it.
type blobCount struct {
	mu       sync.Mutex
	uploaded map[v1.Hash]bool
}

func (c *blobCount) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.uploaded)
}

// blobTotal counts the distinct blobs (layers and configs) of art.
func blobTotal(art Artifact) (int, error) {
	seen := map[v1.Hash]bool{}
	var walk func(a Artifact) error
	walk = func(a Artifact) error {
		switch a := a.(type) {
		case v1.Image:
			ls, err := a.Layers()
			if err != nil {
				return err
			}
			for _, l := range ls {
				d, err := l.Digest()
				if err != nil {
					return err
				}
				seen[d] = true
			}
			cd, err := a.ConfigName()
			if err != nil {
				return err
			}
			seen[cd] = true
		case v1.ImageIndex:
			im, err := a.IndexManifest()
			if err != nil {
				return err
			}
			for _, desc := range im.Manifests {
				var child Artifact
				if desc.MediaType.IsIndex() {
					child, err = a.ImageIndex(desc.Digest)
				} else {
					child, err = a.Image(desc.Digest)
				}
				if err != nil {
					return err
				}
				if err := walk(child); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := walk(art)
	return len(seen), err
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// counted wraps art so that every layer records in c (when set) the
// blobs read to be uploaded and, with from set, can be mounted from that
// repository of the same registry.
func counted(art Artifact, from *name.Repository, c *blobCount) (remote.Taggable, error) {
	switch a := art.(type) {
	case v1.Image:
		return &wrapImage{Image: a, from: from, c: c}, nil
	case v1.ImageIndex:
		return &wrapIndex{idx: a, from: from, c: c}, nil
	}
	return nil, fmt.Errorf("cannot push a %T", art)
}

type wrapImage struct {
	v1.Image
	from *name.Repository
	c    *blobCount
}

func (m *wrapImage) Layers() ([]v1.Layer, error) {
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

func (m *wrapImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := m.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return m.wrap(l)
}

// ConfigLayer is how go-containerregistry finds the config blob to upload;
// it is wrapped like the layers.
func (m *wrapImage) ConfigLayer() (v1.Layer, error) {
	cl, err := partial.ConfigLayer(m.Image)
	if err != nil {
		return nil, err
	}
	return m.wrap(cl)
}

// wrap keeps remote.MountableLayer outermost: go-containerregistry finds
// it by its type.
func (m *wrapImage) wrap(l v1.Layer) (v1.Layer, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	if m.c != nil {
		l = &countedLayer{Layer: l, digest: d, c: m.c}
	}
	if m.from == nil {
		return l, nil
	}
	return &remote.MountableLayer{Layer: l, Reference: m.from.Digest(d.String())}, nil
}

// countedLayer records its digest when its bytes are read.
type countedLayer struct {
	v1.Layer
	digest v1.Hash
	c      *blobCount
}

func (l *countedLayer) Compressed() (io.ReadCloser, error) {
	l.c.mu.Lock()
	l.c.uploaded[l.digest] = true
	l.c.mu.Unlock()
	return l.Layer.Compressed()
}

// wrapIndex names its index field: embedded, the field would be called
// ImageIndex and hide the ImageIndex method, and the type would stop being
// a v1.ImageIndex.
type wrapIndex struct {
	idx  v1.ImageIndex
	from *name.Repository
	c    *blobCount
}

func (m *wrapIndex) MediaType() (types.MediaType, error)       { return m.idx.MediaType() }
func (m *wrapIndex) Digest() (v1.Hash, error)                  { return m.idx.Digest() }
func (m *wrapIndex) Size() (int64, error)                      { return m.idx.Size() }
func (m *wrapIndex) IndexManifest() (*v1.IndexManifest, error) { return m.idx.IndexManifest() }
func (m *wrapIndex) RawManifest() ([]byte, error)              { return m.idx.RawManifest() }

func (m *wrapIndex) Image(h v1.Hash) (v1.Image, error) {
	img, err := m.idx.Image(h)
	if err != nil {
		return nil, err
	}
	return &wrapImage{Image: img, from: m.from, c: m.c}, nil
}

func (m *wrapIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	ii, err := m.idx.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return &wrapIndex{idx: ii, from: m.from, c: m.c}, nil
}
