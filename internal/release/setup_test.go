package release

import (
	"errors"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/github"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/manifest"
)

func TestClock(t *testing.T) {
	if now, err := Clock(""); now != nil || err != nil {
		t.Errorf("unset: %v", err)
	}
	now, err := Clock("2024-02-29")
	if err != nil || !now().Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("2024-02-29: %v", err)
	}
	var ue *failure.UsageError
	if _, err := Clock("29/02/2024"); !errors.As(err, &ue) || err.Error() != `DIST_TODAY="29/02/2024": want YYYY-MM-DD` {
		t.Errorf("a bad date: %v", err)
	}
}

func TestGitHubClient(t *testing.T) {
	env := map[string]string{"GITHUB_TOKEN": "default-token", "RELEASE_TOKEN": "own-token"}
	getenv := func(k string) string { return env[k] }
	client := func(m *manifest.Manifest) *github.Client { return GitHubClient(m, ReadGitHubToken(m, getenv)) }
	if c := client(&manifest.Manifest{}); c != nil {
		t.Errorf("no github: gave %+v", c)
	}
	if c := client(&manifest.Manifest{GitHub: &manifest.GitHub{APIURL: "https://ghe.example.org/api/v3"}}); c != nil {
		t.Errorf("github: without a repository gave %+v", c)
	}
	c := client(&manifest.Manifest{GitHub: &manifest.GitHub{Repository: "o/r"}})
	if c == nil || c.Repo != "o/r" || c.Token != "default-token" || c.TokenEnv != "GITHUB_TOKEN" || c.API != "" {
		t.Errorf("default token: %+v", c)
	}
	c = client(&manifest.Manifest{GitHub: &manifest.GitHub{Repository: "o/r", APIURL: "https://ghe.example.org/api/v3", TokenEnv: "RELEASE_TOKEN"}})
	if c == nil || c.Token != "own-token" || c.TokenEnv != "RELEASE_TOKEN" || c.API != "https://ghe.example.org/api/v3" {
		t.Errorf("token_env: %+v", c)
	}
}

// TestGitAuth: pushes get the token github.token_env names, for
// github.com only; without github: in dist.yaml, GITHUB_TOKEN's.
func TestGitAuth(t *testing.T) {
	env := map[string]string{"GITHUB_TOKEN": "default-token", "RELEASE_TOKEN": "own-token"}
	getenv := func(k string) string { return env[k] }
	a := ReadGitHubToken(&manifest.Manifest{GitHub: &manifest.GitHub{TokenEnv: "RELEASE_TOKEN"}}, getenv).GitAuth()
	if want := (gitrepo.HostToken{Host: "github.com", Token: "own-token", From: "RELEASE_TOKEN"}); a.HostToken != want || a.Token != "" || a.Method != nil {
		t.Errorf("token_env: %+v", a)
	}
	a = ReadGitHubToken(&manifest.Manifest{}, getenv).GitAuth()
	if want := (gitrepo.HostToken{Host: "github.com", Token: "default-token", From: "GITHUB_TOKEN"}); a.HostToken != want {
		t.Errorf("default: %+v", a)
	}
}

// TestImageSkip: a release builds an image only when dist.yaml names the
// repository it goes to, whatever build options it was given.
func TestImageSkip(t *testing.T) {
	withRepo := &manifest.Manifest{Image: &manifest.Image{Repository: "registry.example.org/app"}}
	noRepo := &manifest.Manifest{Image: &manifest.Image{Base: "scratch"}}
	for _, tc := range []struct {
		m    *manifest.Manifest
		o    Options
		want string
	}{
		{withRepo, Options{Image: &image.BuildOptions{}}, ""},
		{withRepo, Options{Image: &image.BuildOptions{}, SkipImage: true}, "--skip image"},
		{withRepo, Options{}, "no image: in dist.yaml"},
		{noRepo, Options{Image: &image.BuildOptions{}}, "no image: in dist.yaml"},
		{&manifest.Manifest{}, Options{Image: &image.BuildOptions{}}, "no image: in dist.yaml"},
	} {
		r := &releaseRun{env: &Env{Manifest: tc.m}, o: tc.o}
		if got := r.imageSkip(); got != tc.want {
			t.Errorf("%+v with %+v: skip %q, want %q", tc.m.Image, tc.o, got, tc.want)
		}
	}
}
