package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Auth says how to authenticate to a remote. The zero value finds
// credentials the way a developer's git would, by the remote's URL:
//
//   - a local path or file:// URL needs none;
//   - ssh (user@host:path or ssh://) uses the SSH agent (SSH_AUTH_SOCK);
//   - http(s) uses, in order: credentials written in the URL; Token;
//     GITHUB_TOKEN, only when the host is github.com, so that a GitHub
//     token never reaches another server; the git credential helpers
//     (`git credential fill`, never prompting), told afterwards whether
//     the credentials worked (`git credential approve` / `reject`).
//
// Secrets never appear in an error: any that the transport quotes are
// replaced by "***".
type Auth struct {
	// Method, when set, is used as it is.
	Method transport.AuthMethod
	// Token is an HTTPS token sent to any host as the password of user
	// x-access-token (GitHub's convention; GitLab and Gitea accept it too).
	Token string
}

// remote is a remote ready to talk to, with the secrets to scrub from its
// errors and a hook to report to the credential helpers.
type remote struct {
	r       *Repo
	rem     *git.Remote
	url     string
	auth    transport.AuthMethod
	secrets []string
	verdict func(ok bool)
}

func (r *Repo) remote(ctx context.Context, nameOrURL string, a Auth) (*remote, error) {
	if nameOrURL == "" {
		nameOrURL = git.DefaultRemoteName
	}
	cfg, err := r.st.Config()
	if err != nil {
		return nil, err
	}
	rc, ok := cfg.Remotes[nameOrURL]
	if !ok {
		if !strings.ContainsAny(nameOrURL, "/:") {
			return nil, fmt.Errorf("no remote named %q", nameOrURL)
		}
		rc = &config.RemoteConfig{Name: "anonymous", URLs: []string{nameOrURL}}
	}
	if len(rc.URLs) == 0 {
		return nil, fmt.Errorf("remote %q has no URL", nameOrURL)
	}
	rm := &remote{r: r, rem: git.NewRemote(r.st, rc), url: rc.URLs[0], verdict: func(bool) {}}
	ep, err := transport.NewEndpoint(rm.url)
	if err != nil {
		return nil, fmt.Errorf("remote %q: %w", nameOrURL, err)
	}
	if ep.Password != "" {
		rm.secrets = append(rm.secrets, ep.Password)
	}
	if a.Token != "" {
		rm.secrets = append(rm.secrets, a.Token)
	}
	if gh := r.getenv("GITHUB_TOKEN"); gh != "" {
		rm.secrets = append(rm.secrets, gh)
	}
	if a.Method != nil {
		rm.auth = a.Method
		return rm, nil
	}
	switch ep.Protocol {
	case "ssh":
		if r.getenv("SSH_AUTH_SOCK") == "" {
			return nil, fmt.Errorf("remote %s is ssh, but no SSH agent is running (SSH_AUTH_SOCK is unset)", rm.safeURL())
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		if rm.auth, err = gitssh.NewSSHAgentAuth(user); err != nil {
			return nil, rm.scrub(err)
		}
	case "http", "https":
		switch {
		case ep.User != "" || ep.Password != "":
			// go-git sends what the URL holds.
		case a.Token != "":
			rm.auth = &githttp.BasicAuth{Username: "x-access-token", Password: a.Token}
		case ep.Host == "github.com" && r.getenv("GITHUB_TOKEN") != "":
			rm.auth = &githttp.BasicAuth{Username: "x-access-token", Password: r.getenv("GITHUB_TOKEN")}
		default:
			cred := r.credentialFill(ctx, ep)
			if cred != nil {
				rm.auth = &githttp.BasicAuth{Username: cred["username"], Password: cred["password"]}
				rm.secrets = append(rm.secrets, cred["password"])
				rm.verdict = func(ok bool) {
					action := "reject"
					if ok {
						action = "approve"
					}
					r.credential(ctx, action, cred)
				}
			}
		}
	}
	return rm, nil
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

func (rm *remote) safeURL() string { return scrub(rm.url, rm.secrets) }

func (rm *remote) scrub(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: scrub(err.Error(), rm.secrets), err: err}
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
// destination pushes to the same name. Nothing is forced: an update that
// would move a tag, or a branch to a commit not descending from the
// remote's, fails the push with an error wrapping ErrPushRejected, as does
// one the remote refuses. A remote already equal to the local refs is
// success, so a re-run after a partly failed release pushes what is left
// and nothing else. Only the objects the remote lacks are sent.
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
	rm, err := r.remote(ctx, remoteName, a)
	if err != nil {
		return err
	}
	err = rm.push(ctx, specs)
	rm.report(err)
	if err != nil {
		return fmt.Errorf("push to %s: %w", rm.safeURL(), rm.scrub(err))
	}
	return nil
}

// report tells the credential helpers whether their credentials worked;
// any other failure says nothing about them.
func (rm *remote) report(err error) {
	switch {
	case err == nil:
		rm.verdict(true)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		rm.verdict(false)
	}
}

// RemoteRefs lists a remote's refs (full names) with the hash each holds.
// For an annotated tag the remote also advertises the commit it points at,
// listed under NAME^{}.
func (r *Repo) RemoteRefs(ctx context.Context, remoteName string, a Auth) (map[string]string, error) {
	rm, err := r.remote(ctx, remoteName, a)
	if err != nil {
		return nil, err
	}
	refs, err := rm.rem.ListContext(ctx, &git.ListOptions{Auth: rm.auth, PeelingOption: git.AppendPeeled})
	rm.report(err)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", rm.safeURL(), rm.scrub(err))
	}
	out := make(map[string]string, len(refs))
	for _, ref := range refs {
		if !ref.Hash().IsZero() {
			out[ref.Name().String()] = ref.Hash().String()
		}
	}
	return out, nil
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
