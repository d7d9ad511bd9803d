package publish

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/sign"
)

// Publisher writes a built image to one destination: an OCI layout, a
// docker-archive or a registry repository. New makes the one a Dest
// names; a build publishes to each of its outputs in turn (ko's
// publish.Interface and its MultiPublisher).
type Publisher interface {
	// Publish writes art to the destination and says what names it there.
	// An error names the destination.
	Publish(ctx context.Context, art Artifact) (*Result, error)
}

// Result is what one Publish wrote.
type Result struct {
	// Tags name the image at the destination: the docker-archive's
	// REPO:TAG, or the registry tags now pointing at it. None for a
	// layout, whose index.json names the image by Options.Version.
	Tags []string
	// Moved lists the registry tags that pointed at another image before
	// (Pusher.Force).
	Moved []string
}

// Attacher is a Publisher whose destination holds OCI referrers (a
// layout, a registry); a docker-archive has no place for them.
type Attacher interface {
	// Attach writes each of arts as a referrer of subject, the digest
	// Publish wrote, and returns those attached, the ones before an
	// error too.
	Attach(ctx context.Context, subject v1.Hash, arts []referrers.Artifact) ([]referrers.Referrer, error)
}

// Options are what New needs beside the destination; one Options serves
// every output of a build.
type Options struct {
	// Version names the image: its entry in a layout's index.json
	// (org.opencontainers.image.ref.name), its tag in a docker-archive,
	// and its tag in a registry repository given without one.
	Version string
	// Name is the image's repository where the destination gives none: a
	// docker-archive holds the image as Name:Version.
	Name string
	// Pusher pushes to registries; required for a registry destination.
	Pusher *Pusher
}

// New returns the Publisher for d, checking everything it can without
// writing: an error says why d cannot take the image (a repository, tag
// or archive name that does not parse) and leaves naming the flag that
// gave d to the caller. A registry destination gives a *RegistryPublisher.
func New(d Dest, o Options) (Publisher, error) {
	switch d.Kind {
	case Layout:
		return &layoutPublisher{dest: d, refName: o.Version}, nil
	case Archive:
		tag, err := name.NewTag(o.Name+":"+o.Version, name.WeakValidation)
		if err != nil {
			return nil, fmt.Errorf("%s:%s is not a valid image name: %w", o.Name, o.Version, err)
		}
		return &archivePublisher{dest: d, tag: tag}, nil
	}
	// Without a tag the version is the tag.
	repoStr, tag := d.Ref, o.Version
	if i := strings.LastIndexByte(d.Ref, ':'); i > strings.LastIndexByte(d.Ref, '/') {
		repoStr, tag = d.Ref[:i], d.Ref[i+1:]
	}
	repo, err := o.Pusher.Client.ParseRepository(repoStr)
	if err != nil {
		return nil, err
	}
	if _, err := name.NewTag(repo.Name()+":"+tag, name.StrictValidation); err != nil {
		return nil, fmt.Errorf("%q cannot be a tag: %w", tag, err)
	}
	return &RegistryPublisher{Repository: repo, Tags: []string{tag}, pusher: o.Pusher}, nil
}

// layoutPublisher writes to an OCI layout directory (WriteLayout).
type layoutPublisher struct {
	dest    Dest
	refName string
}

func (l *layoutPublisher) Publish(_ context.Context, art Artifact) (*Result, error) {
	if err := WriteLayout(l.dest.Path, art, l.refName); err != nil {
		return nil, fmt.Errorf("%s: %w", l.dest, err)
	}
	return &Result{}, nil
}

// Attach writes each artifact into the layout beside the image
// (referrers.WriteLayout).
func (l *layoutPublisher) Attach(_ context.Context, subject v1.Hash, arts []referrers.Artifact) ([]referrers.Referrer, error) {
	var out []referrers.Referrer
	for _, a := range arts {
		r, err := referrers.WriteLayout(l.dest.Path, subject, a)
		if err != nil {
			return out, fmt.Errorf("%s: attaching %s: %w", l.dest, a.FileName, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// archivePublisher writes a docker-archive (WriteArchive).
type archivePublisher struct {
	dest Dest
	tag  name.Tag
}

func (a *archivePublisher) Publish(_ context.Context, art Artifact) (*Result, error) {
	if err := WriteArchive(a.dest.Path, art, a.tag); err != nil {
		return nil, fmt.Errorf("%s: %w", a.dest, err)
	}
	return &Result{Tags: []string{a.tag.String()}}, nil
}

// RegistryPublisher pushes to a registry repository (Pusher.Push). Only
// a registry has tags to check before anything is written, and holds
// signatures.
type RegistryPublisher struct {
	Repository name.Repository
	// Tags are pointed at the image, in order; the first is the one
	// given or the version.
	Tags   []string
	pusher *Pusher
}

// Publish pushes art and points the tags at it. An earlier push of the
// same Pusher to another repository of this registry lends its blobs: the
// registry mounts them instead of receiving them again.
func (r *RegistryPublisher) Publish(ctx context.Context, art Artifact) (*Result, error) {
	p, err := r.pusher.Push(ctx, art, r.Repository, r.Tags, r.pusher.mountSource(r.Repository))
	if err != nil {
		return nil, err
	}
	r.pusher.pushed(r.Repository)
	return &Result{Tags: p.Tags, Moved: p.Moved}, nil
}

// Check says whether Publish could point the tags at art, writing nothing
// (Pusher.Check).
func (r *RegistryPublisher) Check(ctx context.Context, art Artifact) error {
	return r.pusher.Check(ctx, art, r.Repository, r.Tags)
}

// Attach pushes each artifact as a referrer of subject (referrers.Push);
// errors are the registry client's, credentials scrubbed.
func (r *RegistryPublisher) Attach(ctx context.Context, subject v1.Hash, arts []referrers.Artifact) ([]referrers.Referrer, error) {
	rc, repo := r.pusher.Client, r.Repository
	opts, err := rc.RemoteOptions(ctx, repo.Registry)
	if err != nil {
		return nil, err
	}
	var out []referrers.Referrer
	for _, a := range arts {
		ref, err := referrers.Push(repo.Digest(subject.String()), a, opts...)
		if err != nil {
			return out, rc.Wrap(ctx, repo.String(), repo.Registry, err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// Sign signs subject with key as `cosign sign --key` does (package sign)
// and returns the tag that holds the signature, REPO:sha256-<hex>.sig.
func (r *RegistryPublisher) Sign(ctx context.Context, subject v1.Hash, key *ecdsa.PrivateKey) (string, error) {
	rc, repo := r.pusher.Client, r.Repository
	opts, err := rc.RemoteOptions(ctx, repo.Registry)
	if err != nil {
		return "", err
	}
	res, err := sign.Sign(repo.Digest(subject.String()), key, opts...)
	if err != nil {
		return "", rc.Wrap(ctx, repo.String(), repo.Registry, err)
	}
	return res.SignatureTag.String(), nil
}
