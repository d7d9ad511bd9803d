package gitrepo_test

import (
	"context"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

func TestPushBareRemote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitenv.New(t)
	bare := g.BareRemote("origin")
	g.Commit("Preparing release 1.0.0", map[string]string{"VERSION": "1.0.0\n"})
	r := open(t, g.Dir)
	tag, err := r.CreateAnnotatedTag("1.0.0", "Tagging 1.0.0", nil)
	if err != nil {
		t.Fatal(err)
	}

	_, ok, err := r.RemoteHasRef(ctx, "origin", "refs/tags/1.0.0", gitrepo.Auth{})
	if err != nil || ok {
		t.Fatalf("empty remote: %v %v", ok, err)
	}
	specs := []string{"refs/heads/main", "refs/tags/1.0.0:refs/tags/1.0.0"}
	if err := r.Push(ctx, "origin", specs, gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	if got := g.GitIn(bare, "rev-parse", "refs/tags/1.0.0"); got != tag.Object {
		t.Errorf("remote tag %s, want the tag object %s", got, tag.Object)
	}
	if got := g.GitIn(bare, "cat-file", "-t", "refs/tags/1.0.0"); got != "tag" {
		t.Errorf("remote tag is a %s", got)
	}
	if got := g.GitIn(bare, "rev-parse", "refs/heads/main"); got != g.Head() {
		t.Errorf("remote main %s", got)
	}
	if out, err := gitenv.Run(bare, gitenv.Env(), nil, "fsck", "--strict"); err != nil {
		t.Errorf("fsck of the remote: %v %s", err, out)
	}
	hash, ok, err := r.RemoteHasRef(ctx, "origin", "refs/tags/1.0.0", gitrepo.Auth{})
	if err != nil || !ok || hash != tag.Object {
		t.Errorf("RemoteHasRef: %s %v %v", hash, ok, err)
	}
	refs, err := r.RemoteRefs(ctx, "origin", gitrepo.Auth{})
	if err != nil || refs["refs/tags/1.0.0^{}"] != tag.Commit || refs["refs/heads/main"] != tag.Commit {
		t.Errorf("RemoteRefs: %v %v", refs, err)
	}

	// A re-run finds everything pushed: success, nothing changes.
	if err := r.Push(ctx, "origin", specs, gitrepo.Auth{}); err != nil {
		t.Errorf("re-push: %v", err)
	}
	// Half done (the tag pushed, the branch not): the re-run pushes the rest.
	g.Commit("Back to development: 1.0.1", map[string]string{"VERSION": "1.0.1.dev0\n"})
	if err := open(t, g.Dir).Push(ctx, "origin", specs, gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	if got := g.GitIn(bare, "rev-parse", "refs/heads/main"); got != g.Head() {
		t.Errorf("remote main %s after the second push", got)
	}

	// Someone else pushed meanwhile: rejected, never forced.
	other := gitenv.New(t)
	other.Git("remote", "add", "origin", bare)
	other.Git("fetch", "-q", "origin")
	other.Git("reset", "-q", "--hard", "origin/main")
	other.Commit("theirs", nil)
	other.Git("push", "-q", "origin", "main")
	g.Commit("ours", nil)
	r = open(t, g.Dir)
	if err := r.Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{}); err == nil {
		t.Error("a non-fast-forward push succeeded")
	}
	if err := r.Push(ctx, "origin", []string{"+refs/heads/main:refs/heads/main"}, gitrepo.Auth{}); err == nil {
		t.Error("a forced refspec was accepted")
	}
	if got := g.GitIn(bare, "rev-parse", "refs/heads/main"); got != other.Head() {
		t.Error("the remote branch was overwritten")
	}

	// A path or URL works without a configured remote; an unknown name
	// does not.
	bare2 := t.TempDir()
	gitenv.Git(t, bare2, "init", "-q", "--bare")
	if err := r.Push(ctx, bare2, []string{"refs/tags/1.0.0"}, gitrepo.Auth{}); err != nil {
		t.Errorf("push to a path: %v", err)
	}
	if err := r.Push(ctx, "upstream", []string{"refs/heads/main"}, gitrepo.Auth{}); err == nil {
		t.Error("push to an unknown remote name succeeded")
	}
	if err := r.Push(ctx, "origin", nil, gitrepo.Auth{}); err == nil {
		t.Error("push without refspecs succeeded")
	}
}

func TestPushSSHNeedsAKey(t *testing.T) {
	t.Parallel()
	g := gitenv.New(t)
	g.Commit("a", nil)
	g.Git("remote", "add", "origin", "git@example.invalid:org/repo.git")
	// No agent and no key file: refused before any connection.
	err := open(t, g.Dir, "HOME="+t.TempDir()).Push(context.Background(), "origin", []string{"refs/heads/main"}, gitrepo.Auth{})
	if err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") || !strings.Contains(err.Error(), "id_ed25519") || !strings.Contains(err.Error(), "remote origin (git@example.invalid:org/repo.git)") {
		t.Errorf("ssh without an agent: %v", err)
	}
}

// gitHTTP serves the bare repositories under root over smart HTTP with
// git http-backend, behind basic authentication for user and password.
func gitHTTP(t *testing.T, root, user, password string) string {
	t.Helper()
	execPath, err := gitenv.Run(root, gitenv.Env(), nil, "--exec-path")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=" + user, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPushHTTPCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const secret = "s3cret-Pa55word"
	root := t.TempDir()
	gitenv.Git(t, root, "init", "-q", "--bare", "-b", "main", "repo.git")
	base := gitHTTP(t, root, "x-access-token", secret)
	url := base + "/repo.git"

	var mu sync.Mutex
	newRepo := func(t *testing.T, helperPassword string) (*gitenv.Repo, string) {
		mu.Lock()
		defer mu.Unlock()
		g := gitenv.New(t)
		g.Commit("a", map[string]string{"f": t.Name()})
		g.Git("remote", "add", "origin", url)
		log := filepath.Join(t.TempDir(), "helper.log")
		if helperPassword != "" {
			// A credential helper that answers "get" and logs every call,
			// so the test sees store (approve) and erase (reject).
			helper := `!f() { echo "$1" >> '` + log + `'; if [ "$1" = get ]; then echo username=x-access-token; echo password=` + helperPassword + `; fi; }; f`
			g.Git("config", "credential.helper", helper)
		}
		return g, log
	}
	branch := func(t *testing.T) []string {
		name := "refs/heads/" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
		return []string{"refs/heads/main:" + name}
	}
	noSecret := func(t *testing.T, err error, secrets ...string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
	}

	t.Run("credential helper", func(t *testing.T) {
		t.Parallel()
		g, log := newRepo(t, secret)
		if err := open(t, g.Dir).Push(ctx, "origin", branch(t), gitrepo.Auth{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(log); string(got) != "get\nstore\n" {
			t.Errorf("helper calls: %q", got)
		}
		refs, err := open(t, g.Dir).RemoteRefs(ctx, "origin", gitrepo.Auth{})
		if err != nil || refs[branch(t)[0][len("refs/heads/main:"):]] != g.Head() {
			t.Errorf("RemoteRefs over HTTP: %v %v", refs, err)
		}
	})
	t.Run("credential helper wrong password", func(t *testing.T) {
		t.Parallel()
		g, log := newRepo(t, "wrong-"+secret)
		err := open(t, g.Dir).Push(ctx, "origin", branch(t), gitrepo.Auth{})
		if err == nil {
			t.Fatal("push with a wrong password succeeded")
		}
		isErr(t, err, transport.ErrAuthenticationRequired)
		noSecret(t, err, "wrong-"+secret)
		if got, _ := os.ReadFile(log); string(got) != "get\nerase\n" {
			t.Errorf("helper calls: %q", got)
		}
	})
	t.Run("token", func(t *testing.T) {
		t.Parallel()
		g, _ := newRepo(t, "")
		if err := open(t, g.Dir).Push(ctx, "origin", branch(t), gitrepo.Auth{Token: secret}); err != nil {
			t.Fatal(err)
		}
		err := open(t, g.Dir).Push(ctx, "origin", []string{"refs/heads/main:refs/heads/other"}, gitrepo.Auth{Token: "bad-token-123"})
		if err == nil {
			t.Fatal("a bad token was accepted")
		}
		noSecret(t, err, "bad-token-123")
	})
	t.Run("GITHUB_TOKEN stays with github.com", func(t *testing.T) {
		t.Parallel()
		g, _ := newRepo(t, "")
		r := open(t, g.Dir, "GITHUB_TOKEN="+secret)
		err := r.Push(ctx, "origin", branch(t), gitrepo.Auth{})
		if err == nil {
			t.Fatal("GITHUB_TOKEN was sent to a host that is not github.com")
		}
		isErr(t, err, transport.ErrAuthenticationRequired)
	})
	t.Run("password in the URL", func(t *testing.T) {
		t.Parallel()
		g, _ := newRepo(t, "")
		withPass := strings.Replace(url, "http://", "http://x-access-token:"+secret+"@", 1)
		if err := open(t, g.Dir).Push(ctx, withPass, branch(t), gitrepo.Auth{}); err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(url, "http://", "http://x-access-token:Wr0ngPass@", 1) + "-missing"
		err := open(t, g.Dir).Push(ctx, bad, branch(t), gitrepo.Auth{})
		if err == nil {
			t.Fatal("push to a missing repository succeeded")
		}
		noSecret(t, err, "Wr0ngPass")
	})
}
