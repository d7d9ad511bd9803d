package gitenv

import (
	"strings"
	"testing"
)

func TestRepoHelpers(t *testing.T) {
	t.Parallel()
	r := New(t)
	c1 := r.Commit("first", map[string]string{"VERSION": "1.0.0\n", "a/b.txt": "b\n"})
	r.AnnotatedTag("1.0.0", "", "Tagging 1.0.0")
	c2 := r.Commit("empty", nil)
	r.LightweightTag("light", "")
	if c1 == c2 || r.Head() != c2 {
		t.Fatalf("commits %s %s, HEAD %s", c1, c2, r.Head())
	}
	if got := r.Git("cat-file", "-t", "1.0.0"); got != "tag" {
		t.Errorf("1.0.0 is a %s", got)
	}
	if got := r.Git("cat-file", "-t", "light"); got != "commit" {
		t.Errorf("light is a %s", got)
	}
	if got := r.RevParse("1.0.0^{commit}"); got != c1 {
		t.Errorf("1.0.0 peels to %s, want %s", got, c1)
	}
	// The clock makes history deterministic: same author, increasing dates.
	log := r.Git("log", "--format=%an <%ae> %at")
	want := Name + " <" + Email + "> 1704067380\n" + Name + " <" + Email + "> 1704067260"
	if log != want {
		t.Errorf("log:\n%s\nwant:\n%s", log, want)
	}

	r.GC()
	if loose := r.LooseRefs(); len(loose) != 0 {
		t.Errorf("after gc, loose refs remain: %v", loose)
	}

	wt := r.AddWorktree("1.0.x")
	if got := wt.Git("rev-parse", "--abbrev-ref", "HEAD"); got != "1.0.x" {
		t.Errorf("worktree branch %q", got)
	}
	wt.Commit("in worktree", map[string]string{"w.txt": "w\n"})
	if got := r.Git("log", "-1", "--format=%s", "1.0.x"); got != "in worktree" {
		t.Errorf("the main repository sees %q on 1.0.x", got)
	}

	bare := r.BareRemote("origin")
	r.Git("push", "-q", "origin", "main", "1.0.0")
	if got := r.GitIn(bare, "rev-parse", "refs/tags/1.0.0"); got != r.RevParse("1.0.0") {
		t.Errorf("remote tag %s", got)
	}
	if out := r.Git("fsck", "--strict"); strings.Contains(out, "error") {
		t.Errorf("fsck: %s", out)
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	r := MustGenerate(t, Spec{Commits: 200, Tags: 100, Format: "v{version}", MaintFrom: "1.0.0", MaintBranch: "1.0.x", MaintCommits: 6, Files: 5})
	if got := r.Git("rev-list", "--count", "main"); got != "200" {
		t.Errorf("main has %s commits", got)
	}
	if got := r.Git("rev-list", "--count", "v1.0.0..1.0.x"); got != "6" {
		t.Fatalf("1.0.x has %s commits of its own", got)
	}
	tags := strings.Fields(r.Git("tag"))
	if len(tags) != 103 {
		t.Errorf("%d tags, want 100 on main and 3 on 1.0.x", len(tags))
	}
	kinds := r.Git("for-each-ref", "--format=%(objecttype)", "refs/tags/v0.*")
	if strings.Count(kinds, "tag") != 25 || strings.Count(kinds, "commit") != 25 {
		t.Errorf("v0.* tags should be half annotated: %s", kinds)
	}
	// The last main tag sits on main's tip, and versions grow along history.
	if r.RevParse("v1.49.0^{commit}") != r.RevParse("main") {
		t.Error("the last tag is not on main's tip")
	}
	if got := r.Git("describe", "--tags", "--abbrev=0", "1.0.x"); got != "v1.0.3" {
		t.Errorf("describe 1.0.x = %s", got)
	}
	if got := r.Git("status", "--porcelain"); got != "" {
		t.Errorf("generated work tree is not clean: %s", got)
	}
	if got := r.Read("src/f0003.txt"); !strings.HasPrefix(got, "file 3") {
		t.Errorf("src/f0003.txt = %q", got)
	}
	if out := r.Git("fsck", "--strict"); strings.Contains(out, "error") {
		t.Errorf("fsck: %s", out)
	}
}
