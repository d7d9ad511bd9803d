package gitrepo_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

func TestOpenHead(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)

	// A branch without commits: no hash, no error.
	r := open(t, g.Dir)
	hash, branch, detached, err := r.Head()
	if err != nil || hash != "" || branch != "main" || detached {
		t.Errorf("unborn: %q %q %v %v", hash, branch, detached, err)
	}
	_, err = r.HeadTime()
	isErr(t, err, gitrepo.ErrNoCommits)

	c := g.Commit("one", map[string]string{"sub/dir/f.txt": "f\n"})
	g.Commit("two", nil)

	// Opened from a subdirectory, it finds the top, as git does.
	r = open(t, filepath.Join(g.Dir, "sub", "dir"))
	if r.Root() != g.Dir {
		t.Errorf("Root %s, want %s", r.Root(), g.Dir)
	}
	if r.GitDir() != filepath.Join(g.Dir, ".git") {
		t.Errorf("GitDir %s", r.GitDir())
	}
	hash, branch, detached, err = r.Head()
	if err != nil || hash != g.Head() || branch != "main" || detached {
		t.Errorf("main: %q %q %v %v", hash, branch, detached, err)
	}
	when, err := r.HeadTime()
	if err != nil {
		t.Fatal(err)
	}
	if want := g.Git("log", "-1", "--format=%ct"); strconv.FormatInt(when.Unix(), 10) != want {
		t.Errorf("HeadTime %d, git says %s", when.Unix(), want)
	}

	g.Checkout(c)
	hash, branch, detached, err = open(t, g.Dir).Head()
	if err != nil || hash != c || branch != "" || !detached {
		t.Errorf("detached: %q %q %v %v", hash, branch, detached, err)
	}

	_, err = gitrepo.Open(t.TempDir())
	isErr(t, err, gitrepo.ErrNotRepository)
}

func TestOpenLinkedWorktree(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("one", map[string]string{"VERSION": "1.0.0\n"})
	g.AnnotatedTag("1.0.0", "", "Tagging 1.0.0")
	wt := g.AddWorktree("1.0.x")
	wt.Commit("fix", map[string]string{"VERSION": "1.0.1.dev0\n"})
	g.GC() // objects and refs packed in the main repository only

	r := open(t, wt.Dir)
	if r.Root() != wt.Dir {
		t.Errorf("Root %s, want %s", r.Root(), wt.Dir)
	}
	if want := wt.Git("rev-parse", "--absolute-git-dir"); r.GitDir() != want {
		t.Errorf("GitDir %s, want %s", r.GitDir(), want)
	}
	hash, branch, _, err := r.Head()
	if err != nil || hash != wt.Head() || branch != "1.0.x" {
		t.Errorf("worktree HEAD %q %q %v", hash, branch, err)
	}
	// The main work tree keeps its own HEAD.
	if _, branch, _, _ := open(t, g.Dir).Head(); branch != "main" {
		t.Errorf("main work tree is on %q", branch)
	}
	if got := mustLatest(t, wt.Dir, "{version}"); got != "1.0.0" {
		t.Errorf("latest tag from the worktree: %s", got)
	}
	if paths := dirty(t, wt.Dir); len(paths) != 0 {
		t.Errorf("clean worktree reported dirty: %v", paths)
	}
	write(t, filepath.Join(wt.Dir, "VERSION"), "changed\n")
	if paths := dirty(t, wt.Dir); len(paths) != 1 || paths[0] != "VERSION" {
		t.Errorf("worktree dirty paths %v", paths)
	}
	if paths := dirty(t, g.Dir); len(paths) != 0 {
		t.Errorf("the main work tree sees the worktree's change: %v", paths)
	}
}

func TestIdent(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("one", nil)
	bare := func(env ...string) []string {
		// No GIT_* identity: only the repository's config speaks.
		out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		return append(out, env...)
	}
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name       string
		env        []string
		committer  bool
		wantName   string
		wantEmail  string
		wantWhen   string
		noConfig   bool
		wantFallbk bool
	}{
		{"config", bare(), false, gitenv.Name, gitenv.Email, "2030-01-02T03:04:05Z", false, false},
		{"env wins", bare("GIT_AUTHOR_NAME=Env Author", "GIT_AUTHOR_EMAIL=a@env", "GIT_AUTHOR_DATE=@1700000000 +0200"), false, "Env Author", "a@env", "2023-11-15T00:13:20+02:00", false, false},
		{"committer vars", bare("GIT_AUTHOR_NAME=A", "GIT_COMMITTER_NAME=C", "GIT_COMMITTER_DATE=2024-05-06T07:08:09Z"), true, "C", gitenv.Email, "2024-05-06T07:08:09Z", false, false},
		{"EMAIL", bare("EMAIL=mail@env"), false, "someone", "mail@env", "2030-01-02T03:04:05Z", true, false},
		{"fallback", bare("USER=rel"), false, "rel", "", "2030-01-02T03:04:05Z", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := g.Dir
			if c.noConfig {
				ng := gitenv.New(t)
				ng.Git("config", "--unset", "user.email")
				if c.name == "EMAIL" {
					ng.Git("config", "user.name", "someone")
				} else {
					ng.Git("config", "--unset", "user.name")
				}
				dir = ng.Dir
			}
			r, err := gitrepo.Open(dir, gitrepo.WithEnviron(c.env), gitrepo.WithClock(func() time.Time { return fixed }))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			sig, fb, err := r.Ident(c.committer)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Name != c.wantName || (c.wantEmail != "" && sig.Email != c.wantEmail) || fb != c.wantFallbk {
				t.Errorf("got %q <%s> fallback=%v", sig.Name, sig.Email, fb)
			}
			if c.wantFallbk && sig.Email == "" {
				t.Error("fallback has no email")
			}
			if got := sig.When.Format(time.RFC3339); got != c.wantWhen {
				t.Errorf("when %s, want %s", got, c.wantWhen)
			}
		})
	}
	r, _ := gitrepo.Open(g.Dir, gitrepo.WithEnviron(bare("GIT_AUTHOR_DATE=yesterday")))
	defer r.Close()
	if _, _, err := r.Ident(false); err == nil {
		t.Error("an unreadable GIT_AUTHOR_DATE was accepted")
	}
}
