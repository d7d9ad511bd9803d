package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/gobuild"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/release"
	"github.com/distbuild/dist/internal/render"
	"github.com/distbuild/dist/internal/version"
	"github.com/distbuild/dist/internal/wheel"
)

// TestExitCode: each kind of error gives its code, also when wrapped with
// %w or joined, and a failed check wins over the place in a file it names.
func TestExitCode(t *testing.T) {
	_, badVersion := version.ParseFile("VERSION", []byte("banana\n"))
	_, badSpec := lock.ParseSpec("pypi", "kinto @ https://example.org/kinto.whl")
	_, badSet := render.ParseSet([]string{"nokey"})
	_, _, mismatch := (&fetch.Cache{Dir: t.TempDir()}).Put(strings.NewReader("bytes"), "sha256:"+strings.Repeat("0", 64))
	file := fileerr.New("lockfiles/default.txt", 3, `kinto: expected ==VERSION, found "14.3.0"`)
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("connection refused"), ExitFailed},
		{"usage", failure.Usagef("--skip %s: want image or github", "x"), ExitUsage},
		{"check", failure.Checkf("1 rendered config is out of date"), ExitFailed},
		{"silent check", &failure.CheckError{}, ExitFailed},
		{"silent usage", &failure.UsageError{}, ExitUsage},
		{"file", file, ExitUsage},
		{"no dist.yaml", manifest.ErrNotFound, ExitUsage},
		{"VERSION banana", badVersion, ExitUsage},
		{"spec", badSpec, ExitUsage},
		{"--set", badSet, ExitUsage},
		{"hash mismatch", mismatch, ExitFailed},
		{"wheel hash mismatch", &wheel.Error{Kind: wheel.ErrHashMismatch, Msg: "x"}, ExitFailed},
		{"go module hash mismatch", fmt.Errorf("build: %w", gobuild.ErrHashMismatch), ExitFailed},
		{"refusal", failure.Check(&release.Refusal{Step: "prerelease", Reasons: []string{"HEAD is detached"}}), ExitFailed},
		{"incomplete set", failure.Check(&lockset.IncompleteError{}), ExitFailed},
		{"check at a file's line", failure.Check(fmt.Errorf("%w: hash mismatch", file)), ExitFailed},
		{"joined files", errors.Join(fileerr.New("dist.yaml", 2, "a"), fileerr.New("dist.yaml", 5, "b")), ExitUsage},
	} {
		if tc.err != nil && tc.want == ExitFailed && tc.name != "plain" {
			var ce *failure.CheckError
			if !errors.As(tc.err, &ce) {
				t.Errorf("%s: %v (%T) is not a *failure.CheckError", tc.name, tc.err, tc.err)
			}
		}
		for _, err := range []error{tc.err, wrap(tc.err)} {
			if got := exitCode(err); got != tc.want {
				t.Errorf("%s: exitCode(%v) = %d, want %d", tc.name, err, got, tc.want)
			}
		}
	}
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("dependencies for linux/amd64: %w", err)
}

// TestCobraUsage: what cobra itself refuses exits 2, by type, and help
// and version still exit 0.
func TestCobraUsage(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args   []string
		want   int
		stderr string
	}{
		{[]string{"nope"}, ExitUsage, `unknown command "nope" for "dist"`},
		{[]string{"notse"}, ExitUsage, "Did you mean this?\n\tnotes"},
		{[]string{"lock", "nope"}, ExitUsage, `unknown command "nope" for "dist lock"`},
		{[]string{"config", "rendr"}, ExitUsage, "Did you mean this?\n\trender"},
		{[]string{"completion", "tcsh"}, ExitUsage, `unknown command "tcsh" for "dist completion"`},
		{[]string{"help", "man"}, ExitUsage, `unknown help topic "man"`},
		{[]string{"help", "lock", "nope"}, ExitUsage, `unknown help topic "lock nope"`},
		{[]string{"--nope"}, ExitUsage, "unknown flag: --nope"},
		{[]string{"plan", "extra"}, ExitUsage, `unknown command "extra" for "dist plan"`},
		{[]string{"promote", "1.0.0"}, ExitUsage, "accepts 2 arg(s), received 1"},
		{[]string{"--jobs", "x", "plan"}, ExitUsage, `invalid argument "x" for "--jobs"`},
		{[]string{"--jobs", "0", "plan"}, ExitUsage, "--jobs 0: want at least 1"},
		{[]string{"--jobs=-5", "lock", "verify"}, ExitUsage, "--jobs -5: want at least 1"},
		{[]string{"-C", "nowhere", "plan"}, ExitUsage, "-C nowhere: not a directory"},
		{[]string{"plan"}, ExitUsage, "no dist.yaml found"},
		{[]string{"help", "lock"}, ExitOK, ""},
		{[]string{"lock"}, ExitOK, ""},
		{[]string{}, ExitOK, ""},
		{[]string{"--version"}, ExitOK, ""},
	} {
		var stderr bytes.Buffer
		got := Run(context.Background(), tc.args, io.Discard, &stderr)
		if got != tc.want || !strings.Contains(stderr.String(), tc.stderr) || (tc.stderr == "") != (stderr.Len() == 0) {
			t.Errorf("dist %s: exit %d, stderr %q; want %d, %q", strings.Join(tc.args, " "), got, stderr.String(), tc.want, tc.stderr)
		}
	}
}
