package gitrepo_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	"github.com/distbuild/dist/internal/version"
)

// libEnv is the environment the library sees in tests: gitenv's fixed
// identity and a fixed date, and none of the developer's variables that
// matter (GITHUB_TOKEN, SSH_AUTH_SOCK).
func libEnv(extra ...string) []string {
	env := gitenv.Env("GIT_AUTHOR_DATE=@1800000000 +0000", "GIT_COMMITTER_DATE=@1800000000 +0000")
	env = slices.DeleteFunc(env, func(kv string) bool {
		return strings.HasPrefix(kv, "GITHUB_TOKEN=") || strings.HasPrefix(kv, "SSH_AUTH_SOCK=")
	})
	return append(env, extra...)
}

func open(t *testing.T, dir string, extraEnv ...string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(dir, gitrepo.WithEnviron(libEnv(extraEnv...)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func latest(t *testing.T, dir, format string) (string, error) {
	t.Helper()
	r := open(t, dir)
	rel, err := gitrepo.LatestReleaseTag(r, format, pep, version.Compare)
	if err == nil && rel.Version.Raw == "" {
		t.Errorf("release %q has no version", rel.Tag)
	}
	return rel.Tag, err
}

func mustLatest(t *testing.T, dir, format string) string {
	t.Helper()
	tag, err := latest(t, dir, format)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func dirty(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := open(t, dir).DirtyPaths()
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// gitDirty is what command-line git calls modified or staged, untracked
// files left out: the oracle DirtyPaths is checked against.
func gitDirty(t *testing.T, r *gitenv.Repo) []string {
	t.Helper()
	out := r.Git("status", "--porcelain=v1", "--untracked-files=no", "--no-renames", "-z")
	var paths []string
	for _, rec := range strings.Split(out, "\x00") {
		if len(rec) > 3 {
			paths = append(paths, rec[3:])
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

func fsck(t *testing.T, r *gitenv.Repo) {
	t.Helper()
	if out, err := r.TryGit("fsck", "--strict", "--no-dangling"); err != nil || out != "" {
		t.Errorf("git fsck --strict: %v\n%s", err, out)
	}
}

func isErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
