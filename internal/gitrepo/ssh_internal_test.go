package gitrepo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// TestResolveSSH checks which user, host, port, key files, agent and
// known_hosts files an ssh URL resolves to through ssh_config, as ssh
// would choose them for git push.
func TestResolveSSH(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	etc := t.TempDir()
	userCfg := `# the user's config
Host gitserver
    HostName 127.0.0.1
    Port 2222
    User alice
    IdentityFile ~/.ssh/release_key
    IdentityFile %d/keys/%r@%h-%p
    IdentitiesOnly yes
    IdentityAgent none
    UserKnownHostsFile ~/.ssh/kh_release
    StrictHostKeyChecking accept-new

Match host gitserver exec "false"
    User mallory
    Port 1

Host *.corp.example
    HostName %h.internal
    IdentityFile "~/.ssh/corp key"
    ConnectTimeout 7

Host jump
    ProxyJump bastion

Host alias-agent
    IdentityAgent ~/agent.sock

Host nokeys
    IdentityFile none

Host !skip *
    Port 2200
`
	sysCfg := `Host *
    User systemuser
    Port 9999
    IdentityFile /etc/ssh/extra_key
    StrictHostKeyChecking no
`
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(home, ".ssh", "config"), userCfg)
	write(filepath.Join(etc, "ssh_config"), sysCfg)
	r := &Repo{environ: []string{"HOME=" + home, "SSH_AUTH_SOCK=/run/agent.sock"}, sshSystemDir: etc}

	type want struct {
		user, host string
		port       int
		files      []string
		only       bool
		agent      string
		known      []string
		strict     string
		timeout    time.Duration
		proxy      string
	}
	ssh := func(p ...string) []string {
		var out []string
		for _, f := range p {
			out = append(out, filepath.Join(home, ".ssh", f))
		}
		return out
	}
	sysKnown := []string{filepath.Join(etc, "ssh_known_hosts"), filepath.Join(etc, "ssh_known_hosts2")}
	defaults := ssh("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa")
	cases := []struct {
		url  string
		want want
	}{
		// The alias: HostName, Port, User, two IdentityFiles (tokens
		// expanded) plus the system's, no agent, its own known_hosts;
		// the Match block is skipped, not applied.
		{"gitserver:org/repo.git", want{"alice", "127.0.0.1", 2222,
			append(ssh("release_key"), filepath.Join(home, "keys", "alice@127.0.0.1-2222"), "/etc/ssh/extra_key"),
			true, "", append(ssh("kh_release"), sysKnown...), "accept-new", 30 * time.Second, ""}},
		// The URL's user and port win over the config's.
		{"ssh://bob@gitserver:2022/org/repo.git", want{"bob", "127.0.0.1", 2022,
			append(ssh("release_key"), filepath.Join(home, "keys", "bob@127.0.0.1-2022"), "/etc/ssh/extra_key"),
			true, "", append(ssh("kh_release"), sysKnown...), "accept-new", 30 * time.Second, ""}},
		// %h in HostName, a quoted IdentityFile with a space, a timeout;
		// the user's "Host !skip *" Port beats the system's, whose User
		// applies as the user's config has none.
		{"git.corp.example:x.git", want{"systemuser", "git.corp.example.internal", 2200,
			[]string{filepath.Join(home, ".ssh", "corp key"), "/etc/ssh/extra_key"},
			false, "/run/agent.sock", append(ssh("known_hosts", "known_hosts2"), sysKnown...), "no", 7 * time.Second, ""}},
		// A negated pattern: the system's Port applies.
		{"skip:x.git", want{"systemuser", "skip", 9999, []string{"/etc/ssh/extra_key"},
			false, "/run/agent.sock", append(ssh("known_hosts", "known_hosts2"), sysKnown...), "no", 30 * time.Second, ""}},
		{"jump:x.git", want{"systemuser", "jump", 2200, []string{"/etc/ssh/extra_key"},
			false, "/run/agent.sock", append(ssh("known_hosts", "known_hosts2"), sysKnown...), "no", 30 * time.Second, "ProxyJump bastion"}},
		{"alias-agent:x.git", want{"systemuser", "alias-agent", 2200, []string{"/etc/ssh/extra_key"},
			false, filepath.Join(home, "agent.sock"), append(ssh("known_hosts", "known_hosts2"), sysKnown...), "no", 30 * time.Second, ""}},
	}
	for _, c := range cases {
		ep, err := transport.NewEndpoint(c.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.resolveSSH(c.url, ep)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		g := want{got.User, got.HostName, got.Port, got.IdentityFiles, got.IdentitiesOnly, got.Agent, got.KnownHosts, got.StrictHostKeys, got.ConnectTimeout, got.Proxy}
		if !wantEqual(g, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.url, g, c.want)
		}
	}

	// Without any ssh_config: the URL's host, the local user, port 22,
	// the default key files, the agent, strict host keys.
	bare := &Repo{environ: []string{"HOME=" + t.TempDir(), "USER=not-the-account", "SSH_AUTH_SOCK=/a"}, sshSystemDir: t.TempDir()}
	ep, _ := transport.NewEndpoint("example.org:org/repo.git")
	got, err := bare.resolveSSH("example.org:org/repo.git", ep)
	if err != nil {
		t.Fatal(err)
	}
	bareHome := strings.TrimPrefix(bare.environ[0], "HOME=")
	var bareDefaults []string
	for _, f := range defaults {
		bareDefaults = append(bareDefaults, filepath.Join(bareHome, ".ssh", filepath.Base(f)))
	}
	if got.User != bare.localUser() || got.User == "not-the-account" || got.HostName != "example.org" || got.Port != 22 || !slices.Equal(got.IdentityFiles, bareDefaults) || got.Agent != "/a" || got.StrictHostKeys != "yes" {
		t.Errorf("no config: %+v", got)
	}
	// IdentityFile none: no file at all (the system's extra key still
	// adds up, as with ssh).
	ep, _ = transport.NewEndpoint("nokeys:x.git")
	if got, _ := r.resolveSSH("nokeys:x.git", ep); !slices.Equal(got.IdentityFiles, []string{"/etc/ssh/extra_key"}) {
		t.Errorf("IdentityFile none: %v", got.IdentityFiles)
	}
	// A Port that is no number is an error naming the host.
	broken := t.TempDir()
	write(filepath.Join(broken, ".ssh", "config"), "Host h\n  Port x\n")
	br := &Repo{environ: []string{"HOME=" + broken}, sshSystemDir: t.TempDir()}
	ep, _ = transport.NewEndpoint("h:x")
	if _, err := br.resolveSSH("h:x", ep); err == nil || !strings.Contains(err.Error(), `Port "x" for h`) {
		t.Errorf("bad port: %v", err)
	}
}

func wantEqual(a, b any) bool {
	return strings.TrimSpace(fmtAny(a)) == strings.TrimSpace(fmtAny(b))
}

func TestRewriteRules(t *testing.T) {
	rules := []rewrite{{"https://github.com/", "gh:"}, {"ssh://git@github.com/", "https://github.com/"}, {"ssh://git@github.com/org/", "https://github.com/org/"}}
	for in, want := range map[string]string{
		"gh:org/repo":                 "https://github.com/org/repo",
		"https://github.com/x/y":      "ssh://git@github.com/x/y",
		"https://github.com/org/repo": "ssh://git@github.com/org/repo", // the longest prefix wins
		"/srv/repo.git":               "/srv/repo.git",
	} {
		if got := rewriteURL(in, rules); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"https://user:s3cret@host/x.git": "https://user:***@host/x.git",
		"https://user@host/x.git":        "https://user@host/x.git",
		"git@host:x.git":                 "git@host:x.git",
		"https://host/p@th":              "https://host/p@th",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redact %s: %s, want %s", in, got, want)
		}
	}
}

func fmtAny(v any) string { return fmt.Sprintf("%+v", v) }

// TestResolveSSHLikeOpenSSH compares the user, host name, port and key
// files chosen with what OpenSSH's `ssh -G` resolves from the same
// config.
func TestResolveSSHLikeOpenSSH(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client")
	}
	home := t.TempDir()
	cfg := filepath.Join(home, ".ssh", "config")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	err := os.WriteFile(cfg, []byte(`Host gitserver
    HostName 127.0.0.1
    Port 2222
    User alice
    IdentityFile ~/.ssh/release_key
    IdentityFile %d/keys/%r@%h-%p

Host *.corp.example
    HostName %h.internal
    IdentityFile "~/.ssh/corp key"
    User corp

Host !skip *
    Port 2200

Host *
    IdentityFile ~/.ssh/fallback
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r := &Repo{environ: []string{"HOME=" + home}, sshSystemDir: t.TempDir()}
	for _, c := range []struct{ url, dest, port string }{
		{"gitserver:org/repo.git", "gitserver", ""},
		{"ssh://bob@gitserver:2022/org/repo.git", "bob@gitserver", "2022"},
		{"git.corp.example:x.git", "git.corp.example", ""},
		{"git@skip:x.git", "git@skip", ""},
		{"example.org:x.git", "example.org", ""},
	} {
		args := []string{"-F", cfg, "-G", c.dest}
		if c.port != "" {
			args = append(args, "-p", c.port)
		}
		cmd := exec.Command("ssh", args...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ssh -G %s: %v", c.dest, err)
		}
		want := map[string][]string{}
		for _, line := range strings.Split(string(out), "\n") {
			k, v, _ := strings.Cut(line, " ")
			want[k] = append(want[k], v)
		}
		ep, _ := transport.NewEndpoint(c.url)
		got, err := r.resolveSSH(c.url, ep)
		if err != nil {
			t.Fatal(err)
		}
		var wantFiles []string
		for _, f := range want["identityfile"] {
			wantFiles = append(wantFiles, r.expandSSHPath(f, got, home, r.localUser()))
		}
		if got.User != want["user"][0] || got.HostName != want["hostname"][0] || fmt.Sprint(got.Port) != want["port"][0] || !slices.Equal(got.IdentityFiles, wantFiles) {
			t.Errorf("%s: user %s host %s port %d keys %q; ssh -G: user %s host %s port %s keys %q",
				c.url, got.User, got.HostName, got.Port, got.IdentityFiles, want["user"], want["hostname"], want["port"], wantFiles)
		}
	}
}
