// Package image is dist's daemonless image pipeline, in small packages
// with one job each:
//
//	tarlayer   reproducible tar streams from repository files
//	cache      layers and base-image blobs on disk by digest
//	base       image.base: the pin in an oci lockfile, fetched by digest
//	deps       the dependencies layer: wheels and a Go server from the lockfiles
//	build      the recipe (what goes in) and the image or index (how)
//	publish    one Publisher per output: OCI layout, docker-archive, registry
//	promote    channel tags moved to a version's digest
//	inspect    what an image records about itself
//	meta       release.json, labels and layer roles
//
// Registry access (auth, the plain-HTTP rule, retries, errors) is
// internal/regclient's, which source/oci and channel share.
//
// This file ties them together for `dist build` and `dist release`: read
// the repository, write the recipe, build, publish to every output.
package image

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/cache"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/sourcedate"
)

// DefaultOutput is where `dist build` writes without --output.
const DefaultOutput = "oci-layout:build/oci"

// BuildOptions are the inputs of Build.
type BuildOptions struct {
	Manifest *manifest.Manifest
	// Platforms overrides image.platforms.
	Platforms []string
	// Outputs are destinations as on the command line; DefaultOutput when
	// empty. Relative paths are taken from the repository root.
	Outputs []string
	DryRun  bool
	// Rebuild builds every layer and the dependencies again, reusing
	// nothing an earlier build left in dist's cache (layers, a Go
	// server's binary; see cache.Store.Rebuild and build.Rebuilder);
	// downloads, checked by hash, are still reused. Verify sets it, so
	// that a warm cache cannot make the comparison circular.
	Rebuild bool
	// Insecure allows plain HTTP to any registry.
	Insecure bool
	// Force lets a push move a tag that names another image.
	Force bool
	// Client is dist's HTTP client: its transport, limit and cache
	// (required).
	Client *fetch.Client
	// SourceDateEpoch is the value of SOURCE_DATE_EPOCH, "" when unset: see
	// sourcedate.Time.
	SourceDateEpoch string
	// Revision, when set, builds that commit (a tag, a branch, a hash)
	// from the repository's objects rather than from the work tree:
	// dist.yaml, VERSION, the lockfiles and every file copied into the
	// image are the commit's, and the image records the commit as its
	// revision. dist release builds the commit it tags this way, so an
	// uncommitted edit never ships. Without it the work tree is read, and
	// a tree that differs from HEAD is recorded as "<commit>-dirty".
	Revision string
	// DependenciesFor makes the installer that fills the dependencies
	// layer, for the manifest the build reads: with Revision the
	// commit's rather than Manifest. When nil, or when it returns nil,
	// the image has no dependencies layer (build.None).
	DependenciesFor func(*manifest.Manifest) build.Installer
	// Progress counts bytes uploaded or copied from the cache.
	Progress func(n int64)
	// Step, when set, is told each output as it is written ("pushing
	// REF"), one line of progress per call, printf-style.
	Step func(format string, args ...any)
	// Log, when set, is the verbose log: what each push uploaded and
	// skipped.
	Log func(format string, args ...any)

	// DistVersion is dist's own version, which the SBOM and the
	// provenance name as the tool that built; "devel" when empty.
	DistVersion string
	// SourceRef is the git ref the provenance says was built
	// ("refs/tags/14.3.0"); dist release sets it, dist build does not.
	SourceRef string
	// SignKey, when set, signs every push as cosign does (package sign).
	SignKey *ecdsa.PrivateKey
	// By is who moves the channels a push moves, for their records
	// (channel.By).
	By string
}

// BuildReport is what Build did. Base is the pinned base image as
// release.json records it, nil for scratch.
type BuildReport struct {
	Name      string           `json:"name"`
	Version   string           `json:"version"`
	Commit    string           `json:"commit,omitempty"`
	Created   string           `json:"created"`
	Digest    string           `json:"digest,omitempty"`
	MediaType string           `json:"media_type,omitempty"`
	Base      *meta.Base       `json:"base,omitempty"`
	Platforms []PlatformReport `json:"platforms"`
	Layers    []LayerReport    `json:"layers"`
	Outputs   []OutputReport   `json:"outputs"`
	DryRun    bool             `json:"dry_run,omitempty"`
	// Dirty lists how the work tree built differs from HEAD (modified
	// tracked files; copied files HEAD does not hold, marked
	// "(untracked)"). Commit then ends in DirtySuffix.
	Dirty []string `json:"dirty,omitempty"`
	// Warnings say why the image, built, may not run (a console script
	// whose interpreter the base does not have), each led by the
	// platforms it holds for; dist build prints them on stderr too.
	Warnings []string `json:"warnings"`
	// GoVersion is the toolchain that compiled a Go server, as
	// release.json records it.
	GoVersion string `json:"go_version,omitempty"`
	// NoProvenance says why the outputs got an SBOM but no provenance
	// (the files built are no commit's); "" when they got both.
	NoProvenance string `json:"no_provenance,omitempty"`
}

// PlatformReport is one platform's image.
type PlatformReport struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest,omitempty"`
	// DependenciesBytes is the size in bytes of the platform's own
	// dependencies layer (compressed), 0 when it has none.
	DependenciesBytes int64 `json:"dependencies_size,omitempty"`
}

// LayerReport is one layer dist adds (the same on every platform).
type LayerReport struct {
	Role    string `json:"role"`
	Entries int    `json:"entry_count"`
	Bytes   int64  `json:"size"` // in bytes
}

// OutputReport is one destination written. In JSON it is reference, the
// name every command gives an image's place: oci-layout:DIR,
// docker-archive:FILE or HOST/REPO:TAG.
type OutputReport struct {
	Output string   `json:"reference"`
	Kind   string   `json:"kind"`
	Tags   []string `json:"tags,omitempty"`
	Moved  []string `json:"moved,omitempty"`
	// Referrers are the SBOM and provenance attached to the image there.
	Referrers []referrers.Referrer `json:"referrers,omitempty"`
	// Signature is the tag of the cosign signature, with a signing key.
	Signature string `json:"signature,omitempty"`
	// Channels are the channels the push moved (channels.go).
	Channels []*channel.MoveResult `json:"channels,omitempty"`
}

// Build builds the distribution's image and writes it to every output:
// Make, then Publish.
func Build(ctx context.Context, o BuildOptions) (*BuildReport, error) {
	b, err := Make(ctx, o)
	if err != nil {
		return nil, err
	}
	return b.Publish(ctx)
}

// Built is an image built and held in the layer cache, not yet written to
// any output. dist release builds before it tags, so that a build that
// fails leaves no tag behind, and publishes after.
type Built struct {
	// Report is what was built; Publish adds the outputs.
	Report *BuildReport

	o       BuildOptions
	m       *manifest.Manifest
	version string
	outputs []output
	rc      *regclient.Client
	res     *build.Result
	supply  *supplyInputs
	// branch is the branch HEAD is on, and commit the commit built ("" for
	// a detached HEAD, or outside git): what the channels follow.
	branch, commit string
}

// output is one --output and the publisher that writes there.
type output struct {
	dest publish.Dest
	pub  publish.Publisher
	// registry is pub when it pushes to a registry, nil otherwise: only a
	// registry has tags before the image is written, channels and
	// signatures.
	registry *publish.RegistryPublisher
}

// Make builds the image without writing it anywhere but the layer cache.
// Every output is checked first, so that a typo costs nothing. With
// DryRun nothing is built: the report says what would be.
func Make(ctx context.Context, o BuildOptions) (*Built, error) {
	t, err := openTree(o.Manifest, o.Revision)
	if err != nil {
		return nil, err
	}
	// Every file is read by the time the layers are in the cache: the
	// exported files of a revision can go then.
	defer t.close()
	m := t.m
	v, err := m.Version()
	if err != nil {
		return nil, err
	}
	version := v.Raw
	when, err := sourcedate.Time(o.SourceDateEpoch, func() (time.Time, error) { return t.when, t.gitErr })
	if err != nil {
		return nil, failure.Usage(err)
	}
	// Outputs are the work tree's: where the image goes is not part of
	// the commit built.
	dests, err := parseOutputs(o.Manifest, o.Outputs)
	if err != nil {
		return nil, err
	}
	var installer build.Installer
	if o.DependenciesFor != nil {
		installer = o.DependenciesFor(m)
	}
	if installer == nil {
		installer = build.None{}
	}
	if r, ok := installer.(build.Rebuilder); ok && o.Rebuild {
		installer = r.Rebuild()
	}
	goVersion, err := toolchainVersion(ctx, installer, o.DryRun)
	if err != nil {
		return nil, err
	}
	commit := t.commit
	recipe, err := build.Prepare(build.Options{
		Manifest: m, Platforms: o.Platforms, Version: version, Commit: commit, Time: when, Dependencies: installer, GoVersion: goVersion,
	})
	var pe *tarlayer.PathError
	if errors.As(err, &pe) && t.exported != "" && strings.HasPrefix(pe.Msg, "does not exist") {
		pe.Msg = fmt.Sprintf("is not in commit %.12s (a release builds the committed files: commit it)", commit)
	}
	if err != nil {
		return nil, err
	}
	dirty, err := t.dirty(recipe)
	if err != nil {
		return nil, err
	}
	if len(dirty) > 0 {
		// The image must not claim to be a commit it is not: its revision
		// says that the files were not all the commit's.
		commit += DirtySuffix
		recipe, err = build.Prepare(build.Options{
			Manifest: m, Platforms: o.Platforms, Version: version, Commit: commit, Time: when, Dependencies: installer, GoVersion: goVersion,
		})
		if err != nil {
			return nil, err
		}
	}
	rc := NewRegistryClient(o.Client, o.Insecure)
	b := &Built{o: o, m: m, version: version, rc: rc, commit: commit}
	if t.repo != nil {
		if h, err := t.repo.Head(); err == nil {
			b.branch = h.Branch
		}
	}
	popts := publish.Options{Version: version, Name: imageName(m), Pusher: &publish.Pusher{Client: rc, Force: o.Force, Log: o.Log}}
	for _, d := range dests {
		if d.Kind == publish.Archive && len(recipe.Platforms) > 1 {
			return nil, failure.Usagef("--output %s: %w", d, publish.ErrArchiveIndex)
		}
		pub, err := publish.New(d, popts)
		if err != nil {
			return nil, failure.Usagef("--output %s: %w", d, err)
		}
		reg, _ := pub.(*publish.RegistryPublisher)
		b.outputs = append(b.outputs, output{dest: d, pub: pub, registry: reg})
	}

	rep := &BuildReport{
		Name: m.Name, Version: version, Commit: commit, Created: recipe.Release.Created,
		Platforms: []PlatformReport{}, Layers: []LayerReport{}, Outputs: []OutputReport{}, DryRun: o.DryRun,
		Dirty: dirty, Warnings: []string{}, GoVersion: goVersion,
	}
	b.Report = rep
	rep.Base = recipe.Release.Base
	for _, l := range recipe.Layers {
		rep.Layers = append(rep.Layers, LayerReport{Role: l.Role, Entries: len(l.Entries), Bytes: l.Size()})
	}
	if o.DryRun {
		// A dry run fails where the build would on the lockfiles, which
		// the build checks only once the base image is in.
		if c, ok := installer.(build.Checker); ok {
			if err := c.Check(ctx, recipe.Platforms); err != nil {
				return nil, err
			}
		}
		for _, p := range recipe.Platforms {
			rep.Platforms = append(rep.Platforms, PlatformReport{Platform: p.String()})
		}
		return b, nil
	}

	store := cache.New(o.Client.Cache())
	store.Progress = o.Progress
	store.Rebuild = o.Rebuild
	res, err := recipe.Build(ctx, store, &base.Fetcher{Store: store, Client: rc})
	if err != nil {
		return nil, err
	}
	b.res = res
	if b.supply, err = gatherSupply(t, commit, when, installer); err != nil {
		return nil, err
	}
	rep.Digest, rep.MediaType = res.Digest.String(), string(res.MediaType)
	rep.Warnings = append(rep.Warnings, res.Warnings...)
	for _, pi := range res.Images {
		rep.Platforms = append(rep.Platforms, PlatformReport{Platform: pi.Platform.String(), Digest: pi.Digest.String(), DependenciesBytes: depsSize(pi.Image)})
	}
	return b, nil
}

// Check asks every registry output whether the image could be pushed
// there, writing nothing: a version tag that names another image is a
// *publish.TagConflictError (unless Force).
func (b *Built) Check(ctx context.Context) error {
	if b.o.DryRun || b.res == nil {
		return nil
	}
	for _, out := range b.outputs {
		if out.registry != nil {
			if err := out.registry.Check(ctx, b.res.Artifact); err != nil {
				return err
			}
		}
	}
	return nil
}

// Publish writes the image to every output, in order, and returns the
// report with them; on an error, the outputs written before it. Under
// DryRun it only lists them.
func (b *Built) Publish(ctx context.Context) (*BuildReport, error) {
	rep := b.Report
	for _, o := range b.outputs {
		out := OutputReport{Output: o.dest.String(), Kind: o.dest.Kind.String()}
		if b.o.DryRun {
			if o.registry != nil {
				out.Tags = o.registry.Tags
				out.Channels, _ = b.moveChannels(ctx, o.registry.Repository)
			}
			rep.Outputs = append(rep.Outputs, out)
			continue
		}
		if b.o.Step != nil {
			if o.registry != nil {
				b.o.Step("pushing %s", o.registry.Repository.Tag(o.registry.Tags[0]))
			} else {
				b.o.Step("writing %s", o.dest)
			}
		}
		res, err := o.pub.Publish(ctx, b.res.Artifact)
		if err != nil {
			return rep, err
		}
		out.Tags, out.Moved = res.Tags, res.Moved
		// The channels and the supply chain follow the image where it went,
		// each a step of its own after Publish: they need what the build
		// knows (the manifest, git, the SBOM's inputs), which the
		// destinations do not.
		if o.registry != nil {
			if out.Channels, err = b.moveChannels(ctx, o.registry.Repository); err != nil {
				rep.Outputs = append(rep.Outputs, out)
				return rep, err
			}
		}
		err = b.supplyChain(ctx, o, &out)
		rep.Outputs = append(rep.Outputs, out)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// NewRegistryClient is a registry client on dist's HTTP client.
func NewRegistryClient(c *fetch.Client, insecure bool) *regclient.Client {
	return regclient.New(regclient.Options{Transport: c.Transport(), Jobs: c.Jobs(), Insecure: insecure})
}

func parseOutputs(m *manifest.Manifest, outs []string) ([]publish.Dest, error) {
	if len(outs) == 0 {
		outs = []string{DefaultOutput}
	}
	var dests []publish.Dest
	for _, s := range outs {
		d, err := publish.ParseDest(publish.InDir(s, m.Dir))
		if err != nil {
			return nil, failure.Usagef("--output %w", err)
		}
		dests = append(dests, d)
	}
	return dests, nil
}

// imageName names the image where its destination does not: in a
// docker-archive and in a layout's SBOM and provenance. It is
// image.repository, else the distribution's name.
func imageName(m *manifest.Manifest) string {
	if m.Image != nil && m.Image.Repository != "" {
		return m.Image.Repository
	}
	return strings.ToLower(m.Name)
}

// depsSize finds an image's dependencies layer by its history entry.
func depsSize(img v1.Image) int64 {
	cf, err := img.ConfigFile()
	if err != nil {
		return 0
	}
	layers, err := img.Layers()
	if err != nil {
		return 0
	}
	for i, role := range meta.Roles(cf) {
		if role == meta.RoleDependencies && i < len(layers) {
			if n, err := layers[i].Size(); err == nil {
				return n
			}
		}
	}
	return 0
}
