// Package load finds the two sides of dist diff and compares them (Diff).
// What the user names (a channel, a version, a tag) becomes a
// reldiff.Release:
//
//   - a channel of dist.yaml, or a version whose image is in
//     image.repository: from the image itself, its release layer
//     (release.json and the lockfiles as they were) and the layer that
//     holds the rendered configs; the changelog, and the dist.yaml that
//     says which config is where and which pins are dependencies, from git
//     at the commit release.json records;
//   - otherwise a release tag in git: every file at the tagged commit;
//     also when the registry cannot answer (unreachable, refusing), for a
//     name that is a tag: the tag holds the release too, and Note says so.
//
// From a registry it reads manifests, the image config and those one or
// two small layers, never the dependencies.
package load

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/plan"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/reldiff"
)

// dirtySuffix ends the commit of an image built from a modified work tree
// (image.DirtySuffix, which package image keeps beside the whole pipeline).
const dirtySuffix = "-dirty"

// Options is where releases are found.
type Options struct {
	// Manifest is the work tree's dist.yaml: its channels, its
	// image.repository and tag_format.
	Manifest *manifest.Manifest
	// Git is the repository; required.
	Git *gitrepo.Repo
	// Client reads the registry; nil: only git tags are looked at.
	Client *regclient.Client
	// Note is told, in one line, when a name is read from its git tag
	// because the registry could not answer; nil: not told.
	Note func(msg string)
}

// NotFoundError is a name that is no channel, no pushed image and no tag
// (exit 2: the command line names nothing there is).
type NotFoundError struct{ Ref, Looked string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: no such channel, release or tag (looked in %s)", e.Ref, e.Looked)
}

// Release resolves ref: a channel of dist.yaml (from its image), a
// version or tag pushed to image.repository (from its image), else a
// release tag (the version, spelled by tag_format, or the tag itself). The
// Release's Source says which. A registry that cannot answer (not
// "not found": unreachable, refusing, failing) is no reason to fail for a
// name that is a git tag: the release is read from the tag, and Note
// told. Errors: *NotFoundError; a channel whose tag does not exist yet or
// whose registry cannot answer; an image not built by dist; a commit the
// repository does not have; the registry's errors, for a name that is no
// git tag.
func Release(ctx context.Context, ref string, o Options) (*reldiff.Release, error) {
	m := o.Manifest
	var repo *name.Repository
	if repoStr := m.ImageRepository(); o.Client != nil && repoStr != "" {
		r, err := o.Client.ParseRepository(repoStr)
		if err != nil {
			return nil, fmt.Errorf("image.repository %q: %w", repoStr, err)
		}
		repo = &r
	}
	if _, isChannel := m.Channels.Get(ref); isChannel && repo != nil {
		rd, err := o.Client.Get(ctx, repo.Tag(ref))
		if errors.Is(err, regclient.ErrNotFound) {
			return nil, fmt.Errorf("channel %s: %s has no image yet (dist promote VERSION %s)", ref, repo.Tag(ref), ref)
		}
		if err != nil {
			return nil, err
		}
		return fromImage(o, repo.Tag(ref), rd, ref)
	}
	looked := []string{}
	// unanswered is the registry's error when it could not say whether
	// an image exists; later tags would only wait for the same failure.
	var unanswered error
	if repo != nil {
		tags := []string{ref}
		if v, ok := gitrepo.VersionFromTag(m.TagFormat, ref); ok && v != ref {
			tags = append(tags, v)
		}
		for _, t := range tags {
			if _, err := name.NewTag(repo.Name()+":"+t, name.StrictValidation); err != nil {
				continue
			}
			rd, err := o.Client.Get(ctx, repo.Tag(t))
			if err == nil {
				return fromImage(o, repo.Tag(t), rd, ref)
			}
			if !errors.Is(err, regclient.ErrNotFound) {
				unanswered = err
				break
			}
			looked = append(looked, repo.Tag(t).String())
		}
	}
	if unanswered != nil && ctx.Err() != nil {
		return nil, unanswered
	}
	for _, tag := range tagNames(m, ref) {
		if ok, err := o.Git.TagExists(tag); err != nil {
			return nil, err
		} else if ok {
			if unanswered != nil && o.Note != nil {
				o.Note(fmt.Sprintf("%s: read from git tag %s, the registry could not say whether it holds an image: %v", ref, tag, unanswered))
			}
			return fromTag(o, tag, ref)
		}
		looked = append(looked, "git tag "+tag)
	}
	if unanswered != nil {
		return nil, fmt.Errorf("%s: no %s, and the registry could not answer: %w", ref, strings.Join(looked, " or "), unanswered)
	}
	return nil, &NotFoundError{Ref: ref, Looked: strings.Join(looked, ", ")}
}

// tagNames are the git tags ref may name: itself, and the version spelled
// by tag_format.
func tagNames(m *manifest.Manifest, ref string) []string {
	out := []string{ref}
	if t := gitrepo.TagName(m.TagFormat, ref); t != ref {
		out = append(out, t)
	}
	return out
}

// fromImage reads the release an image records. Reading the layers goes
// around the Client's own calls: their errors go through Scrub.
func fromImage(o Options, ref name.Tag, rd *remote.Descriptor, asked string) (*reldiff.Release, error) {
	r, err := readImage(o, ref, rd, asked)
	return r, o.Client.Scrub(ref.Context().Registry, err)
}

func readImage(o Options, ref name.Tag, rd *remote.Descriptor, asked string) (*reldiff.Release, error) {
	img, err := platformImage(rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	byRole := map[string]v1.Layer{}
	for i, role := range meta.Roles(cf) {
		if i < len(layers) {
			byRole[role] = layers[i]
		}
	}
	rl, ok := byRole[meta.RoleRelease]
	if !ok {
		return nil, fmt.Errorf("%s: %w", ref, meta.ErrNoRelease)
	}
	files, err := layerFiles(rl, func(p string) bool { return strings.HasPrefix(p, "usr/share/dist/") })
	if err != nil {
		return nil, fmt.Errorf("%s: release layer: %w", ref, err)
	}
	var rel *meta.Release
	for p, data := range files {
		if ok, _ := path.Match(meta.ReleasePath("*"), p); ok {
			rel = &meta.Release{}
			if err := json.Unmarshal(data, rel); err != nil {
				return nil, fmt.Errorf("%s: /%s: %w", ref, p, err)
			}
			break
		}
	}
	if rel == nil {
		return nil, fmt.Errorf("%s: %w", ref, meta.ErrNoRelease)
	}
	src := fmt.Sprintf("image %s@%s", ref.Context(), rd.Digest)
	r := &reldiff.Release{Name: rel.Name, Version: rel.Version, Ref: asked, Source: src, Lockfiles: rel.Lockfiles}

	// The release's own dist.yaml and changelog, from git: the image
	// keeps neither.
	commit := strings.TrimSuffix(rel.Commit, dirtySuffix)
	sm := o.Manifest
	if commit != "" {
		if _, err := o.Git.ResolveCommit(commit); err != nil {
			what := asked
			if asked != rel.Version {
				what += " (" + rel.Version + ")"
			}
			return nil, fmt.Errorf("%s was built from commit %.12s, which this repository does not have: fetch it (git fetch --tags)", what, commit)
		}
		if sm, err = manifestAt(o, commit, rel.Version); err != nil {
			return nil, err
		}
		if r.Changelog, err = fileAt(o, commit, sm.Changelog); err != nil {
			return nil, err
		}
	}

	locks := map[string]*lockfile.File{}
	for _, l := range rel.Lockfiles {
		data, ok := files[meta.Dir(rel.Name)+"/"+path.Clean(l.Path)]
		if !ok {
			continue
		}
		f, err := lockfile.Parse(rel.Version+":"+l.Path, data)
		if err != nil {
			return nil, err
		}
		locks[l.Path] = f
	}
	r.Indirect = indirect(sm, locks)

	dests := build.ConfigDests(sm)
	want := map[string]bool{}
	for _, d := range dests {
		want[d] = true
	}
	found := map[string][]byte{}
	for _, role := range []string{meta.RoleConfig, meta.RoleFiles} {
		if len(found) == len(want) {
			break
		}
		l, ok := byRole[role]
		if !ok {
			continue
		}
		got, err := layerFiles(l, func(p string) bool { return want[p] && found[p] == nil })
		if err != nil {
			return nil, fmt.Errorf("%s: %s layer: %w", ref, role, err)
		}
		for p, d := range got {
			found[p] = d
		}
	}
	for _, c := range sm.Configs {
		if d, ok := found[dests[c.Output]]; ok {
			r.Configs = append(r.Configs, reldiff.File{Path: c.Output, Format: c.Format, Data: d})
		}
	}
	return r, nil
}

// platformImage is the image of a manifest, or an index's first platform
// image: every platform holds the same release and config layers.
func platformImage(rd *remote.Descriptor) (v1.Image, error) {
	if !rd.MediaType.IsIndex() {
		return rd.Image()
	}
	idx, err := rd.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS != "unknown" && d.MediaType.IsImage() {
			return idx.Image(d.Digest)
		}
	}
	return nil, errors.New("an index with no platform image")
}

// layerFiles returns the regular files of a layer whose paths (without
// the leading "/") keep says to keep.
func layerFiles(l v1.Layer, keep func(string) bool) (map[string][]byte, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		p := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Typeflag != tar.TypeReg || !keep(p) {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, 16<<20))
		if err != nil {
			return nil, err
		}
		out[p] = data
	}
}

// fromTag reads a release from the files of a tagged commit.
func fromTag(o Options, tag, asked string) (*reldiff.Release, error) {
	commit, err := o.Git.ResolveCommit("refs/tags/" + tag)
	if err != nil {
		return nil, err
	}
	sm, err := manifestAt(o, commit, tag)
	if err != nil {
		return nil, err
	}
	version, ok := gitrepo.VersionFromTag(sm.TagFormat, tag)
	if !ok {
		v, _, err := sm.VersionAt(o.Git, tag)
		if err != nil {
			return nil, err
		}
		version = v.Raw
	}
	r := &reldiff.Release{Name: sm.Name, Version: version, Ref: asked, Source: fmt.Sprintf("git tag %s (%.12s)", tag, commit)}
	locks := map[string]*lockfile.File{}
	for _, l := range sm.Lockfiles {
		data, ok, err := o.Git.FileAtIn(commit, o.Manifest.Dir, l.Path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		f, err := lockfile.Parse(tag+":"+l.Path, data)
		if err != nil {
			return nil, err
		}
		locks[l.Path] = f
		ml := meta.Lockfile{Path: filepath.ToSlash(l.Path), Ecosystem: l.Ecosystem, Pins: []meta.Pin{}}
		for _, e := range f.Entries() {
			ml.Pins = append(ml.Pins, meta.Pin{Name: e.Name, Version: e.Version, Extras: e.Extras, Marker: e.Marker, Hashes: e.Hashes})
		}
		r.Lockfiles = append(r.Lockfiles, ml)
	}
	r.Indirect = indirect(sm, locks)
	for _, c := range sm.Configs {
		f, err := fileAt(o, commit, c.Output)
		if err != nil {
			return nil, err
		}
		if f.Data != nil {
			f.Format = c.Format
			r.Configs = append(r.Configs, f)
		}
	}
	if r.Changelog, err = fileAt(o, commit, sm.Changelog); err != nil {
		return nil, err
	}
	return r, nil
}

// indirect answers reldiff's question as dist plan does (plan.Indirect),
// from the release's dist.yaml and its lockfiles; a lockfile that
// dist.yaml no longer lists holds direct pins.
func indirect(m *manifest.Manifest, locks map[string]*lockfile.File) func(path, name string) bool {
	return func(p, n string) bool {
		f := locks[p]
		if f == nil {
			return false
		}
		for i := range m.Lockfiles {
			l := &m.Lockfiles[i]
			if path.Clean(filepath.ToSlash(l.Path)) != path.Clean(p) {
				continue
			}
			e := f.Find(n, lockfile.Normalizer(l.Ecosystem))
			return e != nil && plan.Indirect(m, l, f, e)
		}
		return false
	}
}

// manifestAt is dist.yaml at commit; the work tree's when the commit has
// none (a build outside the manifest's history).
func manifestAt(o Options, commit, label string) (*manifest.Manifest, error) {
	data, ok, err := o.Git.FileAtIn(commit, o.Manifest.Dir, manifest.FileName)
	if err != nil {
		return nil, err
	}
	if !ok {
		return o.Manifest, nil
	}
	m, err := manifest.Parse(label+":"+manifest.FileName, data)
	if err != nil {
		return nil, err
	}
	// Its files are at the commit where this checkout keeps dist.yaml.
	m.Dir = o.Manifest.Dir
	return m, nil
}

// fileAt is a file of the commit, named by a path of dist.yaml; no Data
// when the commit has none.
func fileAt(o Options, commit, p string) (reldiff.File, error) {
	data, ok, err := o.Git.FileAtIn(commit, o.Manifest.Dir, p)
	if err != nil || !ok {
		return reldiff.File{Path: p}, err
	}
	return reldiff.File{Path: p, Data: data}, nil
}
