package gitenv

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SSHServer is a git server over SSH on 127.0.0.1, for tests: the real
// SSH protocol (golang.org/x/crypto/ssh), public-key authentication
// against keys the test authorizes, and the real git-receive-pack and
// git-upload-pack serving repositories on disk. It runs only those two
// commands, as git-shell would. No sshd is needed.
type SSHServer struct {
	Host string // 127.0.0.1
	Port int
	// HostKey is the server's host key, for a known_hosts line.
	HostKey ssh.PublicKey
	// Root is where relative repository paths (user@host:repo.git,
	// ssh://host/~/repo.git) are found: the login's home directory.
	Root string

	t      testing.TB
	mu     sync.Mutex
	users  map[string][]ssh.PublicKey
	logins []string
}

// StartSSH serves until the test ends, with no user authorized yet.
func StartSSH(t testing.TB) *SSHServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s := &SSHServer{t: t, Host: "127.0.0.1", HostKey: hostSigner.PublicKey(), Root: t.TempDir(), users: map[string][]ssh.PublicKey{}}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, k := range s.users[md.User()] {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return &ssh.Permissions{Extensions: map[string]string{"key": ssh.FingerprintSHA256(key)}}, nil
				}
			}
			return nil, fmt.Errorf("key %s not authorized for %s", ssh.FingerprintSHA256(key), md.User())
		},
	}
	cfg.AddHostKey(hostSigner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	acceptUntilCleanup(t, ln, func(c net.Conn) { s.serve(c, cfg) })
	return s
}

// Authorize lets user log in with key.
func (s *SSHServer) Authorize(user string, key ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[user] = append(s.users[user], key)
}

// Logins lists "user SHA256:fingerprint" for every accepted login, in
// order.
func (s *SSHServer) Logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.logins...)
}

// KnownHostsLine is the server's line for a known_hosts file.
func (s *SSHServer) KnownHostsLine() string {
	return fmt.Sprintf("[%s]:%d %s", s.Host, s.Port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey))))
}

// Bare makes an empty bare repository (branch main) at Root/name.
func (s *SSHServer) Bare(name string) string {
	s.t.Helper()
	dir := filepath.Join(s.Root, name)
	if out, err := Run(s.Root, Env(), nil, "init", "-q", "--bare", "-b", "main", dir); err != nil {
		s.t.Fatal(out, err)
	}
	return dir
}

func (s *SSHServer) serve(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	s.mu.Lock()
	s.logins = append(s.logins, sc.User()+" "+sc.Permissions.Extensions["key"])
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go s.session(ch, creqs)
	}
}

func (s *SSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			req.Reply(false, nil)
			continue
		}
		var payload struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
			req.Reply(false, nil)
			return
		}
		req.Reply(true, nil)
		status := s.run(ch, payload.Command)
		ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, uint32(status)))
		return
	}
}

// run runs "git-receive-pack 'path'" or "git-upload-pack 'path'".
func (s *SSHServer) run(ch ssh.Channel, command string) int {
	prog, arg, _ := strings.Cut(command, " ")
	path, err := shellUnquote(strings.TrimSpace(arg))
	if err != nil || (prog != "git-receive-pack" && prog != "git-upload-pack") {
		fmt.Fprintf(ch.Stderr(), "fatal: unrecognized command '%s'\n", command)
		return 128
	}
	// Root is the login's home: a relative path and ~/path are in it.
	path = strings.TrimPrefix(path, "~/")
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Root, path)
	}
	cmd := exec.Command("git", strings.TrimPrefix(prog, "git-"), path)
	cmd.Env = Env()
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	// The client's input is copied by hand: exec would wait for the copy
	// to end, and a client may keep its side open after the command is
	// done.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		fmt.Fprintln(ch.Stderr(), err)
		return 128
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(ch.Stderr(), err)
		return 128
	}
	go func() {
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(ch.Stderr(), err)
		return 128
	}
	return 0
}

// shellUnquote reads one argument quoted as git quotes it for a remote
// shell: single-quoted, with a quote or an exclamation mark inside closed
// over and backslash-escaped.
func shellUnquote(s string) (string, error) {
	var b strings.Builder
	for len(s) > 0 {
		switch {
		case s[0] == '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return "", errors.New("unterminated quote")
			}
			b.WriteString(s[1 : 1+end])
			s = s[2+end:]
		case s[0] == '\\' && len(s) > 1:
			b.WriteByte(s[1])
			s = s[2:]
		default:
			b.WriteByte(s[0])
			s = s[1:]
		}
	}
	return b.String(), nil
}

// SSHKey is a fresh ed25519 key pair.
type SSHKey struct {
	Private ed25519.PrivateKey
	Public  ssh.PublicKey
	Signer  ssh.Signer
}

// NewSSHKey makes a key pair.
func NewSSHKey(t testing.TB) *SSHKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return &SSHKey{Private: priv, Public: signer.PublicKey(), Signer: signer}
}

// WriteFiles writes the private key in OpenSSH's format to path
// (encrypted when passphrase is not empty), mode 0600, and the public key
// to path.pub.
func (k *SSHKey) WriteFiles(t testing.TB, path, passphrase string) {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(k.Private, "test key")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(k.Private, "test key", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(k.Public), 0o644); err != nil {
		t.Fatal(err)
	}
}

// StartAgent serves an SSH agent holding keys on a Unix socket until the
// test ends, and returns the socket's path (for SSH_AUTH_SOCK).
func StartAgent(t testing.TB, keys ...*SSHKey) string {
	t.Helper()
	// A socket path must be short (108 bytes): not under t.TempDir().
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	kr := agent.NewKeyring()
	for i, k := range keys {
		if err := kr.Add(agent.AddedKey{PrivateKey: k.Private, Comment: "key" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	acceptUntilCleanup(t, ln, func(c net.Conn) {
		defer c.Close()
		agent.ServeAgent(kr, c)
	})
	return sock
}

// acceptUntilCleanup serves each connection ln accepts with handle, until
// the test ends; the cleanup waits for the handlers to return.
func acceptUntilCleanup(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { handle(c) })
		}
	})
}
