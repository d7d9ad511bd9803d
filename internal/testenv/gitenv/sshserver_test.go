package gitenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSHServerWithOpenSSH: command-line git over OpenSSH's client pushes
// to and clones from the test server, so what dist's tests see of it is
// what a real ssh server shows; a key it was not given is refused.
func TestSSHServerWithOpenSSH(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client")
	}
	s := StartSSH(t)
	bare := s.Bare("repo.git")
	dir := t.TempDir()
	key := NewSSHKey(t)
	key.WriteFiles(t, filepath.Join(dir, "key"), "")
	s.Authorize("git", key.Public)
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(s.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sshCmd := func(k string) string {
		return fmt.Sprintf("ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -i %s", kh, k)
	}
	r := New(t)
	r.Commit("a", map[string]string{"f": "1\n"})
	r.ExtraEnv = []string{"GIT_SSH_COMMAND=" + sshCmd(filepath.Join(dir, "key"))}
	// An absolute path, and one relative to the login's "home".
	r.Git("push", "-q", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.Port, bare), "main")
	if got := r.GitIn(bare, "rev-parse", "refs/heads/main"); got != r.Head() {
		t.Errorf("pushed main is %s", got)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := Run(dir, append(Env(), r.ExtraEnv...), nil, "clone", "-q", fmt.Sprintf("ssh://git@127.0.0.1:%d/~/repo.git", s.Port), clone); err != nil {
		t.Errorf("clone by a ~ path: %v %s", err, out)
	} else if got := r.GitIn(clone, "rev-parse", "HEAD"); got != r.Head() {
		t.Errorf("cloned HEAD %s", got)
	}
	if out, err := Run(dir, append(Env(), r.ExtraEnv...), nil, "ls-remote", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.Port, bare)); err != nil || !strings.Contains(out, r.Head()) {
		t.Errorf("ls-remote: %v %s", err, out)
	}
	if logins := s.Logins(); len(logins) == 0 || !strings.HasPrefix(logins[0], "git SHA256:") {
		t.Errorf("logins %v", logins)
	}

	other := NewSSHKey(t)
	other.WriteFiles(t, filepath.Join(dir, "other"), "")
	r.ExtraEnv = []string{"GIT_SSH_COMMAND=" + sshCmd(filepath.Join(dir, "other"))}
	if out, err := r.TryGit("push", "-q", fmt.Sprintf("ssh://git@127.0.0.1:%d%s", s.Port, bare), "main:other"); err == nil {
		t.Errorf("an unauthorized key pushed: %s", out)
	} else if !strings.Contains(err.Error(), "Permission denied") {
		t.Errorf("unauthorized key: %v", err)
	}
}
