// Package build turns a distribution repository into an image: the pinned
// base, then the layers dist adds in a fixed order (dependencies,
// image.files, rendered config, lockfiles and release manifest), the config
// and the OCI labels and annotations. It writes nothing but the layer cache;
// putting the result somewhere is package publish's job.
package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
)

// DefaultPlatform is built when neither dist.yaml nor --platform names one.
// It is fixed rather than the host's so that the same repository gives the
// same image wherever it is built.
const DefaultPlatform = "linux/amd64"

// Options are a build's inputs beyond the repository.
type Options struct {
	Manifest *manifest.Manifest
	// Platforms overrides image.platforms.
	Platforms []string
	// Version is the distribution's version (the VERSION file).
	Version string
	// Commit is the git commit built, empty outside git.
	Commit string
	// Time is every file's mtime and the image's creation time:
	// SOURCE_DATE_EPOCH, or the commit's time.
	Time time.Time
	// Dependencies fills the dependencies layer; None when nil.
	Dependencies Installer
	// GoVersion is the toolchain that compiles a gomod server
	// (deps.Toolchain), recorded in release.json; empty for none.
	GoVersion string
}

// Recipe is everything a build will do, decided without touching the
// network or compressing anything: the platforms, the base pin, the
// layers dist adds with their entries, the labels and the release
// manifest. --dry-run prints it; Build carries it out.
type Recipe struct {
	Options
	Image     manifest.Image
	Platforms []v1.Platform
	Base      *base.Pin
	// Layers dist adds that are the same on every platform, in order.
	Layers  []RecipeLayer
	Release *meta.Release
	// Labels are the config labels and, for the org.opencontainers keys,
	// the annotations; base.digest is added per platform.
	Labels map[string]string
}

// RecipeLayer is a layer a Recipe adds: its role and the entries it will
// hold.
type RecipeLayer struct {
	Role    string
	Entries []tarlayer.Entry
}

// Size is the bytes of file content in the layer.
func (l RecipeLayer) Size() int64 {
	var n int64
	for _, e := range l.Entries {
		n += e.Size
	}
	return n
}

// Prepare reads the repository and writes the build's Recipe.
func Prepare(o Options) (*Recipe, error) {
	m := o.Manifest
	p := &Recipe{Options: o}
	if m.Image != nil {
		p.Image = *m.Image
		if err := mergeEnvFile(m, &p.Image); err != nil {
			return nil, err
		}
	}
	if p.Dependencies == nil {
		p.Dependencies = None{}
	}
	plats := o.Platforms
	if len(plats) == 0 {
		plats = p.Image.Platforms
	}
	if len(plats) == 0 {
		plats = []string{DefaultPlatform}
	}
	seen := map[string]bool{}
	for _, s := range plats {
		pl, err := v1.ParsePlatform(strings.TrimSpace(s))
		if err != nil || pl.OS == "" || pl.Architecture == "" {
			return nil, failure.Usagef("platform %q: want OS/ARCH[/VARIANT], e.g. linux/arm64", s)
		}
		if seen[pl.String()] {
			continue
		}
		seen[pl.String()] = true
		p.Platforms = append(p.Platforms, *pl)
	}

	pin, err := base.Find(m)
	if err != nil {
		return nil, err
	}
	p.Base = pin

	if err := checkUser(p.Image.User); err != nil {
		return nil, err
	}

	// tarlayer refuses a file that leads out of the repository too; this
	// says so at the line of dist.yaml that names it.
	for _, f := range p.Image.Files {
		if _, err := m.ResolveKey("image.files", f.Src); err != nil {
			return nil, err
		}
	}
	files, configs := splitCopies(m, p.Image.Files)
	fileEntries, err := tarlayer.Files(m.Dir, files)
	if err != nil {
		return nil, missingIsUsage(err)
	}
	configEntries, err := tarlayer.Files(m.Dir, configs)
	var pe *tarlayer.PathError
	if errors.As(err, &pe) && pe.Msg == "does not exist" {
		pe.Msg += " (dist config render writes it)"
	}
	if err != nil {
		return nil, missingIsUsage(err)
	}

	p.Labels = labels(p)
	p.Release, err = release(p)
	if err != nil {
		return nil, err
	}
	releaseEntries, err := releaseLayer(m, p.Release)
	if err != nil {
		return nil, err
	}
	for _, l := range []RecipeLayer{
		{Role: meta.RoleFiles, Entries: fileEntries},
		{Role: meta.RoleConfig, Entries: configEntries},
		{Role: meta.RoleRelease, Entries: releaseEntries},
	} {
		// An empty layer would only add a blob and a history entry.
		if len(l.Entries) > 0 {
			p.Layers = append(p.Layers, l)
		}
	}
	return p, nil
}

// checkUser refuses a numeric image.user ("1000" or "1000:1000") with a
// negative id. The user only becomes the config's User, the account the
// process runs as: every file stays root's (see tarlayer), so the server
// can read its files and not rewrite them, as with ko's images.
func checkUser(user string) error {
	u, g, _ := strings.Cut(user, ":")
	for _, id := range []string{u, g} {
		if n, err := strconv.Atoi(id); err == nil && n < 0 {
			return failure.Usagef("image.user %q: negative id", user)
		}
	}
	return nil
}

// splitCopies sorts image.files into the files layer and the config layer.
// A configs output goes where image.files puts it when an entry names it
// exactly; an output that no entry names or holds (through a directory) is
// copied to /etc/<name>/<file name>, so that the rendered config is always
// in the image.
func splitCopies(m *manifest.Manifest, files []manifest.FileCopy) (fileCopies, configCopies []tarlayer.Copy) {
	isOutput := map[string]bool{}
	for _, c := range m.Configs {
		isOutput[clean(c.Output)] = true
	}
	placed := map[string]bool{}
	for _, f := range files {
		c := tarlayer.Copy{Src: f.Src, Dst: f.Dst, What: "image.files"}
		if isOutput[clean(f.Src)] {
			c.What = "configs"
			configCopies = append(configCopies, c)
			placed[clean(f.Src)] = true
			continue
		}
		fileCopies = append(fileCopies, c)
		for out := range isOutput {
			if src := clean(f.Src); src == "." || strings.HasPrefix(out, src+"/") {
				placed[out] = true
			}
		}
	}
	for _, c := range m.Configs {
		if !placed[clean(c.Output)] {
			configCopies = append(configCopies, tarlayer.Copy{
				Src: c.Output, Dst: "/etc/" + m.Name + "/" + path.Base(clean(c.Output)), What: "configs",
			})
		}
	}
	return fileCopies, configCopies
}

// ConfigDests returns where an image built from m holds each configs:
// output: its path in the repository ("config/example.ini") to its path
// in the image, without the leading "/" ("etc/kinto.ini"), as splitCopies
// and tarlayer place it: an image.files entry naming the output (a Dst
// ending in "/" is a directory), one copying a directory that holds it,
// else /etc/<name>/<file name>. dist diff reads a pushed image's config
// back with it.
func ConfigDests(m *manifest.Manifest) map[string]string {
	var files []manifest.FileCopy
	if m.Image != nil {
		files = m.Image.Files
	}
	out := map[string]string{}
	for _, c := range m.Configs {
		o := clean(c.Output)
		for _, f := range files {
			src, dst := clean(f.Src), f.Dst
			if dst == "" {
				dst = src
			}
			if src == o {
				if strings.HasSuffix(dst, "/") {
					dst += path.Base(o)
				}
				out[c.Output] = strings.TrimPrefix(path.Clean("/"+dst), "/")
				break
			}
			if src == "." || strings.HasPrefix(o, src+"/") {
				rel := strings.TrimPrefix(o, src+"/")
				out[c.Output] = strings.TrimPrefix(path.Clean("/"+dst+"/"+rel), "/")
				break
			}
		}
		if _, ok := out[c.Output]; !ok {
			out[c.Output] = "etc/" + m.Name + "/" + path.Base(o)
		}
	}
	return out
}

func clean(p string) string { return path.Clean(filepath.ToSlash(p)) }

// source is the repository's URL for org.opencontainers.image.source. It
// comes from dist.yaml only: a git remote's URL differs between clones
// (a path, a mirror, an SSH spelling) and would change the digest.
func source(m *manifest.Manifest) string {
	if m.GitHub != nil && m.GitHub.Repository != "" {
		return "https://github.com/" + m.GitHub.Repository
	}
	return ""
}

func labels(p *Recipe) map[string]string {
	l := map[string]string{
		meta.Title:   p.Manifest.Name,
		meta.Version: p.Version,
		meta.Created: p.Time.UTC().Format(time.RFC3339),
	}
	if p.Commit != "" {
		l[meta.Revision] = p.Commit
	}
	if s := source(p.Manifest); s != "" {
		l[meta.Source] = s
	}
	if p.Base != nil && p.Base.Layout == "" {
		l[meta.BaseName] = p.Base.Name
		if p.Base.Tag != "" {
			l[meta.BaseName] += ":" + p.Base.Tag
		}
	}
	for k, v := range p.Image.Labels {
		l[k] = v
	}
	return l
}

func release(p *Recipe) (*meta.Release, error) {
	m := p.Manifest
	r := &meta.Release{
		Name:      m.Name,
		Version:   p.Version,
		Commit:    p.Commit,
		Created:   p.Time.UTC().Format(time.RFC3339),
		Source:    p.Labels[meta.Source],
		GoVersion: p.GoVersion,
		Lockfiles: []meta.Lockfile{},
	}
	if p.Base != nil {
		r.Base = &meta.Base{Name: p.Base.Name, Tag: p.Base.Tag, Digest: p.Base.Digest.String()}
	}
	for _, lf := range m.Lockfiles {
		data, err := m.ReadFileKey("lockfile", lf.Path)
		if fe := (*fileerr.Error)(nil); errors.As(err, &fe) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("lockfile %s: %w", lf.Path, err)
		}
		f, err := lockfile.Parse(lf.Path, data)
		if err != nil {
			return nil, err
		}
		out := meta.Lockfile{Path: filepath.ToSlash(lf.Path), Ecosystem: lf.Ecosystem, Pins: []meta.Pin{}}
		for _, e := range f.Entries() {
			hashes := append([]string{}, e.Hashes...)
			out.Pins = append(out.Pins, meta.Pin{Name: e.Name, Version: e.Version, Extras: e.Extras, Marker: e.Marker, Hashes: hashes})
		}
		r.Lockfiles = append(r.Lockfiles, out)
	}
	return r, nil
}

// releaseLayer holds release.json and a copy of every lockfile, so that
// the image says exactly what went into it.
func releaseLayer(m *manifest.Manifest, r *meta.Release) ([]tarlayer.Entry, error) {
	doc, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	entries := []tarlayer.Entry{tarlayer.Bytes(meta.ReleasePath(m.Name), append(doc, '\n'), "release.json")}
	var copies []tarlayer.Copy
	for _, lf := range m.Lockfiles {
		copies = append(copies, tarlayer.Copy{Src: lf.Path, Dst: "/" + meta.Dir(m.Name) + "/" + clean(lf.Path), What: "lockfiles"})
	}
	if len(copies) > 0 {
		more, err := tarlayer.Files(m.Dir, copies)
		if err != nil {
			return nil, err
		}
		entries = append(entries, more...)
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return entries, nil
}

// missingIsUsage makes a file dist.yaml names that is not there a
// configuration error, as a missing VERSION or changelog is.
func missingIsUsage(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return failure.Usage(err)
	}
	return err
}

// mergeEnvFile adds image.env_file's settings to the image's environment.
func mergeEnvFile(m *manifest.Manifest, im *manifest.Image) error {
	if im.EnvFile == "" {
		return nil
	}
	data, err := m.ReadFileKey("image.env_file", im.EnvFile)
	if fe := (*fileerr.Error)(nil); errors.As(err, &fe) {
		return err
	}
	if err != nil {
		return failure.Usagef("image.env_file: %w (dist config render writes it)", err)
	}
	cfg, err := configdiff.ParseFormat(configdiff.Env, im.EnvFile, data)
	if err != nil {
		return failure.Usagef("image.env_file: %w", err)
	}
	env := map[string]string{}
	for _, k := range cfg.Keys() {
		env[k] = cfg[k].Value
	}
	for k, v := range im.Env {
		env[k] = v
	}
	im.Env = env
	return nil
}
