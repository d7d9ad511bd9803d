package gitrepo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

// packRemote is a bare clone of g, added to g as origin, that keeps every
// pack a push sends (receive.unpackLimit 1) instead of unpacking small
// ones into loose objects, which would hide objects sent although the
// remote had them.
func packRemote(t *testing.T, g *gitenv.Repo) string {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "remote.git")
	if out, err := gitenv.Run(g.Dir, gitenv.Env(), nil, "clone", "-q", "--bare", g.Dir, bare); err != nil {
		t.Fatal(out, err)
	}
	g.GitIn(bare, "config", "receive.unpackLimit", "1")
	g.Git("remote", "add", "origin", bare)
	return bare
}

func packIndexes(t *testing.T, bare string) []string {
	t.Helper()
	idx, err := filepath.Glob(filepath.Join(bare, "objects", "pack", "*.idx"))
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// pushed pushes specs with dist and returns the objects the remote
// received, sorted, checking them against what git says the remote
// lacked: the objects reachable from the pushed refs and not from the
// remote's refs (git rev-list --objects NEW... --not OLD...).
func pushed(t *testing.T, g *gitenv.Repo, bare string, specs ...string) []string {
	t.Helper()
	before := packIndexes(t, bare)
	revs := []string{"rev-list", "--objects"}
	for _, s := range specs {
		src, _, _ := strings.Cut(s, ":")
		revs = append(revs, src)
	}
	revs = append(revs, "--not")
	revs = append(revs, strings.Fields(g.GitIn(bare, "for-each-ref", "--format=%(objectname)"))...)
	var want []string
	for _, line := range strings.Split(g.Git(revs...), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			want = append(want, f[0])
		}
	}
	slices.Sort(want)

	if err := open(t, g.Dir).Push(context.Background(), "origin", specs, gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, idx := range packIndexes(t, bare) {
		if slices.Contains(before, idx) {
			continue
		}
		f, err := os.ReadFile(idx)
		if err != nil {
			t.Fatal(err)
		}
		out, err := gitenv.Run(bare, gitenv.Env(), f, "show-index")
		if err != nil {
			t.Fatal(out, err)
		}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 1 {
				got = append(got, f[1])
			}
		}
	}
	slices.Sort(got)
	for _, h := range got {
		if !slices.Contains(want, h) {
			t.Logf("extra %s %s: %s", h, g.Git("cat-file", "-t", h), g.Git("log", "--all", "--format=%h %s", "--find-object="+h))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("push %v sent %d objects, want the %d the remote lacked:\n got %v\nwant %v", specs, len(got), len(want), got, want)
	}
	if out, err := gitenv.Run(bare, gitenv.Env(), nil, "fsck", "--strict", "--no-dangling"); err != nil || out != "" {
		t.Errorf("git fsck --strict of the remote: %v\n%s", err, out)
	}
	for _, s := range specs {
		src, dst, ok := strings.Cut(s, ":")
		if !ok {
			dst = src
		}
		if got, want := g.GitIn(bare, "rev-parse", dst), g.RevParse(src); got != want {
			t.Errorf("remote %s is %s, want %s", dst, got, want)
		}
	}
	return got
}

func TestPushSendsOnlyWhatTheRemoteLacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitenv.MustGenerate(t, gitenv.Spec{Commits: 500, Tags: 25, Files: 40})
	bare := packRemote(t, g)

	// One commit onto a 500-commit history: the commit, the root and src
	// trees, VERSION and the one file changed; nothing of the history.
	g.Commit("Preparing release 9.0.0", map[string]string{"VERSION": "9.0.0\n", "src/f0007.txt": "changed\n"})
	if got := pushed(t, g, bare, "refs/heads/main"); len(got) != 5 {
		t.Errorf("one new commit sent %d objects, want 5", len(got))
	}
	if got := g.GitIn(bare, "log", "-1", "--format=%s", "main"); got != "Preparing release 9.0.0" {
		t.Errorf("remote log: %q", got)
	}

	// Then a commit and an annotated tag of it: one object more.
	g.Commit("Back to development", map[string]string{"VERSION": "9.0.1.dev0\n"})
	g.AnnotatedTag("9.0.1", "", "Tagging 9.0.1")
	if got := pushed(t, g, bare, "refs/heads/main", "refs/tags/9.0.1:refs/tags/9.0.1"); len(got) != 4 {
		t.Errorf("a commit and a tag sent %d objects, want 4", len(got))
	}

	// A merged side branch, a new directory, a file moved and one put
	// back as it was in the parent's parent (the remote has that blob, but
	// neither tree of the new commit's parents holds it, and git sends it
	// again too).
	g.Git("checkout", "-q", "-b", "side")
	g.Commit("side 1", map[string]string{"docs/a/b.md": "b\n", "src/f0001.txt": "side\n"})
	g.Git("mv", "src/f0002.txt", "docs/a/f0002.txt")
	g.Commit("side 2", nil)
	g.Git("checkout", "-q", "main")
	g.Commit("main 1", map[string]string{"src/f0007.txt": "file 7\n"})
	g.Tick()
	g.Git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	pushed(t, g, bare, "refs/heads/main")

	// A branch at a commit the remote has: nothing to send.
	if got := pushed(t, g, bare, "refs/heads/side:refs/heads/copy"); len(got) != 0 {
		t.Errorf("a new name for a pushed commit sent %d objects", len(got))
	}

	// The same with the local history in a commit-graph (git gc writes
	// one), which the fast-forward check reads.
	g.GC()
	g.Commit("after gc", map[string]string{"src/deep/er/x.txt": "x\n"})
	pushed(t, g, bare, "refs/heads/main")

	// Rejections: a branch moved back, a branch the remote has moved on,
	// and a tag moved.
	r := open(t, g.Dir)
	g.Branch("old", "HEAD~3")
	g.Git("checkout", "-q", "old")
	g.Commit("diverged", nil)
	err := r.Push(ctx, "origin", []string{"refs/heads/old:refs/heads/main"}, gitrepo.Auth{})
	isErr(t, err, gitrepo.ErrPushRejected)
	if !strings.Contains(err.Error(), "non-fast-forward") {
		t.Errorf("rejection: %v", err)
	}
	err = r.Push(ctx, "origin", []string{"refs/heads/old:refs/tags/9.0.1"}, gitrepo.Auth{})
	isErr(t, err, gitrepo.ErrPushRejected)

	other := gitenv.New(t)
	other.Git("fetch", "-q", bare, "main")
	other.Git("reset", "-q", "--hard", "FETCH_HEAD")
	other.Commit("theirs", nil)
	other.Git("push", "-q", bare, "HEAD:refs/heads/main")
	g.Git("checkout", "-q", "main")
	g.Commit("ours", nil)
	err = open(t, g.Dir).Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{})
	isErr(t, err, gitrepo.ErrPushRejected)
	if !strings.Contains(err.Error(), "fetch first") {
		t.Errorf("rejection: %v", err)
	}
	if got := g.GitIn(bare, "rev-parse", "main"); got != other.Head() {
		t.Errorf("the remote main moved to %s", got)
	}
	// The remote-tracking ref follows what was pushed, as with git push.
	if got := g.RevParse("refs/remotes/origin/copy"); got != g.RevParse("side") {
		t.Errorf("origin/copy is %s", got)
	}

	// A refusal by the remote is a rejection too.
	hook := filepath.Join(bare, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho no pushes today >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = r.Push(ctx, "origin", []string{"refs/heads/side:refs/heads/declined"}, gitrepo.Auth{})
	isErr(t, err, gitrepo.ErrPushRejected)
	if !strings.Contains(err.Error(), "refs/heads/declined") || !strings.Contains(err.Error(), "declined") {
		t.Errorf("rejection: %v", err)
	}
	os.Remove(hook)

	// A source that names nothing is an error, not a silent success.
	if err := r.Push(ctx, "origin", []string{"refs/heads/nonesuch"}, gitrepo.Auth{}); err == nil {
		t.Error("pushing a missing ref succeeded")
	}
}

// TestPushFirst pushes a whole history to an empty remote: every object
// reachable from the pushed refs, and nothing else.
func TestPushFirst(t *testing.T) {
	t.Parallel()
	g := gitenv.MustGenerate(t, gitenv.Spec{Commits: 60, Tags: 6, Files: 5, MaintFrom: "0.3.0", MaintBranch: "0.3.x", MaintCommits: 4})
	g.Git("checkout", "-q", "-b", "merged", "0.3.x")
	g.Git("merge", "-q", "--no-ff", "-X", "ours", "-m", "merge main", "main")
	bare := filepath.Join(t.TempDir(), "empty.git")
	gitenv.Git(t, t.TempDir(), "init", "-q", "--bare", bare)
	g.GitIn(bare, "config", "receive.unpackLimit", "1")
	g.Git("remote", "add", "origin", bare)
	pushed(t, g, bare, "refs/heads/main", "refs/tags/0.5.0:refs/tags/0.5.0")
	pushed(t, g, bare, "refs/heads/merged", "refs/tags/0.3.2:refs/tags/0.3.2")
	if got, want := g.GitIn(bare, "rev-list", "--count", "merged"), fmt.Sprint(60+4+1); got != want {
		t.Errorf("the remote has %s commits on merged, want %s", got, want)
	}
}

// TestPushHTTPSendsOnlyWhatTheRemoteLacks is the same over smart HTTP (git
// http-backend), whose advertisement the haves come from.
func TestPushHTTPSendsOnlyWhatTheRemoteLacks(t *testing.T) {
	t.Parallel()
	const secret = "pack-s3cret"
	g := gitenv.MustGenerate(t, gitenv.Spec{Commits: 200, Tags: 10, Files: 20})
	bare := packRemote(t, g)
	base := gitHTTP(t, filepath.Dir(bare), "x-access-token", secret)
	g.Git("remote", "set-url", "origin", strings.Replace(base, "http://", "http://x-access-token:"+secret+"@", 1)+"/remote.git")
	g.Commit("Preparing release 1.0.0", map[string]string{"VERSION": "1.0.0\n", "src/f0003.txt": "changed\n"})
	g.AnnotatedTag("1.0.0", "", "Tagging 1.0.0")
	if got := pushed(t, g, bare, "refs/heads/main", "refs/tags/1.0.0:refs/tags/1.0.0"); len(got) != 6 {
		t.Errorf("a commit and its tag sent %d objects over HTTP, want 6", len(got))
	}
}
