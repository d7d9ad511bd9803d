package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/kevinburke/ssh_config"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

func init() {
	// gitrepo resolves ~/.ssh/config itself, from the Repo's environment
	// (sshTarget), and hands go-git the final host and port. go-git would
	// otherwise look the already-resolved HostName up again in the
	// process's ~/.ssh/config.
	gitssh.DefaultSSHConfig = nil
}

// defaultIdentityFiles are the keys ssh tries when ssh_config names none
// (OpenSSH's list, in its order).
var defaultIdentityFiles = []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_dsa"}

// sshTarget is where, as whom and with what an ssh remote is reached,
// resolved from its URL and ssh_config (~/.ssh/config, then
// /etc/ssh/ssh_config; the first value found wins, IdentityFile values
// add up) as ssh does for `git push` (`ssh -G` is the oracle in tests).
// Home is $HOME of the Repo's environment, where ssh would read the
// account's home directory: the same on any ordinary machine.
//
//   - Host blocks match the host as written in the URL (an alias);
//   - HostName (with %h) is where to connect;
//   - the user is the URL's, else User, else the local account's name;
//   - the port is the URL's, else Port, else 22;
//   - IdentityFile (tokens %d %u %h %r %p %n %l %%, ~ and ${VAR}) or,
//     when none, ~/.ssh/id_rsa, id_ecdsa, id_ed25519, ...;
//     IdentitiesOnly limits the agent's keys to those files;
//   - IdentityAgent (or SSH_AUTH_SOCK; "none" for no agent);
//   - UserKnownHostsFile, GlobalKnownHostsFile, HostKeyAlias and
//     StrictHostKeyChecking (a host key not in known_hosts is refused
//     unless it is "accept-new" or "no": dist never asks);
//   - ConnectTimeout (30 seconds when unset).
//
// Match blocks are skipped (the ssh_config parser cannot read them);
// ProxyCommand and ProxyJump cannot be followed and are reported.
type sshTarget struct {
	Alias          string
	User           string
	HostName       string
	Port           int
	IdentityFiles  []string
	IdentitiesOnly bool
	Agent          string // socket path; "" for none
	KnownHosts     []string
	HostKeyAlias   string
	StrictHostKeys string // "yes", "accept-new" or "no"
	ConnectTimeout time.Duration
	Proxy          string // "ProxyJump x" when set: not supported
}

// Addr is HostName:Port.
func (t *sshTarget) Addr() string { return net.JoinHostPort(t.HostName, strconv.Itoa(t.Port)) }

// sshConfigFiles are the ssh_config files read, highest precedence first.
func (r *Repo) sshConfigFiles() []string {
	var files []string
	if home := r.getenv("HOME"); home != "" {
		files = append(files, filepath.Join(home, ".ssh", "config"))
	}
	return append(files, filepath.Join(r.sshSystemDir, "ssh_config"))
}

type sshConfigs []*ssh_config.Config

func (r *Repo) readSSHConfigs() (sshConfigs, error) {
	var out sshConfigs
	for _, f := range r.sshConfigFiles() {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		c, err := decodeSSHConfig(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// decodeSSHConfig parses an ssh_config file without its Match blocks,
// which the parser refuses (and which dist cannot evaluate: they may run
// commands).
func decodeSSHConfig(b []byte) (c *ssh_config.Config, err error) {
	var kept bytes.Buffer
	inMatch := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.FieldsFunc(strings.TrimSpace(line), func(r rune) bool { return r == ' ' || r == '\t' || r == '=' })
		if len(fields) > 0 {
			switch strings.ToLower(fields[0]) {
			case "match":
				inMatch = true
			case "host":
				inMatch = false
			}
		}
		if inMatch {
			kept.WriteString("\n") // keep line numbers for errors
			continue
		}
		kept.WriteString(line)
		kept.WriteString("\n")
	}
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("ssh_config: %v", p)
		}
	}()
	return ssh_config.DecodeBytes(kept.Bytes())
}

// get is the first value of key for alias, unquoted.
func (cs sshConfigs) get(alias, key string) string {
	for _, c := range cs {
		if v, err := c.Get(alias, key); err == nil && v != "" {
			return unquote(v)
		}
	}
	return ""
}

// getAll is every value of key for alias, in order.
func (cs sshConfigs) getAll(alias, key string) []string {
	var out []string
	for _, c := range cs {
		vs, _ := c.GetAll(alias, key)
		for _, v := range vs {
			out = append(out, unquote(v))
		}
	}
	return out
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// localUser is the name ssh logs in as when neither the URL nor
// ssh_config gives one: the account's name, as ssh takes it (not $USER),
// else $USER or $LOGNAME.
func (r *Repo) localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "LOGNAME"} {
		if u := r.getenv(k); u != "" {
			return u
		}
	}
	return "git"
}

// resolveSSH resolves an ssh URL, parsed as ep, against ssh_config.
func (r *Repo) resolveSSH(url string, ep *transport.Endpoint) (*sshTarget, error) {
	cfgs, err := r.readSSHConfigs()
	if err != nil {
		return nil, err
	}
	alias := strings.Trim(ep.Host, "[]")
	t := &sshTarget{Alias: alias, HostName: alias, Port: 22, StrictHostKeys: "yes", ConnectTimeout: 30 * time.Second}
	home := r.getenv("HOME")
	local := r.localUser()

	t.User = ep.User
	if t.User == "" {
		t.User = cfgs.get(alias, "User")
	}
	if t.User == "" {
		t.User = local
	}
	if hn := cfgs.get(alias, "HostName"); hn != "" {
		t.HostName = strings.ReplaceAll(strings.ReplaceAll(hn, "%h", alias), "%%", "%")
	}
	// go-git gives an scp-like URL (host:path), which has no port in
	// git's syntax, port 22: that is no port given.
	urlPort := ep.Port
	if !strings.Contains(url, "://") && urlPort == 22 {
		urlPort = 0
	}
	if urlPort > 0 {
		t.Port = urlPort
	} else if p := cfgs.get(alias, "Port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("ssh_config: Port %q for %s is not a port number", p, alias)
		}
		t.Port = n
	}
	expand := func(s string) string { return r.expandSSHPath(s, t, home, local) }

	files := cfgs.getAll(alias, "IdentityFile")
	if len(files) == 0 {
		for _, f := range defaultIdentityFiles {
			files = append(files, "~/.ssh/"+f)
		}
	}
	for _, f := range files {
		if strings.EqualFold(f, "none") {
			continue
		}
		t.IdentityFiles = append(t.IdentityFiles, expand(f))
	}
	t.IdentitiesOnly = strings.EqualFold(cfgs.get(alias, "IdentitiesOnly"), "yes")

	switch a := cfgs.get(alias, "IdentityAgent"); {
	case a == "":
		t.Agent = r.getenv("SSH_AUTH_SOCK")
	case strings.EqualFold(a, "none"):
	case a == "SSH_AUTH_SOCK":
		t.Agent = r.getenv("SSH_AUTH_SOCK")
	case strings.HasPrefix(a, "$") && !strings.HasPrefix(a, "${"):
		t.Agent = r.getenv(a[1:])
	default:
		t.Agent = expand(a)
	}

	user := cfgs.get(alias, "UserKnownHostsFile")
	if user == "" {
		user = "~/.ssh/known_hosts ~/.ssh/known_hosts2"
	}
	global := cfgs.get(alias, "GlobalKnownHostsFile")
	if global == "" {
		global = filepath.Join(r.sshSystemDir, "ssh_known_hosts") + " " + filepath.Join(r.sshSystemDir, "ssh_known_hosts2")
	}
	for _, f := range strings.Fields(user + " " + global) {
		if !strings.EqualFold(f, "none") {
			t.KnownHosts = append(t.KnownHosts, expand(f))
		}
	}
	t.HostKeyAlias = cfgs.get(alias, "HostKeyAlias")
	switch strings.ToLower(cfgs.get(alias, "StrictHostKeyChecking")) {
	case "no", "off":
		t.StrictHostKeys = "no"
	case "accept-new":
		t.StrictHostKeys = "accept-new"
	}
	if ct := cfgs.get(alias, "ConnectTimeout"); ct != "" {
		if n, err := strconv.Atoi(ct); err == nil && n > 0 {
			t.ConnectTimeout = time.Duration(n) * time.Second
		}
	}
	for _, k := range []string{"ProxyJump", "ProxyCommand"} {
		if v := cfgs.get(alias, k); v != "" && !strings.EqualFold(v, "none") {
			t.Proxy = k + " " + v
			break
		}
	}
	return t, nil
}

// expandSSHPath expands ~ and ssh_config's tokens and ${VAR}.
func (r *Repo) expandSSHPath(s string, t *sshTarget, home, local string) string {
	if s == "~" {
		s = home
	} else if rest, ok := strings.CutPrefix(s, "~/"); ok {
		s = filepath.Join(home, rest)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+1 < len(s):
			i++
			switch s[i] {
			case '%':
				b.WriteByte('%')
			case 'd':
				b.WriteString(home)
			case 'u':
				b.WriteString(local)
			case 'h':
				b.WriteString(t.HostName)
			case 'n':
				b.WriteString(t.Alias)
			case 'r':
				b.WriteString(t.User)
			case 'p':
				b.WriteString(strconv.Itoa(t.Port))
			case 'l':
				h, _ := os.Hostname()
				h, _, _ = strings.Cut(h, ".")
				b.WriteString(h)
			default:
				b.WriteByte('%')
				b.WriteByte(s[i])
			}
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteString(s[i:])
				i = len(s)
				continue
			}
			b.WriteString(r.getenv(s[i+2 : i+end]))
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// sshAuth is go-git's ssh AuthMethod for a resolved target: the agent's
// keys, then the key files', checked against known_hosts. It records why
// a connection failed, for the error message.
type sshAuth struct {
	t            *sshTarget
	agentConn    net.Conn
	agentSigners []ssh.Signer
	fileSigners  []ssh.Signer
	fileNames    []string // the key files loaded, for messages
	notes        []string // keys that could not be used, and why
	hostKeys     ssh.HostKeyCallback
	algorithms   []string

	mu         sync.Mutex
	hostKeyErr error
	checked    bool // a host key was presented and accepted
}

var _ gitssh.AuthMethod = (*sshAuth)(nil)

func (a *sshAuth) Name() string   { return "ssh-public-keys" }
func (a *sshAuth) String() string { return fmt.Sprintf("user: %s, name: %s", a.t.User, a.Name()) }

func (a *sshAuth) ClientConfig() (*ssh.ClientConfig, error) {
	signers := append(append([]ssh.Signer(nil), a.agentSigners...), a.fileSigners...)
	return &ssh.ClientConfig{
		User:              a.t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   a.checkHostKey,
		HostKeyAlgorithms: a.algorithms,
		Timeout:           a.t.ConnectTimeout,
	}, nil
}

func (a *sshAuth) checkHostKey(hostname string, remote net.Addr, key ssh.PublicKey) error {
	var err error
	switch {
	case a.t.StrictHostKeys == "no":
	case a.hostKeys == nil:
		err = &knownhosts.KeyError{}
	default:
		if a.t.HostKeyAlias != "" {
			hostname = a.t.HostKeyAlias
		}
		err = a.hostKeys(hostname, remote, key)
	}
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) && len(ke.Want) == 0 && a.t.StrictHostKeys == "accept-new" {
		err = nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hostKeyErr, a.checked = err, err == nil
	return err
}

func (a *sshAuth) close() {
	if a.agentConn != nil {
		a.agentConn.Close()
	}
}

// newSSHAuth loads what the target needs: the agent's keys, the key files
// and known_hosts. It fails, before any connection, when no key at all is
// usable.
func (r *Repo) newSSHAuth(t *sshTarget) (*sshAuth, error) {
	if t.Proxy != "" {
		return nil, fmt.Errorf("ssh_config sets %s for %s: dist's ssh client (go-git) cannot go through a proxy; push over https, or from a machine that reaches %s directly", t.Proxy, t.Alias, t.HostName)
	}
	a := &sshAuth{t: t}
	// Key files, and their public halves for IdentitiesOnly.
	var wanted []ssh.PublicKey
	for _, f := range t.IdentityFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) || !isDefaultIdentity(f) {
				a.notes = append(a.notes, err.Error())
			}
			continue
		}
		signer, err := ssh.ParsePrivateKey(b)
		var pm *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pm):
			pub := pm.PublicKey
			if pub == nil {
				pub = readPublicKey(f + ".pub")
			}
			if pub != nil {
				wanted = append(wanted, pub)
			}
			a.notes = append(a.notes, fmt.Sprintf("%s is passphrase-protected and dist never asks for one: add it to the agent (ssh-add %s)", f, f))
		case err != nil:
			a.notes = append(a.notes, fmt.Sprintf("%s: %v", f, err))
			if pub := readPublicKey(f + ".pub"); pub != nil {
				wanted = append(wanted, pub)
			}
		default:
			a.fileSigners = append(a.fileSigners, signer)
			a.fileNames = append(a.fileNames, f)
			wanted = append(wanted, signer.PublicKey())
		}
	}
	// The agent's keys come first, as with ssh.
	if t.Agent != "" {
		conn, err := net.DialTimeout("unix", t.Agent, 5*time.Second)
		if err != nil {
			a.notes = append(a.notes, fmt.Sprintf("the SSH agent at %s does not answer: %v", t.Agent, err))
		} else {
			a.agentConn = conn
			signers, err := agent.NewClient(conn).Signers()
			if err != nil {
				a.notes = append(a.notes, fmt.Sprintf("the SSH agent at %s: %v", t.Agent, err))
			}
			for _, s := range signers {
				if t.IdentitiesOnly && !containsKey(wanted, s.PublicKey()) {
					continue
				}
				a.agentSigners = append(a.agentSigners, s)
			}
		}
	}
	// A key both in the agent and in a file is offered once.
	a.fileSigners = slicesDeleteKeys(a.fileSigners, &a.fileNames, a.agentSigners)
	if len(a.agentSigners)+len(a.fileSigners) == 0 {
		a.close()
		agentState := "no SSH agent (SSH_AUTH_SOCK is unset)"
		if t.Agent != "" {
			agentState = "no usable key in the SSH agent at " + t.Agent
		}
		msg := fmt.Sprintf("no usable ssh key for %s@%s: %s and no usable key file (looked for %s)", t.User, t.Alias, agentState, strings.Join(t.IdentityFiles, ", "))
		if len(a.notes) > 0 {
			msg += "; " + strings.Join(a.notes, "; ")
		}
		if home := r.getenv("HOME"); len(home) > 1 {
			msg = strings.ReplaceAll(msg, strings.TrimSuffix(home, "/")+"/", "~/")
		}
		return nil, errors.New(msg + ". Start ssh-agent and ssh-add your key, or name the key with IdentityFile in ~/.ssh/config")
	}
	var existing []string
	for _, f := range t.KnownHosts {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	if len(existing) > 0 {
		db, err := gitssh.NewKnownHostsDb(existing...)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("known_hosts: %w", err)
		}
		a.hostKeys = db.HostKeyCallback()
		lookup := t.Addr()
		if t.HostKeyAlias != "" {
			lookup = net.JoinHostPort(t.HostKeyAlias, strconv.Itoa(t.Port))
		}
		a.algorithms = db.HostKeyAlgorithms(lookup)
	}
	return a, nil
}

func isDefaultIdentity(f string) bool {
	for _, d := range defaultIdentityFiles {
		if filepath.Base(f) == d && filepath.Base(filepath.Dir(f)) == ".ssh" {
			return true
		}
	}
	return false
}

func readPublicKey(path string) ssh.PublicKey {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	return k
}

func containsKey(keys []ssh.PublicKey, k ssh.PublicKey) bool {
	for _, w := range keys {
		if bytes.Equal(w.Marshal(), k.Marshal()) {
			return true
		}
	}
	return false
}

// slicesDeleteKeys drops from files (and their names) the keys the agent
// already offers.
func slicesDeleteKeys(files []ssh.Signer, names *[]string, agentKeys []ssh.Signer) []ssh.Signer {
	var pubs []ssh.PublicKey
	for _, s := range agentKeys {
		pubs = append(pubs, s.PublicKey())
	}
	var out []ssh.Signer
	var outNames []string
	for i, s := range files {
		if !containsKey(pubs, s.PublicKey()) {
			out = append(out, s)
			outNames = append(outNames, (*names)[i])
		}
	}
	*names = outNames
	return out
}

// explain turns an ssh connection failure into what to do about it.
func (a *sshAuth) explain(err error) error {
	a.mu.Lock()
	hkErr, checked := a.hostKeyErr, a.checked
	a.mu.Unlock()
	t := a.t
	var ke *knownhosts.KeyError
	host := t.HostName
	if t.Port != 22 {
		host = fmt.Sprintf("[%s]:%d", t.HostName, t.Port)
	}
	switch {
	case errors.As(hkErr, &ke) && len(ke.Want) == 0:
		where := "no known_hosts file exists"
		if len(t.KnownHosts) > 0 {
			where = "looked in " + strings.Join(t.KnownHosts, ", ")
		}
		return fmt.Errorf("%w: the host key of %s is not known (%s), and dist never asks: check its fingerprint and add it (ssh-keyscan -p %d %s >> ~/.ssh/known_hosts), or connect once with ssh", err, host, where, t.Port, t.HostName)
	case errors.As(hkErr, &ke):
		return fmt.Errorf("%w: the host key of %s differs from the one in known_hosts (%s:%d): someone may be intercepting the connection; if the server's key really changed, remove the old one with ssh-keygen -R '%s'", err, host, ke.Want[0].Filename, ke.Want[0].Line, host)
	case checked && strings.Contains(err.Error(), "unable to authenticate"):
		var offered []string
		if n := len(a.agentSigners); n > 0 {
			offered = append(offered, fmt.Sprintf("%d key(s) from the agent at %s", n, t.Agent))
		}
		offered = append(offered, a.fileNames...)
		msg := fmt.Sprintf("the server refused every key offered as user %s (%s)", t.User, strings.Join(offered, ", "))
		if len(a.notes) > 0 {
			msg += "; not offered: " + strings.Join(a.notes, "; ")
		}
		return fmt.Errorf("%w: %w: %s. Check the user (User in ~/.ssh/config) and that the key is registered with the server", transport.ErrAuthenticationRequired, err, msg)
	}
	return err
}
