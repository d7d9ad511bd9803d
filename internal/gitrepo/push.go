package gitrepo

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/utils/ioutil"

	"github.com/distbuild/dist/internal/redact"
)

// Auth says how to authenticate to a remote. The zero value finds
// credentials the way a developer's git would, by the remote's URL:
//
//   - a local path or file:// URL needs none;
//   - ssh (user@host:path or ssh://) resolves the host through
//     ~/.ssh/config (Host, HostName, User, Port, IdentityFile,
//     IdentitiesOnly, IdentityAgent, known_hosts files,
//     StrictHostKeyChecking: see sshTarget) and offers the SSH agent's
//     keys (SSH_AUTH_SOCK), then the key files (IdentityFile, or
//     ~/.ssh/id_ed25519 and the other default names); a
//     passphrase-protected file is skipped, as dist never prompts; the
//     host key must be in known_hosts;
//   - http(s) uses, in order: credentials written in the URL; Token;
//     HostToken, only when the host is its Host, so that a GitHub token
//     never reaches another server; the git credential helpers
//     (`git credential fill`, never prompting), told afterwards whether
//     the credentials worked (`git credential approve` / `reject`).
//
// No token is read from the environment here: the command line reads it
// (GITHUB_TOKEN, or the variable github.token_env names) and passes it in.
//
// Secrets never appear in an error: any that the transport quotes are
// replaced by "***".
type Auth struct {
	// Method, when set, is used as it is, for every URL of the remote.
	Method transport.AuthMethod
	// Token is an HTTPS token sent to any host as the password of user
	// x-access-token (GitHub's convention; GitLab and Gitea accept it too).
	Token string
	// HostToken is an HTTPS token for one host only.
	HostToken HostToken
}

// HostToken is an HTTPS token sent, as the password of user
// x-access-token, only to Host: the GitHub token goes to "github.com"
// and nowhere else.
type HostToken struct {
	// Host is the host name as remote URLs write it ("github.com"), or
	// host:port to match one port only.
	Host string
	// Token is the secret; "" when the variable it comes from is unset.
	Token string
	// From names where Token is read ("GITHUB_TOKEN"), for messages: a
	// push refused for want of credentials says to set it.
	From string
}

// matches reports whether ep's host is h's.
func (h HostToken) matches(ep *transport.Endpoint) bool {
	if h.Host == "" {
		return false
	}
	return h.Host == ep.Host || h.Host == fmt.Sprintf("%s:%d", ep.Host, ep.Port)
}

// remote is a resolved remote (see resolveRemote) with the secrets to
// scrub from its errors.
type remote struct {
	r       *Repo
	target  *remoteTarget
	a       Auth
	secrets []string
}

func (r *Repo) remote(nameOrURL string, a Auth) (*remote, error) {
	if nameOrURL == "" {
		nameOrURL = git.DefaultRemoteName
	}
	t, err := r.resolveRemote(nameOrURL)
	if err != nil {
		return nil, err
	}
	rm := &remote{r: r, target: t, a: a}
	for _, u := range t.urls {
		if ep, err := transport.NewEndpoint(u); err == nil && ep.Password != "" {
			rm.secrets = append(rm.secrets, ep.Password)
		}
		// As written too, for a URL that does not parse (a bare "%"),
		// whose parse error quotes it.
		rm.secrets = append(rm.secrets, redact.Secrets(u)...)
	}
	if a.Token != "" {
		rm.secrets = append(rm.secrets, a.Token)
	}
	if a.HostToken.Token != "" {
		rm.secrets = append(rm.secrets, a.HostToken.Token)
	}
	return rm, nil
}

// conn is one URL of a remote with the credentials for it; nothing is
// connected until a session is opened.
type conn struct {
	rm      *remote
	url     string
	ep      *transport.Endpoint
	auth    transport.AuthMethod
	ssh     *sshAuth // for an ssh URL, unless Auth.Method is set
	creds   string   // where http credentials came from, for messages
	verdict func(ok bool)
}

// conn prepares url: the endpoint (for ssh, the host, port and user
// ssh_config resolve to) and the credentials. It fails before any
// network traffic when no credentials can work (an ssh URL and no key).
func (rm *remote) conn(ctx context.Context, url string) (*conn, error) {
	r := rm.r
	c := &conn{rm: rm, url: url, verdict: func(bool) {}}
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, rm.wrap(c, err)
	}
	c.ep = ep
	if rm.a.Method != nil {
		c.auth = rm.a.Method
		return c, nil
	}
	switch ep.Protocol {
	case "ssh":
		t, err := r.resolveSSH(url, ep)
		if err != nil {
			return nil, rm.wrap(c, err)
		}
		a, err := r.newSSHAuth(t)
		if err != nil {
			return nil, rm.wrap(c, err)
		}
		resolved := *ep
		resolved.Host, resolved.Port, resolved.User = t.HostName, t.Port, t.User
		c.ep, c.auth, c.ssh = &resolved, a, a
	case "http", "https":
		switch {
		case ep.User != "" || ep.Password != "":
			// go-git sends what the URL holds.
			c.creds = "from the URL"
		case rm.a.Token != "":
			c.auth = &githttp.BasicAuth{Username: "x-access-token", Password: rm.a.Token}
			c.creds = "from the token given"
		case rm.a.HostToken.Token != "" && rm.a.HostToken.matches(ep):
			c.auth = &githttp.BasicAuth{Username: "x-access-token", Password: rm.a.HostToken.Token}
			c.creds = "from " + cmp.Or(rm.a.HostToken.From, "the token given for "+rm.a.HostToken.Host)
		default:
			cred := r.credentialFill(ctx, ep)
			if cred == nil {
				break
			}
			c.auth = &githttp.BasicAuth{Username: cred["username"], Password: cred["password"]}
			c.creds = "from the git credential helper"
			rm.secrets = append(rm.secrets, cred["password"])
			c.verdict = func(ok bool) {
				action := "reject"
				if ok {
					action = "approve"
				}
				r.credential(ctx, action, cred)
			}
		}
	}
	return c, nil
}

func (c *conn) close() {
	if c.ssh != nil {
		c.ssh.close()
	}
}

// wrap names the remote and the URL (secrets scrubbed) in err.
func (rm *remote) wrap(c *conn, err error) error {
	return fmt.Errorf("%s (%s): %w", rm.target.label(), rm.safeURL(c.url), rm.scrub(err))
}

// fail reports err to the credential helpers and explains it: which
// remote, which URL, and what to do.
func (c *conn) fail(err error) error {
	c.report(err)
	if err == nil {
		return nil
	}
	err = c.rm.scrub(err)
	if c.ssh != nil {
		err = c.ssh.explain(err)
	} else if c.ep != nil && (c.ep.Protocol == "http" || c.ep.Protocol == "https") {
		err = c.explainHTTP(err)
	}
	if errors.Is(err, transport.ErrRepositoryNotFound) {
		err = fmt.Errorf("%w: check the URL, and that the credentials can see the repository", err)
	}
	return fmt.Errorf("%s (%s): %w", c.rm.target.label(), c.rm.safeURL(c.url), err)
}

func (c *conn) explainHTTP(err error) error {
	host := c.ep.Host
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired):
		if c.creds == "" {
			if ht := c.rm.a.HostToken; ht.From != "" && ht.matches(c.ep) {
				return fmt.Errorf("%w: no credentials for %s: set %s to a token that can push to the repository, or configure a git credential helper", err, host, ht.From)
			}
			return fmt.Errorf("%w: no credentials for %s: configure a git credential helper that has them (git config credential.helper ...), or use an ssh remote", err, host)
		}
		return fmt.Errorf("%w: %s refused the credentials (%s): check or renew them", err, host, c.creds)
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%w: %s accepted the credentials (%s) but they cannot push to this repository: give them write access", err, host, c.creds)
	}
	return err
}

// credentialFill asks the configured credential helpers, with every
// prompt disabled: dist never waits on a terminal.
func (r *Repo) credentialFill(ctx context.Context, ep *transport.Endpoint) map[string]string {
	host := ep.Host
	if ep.Port != 0 {
		host = fmt.Sprintf("%s:%d", ep.Host, ep.Port)
	}
	req := map[string]string{"protocol": ep.Protocol, "host": host, "path": strings.TrimPrefix(ep.Path, "/")}
	out, err := r.credential(ctx, "fill", req)
	if err != nil {
		return nil
	}
	cred := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			cred[k] = v
		}
	}
	if cred["password"] == "" {
		return nil
	}
	return cred
}

func (r *Repo) credential(ctx context.Context, action string, fields map[string]string) ([]byte, error) {
	var in bytes.Buffer
	for _, k := range []string{"protocol", "host", "path", "username", "password"} {
		if v := fields[k]; v != "" {
			fmt.Fprintf(&in, "%s=%s\n", k, v)
		}
	}
	in.WriteString("\n")
	cmd := exec.CommandContext(ctx, "git", "-c", "core.askPass=", "credential", action)
	cmd.Dir = r.root
	cmd.Env = append(append([]string(nil), r.environ...), "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=")
	cmd.Stdin = &in
	return cmd.Output()
}

func (rm *remote) safeURL(u string) string { return redactURL(scrub(u, rm.secrets)) }

func (rm *remote) scrub(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: strings.TrimSpace(scrub(err.Error(), rm.secrets)), err: err}
}

func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// scrubbedError hides the original error, whose text may hold a secret,
// but still answers errors.Is and errors.As about it.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string        { return e.msg }
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.err, target) }
func (e *scrubbedError) As(target any) bool   { return errors.As(e.err, target) }

// Push updates refs of a remote (a configured name, "origin" when empty,
// or a URL or path) from local refs, refspecs as git writes them:
// "refs/heads/main", "refs/tags/1.0.0:refs/tags/1.0.0". A refspec without a
// destination pushes to the same name. The refs go where `git push` sends
// them (see resolveRemote): remote.NAME.pushurl when set, else its url,
// after insteadOf/pushInsteadOf; to each of them when there are several.
// Nothing is forced: an update that would move a tag, or a branch to a
// commit not descending from the remote's, fails the push with an error
// wrapping ErrPushRejected, as does one the remote refuses. A remote
// already equal to the local refs is success, so a re-run after a partly
// failed release pushes what is left and nothing else. Only the objects
// the remote lacks are sent.
//
// A repository with no remote at all fails with ErrNoRemotes; an unknown
// name among other remotes with ErrUnknownRemote.
func (r *Repo) Push(ctx context.Context, remoteName string, refspecs []string, a Auth) error {
	if len(refspecs) == 0 {
		return errors.New("push: no refspecs")
	}
	specs := make([]config.RefSpec, 0, len(refspecs))
	for _, s := range refspecs {
		if !strings.Contains(s, ":") {
			s = s + ":" + s
		}
		rs := config.RefSpec(s)
		if rs.IsForceUpdate() {
			return fmt.Errorf("push: %s: dist never forces a push", s)
		}
		if err := rs.Validate(); err != nil {
			return fmt.Errorf("push: %s: %w", s, err)
		}
		specs = append(specs, rs)
	}
	rm, err := r.remote(remoteName, a)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	var errs []error
	for _, u := range rm.target.urls {
		if err := rm.pushTo(ctx, u, specs); err != nil {
			errs = append(errs, fmt.Errorf("push to %w", err))
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

func (rm *remote) pushTo(ctx context.Context, url string, specs []config.RefSpec) error {
	c, err := rm.conn(ctx, url)
	if err != nil {
		return err
	}
	defer c.close()
	return c.fail(c.push(ctx, specs))
}

// CheckPush checks, before anything is tagged or committed, that a push to
// remote (as for Push) can authenticate: it opens the session `git push`
// would (git-receive-pack, at every push URL, with the push credentials)
// and reads the refs the remote advertises, sending nothing. A remote that
// rejects the credentials, or an ssh remote with no usable key or an
// unknown host key, fails with an error naming the remote and the URL
// (credentials redacted) and saying how to fix it; the error wraps
// transport.ErrAuthenticationRequired, ErrAuthorizationFailed or
// ErrRepositoryNotFound when the remote said so. A server that checks
// write access only when refs arrive can still refuse the push later.
//
// A repository with no remote at all fails with ErrNoRemotes; an unknown
// name among other remotes with ErrUnknownRemote.
func (r *Repo) CheckPush(ctx context.Context, remote string, a Auth) error {
	rm, err := r.remote(remote, a)
	if err != nil {
		return err
	}
	for _, u := range rm.target.urls {
		if err := rm.checkPush(ctx, u); err != nil {
			return fmt.Errorf("cannot push to %w", err)
		}
	}
	return nil
}

func (rm *remote) checkPush(ctx context.Context, url string) (err error) {
	c, err := rm.conn(ctx, url)
	if err != nil {
		return err
	}
	defer c.close()
	cl, err := client.NewClient(c.ep)
	if err != nil {
		return c.fail(err)
	}
	sess, err := cl.NewReceivePackSession(c.ep, c.auth)
	if err != nil {
		return c.fail(err)
	}
	_, err = sess.AdvertisedReferencesContext(ctx)
	if cerr := sess.Close(); err == nil {
		err = cerr
	}
	return c.fail(err)
}

// report tells the credential helpers whether their credentials worked;
// any other failure says nothing about them.
func (c *conn) report(err error) {
	switch {
	case err == nil:
		c.verdict(true)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		c.verdict(false)
	}
}

// RemoteRefs lists the refs (full names) with the hash each holds at the
// place Push sends to (the first push URL), as `git ls-remote` of that URL
// would. For an annotated tag the remote also advertises the commit it
// points at, listed under NAME^{}.
func (r *Repo) RemoteRefs(ctx context.Context, remoteName string, a Auth) (map[string]string, error) {
	rm, err := r.remote(remoteName, a)
	if err != nil {
		return nil, err
	}
	c, err := rm.conn(ctx, rm.target.urls[0])
	if err != nil {
		return nil, fmt.Errorf("list %w", err)
	}
	defer c.close()
	ar, err := c.uploadPackRefs(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		c.report(nil)
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %w", c.fail(err))
	}
	c.report(nil)
	out := make(map[string]string, len(ar.References)+len(ar.Peeled)+1)
	for name, h := range ar.References {
		if !h.IsZero() {
			out[name] = h.String()
		}
	}
	for name, h := range ar.Peeled {
		if !h.IsZero() {
			out[name+"^{}"] = h.String()
		}
	}
	if ar.Head != nil && !ar.Head.IsZero() {
		out["HEAD"] = ar.Head.String()
	}
	return out, nil
}

func (c *conn) uploadPackRefs(ctx context.Context) (ar *packp.AdvRefs, err error) {
	cl, err := client.NewClient(c.ep)
	if err != nil {
		return nil, err
	}
	sess, err := cl.NewUploadPackSession(c.ep, c.auth)
	if err != nil {
		return nil, err
	}
	defer ioutil.CheckClose(sess, &err)
	return sess.AdvertisedReferencesContext(ctx)
}

// RemoteHasRef reports the hash a remote holds for ref (a full name such
// as refs/tags/1.0.0), so a re-run can see what an earlier run pushed.
func (r *Repo) RemoteHasRef(ctx context.Context, remoteName, ref string, a Auth) (hash string, ok bool, err error) {
	refs, err := r.RemoteRefs(ctx, remoteName, a)
	if err != nil {
		return "", false, err
	}
	hash, ok = refs[ref]
	return hash, ok, nil
}
