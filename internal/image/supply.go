package image

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/deps"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/publish"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/provenance"
	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/sbom"
	"github.com/distbuild/dist/internal/sign"
	"github.com/distbuild/dist/internal/source"
)

// Supply-chain artifacts: every image dist writes to an OCI layout or
// pushes gets an SBOM and a provenance statement as OCI referrers of its
// digest (the index's, for several platforms), and, with a signing key,
// each push a cosign signature. A docker-archive gets none: the format has
// no place for referrers.

// Files names of the artifacts' layers (org.opencontainers.image.title),
// so that `oras pull` writes them under these names.
const (
	SBOMFile       = "sbom.spdx.json"
	ProvenanceFile = "provenance.intoto.json"
)

// supplyInputs is what a build knows for its SBOM and provenance beyond
// the image itself, gathered by Make while the repository is open.
type supplyInputs struct {
	// source is the repository's URL; "" when it has none worth stating.
	source string
	// commit is the commit the image holds the files of; "" when it holds
	// no commit's files (a work tree that differs from HEAD, no git), and
	// then noProvenance says why and no provenance is attached.
	commit       string
	noProvenance string
	lockfiles    []provenance.Lockfile
	when         time.Time
	installer    build.Installer
}

// gatherSupply reads what the provenance records from the tree the build
// read: the lockfiles' bytes, the commit and where the repository lives.
func gatherSupply(t *tree, commit string, when time.Time, installer build.Installer) (*supplyInputs, error) {
	s := &supplyInputs{when: when, installer: installer}
	switch {
	case t.commit == "":
		s.noProvenance = "the image was not built from a git commit"
	case commit != t.commit:
		s.noProvenance = "the work tree differs from HEAD, so no commit holds what was built"
	default:
		s.commit = t.commit
	}
	s.source = sourceURL(t.m, t.repo)
	for _, lf := range t.m.Lockfiles {
		data, err := t.m.ReadFileKey("lockfile", lf.Path)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		s.lockfiles = append(s.lockfiles, provenance.Lockfile{Path: filepath.ToSlash(lf.Path), SHA256: hex.EncodeToString(sum[:])})
	}
	return s, nil
}

// sourceURL is where the repository lives, for the provenance: github: in
// dist.yaml, else the URL of the remote origin, without credentials. A
// remote that is a path says nothing on another machine and is left out.
func sourceURL(m *manifest.Manifest, repo *gitrepo.Repo) string {
	if m.GitHub != nil && m.GitHub.Repository != "" {
		return "https://github.com/" + m.GitHub.Repository
	}
	if repo == nil {
		return ""
	}
	urls, err := repo.PushURLs("origin")
	if err != nil || len(urls) == 0 {
		return ""
	}
	return publicURL(urls[0])
}

// publicURL is u without user or password, "ssh://host/path" for git's
// scp-like "user@host:path"; "" for a local path.
func publicURL(u string) string {
	if strings.Contains(u, "://") {
		p, err := url.Parse(u)
		if err != nil || p.Host == "" || p.Scheme == "file" {
			return ""
		}
		p.User = nil
		return p.String()
	}
	// scp-like syntax: a colon before any slash.
	colon, slash := strings.IndexByte(u, ':'), strings.IndexByte(u, '/')
	if colon > 0 && (slash < 0 || colon < slash) {
		host := u[:colon]
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
		return "ssh://" + host + "/" + strings.TrimPrefix(u[colon+1:], "/")
	}
	return ""
}

// supplyChain attaches the SBOM and the provenance to the output o just
// written, where its destination holds referrers (publish.Attacher: not a
// docker-archive), and signs a push when there is a key; out gets what
// was attached.
func (b *Built) supplyChain(ctx context.Context, o output, out *OutputReport) error {
	at, ok := o.pub.(publish.Attacher)
	if !ok || b.supply == nil {
		return nil
	}
	name := imageName(b.m)
	if o.registry != nil {
		name = o.registry.Repository.Name()
	}
	arts, err := b.artifacts(name)
	if err != nil {
		return err
	}
	digest, err := b.res.Artifact.Digest()
	if err != nil {
		return err
	}
	refs, err := at.Attach(ctx, digest, arts)
	out.Referrers = append(out.Referrers, refs...)
	if err != nil {
		return err
	}
	if o.registry != nil && b.o.SignKey != nil {
		if out.Signature, err = o.registry.Sign(ctx, digest, b.o.SignKey); err != nil {
			return err
		}
	}
	if b.supply.noProvenance != "" {
		b.Report.NoProvenance = b.supply.noProvenance
	}
	return nil
}

// artifacts are the SBOM and, when the image holds a commit's files, the
// provenance of the built image named name.
func (b *Built) artifacts(name string) ([]referrers.Artifact, error) {
	rep, s := b.Report, b.supply
	created := map[string]string{meta.Created: s.when.UTC().Format(time.RFC3339)}
	doc, err := sbom.Generate(sbom.Input{
		Image:       sbom.Image{Name: name, Version: rep.Version, Digest: rep.Digest},
		Base:        sbomBase(rep.Base),
		Pins:        b.installedPins(),
		ToolVersion: b.distVersion(),
		Created:     s.when,
	})
	if err != nil {
		return nil, err
	}
	arts := []referrers.Artifact{{ArtifactType: sbom.MediaType, Data: doc, FileName: SBOMFile, Annotations: created}}
	if s.commit == "" {
		return arts, nil
	}
	in := provenance.Input{
		Image:           provenance.Image{Name: name, Digest: rep.Digest},
		Source:          provenance.Source{Repository: s.source, Ref: b.o.SourceRef, Commit: s.commit},
		Lockfiles:       s.lockfiles,
		DistVersion:     b.distVersion(),
		GoVersion:       rep.GoVersion,
		SourceDateEpoch: s.when.Unix(),
	}
	if rep.Base != nil {
		in.Base = &provenance.Base{Name: rep.Base.Name, Tag: rep.Base.Tag, Digest: rep.Base.Digest}
	}
	for _, p := range rep.Platforms {
		in.Platforms = append(in.Platforms, p.Platform)
	}
	if len(b.res.Images) > 1 || b.res.MediaType.IsIndex() {
		for _, pi := range b.res.Images {
			in.Image.Manifests = append(in.Image.Manifests, provenance.Manifest{Platform: pi.Platform.String(), Digest: pi.Digest.String()})
		}
	}
	st, err := provenance.Generate(in)
	if err != nil {
		return nil, err
	}
	return append(arts, referrers.Artifact{ArtifactType: provenance.MediaType, Data: st, FileName: ProvenanceFile, Annotations: created}), nil
}

func (b *Built) distVersion() string {
	if b.o.DistVersion != "" {
		return b.o.DistVersion
	}
	return "devel"
}

func sbomBase(b *meta.Base) *sbom.Base {
	if b == nil {
		return nil
	}
	return &sbom.Base{Name: b.Name, Tag: b.Tag, Digest: b.Digest}
}

// installedPins are the packages the image holds: what the installer says
// it installed on each platform (the wheel it chose, the modules linked
// into the Go server), merged over the platforms by the SBOM; or, from an
// installer that does not say, every pypi and gomod pin of release.json
// with all its hashes.
func (b *Built) installedPins() []sbom.Pin {
	var pins []sbom.Pin
	if rec, ok := b.supply.installer.(deps.Recorder); ok {
		for _, pi := range b.res.Images {
			for _, p := range rec.Installed(pi.Platform) {
				pins = append(pins, sbom.Pin{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, Hashes: p.Hashes, License: p.License})
			}
		}
		return pins
	}
	for _, lf := range b.res.Release.Lockfiles {
		if lf.Ecosystem != source.PyPI && lf.Ecosystem != source.GoMod {
			continue
		}
		for _, p := range lf.Pins {
			pins = append(pins, sbom.Pin{Ecosystem: lf.Ecosystem, Name: p.Name, Version: p.Version, Hashes: p.Hashes})
		}
	}
	return pins
}

// toolchainVersion asks the installer for the Go toolchain it compiles a
// server with; "" when it compiles none. Under dry-run a missing go
// command is no error: nothing is compiled.
func toolchainVersion(ctx context.Context, installer build.Installer, dryRun bool) (string, error) {
	tc, ok := installer.(deps.Toolchain)
	if !ok {
		return "", nil
	}
	v, err := tc.GoVersion(ctx)
	if err != nil && dryRun {
		return "", nil
	}
	return v, err
}

// SignReport is what Sign did.
type SignReport struct {
	// Reference is the image as given.
	Reference string `json:"reference"`
	// Digest is what was signed: the digest the reference names (an
	// index's, for several platforms, as cosign signs).
	Digest string `json:"digest"`
	// Signature is the tag holding the signatures, REPO:sha256-<hex>.sig.
	Signature string `json:"signature"`
	// AlreadySigned is set when the key had signed it before: nothing was
	// pushed.
	AlreadySigned bool `json:"already_signed,omitempty"`
	// DryRun is set when nothing was pushed because SignOptions.DryRun
	// asked: the report says what would have been.
	DryRun bool `json:"dry_run,omitempty"`
}

// SignOptions are how Sign reaches the registry and what it writes.
type SignOptions struct {
	// Insecure allows plain HTTP to any registry.
	Insecure bool
	// DryRun resolves the digest and reads the signatures already there,
	// and pushes nothing (sign.Preview).
	DryRun bool
}

// Sign signs the image ref names with key, as `cosign sign --key` does
// without the transparency log (package sign), through c and dist's
// registry rules. Errors: a *failure.UsageError for a reference that cannot be
// parsed; the registry's refusal (a *regclient.Error, credentials
// scrubbed) otherwise.
func Sign(ctx context.Context, c *fetch.Client, ref string, key *ecdsa.PrivateKey, o SignOptions) (*SignReport, error) {
	rc := NewRegistryClient(c, o.Insecure)
	r, err := rc.ParseReference(ref)
	if err != nil {
		return nil, failure.Usagef("%s: %w", ref, err)
	}
	opts, err := rc.RemoteOptions(ctx, r.Context().Registry)
	if err != nil {
		return nil, err
	}
	do := sign.Sign
	if o.DryRun {
		do = sign.Preview
	}
	res, err := do(r, key, opts...)
	if err != nil {
		return nil, rc.Wrap(ctx, "signing "+ref, r.Context().Registry, err)
	}
	return &SignReport{Reference: ref, Digest: res.Image.DigestStr(), Signature: res.SignatureTag.String(), AlreadySigned: res.AlreadySigned, DryRun: o.DryRun}, nil
}
