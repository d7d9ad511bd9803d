package gitrepo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

// TestPushURL: pushes (and CheckPush) go where git push sends them:
// remote.NAME.pushurl over url, url.BASE.pushInsteadOf and insteadOf,
// from the repository's and the user's config; git remote get-url --push
// is the oracle.
func TestPushURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitenv.New(t)
	g.Commit("Preparing release 1.0.0", map[string]string{"VERSION": "1.0.0\n"})
	fetchRepo := g.BareRemote("origin")
	pushRepo := filepath.Join(t.TempDir(), "push.git")
	gitenv.Git(t, t.TempDir(), "init", "-q", "--bare", "-b", "main", pushRepo)
	g.Git("remote", "set-url", "--push", "origin", pushRepo)

	pushURLs := func(t *testing.T, env []string, remote string) []string {
		t.Helper()
		out, err := gitenv.Run(g.Dir, append(gitenv.Env(), env...), nil, "remote", "get-url", "--push", "--all", remote)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(out, "\n")
	}
	r := open(t, g.Dir)
	if got, err := r.PushURLs("origin"); err != nil || !slices.Equal(got, pushURLs(t, nil, "origin")) || got[0] != pushRepo {
		t.Errorf("PushURLs %v %v, git says %v", got, err, pushURLs(t, nil, "origin"))
	}
	if err := r.CheckPush(ctx, "origin", gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	if got := g.GitIn(pushRepo, "rev-parse", "refs/heads/main"); got != g.Head() {
		t.Errorf("the push URL's main is %s", got)
	}
	if out, err := gitenv.Run(fetchRepo, gitenv.Env(), nil, "rev-parse", "-q", "--verify", "refs/heads/main"); err == nil {
		t.Errorf("the fetch URL got the push: %s", out)
	}
	// What was pushed is read back from where it went.
	if h, ok, err := r.RemoteHasRef(ctx, "origin", "refs/heads/main", gitrepo.Auth{}); err != nil || !ok || h != g.Head() {
		t.Errorf("RemoteHasRef: %s %v %v", h, ok, err)
	}
	// The remote-tracking ref follows, as with git push.
	if got := g.RevParse("refs/remotes/origin/main"); got != g.Head() {
		t.Errorf("origin/main is %s", got)
	}

	// Two push URLs: both get the refs.
	second := filepath.Join(t.TempDir(), "second.git")
	gitenv.Git(t, t.TempDir(), "init", "-q", "--bare", "-b", "main", second)
	g.Git("remote", "set-url", "--add", "--push", "origin", second)
	g.Commit("two", nil)
	if err := open(t, g.Dir).Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{pushRepo, second} {
		if got := g.GitIn(d, "rev-parse", "refs/heads/main"); got != g.Head() {
			t.Errorf("%s: main is %s", d, got)
		}
	}

	// insteadOf and pushInsteadOf, some in the user's global config.
	base := t.TempDir()
	for _, n := range []string{"fetched.git", "pushed.git"} {
		gitenv.Git(t, base, "init", "-q", "--bare", "-b", "main", n)
	}
	global := filepath.Join(t.TempDir(), "gitconfig")
	write(t, global, fmt.Sprintf("[url %q]\n\tinsteadOf = corp:\n[url %q]\n\tpushInsteadOf = corp:fetched\n", base+"/", base+"/pushed"))
	env := []string{"GIT_CONFIG_GLOBAL=" + global}
	g.Git("remote", "add", "corp", "corp:fetched.git")
	want := pushURLs(t, env, "corp")
	if !slices.Equal(want, []string{base + "/pushed.git"}) {
		t.Fatalf("git's push URL for corp: %v", want)
	}
	rc := open(t, g.Dir, env...)
	if got, err := rc.PushURLs("corp"); err != nil || !slices.Equal(got, want) {
		t.Errorf("PushURLs(corp) %v %v, want %v", got, err, want)
	}
	if err := rc.Push(ctx, "corp", []string{"refs/heads/main"}, gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	if got := g.GitIn(filepath.Join(base, "pushed.git"), "rev-parse", "refs/heads/main"); got != g.Head() {
		t.Errorf("pushInsteadOf target: %s", got)
	}
	// Without the user's config, corp: means nothing: the error names
	// the remote and the URL.
	err := open(t, g.Dir).CheckPush(ctx, "corp", gitrepo.Auth{})
	if err == nil || !strings.Contains(err.Error(), "remote corp (corp:fetched.git)") {
		t.Errorf("unrewritten corp: %v", err)
	}
}

// TestNoRemote: a repository with no remote is told apart from a remote
// name that is wrong.
func TestNoRemote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gitenv.New(t)
	g.Commit("a", nil)
	r := open(t, g.Dir)
	if names, err := r.Remotes(); err != nil || len(names) != 0 {
		t.Errorf("Remotes: %v %v", names, err)
	}
	isErr(t, r.Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{}), gitrepo.ErrNoRemotes)
	isErr(t, r.Push(ctx, "", []string{"refs/heads/main"}, gitrepo.Auth{}), gitrepo.ErrNoRemotes)
	isErr(t, r.CheckPush(ctx, "origin", gitrepo.Auth{}), gitrepo.ErrNoRemotes)
	_, err := r.RemoteRefs(ctx, "origin", gitrepo.Auth{})
	isErr(t, err, gitrepo.ErrNoRemotes)

	g.BareRemote("fork")
	g.BareRemote("upstream")
	r = open(t, g.Dir)
	if names, err := r.Remotes(); err != nil || !slices.Equal(names, []string{"fork", "upstream"}) {
		t.Errorf("Remotes: %v %v", names, err)
	}
	err = r.Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{})
	isErr(t, err, gitrepo.ErrUnknownRemote)
	if errors.Is(err, gitrepo.ErrNoRemotes) || !strings.Contains(err.Error(), `no remote named "origin" (remotes: fork, upstream)`) {
		t.Errorf("unknown remote: %v", err)
	}
	isErr(t, r.CheckPush(ctx, "origin", gitrepo.Auth{}), gitrepo.ErrUnknownRemote)
	if err := r.CheckPush(ctx, "fork", gitrepo.Auth{}); err != nil {
		t.Error(err)
	}
}

// TestCheckPushHTTP: CheckPush authenticates as the push would, sends
// nothing, and says what to do when the credentials are missing or wrong.
func TestCheckPushHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const secret = "s3cret-Ch3ck"
	root := t.TempDir()
	gitenv.Git(t, root, "init", "-q", "--bare", "-b", "main", "repo.git")
	url := gitHTTP(t, root, "x-access-token", secret) + "/repo.git"
	g := gitenv.New(t)
	g.Commit("a", nil)
	g.Git("remote", "add", "origin", url)
	noSecret := func(err error, secrets ...string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
	}

	err := open(t, g.Dir).CheckPush(ctx, "origin", gitrepo.Auth{})
	isErr(t, err, transport.ErrAuthenticationRequired)
	t.Log(err)
	for _, want := range []string{"cannot push to remote origin (" + url + ")", "no credentials for 127.0.0.1", "credential helper"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no credentials: %q not in %v", want, err)
		}
	}
	err = open(t, g.Dir).CheckPush(ctx, "origin", gitrepo.Auth{Token: "wr0ng-t0ken"})
	isErr(t, err, transport.ErrAuthenticationRequired)
	noSecret(err, "wr0ng-t0ken")
	if !strings.Contains(err.Error(), "refused the credentials (from the token given)") {
		t.Errorf("wrong token: %v", err)
	}
	// A password written in the URL is redacted.
	withPass := strings.Replace(url, "http://", "http://x-access-token:Wr0ngPa55@", 1)
	g.Git("remote", "add", "inline", withPass)
	err = open(t, g.Dir).CheckPush(ctx, "inline", gitrepo.Auth{})
	isErr(t, err, transport.ErrAuthenticationRequired)
	noSecret(err, "Wr0ngPa55")
	if !strings.Contains(err.Error(), "x-access-token:***@") {
		t.Errorf("the URL is not shown redacted: %v", err)
	}

	// The credential helper's answer is checked and reported.
	log := filepath.Join(t.TempDir(), "helper.log")
	g.Git("config", "credential.helper", `!f() { echo "$1" >> '`+log+`'; if [ "$1" = get ]; then echo username=x-access-token; echo password=`+secret+`; fi; }; f`)
	if err := open(t, g.Dir).CheckPush(ctx, "origin", gitrepo.Auth{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(log); string(got) != "get\nstore\n" {
		t.Errorf("helper calls: %q", got)
	}
	if out := g.GitIn(filepath.Join(root, "repo.git"), "for-each-ref"); out != "" {
		t.Errorf("CheckPush changed the remote: %s", out)
	}
}

// sshSetup is a home directory with an ssh config for a test server.
type sshSetup struct {
	t    *testing.T
	srv  *gitenv.SSHServer
	home string
	g    *gitenv.Repo
	bare string
	env  []string
}

func newSSHSetup(t *testing.T) *sshSetup {
	t.Helper()
	s := &sshSetup{t: t, srv: gitenv.StartSSH(t), home: t.TempDir()}
	s.bare = s.srv.Bare("repo.git")
	s.g = gitenv.New(t)
	s.g.Commit("Preparing release 1.0.0", map[string]string{"VERSION": "1.0.0\n"})
	s.env = []string{"HOME=" + s.home, "USER=localuser"}
	return s
}

func (s *sshSetup) knownHosts() {
	write(s.t, filepath.Join(s.home, ".ssh", "known_hosts"), s.srv.KnownHostsLine()+"\n")
}

func (s *sshSetup) config(cfg string) {
	write(s.t, filepath.Join(s.home, ".ssh", "config"), fmt.Sprintf(cfg, s.srv.Port))
}

func (s *sshSetup) open(extraEnv ...string) *gitrepo.Repo {
	r := open(s.t, s.g.Dir, append(append([]string(nil), s.env...), extraEnv...)...)
	gitrepo.SetSSHSystemDir(r, s.t.TempDir())
	return r
}

// TestSSH pushes to a real SSH server (git-receive-pack behind
// golang.org/x/crypto/ssh) with the keys and settings git push would use.
func TestSSH(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	push := func(t *testing.T, r *gitrepo.Repo, remote string) error {
		if err := r.CheckPush(ctx, remote, gitrepo.Auth{}); err != nil {
			return err
		}
		return r.Push(ctx, remote, []string{"refs/heads/main"}, gitrepo.Auth{})
	}
	fingerprint := func(k *gitenv.SSHKey) string { return ssh.FingerprintSHA256(k.Public) }

	t.Run("ssh config alias and key file", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		key := gitenv.NewSSHKey(t)
		key.WriteFiles(t, filepath.Join(s.home, ".ssh", "release_key"), "")
		s.srv.Authorize("alice", key.Public)
		s.knownHosts()
		s.config("Host gitserver\n  HostName 127.0.0.1\n  Port %d\n  User alice\n  IdentityFile ~/.ssh/release_key\n")
		s.g.Git("remote", "add", "origin", "gitserver:repo.git")
		r := s.open()
		if err := push(t, r, "origin"); err != nil {
			t.Fatal(err)
		}
		if got := s.g.GitIn(s.bare, "rev-parse", "refs/heads/main"); got != s.g.Head() {
			t.Errorf("remote main %s", got)
		}
		if out, err := gitenv.Run(s.bare, gitenv.Env(), nil, "fsck", "--strict"); err != nil {
			t.Errorf("fsck: %v %s", err, out)
		}
		refs, err := r.RemoteRefs(ctx, "origin", gitrepo.Auth{})
		if err != nil || refs["refs/heads/main"] != s.g.Head() {
			t.Errorf("RemoteRefs over ssh: %v %v", refs, err)
		}
		for _, l := range s.srv.Logins() {
			if l != "alice "+fingerprint(key) {
				t.Errorf("login %s", l)
			}
		}
	})

	t.Run("default key file, ssh URL", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		key := gitenv.NewSSHKey(t)
		key.WriteFiles(t, filepath.Join(s.home, ".ssh", "id_ed25519"), "")
		s.srv.Authorize("git", key.Public)
		s.knownHosts()
		s.g.Git("remote", "add", "origin", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.srv.Port, s.bare))
		if err := push(t, s.open(), "origin"); err != nil {
			t.Fatal(err)
		}
		if got := s.g.GitIn(s.bare, "rev-parse", "refs/heads/main"); got != s.g.Head() {
			t.Errorf("remote main %s", got)
		}
	})

	t.Run("agent", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		other, key := gitenv.NewSSHKey(t), gitenv.NewSSHKey(t)
		sock := gitenv.StartAgent(t, other, key)
		s.srv.Authorize("git", key.Public)
		s.knownHosts()
		s.g.Git("remote", "add", "origin", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.srv.Port, s.bare))
		if err := push(t, s.open("SSH_AUTH_SOCK="+sock), "origin"); err != nil {
			t.Fatal(err)
		}
		if got := s.g.GitIn(s.bare, "rev-parse", "refs/heads/main"); got != s.g.Head() {
			t.Errorf("remote main %s", got)
		}
	})

	t.Run("IdentitiesOnly leaves the agent's other keys out", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		inAgent, inFile := gitenv.NewSSHKey(t), gitenv.NewSSHKey(t)
		sock := gitenv.StartAgent(t, inAgent)
		inFile.WriteFiles(t, filepath.Join(s.home, ".ssh", "deploy"), "")
		s.srv.Authorize("git", inAgent.Public) // only the agent's key would work
		s.knownHosts()
		s.config("Host deploy\n  HostName 127.0.0.1\n  Port %d\n  User git\n  IdentityFile ~/.ssh/deploy\n  IdentitiesOnly yes\n")
		s.g.Git("remote", "add", "origin", "deploy:repo.git")
		err := s.open("SSH_AUTH_SOCK="+sock).CheckPush(ctx, "origin", gitrepo.Auth{})
		isErr(t, err, transport.ErrAuthenticationRequired)
		// Without IdentitiesOnly the agent's key is offered first.
		s.config("Host deploy\n  HostName 127.0.0.1\n  Port %d\n  User git\n  IdentityFile ~/.ssh/deploy\n")
		if err := s.open("SSH_AUTH_SOCK="+sock).CheckPush(ctx, "origin", gitrepo.Auth{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refused key", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		key := gitenv.NewSSHKey(t)
		key.WriteFiles(t, filepath.Join(s.home, ".ssh", "id_ed25519"), "")
		s.srv.Authorize("git", gitenv.NewSSHKey(t).Public)
		s.knownHosts()
		url := fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.srv.Port, s.bare)
		s.g.Git("remote", "add", "origin", url)
		r := s.open()
		err := r.CheckPush(ctx, "origin", gitrepo.Auth{})
		isErr(t, err, transport.ErrAuthenticationRequired)
		t.Log(err)
		for _, want := range []string{"cannot push to remote origin (" + url + ")", "refused every key offered as user git", filepath.Join(s.home, ".ssh", "id_ed25519"), "registered with the server"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q not in %v", want, err)
			}
		}
		err = r.Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{})
		isErr(t, err, transport.ErrAuthenticationRequired)
		if !strings.HasPrefix(err.Error(), "push to remote origin") {
			t.Errorf("push error: %v", err)
		}
	})

	t.Run("host key", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		key := gitenv.NewSSHKey(t)
		key.WriteFiles(t, filepath.Join(s.home, ".ssh", "id_ed25519"), "")
		s.srv.Authorize("git", key.Public)
		s.g.Git("remote", "add", "origin", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.srv.Port, s.bare))
		// Unknown: refused, never asked about.
		err := s.open().CheckPush(ctx, "origin", gitrepo.Auth{})
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "is not known") || !strings.Contains(err.Error(), fmt.Sprintf("ssh-keyscan -p %d 127.0.0.1", s.srv.Port)) {
			t.Errorf("unknown host key: %v", err)
		}
		if len(s.srv.Logins()) != 0 {
			t.Error("logged in to an unknown host")
		}
		// Changed: refused, with the file and line.
		other := gitenv.NewSSHKey(t)
		write(t, filepath.Join(s.home, ".ssh", "known_hosts"), fmt.Sprintf("[127.0.0.1]:%d %s", s.srv.Port, ssh.MarshalAuthorizedKey(other.Public)))
		err = s.open().CheckPush(ctx, "origin", gitrepo.Auth{})
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "differs from the one in known_hosts") || !strings.Contains(err.Error(), "known_hosts:1") {
			t.Errorf("changed host key: %v", err)
		}
		// StrictHostKeyChecking accept-new takes an unknown key, not a
		// changed one.
		s.config("Host 127.0.0.1\n  StrictHostKeyChecking accept-new\n# %d\n")
		if err := s.open().CheckPush(ctx, "origin", gitrepo.Auth{}); err == nil {
			t.Error("accept-new took a changed key")
		}
		os.Remove(filepath.Join(s.home, ".ssh", "known_hosts"))
		if err := s.open().CheckPush(ctx, "origin", gitrepo.Auth{}); err != nil {
			t.Errorf("accept-new: %v", err)
		}
	})

	t.Run("no usable key", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		key := gitenv.NewSSHKey(t)
		key.WriteFiles(t, filepath.Join(s.home, ".ssh", "id_ed25519"), "passphrase")
		s.srv.Authorize("git", key.Public)
		s.knownHosts()
		s.g.Git("remote", "add", "origin", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.srv.Port, s.bare))
		err := s.open().CheckPush(ctx, "origin", gitrepo.Auth{})
		t.Log(err)
		for _, want := range []string{"SSH_AUTH_SOCK is unset", "passphrase-protected", "ssh-add ~/.ssh/id_ed25519", "looked for ~/.ssh/id_rsa, ~/.ssh/id_ecdsa"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q not in %v", want, err)
			}
		}
		if len(s.srv.Logins()) != 0 {
			t.Error("connected anyway")
		}
		// The same key in the agent works, and the file is not needed.
		sock := gitenv.StartAgent(t, key)
		if err := s.open("SSH_AUTH_SOCK="+sock).CheckPush(ctx, "origin", gitrepo.Auth{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("missing repository", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		key := gitenv.NewSSHKey(t)
		key.WriteFiles(t, filepath.Join(s.home, ".ssh", "id_ed25519"), "")
		s.srv.Authorize("git", key.Public)
		s.knownHosts()
		s.g.Git("remote", "add", "origin", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.srv.Port, s.bare+"-missing"))
		err := s.open().CheckPush(ctx, "origin", gitrepo.Auth{})
		isErr(t, err, transport.ErrRepositoryNotFound)
		t.Log(err)
	})

	t.Run("proxy", func(t *testing.T) {
		t.Parallel()
		s := newSSHSetup(t)
		gitenv.NewSSHKey(t).WriteFiles(t, filepath.Join(s.home, ".ssh", "id_ed25519"), "")
		s.config("Host inside\n  ProxyJump bastion\n# %d\n")
		s.g.Git("remote", "add", "origin", "inside:repo.git")
		err := s.open().CheckPush(ctx, "origin", gitrepo.Auth{})
		if err == nil || !strings.Contains(err.Error(), "ProxyJump bastion") {
			t.Errorf("proxy: %v", err)
		}
	})
}
