package release

import (
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/github"
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

// GitHubClient is Options.GitHub for m: nil when dist.yaml has no
// github.repository, else a client for its repository and API, with the
// token read by getenv (os.Getenv: the command line reads the environment)
// from the variable github.token_env names, GITHUB_TOKEN by default.
func GitHubClient(m *manifest.Manifest, getenv func(string) string) *github.Client {
	if m.GitHub == nil || m.GitHub.Repository == "" {
		return nil
	}
	tokenEnv := defaultTokenEnv
	if m.GitHub.TokenEnv != "" {
		tokenEnv = m.GitHub.TokenEnv
	}
	return &github.Client{API: m.GitHub.APIURL, Repo: m.GitHub.Repository, Token: getenv(tokenEnv), TokenEnv: tokenEnv}
}
