package channel

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/testenv/registry"
)

// TestSurvey: dist status's run over a real registry, and its refusals,
// each of the kind its exit code needs.
func TestSurvey(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registry.StartInProcess(t)
	digest := registry.PushRandomImage(t, host+"/team/app:1.0.0")
	rc := regclient.New(regclient.Options{})
	ctx := context.Background()
	repo, err := rc.ParseRepository(host + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := rc.Remote(ctx, repo.Registry)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Move(ctx, repo, "stage", "1.0.0", digest, ci, time.Unix(1700000000, 0), Options{Remote: opts}); err != nil {
		t.Fatal(err)
	}

	o := SurveyOptions{Client: rc, Repository: host + "/team/app", Config: cfg}
	rep, err := Survey(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reference != repo.String() || len(rep.Channels) != 3 {
		t.Fatalf("report: %+v", rep)
	}
	if s := rep.Channels[1]; s.Channel != "stage" || s.Digest != digest || s.Version != "1.0.0" || !s.Recorded {
		t.Errorf("stage: %+v", s)
	}
	o.Names = []string{"prod"}
	if rep, err := Survey(ctx, o); err != nil || len(rep.Channels) != 1 || rep.Channels[0].Digest != "" {
		t.Errorf("prod alone: %+v, %v", rep, err)
	}

	var usage *failure.UsageError
	var check *failure.CheckError
	for _, tc := range []struct {
		what string
		o    SurveyOptions
		ok   func(error) bool
	}{
		{"no channels", SurveyOptions{Client: rc, Repository: o.Repository}, func(err error) bool {
			return errors.As(err, &usage) && strings.HasPrefix(err.Error(), "dist.yaml has no channels:")
		}},
		{"a repository that does not parse", SurveyOptions{Client: rc, Repository: "Not A/Repo", Config: cfg}, func(err error) bool {
			return errors.As(err, &usage) && strings.HasPrefix(err.Error(), `image.repository "Not A/Repo":`)
		}},
		{"a channel dist.yaml lacks", SurveyOptions{Client: rc, Repository: o.Repository, Config: cfg, Names: []string{"qa"}}, func(err error) bool {
			var ce *Error
			return errors.As(err, &usage) && errors.As(err, &ce)
		}},
		{"a registry that is not there", SurveyOptions{Client: rc, Repository: "127.0.0.1:1/team/app", Config: cfg}, func(err error) bool {
			return errors.As(err, &check)
		}},
	} {
		if _, err := Survey(ctx, tc.o); !tc.ok(err) {
			t.Errorf("%s: %#v", tc.what, err)
		}
	}
}
