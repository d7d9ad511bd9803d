package channel

import (
	"strings"

	"github.com/distbuild/dist/internal/gitrepo"
)

// By says who moves a channel, for the move's record:
//
//   - under GitHub Actions (GITHUB_ACTIONS=true), "ACTOR (GitHub Actions
//     RUN-URL)" from GITHUB_ACTOR and the run's address;
//   - under GitLab CI (GITLAB_CI=true), "LOGIN (GitLab CI JOB-URL)" from
//     GITLAB_USER_LOGIN and CI_JOB_URL;
//   - else the git author identity of the repository at dir, "Name
//     <email>", as git commit would write it;
//   - else $USER, else "unknown".
//
// getenv reads the environment (os.Getenv). A CI job's git identity is
// usually a bot's, or none: the person who started the job is the one a
// channel's history should name.
func By(dir string, getenv func(string) string) string {
	if getenv("GITHUB_ACTIONS") == "true" && getenv("GITHUB_ACTOR") != "" {
		by := getenv("GITHUB_ACTOR") + " (GitHub Actions"
		server, repo, run := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
		if server != "" && repo != "" && run != "" {
			by += " " + strings.TrimSuffix(server, "/") + "/" + repo + "/actions/runs/" + run
		}
		return by + ")"
	}
	if getenv("GITLAB_CI") == "true" && getenv("GITLAB_USER_LOGIN") != "" {
		by := getenv("GITLAB_USER_LOGIN") + " (GitLab CI"
		if u := getenv("CI_JOB_URL"); u != "" {
			by += " " + u
		}
		return by + ")"
	}
	if repo, err := gitrepo.Open(dir); err == nil {
		defer repo.Close()
		if sig, err := repo.Ident(false); err == nil {
			return sig.Name + " <" + sig.Email + ">"
		}
	}
	if u := getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
