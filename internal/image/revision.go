package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image/base"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/meta"
	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/manifest"
)

// DirtySuffix ends the revision a build records when the work tree it read
// differs from HEAD, as `git describe --dirty` marks one.
const DirtySuffix = "-dirty"

// tree is where a build reads the repository: the work tree (dist build),
// or the files of one commit, written out of the object database into a
// temporary directory (BuildOptions.Revision; dist release), so that nothing
// on disk that was not committed can reach the image.
type tree struct {
	// m is the manifest the build reads: the commit's own dist.yaml, with
	// Dir in the temporary directory, when building a revision.
	m *manifest.Manifest
	// commit is the commit built; "" outside a git repository.
	commit string
	when   time.Time
	// gitErr is why there is no commit, for the error that asks for
	// SOURCE_DATE_EPOCH instead.
	gitErr error
	repo   *gitrepo.Repo
	// rel is the manifest's directory relative to the repository root,
	// slash-separated, "" at the root.
	rel string
	// exported is the temporary directory of a revision build.
	exported string
}

func (t *tree) close() {
	if t.repo != nil {
		t.repo.Close()
	}
	if t.exported != "" {
		os.RemoveAll(t.exported)
	}
}

// openTree opens the repository around m.Dir and, for a revision, writes
// that commit's files out and loads its dist.yaml.
func openTree(m *manifest.Manifest, revision string) (*tree, error) {
	repo, err := gitrepo.Open(m.Dir)
	if err != nil {
		if revision != "" {
			return nil, err
		}
		return &tree{m: m, gitErr: err}, nil
	}
	t := &tree{m: m, repo: repo}
	if t.rel, err = relDir(repo.Root(), m.Dir); err != nil {
		t.close()
		return nil, err
	}
	if revision == "" {
		var head gitrepo.Head
		if head, err = repo.Head(); err == nil {
			t.commit = head.Commit
			if t.commit == "" {
				err = gitrepo.ErrNoCommits
			} else {
				t.when, err = repo.HeadTime()
			}
		}
		if err != nil {
			t.commit, t.gitErr = "", err
		}
		t.when = t.when.UTC()
		return t, nil
	}
	if err := t.export(revision); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func relDir(root, dir string) (string, error) {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if d, err = filepath.EvalSymlinks(d); err != nil {
		return "", err
	}
	if r, err = filepath.Abs(r); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(r, d)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	if rel == "." {
		return "", nil
	}
	return rel, nil
}

// export writes the files of revision into a temporary directory, as
// `git archive` holds them: regular files with their executable bit,
// symbolic links as links, a submodule as an empty directory. The
// commit's dist.yaml becomes the manifest.
func (t *tree) export(revision string) error {
	commit, err := t.repo.ResolveCommit(revision)
	if err != nil {
		return err
	}
	c, err := t.repo.Go().CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return err
	}
	t.commit, t.when = commit, c.Committer.When.UTC()
	root, err := c.Tree()
	if err != nil {
		return err
	}
	if t.exported, err = os.MkdirTemp("", "dist-build-"); err != nil {
		return err
	}
	if err := writeTree(t.repo, root, t.exported); err != nil {
		return fmt.Errorf("reading the files of %.12s: %w", commit, err)
	}
	dir := filepath.Join(t.exported, filepath.FromSlash(t.rel))
	m, err := manifest.Load(dir)
	if errors.Is(err, manifest.ErrNotFound) {
		return failure.Usagef("commit %.12s has no %s", commit, path.Join(t.rel, manifest.FileName))
	}
	if err != nil {
		return failure.Usagef("%s at %.12s: %w", manifest.FileName, commit, err)
	}
	linkPinned(t.m, m)
	t.m = m
	return nil
}

// writeTree writes every entry of root under dir. Files are created, never
// opened through an existing path, so an entry cannot write through a
// symbolic link written before it.
func writeTree(repo *gitrepo.Repo, root *object.Tree, dir string) error {
	w := object.NewTreeWalker(root, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, part := range strings.Split(name, "/") {
			if part == "" || part == "." || part == ".." || strings.EqualFold(part, ".git") {
				return fmt.Errorf("%q: a path git itself would refuse", name)
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		switch e.Mode {
		case filemode.Dir, filemode.Submodule:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		case filemode.Regular, filemode.Deprecated, filemode.Executable, filemode.Symlink:
		default:
			return fmt.Errorf("%s: unknown mode %s", name, e.Mode)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		blob, err := repo.Go().BlobObject(e.Hash)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := writeBlob(blob, p, e.Mode); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

func writeBlob(blob *object.Blob, p string, mode filemode.FileMode) error {
	r, err := blob.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	if mode == filemode.Symlink {
		target, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		return os.Symlink(string(target), p)
	}
	perm := os.FileMode(0o644)
	if mode == filemode.Executable {
		perm = 0o755
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// linkPinned points the exported tree at the work tree's copy of what
// dist.yaml names by a hash but a repository often does not commit: a
// lockfile's wheelhouse (every wheel in it is pinned by its sha256) and an
// OCI layout base (pinned by its digest). Whatever is read there is checked
// against the commit's pins, so it cannot change what the image holds.
func linkPinned(work, exported *manifest.Manifest) {
	var dirs []string
	for _, l := range exported.Lockfiles {
		if l.Wheelhouse != "" {
			dirs = append(dirs, l.Wheelhouse)
		}
	}
	if exported.Image != nil {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(exported.Image.Base), base.LayoutPrefix); ok {
			if dir, _, ok := strings.Cut(rest, "@"); ok && dir != "" && !filepath.IsAbs(dir) {
				dirs = append(dirs, dir)
			}
		}
	}
	for _, d := range dirs {
		into := exported.Abs(d)
		if _, err := os.Lstat(into); err == nil {
			continue
		}
		from, err := filepath.Abs(work.Abs(d))
		if err != nil {
			continue
		}
		if _, err := os.Stat(from); err != nil {
			continue
		}
		if os.MkdirAll(filepath.Dir(into), 0o755) == nil {
			os.Symlink(from, into)
		}
	}
}

// dirty lists what makes a work-tree build differ from HEAD: tracked files
// modified (git describe --dirty's rule, whatever the files are), and the
// files the image copies that HEAD does not hold at all (an untracked
// binary in image.files, say). Nil for a revision build, whose files are
// the commit's by construction.
func (t *tree) dirty(p *build.Recipe) ([]string, error) {
	if t.exported != "" || t.commit == "" {
		return nil, nil
	}
	modified, err := t.repo.DirtyPaths()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range modified {
		seen[d] = true
		out = append(out, d)
	}
	held, err := t.treePaths()
	if err != nil {
		return nil, err
	}
	check := func(rel string) {
		if rel == "" {
			return
		}
		full := path.Join(t.rel, filepath.ToSlash(path.Clean(filepath.ToSlash(rel))))
		if !held[full] && !seen[full] {
			seen[full] = true
			out = append(out, full+" (untracked)")
		}
	}
	m := t.m
	check(manifest.FileName)
	check(m.VersionFile)
	for _, l := range m.Lockfiles {
		check(l.Path)
	}
	if m.Image != nil {
		check(m.Image.EnvFile)
	}
	for _, l := range p.Layers {
		if l.Role != meta.RoleFiles && l.Role != meta.RoleConfig {
			continue
		}
		for _, e := range l.Entries {
			if e.Kind != tarlayer.Dir {
				check(e.Source)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// treePaths is every file and symbolic link of HEAD's tree.
func (t *tree) treePaths() (map[string]bool, error) {
	c, err := t.repo.Go().CommitObject(plumbing.NewHash(t.commit))
	if err != nil {
		return nil, err
	}
	root, err := c.Tree()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	w := object.NewTreeWalker(root, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Mode != filemode.Dir {
			out[name] = true
		}
	}
}
