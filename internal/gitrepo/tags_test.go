package gitrepo_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	"github.com/distbuild/dist/internal/version"
)

func TestTagFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		format, tag, version string
		ok                   bool
	}{
		{"{version}", "1.2.3", "1.2.3", true},
		{"v{version}", "v1.2.3", "1.2.3", true},
		{"v{version}", "1.2.3", "", false},
		{"v{version}", "v", "", false},
		{"release-{version}-final", "release-2.0-final", "2.0", true},
		{"release-{version}-final", "release-2.0", "", false},
	} {
		v, ok := gitrepo.VersionFromTag(c.format, c.tag)
		if v != c.version || ok != c.ok {
			t.Errorf("VersionFromTag(%q, %q) = %q, %v", c.format, c.tag, v, ok)
		}
		if ok && gitrepo.TagName(c.format, v) != c.tag {
			t.Errorf("TagName(%q, %q) = %q", c.format, v, gitrepo.TagName(c.format, v))
		}
	}
}

// releaseHistory builds main with releases 1.0.0 ... 1.4.0 (annotated and
// lightweight alternately) and a 1.0.x maintenance branch with 1.0.1.
func releaseHistory(t *testing.T, format string) *gitenv.Repo {
	t.Helper()
	g := gitenv.New(t)
	for i := 0; i <= 4; i++ {
		v := fmt.Sprintf("1.%d.0", i)
		g.Commit("Preparing release "+v, map[string]string{"VERSION": v + "\n"})
		tag := gitrepo.TagName(format, v)
		if i%2 == 0 {
			g.AnnotatedTag(tag, "", "Tagging "+v)
		} else {
			g.LightweightTag(tag, "")
		}
		g.Commit("Back to development", map[string]string{"VERSION": fmt.Sprintf("1.%d.1.dev0\n", i)})
		if i == 0 {
			g.Branch("1.0.x", "")
		}
	}
	g.Checkout("1.0.x")
	g.Commit("Fix", map[string]string{"fix.txt": "fix\n"})
	g.Commit("Preparing release 1.0.1", map[string]string{"VERSION": "1.0.1\n"})
	g.AnnotatedTag(gitrepo.TagName(format, "1.0.1"), "", "Tagging 1.0.1")
	g.Commit("Back to development", map[string]string{"VERSION": "1.0.2.dev0\n"})
	g.Checkout("main")
	return g
}

func TestLatestReleaseTagBranches(t *testing.T) {
	t.Parallel()
	// Each format once loose and once packed would double the git
	// processes for no new path: the formats alternate instead.
	for _, v := range []struct {
		format string
		packed bool
	}{{"{version}", false}, {"v{version}", true}} {
		format, packed := v.format, v.packed
		t.Run(fmt.Sprintf("%s/packed=%v", format, packed), func(t *testing.T) {
			t.Parallel()
			g := releaseHistory(t, format)
			// Tags that are not releases under this format.
			g.LightweightTag("not-a-version", "")
			if format == "{version}" {
				g.LightweightTag("v9.9.9", "")
			} else {
				g.LightweightTag("9.9.9", "")
			}
			if packed {
				g.GC()
				if loose := g.LooseRefs(); len(loose) != 0 {
					t.Fatalf("loose refs after gc: %v", loose)
				}
			}
			tag := func(v string) string { return gitrepo.TagName(format, v) }
			for _, c := range []struct{ rev, want string }{
				{"main", tag("1.4.0")},
				{"1.0.x", tag("1.0.1")},
				{"1.0.x~1", tag("1.0.1")},    // HEAD is the tagged commit
				{"1.0.x~2", tag("1.0.0")},    // before 1.0.1 on the branch
				{tag("1.2.0"), tag("1.2.0")}, // detached at a lightweight tag
				{"main~1", tag("1.4.0")},
				{"main~2", tag("1.3.0")},
			} {
				g.Checkout(c.rev)
				got := mustLatest(t, g.Dir, format)
				if got != c.want {
					t.Errorf("at %s: %s, want %s", c.rev, got, c.want)
				}
				// Here the nearest tag is also the highest, so git
				// describe must agree.
				if d := g.Git("describe", "--tags", "--abbrev=0", "--match", tag("[0-9]*")); d != c.want {
					t.Errorf("at %s: git describe says %s", c.rev, d)
				}
			}
		})
	}
}

func TestLatestReleaseTagHighestNotNearest(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("a", nil)
	g.AnnotatedTag("2.0.0", "", "Tagging 2.0.0")
	g.Commit("b", nil)
	// An older version tagged later (a backport tag placed on main by
	// mistake): the highest version wins, not the nearest tag.
	g.LightweightTag("1.9.0", "")
	g.Commit("c", nil)
	if got := mustLatest(t, g.Dir, "{version}"); got != "2.0.0" {
		t.Errorf("got %s, want 2.0.0", got)
	}
	if d := g.Git("describe", "--tags", "--abbrev=0"); d != "1.9.0" {
		t.Fatalf("git describe finds the nearest, %s", d)
	}

	// A higher tag on a side branch that was merged is reachable.
	g.Git("checkout", "-q", "-b", "side")
	g.Commit("side", nil)
	g.AnnotatedTag("3.0.0", "", "Tagging 3.0.0")
	g.Checkout("main")
	g.Commit("d", nil)
	if got := mustLatest(t, g.Dir, "{version}"); got != "2.0.0" {
		t.Errorf("before the merge: %s", got)
	}
	g.Tick()
	g.Git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	if got := mustLatest(t, g.Dir, "{version}"); got != "3.0.0" {
		t.Errorf("after the merge: %s", got)
	}

	// Equal versions: the larger tag name, whatever the ref order.
	g.LightweightTag("3.0", "side")
	if got := mustLatest(t, g.Dir, "{version}"); got != "3.0.0" {
		t.Errorf("tie: %s", got)
	}

	// A tag of a tag peels to the commit; a tag of a tree is no release.
	g.Git("tag", "-a", "-m", "outer", "4.0.0", "3.0.0")
	if got := g.Git("cat-file", "-p", "4.0.0"); !strings.Contains(got, "type tag") {
		t.Fatalf("4.0.0 should tag a tag:\n%s", got)
	}
	g.Git("tag", "5.0.0", "HEAD^{tree}")
	r := open(t, g.Dir)
	rel, err := gitrepo.LatestReleaseTag(r, "{version}", pep, version.Compare)
	if err != nil || rel.Tag != "4.0.0" || rel.Commit != g.RevParse("3.0.0^{commit}") || rel.Version.Raw != "4.0.0" {
		t.Errorf("tag of a tag: %+v %v", rel, err)
	}
}

func TestLatestReleaseTagNone(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("a", nil)
	_, err := latest(t, g.Dir, "{version}")
	isErr(t, err, gitrepo.ErrNoReleaseTag)
	g.LightweightTag("latest", "")
	_, err = latest(t, g.Dir, "{version}")
	isErr(t, err, gitrepo.ErrNoReleaseTag)
	_, err = latest(t, g.Dir, "no-placeholder")
	if err == nil {
		t.Error("a tag format without {version} was accepted")
	}

	// A shallow clone cut below the last tag says why nothing was found.
	g.AnnotatedTag("1.0.0", "", "Tagging 1.0.0")
	g.Commit("b", nil)
	g.Commit("c", nil)
	clone := t.TempDir()
	gitenv.Git(t, g.Dir, "clone", "-q", "--depth", "1", "--no-single-branch", "file://"+g.Dir, clone)
	_, err = latest(t, clone, "{version}")
	isErr(t, err, gitrepo.ErrShallow)
	if !strings.Contains(err.Error(), "git fetch --unshallow --tags") {
		t.Errorf("error does not mention the shallow clone: %v", err)
	}
	// Deep enough, the tag is found even though history is cut.
	clone2 := t.TempDir()
	gitenv.Git(t, g.Dir, "clone", "-q", "--depth", "3", "file://"+g.Dir, clone2)
	if got := mustLatest(t, clone2, "{version}"); got != "1.0.0" {
		t.Errorf("shallow clone of depth 3: %s", got)
	}
}

func TestLatestReleaseTagGenerated(t *testing.T) {
	t.Parallel()
	spec := gitenv.Spec{Commits: 300, Tags: 150, MaintFrom: "2.0.0", MaintBranch: "2.0.x", MaintCommits: 8}
	for _, state := range []string{"loose", "packed", "gc"} {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			g := gitenv.MustGenerate(t, spec)
			switch state {
			case "packed":
				g.Git("pack-refs", "--all")
			case "gc":
				g.GC()
				if _, err := g.TryGit("rev-parse", "--git-path", "objects/info/commit-graph"); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range []struct{ rev, want string }{
				{"main", "2.49.0"},
				{"2.0.x", "2.0.4"},
				{"2.0.x~1", "2.0.3"},
				{"2.0.x~3", "2.0.2"},
				{"2.0.0~1", "1.49.0"},
			} {
				g.Checkout(c.rev)
				if got := mustLatest(t, g.Dir, "{version}"); got != c.want {
					t.Errorf("at %s: %s, want %s", c.rev, got, c.want)
				}
				if d := g.Git("describe", "--tags", "--abbrev=0"); d != c.want {
					t.Errorf("at %s: git describe says %s", c.rev, d)
				}
			}
		})
	}
}

func TestTagTarget(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	c := g.Commit("a", nil)
	g.AnnotatedTag("1.0.0", "", "Tagging 1.0.0")
	g.LightweightTag("light", "")
	for _, packed := range []bool{false, true} {
		if packed {
			g.GC()
		}
		r := open(t, g.Dir)
		for _, name := range []string{"1.0.0", "light"} {
			ok, err := r.TagExists(name)
			if err != nil || !ok {
				t.Errorf("TagExists(%s) = %v, %v", name, ok, err)
			}
			tag, err := r.TagTarget(name)
			if err != nil {
				t.Fatal(err)
			}
			want := gitrepo.Tag{Name: name, Object: g.RevParse("refs/tags/" + name), Commit: c, Annotated: name == "1.0.0"}
			if tag != want {
				t.Errorf("TagTarget(%s) = %+v, want %+v", name, tag, want)
			}
		}
		ok, err := r.TagExists("2.0.0")
		if err != nil || ok {
			t.Errorf("TagExists(2.0.0) = %v, %v", ok, err)
		}
		_, err = r.TagTarget("2.0.0")
		isErr(t, err, gitrepo.ErrTagNotFound)
	}
}

func TestCreateAnnotatedTag(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("a", nil)
	head := g.Commit("Preparing release 1.0.0", map[string]string{"VERSION": "1.0.0\n"})
	r := open(t, g.Dir)
	tag, err := r.CreateAnnotatedTag("1.0.0", "Tagging 1.0.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tag.Commit != head || !tag.Annotated || tag.Object != g.RevParse("refs/tags/1.0.0") {
		t.Errorf("tag %+v", tag)
	}
	if got := g.Git("cat-file", "-t", "1.0.0"); got != "tag" {
		t.Errorf("git cat-file -t 1.0.0 = %s", got)
	}
	if got := g.RevParse("1.0.0^{commit}"); got != head {
		t.Errorf("tag points at %s", got)
	}
	raw := g.Git("cat-file", "tag", "1.0.0")
	want := fmt.Sprintf("object %s\ntype commit\ntag 1.0.0\ntagger %s <%s> 1800000000 +0000\n\nTagging 1.0.0", head, gitenv.Name, gitenv.Email)
	if raw != want {
		t.Errorf("tag object:\n%s\nwant:\n%s", raw, want)
	}
	fsck(t, g)
	if d := g.Git("describe", "--exact-match"); d != "1.0.0" {
		t.Errorf("git describe --exact-match = %s", d)
	}

	// Never moved: a second run, or another commit, is refused.
	g.Commit("later", nil)
	r = open(t, g.Dir)
	_, err = r.CreateAnnotatedTag("1.0.0", "Tagging 1.0.0", nil)
	isErr(t, err, gitrepo.ErrTagExists)
	if got := g.RevParse("1.0.0^{commit}"); got != head {
		t.Errorf("the tag moved to %s", got)
	}
	if _, err := r.CreateAnnotatedTag("bad..name", "x", nil); err == nil {
		t.Error("an invalid tag name was accepted")
	}

	// A linked work tree tags its own HEAD, visible to the main repository.
	wt := g.AddWorktree("1.0.x")
	wt.Commit("fix", nil)
	if _, err := open(t, wt.Dir).CreateAnnotatedTag("1.0.1", "Tagging 1.0.1", nil); err != nil {
		t.Fatal(err)
	}
	if got := g.RevParse("1.0.1^{commit}"); got != wt.Head() {
		t.Errorf("1.0.1 points at %s, want the worktree's %s", got, wt.Head())
	}
	fsck(t, g)

	// No commit, no tag.
	empty := gitenv.New(t)
	_, err = open(t, empty.Dir).CreateAnnotatedTag("1.0.0", "x", nil)
	isErr(t, err, gitrepo.ErrNoCommits)
}
