package channel

import (
	"os/exec"
	"testing"
)

// TestBy: CI's identity first, then git's, then the user's.
func TestBy(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		env  func(string) string
		want string
	}{
		{env("GITHUB_ACTIONS", "true", "GITHUB_ACTOR", "octocat", "GITHUB_SERVER_URL", "https://github.com", "GITHUB_REPOSITORY", "mozilla/kinto-dist", "GITHUB_RUN_ID", "42", "USER", "me"),
			"octocat (GitHub Actions https://github.com/mozilla/kinto-dist/actions/runs/42)"},
		{env("GITHUB_ACTIONS", "true", "GITHUB_ACTOR", "octocat"), "octocat (GitHub Actions)"},
		{env("GITLAB_CI", "true", "GITLAB_USER_LOGIN", "alice", "CI_JOB_URL", "https://gitlab.example.org/x/-/jobs/7"), "alice (GitLab CI https://gitlab.example.org/x/-/jobs/7)"},
		{env("USER", "me"), "me"},
		{env(), "unknown"},
	} {
		if got := By(dir, tc.env); got != tc.want {
			t.Errorf("By = %q, want %q", got, tc.want)
		}
	}

	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	cmd := exec.Command("git", "init", "-q", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	t.Setenv("GIT_AUTHOR_NAME", "Jane Doe")
	t.Setenv("GIT_AUTHOR_EMAIL", "jane@example.org")
	if got := By(dir, env("USER", "me")); got != "Jane Doe <jane@example.org>" {
		t.Errorf("in a git repository: By = %q", got)
	}
}
