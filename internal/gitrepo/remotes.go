package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/config"
	format "github.com/go-git/go-git/v5/plumbing/format/config"

	"github.com/distbuild/dist/internal/redact"
)

// Errors a push, CheckPush or RemoteRefs fails with when the remote is
// not configured, told apart with errors.Is.
var (
	// ErrNoRemotes: the repository has no remote at all (a repository
	// that was never pushed anywhere). A release can finish its local
	// work and say that nothing was pushed.
	ErrNoRemotes = errors.New("the repository has no remote")
	// ErrUnknownRemote: remotes exist but none has the name asked for
	// (a typo in --remote, say): an error, not a reason to skip the push.
	ErrUnknownRemote = errors.New("no such remote")
)

// gitConfigs reads the git configuration files that apply to this
// repository, lowest precedence first, as git reads them: the system's
// (unless GIT_CONFIG_NOSYSTEM), the user's (GIT_CONFIG_GLOBAL, else
// $XDG_CONFIG_HOME/git/config then ~/.gitconfig) and the repository's.
// Files are found from this Repo's environment. Include directives are
// not followed.
func (r *Repo) gitConfigs() ([]*format.Config, error) {
	var files []string
	if r.getenv("GIT_CONFIG_NOSYSTEM") == "" {
		sys := r.getenv("GIT_CONFIG_SYSTEM")
		if sys == "" {
			sys = "/etc/gitconfig"
		}
		files = append(files, sys)
	}
	if g, ok := r.lookupEnv("GIT_CONFIG_GLOBAL"); ok {
		files = append(files, g)
	} else {
		home := r.getenv("HOME")
		if xdg := r.getenv("XDG_CONFIG_HOME"); xdg != "" {
			files = append(files, filepath.Join(xdg, "git", "config"))
		} else if home != "" {
			files = append(files, filepath.Join(home, ".config", "git", "config"))
		}
		if home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
	}
	files = append(files, filepath.Join(r.commonDir, "config"))
	var out []*format.Config
	for _, f := range files {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue // absent, or /dev/null-like: git skips it too
		}
		c := format.New()
		if err := format.NewDecoder(bytes.NewReader(b)).Decode(c); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// subsections calls f for every subsection of section (a case-insensitive
// name) in cfgs, in order, without adding sections to them.
func subsections(cfgs []*format.Config, section string, f func(*format.Subsection)) {
	for _, c := range cfgs {
		for _, s := range c.Sections {
			if !s.IsName(section) {
				continue
			}
			for _, ss := range s.Subsections {
				f(ss)
			}
		}
	}
}

// Remotes lists the names of the configured remotes (`git remote`),
// sorted; none for a repository that was never given one.
func (r *Repo) Remotes() ([]string, error) {
	cfgs, err := r.gitConfigs()
	if err != nil {
		return nil, err
	}
	return remoteNames(cfgs), nil
}

func remoteNames(cfgs []*format.Config) []string {
	var names []string
	subsections(cfgs, "remote", func(ss *format.Subsection) {
		if len(ss.Options) > 0 {
			names = append(names, ss.Name)
		}
	})
	slices.Sort(names)
	return slices.Compact(names)
}

// remoteTarget is where `git push` sends a remote's refs.
type remoteTarget struct {
	name  string   // the configured name; "" for a URL or path
	urls  []string // push URLs, in the order git pushes to them
	fetch []config.RefSpec
}

// label names the remote in messages.
func (t *remoteTarget) label() string {
	if t.name == "" {
		return "remote"
	}
	return "remote " + t.name
}

// resolveRemote finds the URLs `git push nameOrURL` would push to:
//
//   - remote.NAME.pushurl when set (every value), else remote.NAME.url;
//   - each URL rewritten by the longest matching url.BASE.insteadOf,
//     except that a url (not a pushurl) matching a url.BASE.pushInsteadOf
//     is rewritten by that instead;
//   - a URL or path given instead of a name goes through the same
//     rewriting.
//
// Remotes and rewrite rules come from every config file git reads (the
// repository's, the user's, the system's). go-git's own remote config
// reads only the repository's file and pushes to the first url, ignoring
// pushurl and pushInsteadOf, hence this.
func (r *Repo) resolveRemote(nameOrURL string) (*remoteTarget, error) {
	cfgs, err := r.gitConfigs()
	if err != nil {
		return nil, err
	}
	t := &remoteTarget{}
	var urls, pushURLs []string
	found := false
	subsections(cfgs, "remote", func(ss *format.Subsection) {
		if ss.Name != nameOrURL || len(ss.Options) == 0 {
			return
		}
		found = true
		urls = append(urls, ss.Options.GetAll("url")...)
		pushURLs = append(pushURLs, ss.Options.GetAll("pushurl")...)
		for _, f := range ss.Options.GetAll("fetch") {
			if rs := config.RefSpec(f); rs.Validate() == nil {
				t.fetch = append(t.fetch, rs)
			}
		}
	})
	if found {
		t.name = nameOrURL
	} else {
		if !strings.ContainsAny(nameOrURL, "/:") {
			names := remoteNames(cfgs)
			if len(names) == 0 {
				return nil, fmt.Errorf("%w: no remote named %q, nor any other (add one with git remote add %s URL)", ErrNoRemotes, nameOrURL, nameOrURL)
			}
			return nil, fmt.Errorf("%w: no remote named %q (remotes: %s)", ErrUnknownRemote, nameOrURL, strings.Join(names, ", "))
		}
		urls = []string{nameOrURL}
	}
	insteadOf, pushInsteadOf := urlRewrites(cfgs)
	if len(pushURLs) > 0 {
		for _, u := range pushURLs {
			t.urls = append(t.urls, rewriteURL(u, insteadOf))
		}
	} else {
		// git: a url matching a pushInsteadOf gives a push URL; when
		// any does, those alone are pushed to.
		for _, u := range urls {
			if pu, ok := longestRewrite(u, pushInsteadOf); ok {
				t.urls = append(t.urls, pu)
			}
		}
		if len(t.urls) == 0 {
			for _, u := range urls {
				t.urls = append(t.urls, rewriteURL(u, insteadOf))
			}
		}
	}
	t.urls = slices.DeleteFunc(t.urls, func(u string) bool { return u == "" })
	if len(t.urls) == 0 {
		return nil, fmt.Errorf("remote %q has no URL (set one with git remote set-url %s URL)", nameOrURL, nameOrURL)
	}
	return t, nil
}

// rewrite is one url.BASE.insteadOf (or pushInsteadOf) rule: a URL
// starting with prefix starts with base instead.
type rewrite struct{ base, prefix string }

func urlRewrites(cfgs []*format.Config) (insteadOf, pushInsteadOf []rewrite) {
	subsections(cfgs, "url", func(ss *format.Subsection) {
		for _, p := range ss.Options.GetAll("insteadOf") {
			insteadOf = append(insteadOf, rewrite{ss.Name, p})
		}
		for _, p := range ss.Options.GetAll("pushInsteadOf") {
			pushInsteadOf = append(pushInsteadOf, rewrite{ss.Name, p})
		}
	})
	return insteadOf, pushInsteadOf
}

// longestRewrite applies the rule with the longest matching prefix, as
// git does.
func longestRewrite(u string, rules []rewrite) (string, bool) {
	best := -1
	for i, rw := range rules {
		if strings.HasPrefix(u, rw.prefix) && (best < 0 || len(rw.prefix) > len(rules[best].prefix)) {
			best = i
		}
	}
	if best < 0 {
		return u, false
	}
	return rules[best].base + u[len(rules[best].prefix):], true
}

func rewriteURL(u string, rules []rewrite) string {
	out, _ := longestRewrite(u, rules)
	return out
}

// PushURLs lists where Push would send a remote's refs (a configured
// name, "origin" when empty, or a URL or path), as `git push` would:
// pushurl over url, insteadOf and pushInsteadOf applied. A password
// written in a URL is shown as "***". It fails as Push does on a remote
// that is not configured (ErrNoRemotes, ErrUnknownRemote).
func (r *Repo) PushURLs(remote string) ([]string, error) {
	if remote == "" {
		remote = "origin"
	}
	t, err := r.resolveRemote(remote)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(t.urls))
	for i, u := range t.urls {
		out[i] = redactURL(u)
	}
	return out, nil
}

// redactURL replaces the password of a URL with "***".
func redactURL(u string) string { return redact.URL(u) }
