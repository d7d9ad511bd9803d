package gitrepo_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	head, err := r.Head()
	if want := (gitrepo.Head{Branch: "main"}); err != nil || head != want {
		t.Errorf("unborn: %+v %v", head, err)
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
	head, err = r.Head()
	if want := (gitrepo.Head{Commit: g.Head(), Branch: "main"}); err != nil || head != want {
		t.Errorf("main: %+v %v", head, err)
	}
	when, err := r.HeadTime()
	if err != nil {
		t.Fatal(err)
	}
	if want := g.Git("log", "-1", "--format=%ct"); strconv.FormatInt(when.Unix(), 10) != want {
		t.Errorf("HeadTime %d, git says %s", when.Unix(), want)
	}

	g.Checkout(c)
	head, err = open(t, g.Dir).Head()
	if want := (gitrepo.Head{Commit: c, Detached: true}); err != nil || head != want {
		t.Errorf("detached: %+v %v", head, err)
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
	head, err := r.Head()
	if err != nil || head.Commit != wt.Head() || head.Branch != "1.0.x" {
		t.Errorf("worktree HEAD %+v %v", head, err)
	}
	// The main work tree keeps its own HEAD.
	if head, _ := open(t, g.Dir).Head(); head.Branch != "main" {
		t.Errorf("main work tree is on %q", head.Branch)
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
		out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1"}
		return append(out, env...)
	}
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name      string
		env       []string
		committer bool
		wantName  string
		wantEmail string
		wantWhen  string
		noConfig  bool
	}{
		{"config", bare(), false, gitenv.Name, gitenv.Email, "2030-01-02T03:04:05Z", false},
		{"env wins", bare("GIT_AUTHOR_NAME=Env Author", "GIT_AUTHOR_EMAIL=a@env", "GIT_AUTHOR_DATE=@1700000000 +0200"), false, "Env Author", "a@env", "2023-11-15T00:13:20+02:00", false},
		{"committer vars", bare("GIT_AUTHOR_NAME=A", "GIT_COMMITTER_NAME=C", "GIT_COMMITTER_DATE=2024-05-06T07:08:09Z"), true, "C", gitenv.Email, "2024-05-06T07:08:09Z", false},
		{"EMAIL", bare("EMAIL=mail@env"), false, "someone", "mail@env", "2030-01-02T03:04:05Z", true},
		{"env only", bare("USER=rel", "GIT_AUTHOR_NAME=Rel", "GIT_AUTHOR_EMAIL=rel@env"), false, "Rel", "rel@env", "2030-01-02T03:04:05Z", true},
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
			sig, err := r.Ident(c.committer)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Name != c.wantName || sig.Email != c.wantEmail {
				t.Errorf("got %q <%s>", sig.Name, sig.Email)
			}
			if got := sig.When.Format(time.RFC3339); got != c.wantWhen {
				t.Errorf("when %s, want %s", got, c.wantWhen)
			}
		})
	}
	r, _ := gitrepo.Open(g.Dir, gitrepo.WithEnviron(bare("GIT_AUTHOR_DATE=yesterday")))
	defer r.Close()
	if _, err := r.Ident(false); err == nil {
		t.Error("an unreadable GIT_AUTHOR_DATE was accepted")
	}
}

// TestNoIdentity: with no name or no email anywhere, dist refuses as git
// does, before writing a commit or a tag, and says how to set one.
func TestNoIdentity(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("one", map[string]string{"VERSION": "1\n"})
	g.Git("config", "--unset", "user.name")
	g.Git("config", "--unset", "user.email")
	home := t.TempDir()
	// Neither the repository, the user's config (HOME, XDG), the system's
	// nor the environment has an identity; USER and a host name do not
	// count.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "xdg"), "GIT_CONFIG_NOSYSTEM=1", "USER=rel", "LC_ALL=C"}
	r, err := gitrepo.Open(g.Dir, gitrepo.WithEnviron(env))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before := g.Head()

	err = r.CheckIdentity()
	isErr(t, err, gitrepo.ErrNoIdentity)
	var ie *gitrepo.IdentityError
	if !errors.As(err, &ie) || ie.Role != "author" || strings.Join(ie.Missing, ",") != "name,email" {
		t.Errorf("IdentityError %+v", ie)
	}
	for _, want := range []string{"Please tell me who you are", `git config --global user.email "you@example.com"`, `git config --global user.name "Your Name"`, "GIT_AUTHOR_NAME"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	g.Write("VERSION", "2\n")
	_, err = r.Commit("Preparing release 2", []string{"VERSION"})
	isErr(t, err, gitrepo.ErrNoIdentity)
	_, err = r.CreateAnnotatedTag("1.0.0", "Tagging 1.0.0", nil)
	isErr(t, err, gitrepo.ErrNoIdentity)
	if g.Head() != before {
		t.Error("a commit was made without an identity")
	}
	if out := g.Git("tag"); out != "" {
		t.Errorf("a tag was made without an identity: %s", out)
	}
	// git, told not to guess an address from the host name (a guess it
	// refuses itself on most machines), refuses the same setup.
	if out, err := gitenv.Run(g.Dir, env, nil, "-c", "user.useConfigOnly=true", "commit", "-qam", "x"); err == nil {
		t.Errorf("git committed without an identity: %s", out)
	}

	// Only the email missing: still refused, and the committer (a tag's
	// tagger) is checked too.
	r2, _ := gitrepo.Open(g.Dir, gitrepo.WithEnviron(append(env, "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=C")))
	defer r2.Close()
	err = r2.CheckIdentity()
	if !errors.As(err, &ie) || ie.Role != "committer" || strings.Join(ie.Missing, ",") != "email" {
		t.Errorf("committer without email: %v", err)
	}
	// The user's global config is enough, as for git.
	write(t, filepath.Join(home, ".gitconfig"), "[user]\n\tname = Global User\n\temail = global@example.org\n")
	r3, _ := gitrepo.Open(g.Dir, gitrepo.WithEnviron(env))
	defer r3.Close()
	if err := r3.CheckIdentity(); err != nil {
		t.Fatal(err)
	}
	if sig, _ := r3.Ident(true); sig.Name != "Global User" || sig.Email != "global@example.org" {
		t.Errorf("global identity %q <%s>", sig.Name, sig.Email)
	}
}

// TestPathOf: a path under dist.yaml's directory as git names it from the
// root, through a symlinked directory too; one outside stays as given.
func TestPathOf(t *testing.T) {
	root := t.TempDir()
	if err := exec.Command("git", "init", "-q", root).Run(); err != nil {
		t.Skip("git:", err)
	}
	sub := filepath.Join(root, "dist")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(sub, link); err != nil {
		t.Fatal(err)
	}
	r, err := gitrepo.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range []struct{ dir, rel, want string }{
		{root, "VERSION", "VERSION"},
		{sub, "lockfiles/default.txt", "dist/lockfiles/default.txt"},
		{link, "VERSION", "dist/VERSION"},
		{t.TempDir(), "VERSION", "VERSION"},
	} {
		if got := r.PathOf(c.dir, c.rel); got != c.want {
			t.Errorf("PathOf(%s, %s) = %s, want %s", c.dir, c.rel, got, c.want)
		}
	}
}
