package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image/inspect"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/publish"
)

// VerifyOptions are the inputs of Verify.
type VerifyOptions struct {
	// Build is how to rebuild: the repository's manifest, the client, the
	// installer. Verify sets what makes the rebuild the image's own: the
	// commit, the platforms and SOURCE_DATE_EPOCH.
	Build BuildOptions
	// Image is the image to verify: HOST/REPO:TAG, HOST/REPO@DIGEST or
	// oci-layout:DIR[:REF] (a docker-archive is refused, exit 2: it keeps
	// no manifest digest).
	Image string
}

// VerifyReport is what Verify found. Match says whether the rebuild has
// the image's digest; when not, Difference is the first thing that
// differs.
type VerifyReport struct {
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	// Dirty is set when Commit ends in "-dirty": the image was built from
	// a work tree that differed from the commit, which is rebuilt to show
	// how, and the digests cannot match.
	Dirty bool `json:"dirty_revision,omitempty"`
	// Created is the time the image records, the rebuild's
	// SOURCE_DATE_EPOCH.
	Created   string   `json:"created"`
	Platforms []string `json:"platforms"`
	// RebuiltDigest is the digest of the image built again from Commit.
	RebuiltDigest string      `json:"rebuilt_digest"`
	Match         bool        `json:"match"`
	Difference    *Difference `json:"difference,omitempty"`
	// GoVersion is the toolchain release.json records for a Go server,
	// LocalGoVersion the one the rebuild used. When they differ the
	// server's binary differs, and the digests cannot match.
	GoVersion      string `json:"go_version,omitempty"`
	LocalGoVersion string `json:"local_go_version,omitempty"`
	GoDiffers      bool   `json:"go_differs,omitempty"`
}

// Verdict is the error dist verify-image ends with once it has printed r
// (DESIGN §3): a rebuild that does not match is a failed check
// (*failure.CheckError, exit 1, saying nothing more: the report says what
// differs); else nil.
func (r *VerifyReport) Verdict() error {
	if !r.Match {
		return &failure.CheckError{}
	}
	return nil
}

// Difference is the first thing that differs between an image and its
// rebuild, looked for in this order: the platforms of an index, then per
// platform the layers (from the bottom), the config (its fields in sorted
// order), the manifest's annotations, and last the index's own
// annotations.
type Difference struct {
	// Platform is the platform whose image differs; "" for the index.
	Platform string `json:"platform,omitempty"`
	// Kind is "platforms", "media_type", "layer", "config", "manifest" or
	// "index".
	Kind string `json:"kind"`
	// Layer is the layer's position from the bottom, base layers
	// included, counted from 1; Role is dist's name for it.
	Layer int    `json:"layer,omitempty"`
	Role  string `json:"role,omitempty"`
	// Field is a config field ("config.Labels.x") or an annotation key.
	Field string `json:"field,omitempty"`
	// Image and Rebuilt are the two values: digests for layers, JSON for
	// a field; "" for a field one side does not have.
	Image   string `json:"in_image"`
	Rebuilt string `json:"in_rebuild"`
}

// String says the difference in a line.
func (d *Difference) String() string {
	where := ""
	if d.Platform != "" {
		where = d.Platform + ": "
	}
	show := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	switch d.Kind {
	case "layer":
		return fmt.Sprintf("%slayer %d (%s) differs: the image has %s, the rebuild %s", where, d.Layer, d.Role, show(d.Image), show(d.Rebuilt))
	case "config":
		return fmt.Sprintf("%sconfig field %s differs: the image has %s, the rebuild %s", where, d.Field, show(d.Image), show(d.Rebuilt))
	case "manifest", "index":
		return fmt.Sprintf("%s%s annotation %s differs: the image has %s, the rebuild %s", where, d.Kind, d.Field, show(d.Image), show(d.Rebuilt))
	}
	return fmt.Sprintf("%s%s differ: the image has %s, the rebuild %s", where, strings.ReplaceAll(d.Kind, "_", " "), show(d.Image), show(d.Rebuilt))
}

// Verify rebuilds the image o.Image names from the commit its release.json
// records, out of the repository's own objects (as dist release builds),
// for the image's platforms and at its recorded time, and compares the
// digests. Everything built goes through the build again (BuildOptions.
// Rebuild), none of it from dist's cache. A difference is no error: the
// report says what differs.
//
// An image that records a work tree which differed from its commit
// ("<commit>-dirty") is compared with the commit's rebuild: it never
// matches, and the difference shows what the work tree changed.
//
// Errors: a *UsageError when the commit is not in the repository (fetch
// it) or o.Image is a docker-archive; an image that is not dist's or records no commit, or a rebuild that
// fails, otherwise.
func Verify(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	if strings.HasPrefix(o.Image, inspect.ArchivePrefix) {
		// The archive keeps the config and layers but no manifest, so
		// there is no digest to compare the rebuild's with.
		return nil, failure.Usagef("%s: verify-image compares manifest digests, and a docker-archive keeps no manifest: verify the pushed image (REF) or an oci-layout:DIR", o.Image)
	}
	iopts := inspect.Options{Client: NewRegistryClient(o.Build.Client, o.Build.Insecure), Dir: o.Build.Manifest.Dir}
	op, err := inspect.Open(ctx, o.Image, iopts)
	if err != nil {
		return nil, err
	}
	var img v1.Image
	if op.Index != nil {
		if img, err = firstImage(op.Index); err != nil {
			return nil, err
		}
	} else {
		img = op.Image
	}
	rel, err := meta.ReadRelease(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Image, err)
	}
	rep := &VerifyReport{
		Reference: o.Image, Digest: op.Descriptor.Digest.String(), Version: rel.Version, Commit: rel.Commit,
		Created: rel.Created, GoVersion: rel.GoVersion,
	}
	if op.Index != nil {
		rep.Platforms, err = indexPlatforms(op.Index)
	} else {
		rep.Platforms, err = imagePlatform(op.Image)
	}
	if err != nil {
		return nil, err
	}
	if rel.Commit == "" {
		return nil, fmt.Errorf("%s records no commit: it was not built from a git repository, and cannot be rebuilt", o.Image)
	}
	// An image of a work tree that differed from its commit is compared
	// with that commit's: it cannot match, and the difference shows what
	// the work tree changed.
	commit := strings.TrimSuffix(rel.Commit, DirtySuffix)
	rep.Dirty = commit != rel.Commit
	if err := hasCommit(o.Build.Manifest.Dir, commit); err != nil {
		return nil, err
	}
	created, err := time.Parse(time.RFC3339, rel.Created)
	if err != nil {
		return nil, fmt.Errorf("%s: release.json: created %q: %w", o.Image, rel.Created, err)
	}

	bo := o.Build
	bo.Revision, bo.Platforms, bo.Outputs, bo.DryRun = commit, rep.Platforms, nil, false
	// Outputs of earlier builds on this machine would make the check
	// circular: a binary or layer built wrong once would be compared with
	// itself.
	bo.Rebuild = true
	bo.SourceDateEpoch = strconv.FormatInt(created.Unix(), 10)
	b, err := Make(ctx, bo)
	if err != nil {
		return rep, err
	}
	rep.RebuiltDigest = b.Report.Digest
	rep.LocalGoVersion = b.Report.GoVersion
	rep.GoDiffers = rep.GoVersion != "" && rep.LocalGoVersion != "" && rep.GoVersion != rep.LocalGoVersion
	rep.Match = rep.RebuiltDigest == rep.Digest
	if !rep.Match {
		var have publish.Artifact = op.Image
		if op.Index != nil {
			have = op.Index
		}
		if rep.Difference, err = firstDifference(have, b.res.Artifact); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// hasCommit refuses a commit the repository around dir does not hold, as
// configuration (exit 2): the image names it, the user must fetch it.
func hasCommit(dir, commit string) error {
	repo, err := gitrepo.Open(dir)
	if err != nil {
		return failure.Usagef("the image records commit %s, and %s is not in a git repository: %v", commit, dir, err)
	}
	defer repo.Close()
	if _, err := repo.ResolveCommit(commit); err != nil {
		return failure.Usagef("the image records commit %s, which is not in this repository (git fetch it, or run in a clone that has it)", commit)
	}
	return nil
}

func firstImage(idx v1.ImageIndex) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS != "unknown" && m.MediaType.IsImage() {
			return idx.Image(m.Digest)
		}
	}
	return nil, errors.New("the index holds no image")
}

func indexPlatforms(idx v1.ImageIndex) ([]string, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS != "unknown" {
			out = append(out, m.Platform.String())
		}
	}
	return out, nil
}

func imagePlatform(img v1.Image) ([]string, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	if p := cf.Platform(); p != nil && p.OS != "" {
		return []string{p.String()}, nil
	}
	return nil, nil
}

// firstDifference compares an image (or index) with its rebuild, reading
// manifests and configs only.
func firstDifference(have, rebuilt publish.Artifact) (*Difference, error) {
	hi, hIdx := have.(v1.ImageIndex)
	ri, rIdx := rebuilt.(v1.ImageIndex)
	if hIdx != rIdx {
		hm, _ := have.MediaType()
		rm, _ := rebuilt.MediaType()
		return &Difference{Kind: "media_type", Image: string(hm), Rebuilt: string(rm)}, nil
	}
	if !hIdx {
		platform := ""
		if ps, _ := imagePlatform(have.(v1.Image)); len(ps) == 1 {
			platform = ps[0]
		}
		return imageDifference(platform, have.(v1.Image), rebuilt.(v1.Image))
	}
	hm, err := hi.IndexManifest()
	if err != nil {
		return nil, err
	}
	rm, err := ri.IndexManifest()
	if err != nil {
		return nil, err
	}
	hp, _ := indexPlatforms(hi)
	rp, _ := indexPlatforms(ri)
	if strings.Join(hp, ",") != strings.Join(rp, ",") || len(hm.Manifests) != len(rm.Manifests) {
		return &Difference{Kind: "platforms", Image: strings.Join(hp, ", "), Rebuilt: strings.Join(rp, ", ")}, nil
	}
	for i, hd := range hm.Manifests {
		rd := rm.Manifests[i]
		if hd.Digest == rd.Digest {
			continue
		}
		platform := ""
		if hd.Platform != nil {
			platform = hd.Platform.String()
		}
		if !hd.MediaType.IsImage() || !rd.MediaType.IsImage() {
			return &Difference{Platform: platform, Kind: "media_type", Image: string(hd.MediaType), Rebuilt: string(rd.MediaType)}, nil
		}
		a, err := hi.Image(hd.Digest)
		if err != nil {
			return nil, err
		}
		b, err := ri.Image(rd.Digest)
		if err != nil {
			return nil, err
		}
		return imageDifference(platform, a, b)
	}
	if d := annotationDifference("index", hm.Annotations, rm.Annotations); d != nil {
		return d, nil
	}
	// The same manifests and annotations: the rest of the index JSON
	// (its media type, a field dist does not write).
	return &Difference{Kind: "index", Field: "(manifest bytes)", Image: string(hm.MediaType), Rebuilt: string(rm.MediaType)}, nil
}

func imageDifference(platform string, a, b v1.Image) (*Difference, error) {
	am, err := a.Manifest()
	if err != nil {
		return nil, err
	}
	bm, err := b.Manifest()
	if err != nil {
		return nil, err
	}
	bcf, err := b.ConfigFile()
	if err != nil {
		return nil, err
	}
	roles := meta.Roles(bcf)
	for i := 0; i < len(am.Layers) || i < len(bm.Layers); i++ {
		var ad, bd string
		if i < len(am.Layers) {
			ad = am.Layers[i].Digest.String()
		}
		if i < len(bm.Layers) {
			bd = bm.Layers[i].Digest.String()
		}
		if ad == bd {
			continue
		}
		role := meta.RoleBase
		if i < len(roles) {
			role = roles[i]
		}
		return &Difference{Platform: platform, Kind: "layer", Layer: i + 1, Role: role, Image: ad, Rebuilt: bd}, nil
	}
	if am.Config.Digest != bm.Config.Digest {
		ac, err := a.RawConfigFile()
		if err != nil {
			return nil, err
		}
		bc, err := b.RawConfigFile()
		if err != nil {
			return nil, err
		}
		field, av, bv := jsonDifference(ac, bc)
		return &Difference{Platform: platform, Kind: "config", Field: field, Image: av, Rebuilt: bv}, nil
	}
	if d := annotationDifference("manifest", am.Annotations, bm.Annotations); d != nil {
		d.Platform = platform
		return d, nil
	}
	return &Difference{Platform: platform, Kind: "manifest", Field: "(manifest bytes)", Image: string(am.MediaType), Rebuilt: string(bm.MediaType)}, nil
}

func annotationDifference(kind string, a, b map[string]string) *Difference {
	for _, k := range unionKeys(a, b) {
		av, aok := a[k]
		bv, bok := b[k]
		if av != bv || aok != bok {
			return &Difference{Kind: kind, Field: k, Image: av, Rebuilt: bv}
		}
	}
	return nil
}

// jsonDifference finds the first field, in sorted key order, where two
// JSON documents differ, as a dotted path ("config.Labels.x",
// "history[3]"), with both values as compact JSON ("" where absent).
func jsonDifference(a, b []byte) (field, av, bv string) {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return "(not JSON)", string(a), string(b)
	}
	return walkDifference("", x, y, true, true)
}

func walkDifference(path string, x, y any, xok, yok bool) (string, string, string) {
	if xok && yok {
		switch xv := x.(type) {
		case map[string]any:
			if yv, ok := y.(map[string]any); ok {
				sorted := unionKeys(xv, yv)
				for _, k := range sorted {
					a, aok := xv[k]
					b, bok := yv[k]
					p := k
					if path != "" {
						p = path + "." + k
					}
					if f, av, bv := walkDifference(p, a, b, aok, bok); f != "" {
						return f, av, bv
					}
				}
				return "", "", ""
			}
		case []any:
			if yv, ok := y.([]any); ok {
				for i := 0; i < len(xv) || i < len(yv); i++ {
					var a, b any
					aok, bok := i < len(xv), i < len(yv)
					if aok {
						a = xv[i]
					}
					if bok {
						b = yv[i]
					}
					if f, av, bv := walkDifference(fmt.Sprintf("%s[%d]", path, i), a, b, aok, bok); f != "" {
						return f, av, bv
					}
				}
				return "", "", ""
			}
		}
	}
	av, bv := compact(x, xok), compact(y, yok)
	if av == bv {
		return "", "", ""
	}
	if path == "" {
		path = "(document)"
	}
	return path, av, bv
}

func compact(v any, ok bool) string {
	if !ok {
		return ""
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// unionKeys is the keys of a and b together, sorted: the order differences
// are looked for in, so that the first one named is the same every run.
func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
