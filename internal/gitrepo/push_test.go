package gitrepo_test

import (
	"context"
	"net"
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
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
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
	srv := httptest.NewServer(gitHTTPHandler(t, root, user, password))
	t.Cleanup(srv.Close)
	return srv.URL
}

// gitHTTPHandler serves the repositories under root with git-http-backend
// to a client that sends user and password (basic auth).
func gitHTTPHandler(t *testing.T, root, user, password string) http.Handler {
	t.Helper()
	execPath, err := gitenv.Run(root, gitenv.Env(), nil, "--exec-path")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=" + user, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	})
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
	t.Run("host token stays with its host", func(t *testing.T) {
		t.Parallel()
		g, _ := newRepo(t, "")
		r := open(t, g.Dir)
		gh := gitrepo.Auth{HostToken: gitrepo.HostToken{Host: "github.com", Token: secret, From: "GITHUB_TOKEN"}}
		err := r.Push(ctx, "origin", branch(t), gh)
		if err == nil {
			t.Fatal("a github.com token was sent to another host")
		}
		isErr(t, err, transport.ErrAuthenticationRequired)
		if strings.Contains(err.Error(), "GITHUB_TOKEN") {
			t.Errorf("another host's error names the GitHub token: %v", err)
		}
		local := gitrepo.Auth{HostToken: gitrepo.HostToken{Host: "127.0.0.1", Token: secret}}
		if err := r.Push(ctx, "origin", branch(t), local); err != nil {
			t.Errorf("the token for the remote's host was not sent: %v", err)
		}
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

// TestPushGitHubToken: the GitHub token a caller passes is what a push to
// github.com sends, and GITHUB_TOKEN in the environment is never read by
// the library (the command line reads it, or github.token_env's
// variable). github.com is served locally: go-git's https transport is
// pointed at a local TLS server for this test, which therefore does not
// run in parallel with others.
func TestPushGitHubToken(t *testing.T) {
	ctx := context.Background()
	const secret = "ghp_passed-in-token"
	root := t.TempDir()
	gitenv.Git(t, root, "init", "-q", "--bare", "-b", "main", "repo.git")
	srv := httptest.NewTLSServer(gitHTTPHandler(t, root, "x-access-token", secret))
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.InsecureSkipVerify = true // the test certificate does not name github.com
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	client.InstallProtocol("https", githttp.NewClient(&http.Client{Transport: tr}))
	t.Cleanup(func() { client.InstallProtocol("https", githttp.DefaultClient) })

	g := gitenv.New(t)
	g.Commit("a", map[string]string{"f": "a"})
	g.Git("remote", "add", "origin", "https://github.com/repo.git")
	r := open(t, g.Dir, "GITHUB_TOKEN="+secret)

	err := r.Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{HostToken: gitrepo.HostToken{Host: "github.com", From: "RELEASE_TOKEN"}})
	if err == nil {
		t.Fatal("GITHUB_TOKEN was read from the environment")
	}
	isErr(t, err, transport.ErrAuthenticationRequired)
	if !strings.Contains(err.Error(), "set RELEASE_TOKEN to a token") {
		t.Errorf("the error does not name the variable the token is read from: %v", err)
	}
	gh := gitrepo.Auth{HostToken: gitrepo.HostToken{Host: "github.com", Token: secret, From: "RELEASE_TOKEN"}}
	if err := r.Push(ctx, "origin", []string{"refs/heads/main"}, gh); err != nil {
		t.Fatalf("the token passed in was not sent: %v", err)
	}
	if got := gitenv.Git(t, root, "--git-dir=repo.git", "rev-parse", "main"); got != g.Head() {
		t.Errorf("remote main %s, want %s", got, g.Head())
	}
}
