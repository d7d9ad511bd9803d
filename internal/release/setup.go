package release

import (
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/github"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/manifest"
)

// TodayVar pins the date prerelease and postrelease write into the
// changelog, for reproducible demos and tests.
const TodayVar = "DIST_TODAY"

// defaultTokenEnv holds the GitHub token when dist.yaml's
// github.token_env names no other variable.
const defaultTokenEnv = "GITHUB_TOKEN"

// Clock is Env.Now for today, $DIST_TODAY's value: a YYYY-MM-DD date, or
// "" for the real clock (nil). Anything else is a *failure.UsageError.
func Clock(today string) (func() time.Time, error) {
	if today == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", today)
	if err != nil {
		return nil, failure.Usagef("%s=%q: want YYYY-MM-DD", TodayVar, today)
	}
	return func() time.Time { return t }, nil
}

// GitHubToken is the GitHub token and the environment variable it was
// read from.
type GitHubToken struct {
	Value string // "" when the variable is unset
	Env   string // github.token_env, GITHUB_TOKEN by default
}

// ReadGitHubToken reads the token for m with getenv (os.Getenv: the
// command line reads the environment) from the variable github.token_env
// names, GITHUB_TOKEN by default. It is read once and handed both to the
// GitHub client and to git pushes (GitAuth).
func ReadGitHubToken(m *manifest.Manifest, getenv func(string) string) GitHubToken {
	env := defaultTokenEnv
	if m.GitHub != nil && m.GitHub.TokenEnv != "" {
		env = m.GitHub.TokenEnv
	}
	return GitHubToken{Value: getenv(env), Env: env}
}

// GitAuth is the push credentials with t: sent to github.com only, so a
// GitHub token never reaches another host; other hosts get the git
// credential helpers' or the SSH agent's (gitrepo.Auth).
func (t GitHubToken) GitAuth() gitrepo.Auth {
	return gitrepo.Auth{HostToken: gitrepo.HostToken{Host: "github.com", Token: t.Value, From: t.Env}}
}

// GitHubClient is Options.GitHub for m: nil when dist.yaml has no
// github.repository, else a client for its repository and API with t.
func GitHubClient(m *manifest.Manifest, t GitHubToken) *github.Client {
	if m.GitHub == nil || m.GitHub.Repository == "" {
		return nil
	}
	return &github.Client{API: m.GitHub.APIURL, Repo: m.GitHub.Repository, Token: t.Value, TokenEnv: t.Env}
}
