package cli

import (
	"crypto/ecdsa"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/image/build"
	"github.com/distbuild/dist/internal/image/deps"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/release"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/sourcedate"
)

// releaseCommands returns plan, changelog, prerelease, release, postrelease
// and notes.
func releaseCommands(a *app) []*cobra.Command {
	return []*cobra.Command{newPlanCmd(a), newChangelogCmd(a), newPrereleaseCmd(a), newReleaseCmd(a), newPostreleaseCmd(a), newNotesCmd(a)}
}

func (a *app) releaseEnv(m *manifest.Manifest, dryRun bool) (*release.Env, error) {
	repo, err := a.repo(m)
	if err != nil {
		return nil, err
	}
	// With --json, stdout is the report's alone: the step lines go to
	// stderr, with the logs.
	out := a.stdout
	if a.json {
		out = a.stderr
	}
	env := &release.Env{Manifest: m, Repo: repo, DryRun: dryRun, Log: func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
	}}
	if env.Now, err = release.Clock(os.Getenv(release.TodayVar)); err != nil {
		repo.Close()
		return nil, err
	}
	if step := os.Getenv(killAfterVar); step != "" {
		env.AfterStep = func(s string) {
			if s == step {
				killSelf()
			}
		}
	}
	return env, nil
}

// killAfterVar names a release step after which the process kills itself
// with SIGKILL: the crash tests' way to prove that a re-run carries on.
const killAfterVar = "DIST_TEST_KILL_AFTER"

// killSelf stops the process dead, as a crash or a kill -9 would: no
// deferred call, no cleanup.
func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill()
	}
	time.Sleep(time.Second) // the signal is asynchronous
}

// withRelease loads the manifest and the repository, runs one of
// prerelease, release and postrelease, and prints its report under --json
// (a failed run's too).
func (a *app) withRelease(dryRun bool, run func(env *release.Env) (*release.Report, error)) error {
	m, err := a.manifest()
	if err != nil {
		return err
	}
	env, err := a.releaseEnv(m, dryRun)
	if err != nil {
		return err
	}
	defer env.Repo.Close()
	rep, err := run(env)
	if a.json && rep != nil {
		if perr := a.printJSON(rep); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func newPrereleaseCmd(a *app) *cobra.Command {
	var ver string
	var dryRun bool
	var skip []string
	cmd := &cobra.Command{
		Use:   "prerelease [--version V]",
		Short: "Check, date the changelog entry, set VERSION, commit \"Preparing release V\"",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range skip {
				if s != "verify" {
					return failure.Usagef("--skip %s: prerelease can skip only verify", s)
				}
			}
			return a.withRelease(dryRun, func(env *release.Env) (*release.Report, error) {
				return release.Prerelease(cmd.Context(), env, release.PrereleaseOptions{
					Version: ver, SkipVerify: len(skip) > 0, Open: a.openLockfiles(opener.Settings{}),
				})
			})
		},
	}
	cmd.Flags().StringVar(&ver, "version", "", "release this version (default: the policy's next version)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "run the checks and say what would change, changing nothing")
	cmd.Flags().StringSliceVar(&skip, "skip", nil, "skip a check: verify (the lockfile check against the indexes)")
	return cmd
}

func newReleaseCmd(a *app) *cobra.Command {
	var o release.Options
	var dryRun bool
	var skip []string
	var signKey, imageKeyFile string
	cmd := &cobra.Command{
		Use:   "release [--no-push] [--skip image,github] [--image-key FILE]",
		Short: "Annotated tag, image build and push, tag push, GitHub release draft",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range skip {
				switch s {
				case "image":
					o.SkipImage = true
				case "github":
					o.SkipGitHub = true
				default:
					return failure.Usagef("--skip %s: want image or github", s)
				}
			}
			var err error
			if o.SignKey, err = loadTagKey(signKey); err != nil {
				return err
			}
			var imageKey *ecdsa.PrivateKey
			if imageKeyFile != "" {
				if imageKey, err = loadImageKey(imageKeyFile); err != nil {
					return err
				}
			}
			return a.withRelease(dryRun, func(env *release.Env) (*release.Report, error) {
				token := release.ReadGitHubToken(env.Manifest, os.Getenv)
				o.GitHub = release.GitHubClient(env.Manifest, token)
				o.Auth = token.GitAuth()
				o.Image = a.imageOptions(env.Manifest)
				o.Image.SignKey = imageKey
				return release.Release(cmd.Context(), env, o)
			})
		},
	}
	cmd.Flags().BoolVar(&o.NoPush, "no-push", false, "tag (and build the image) locally; push nothing")
	cmd.Flags().StringSliceVar(&skip, "skip", nil, "skip steps: image, github")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be done, doing nothing")
	cmd.Flags().StringVar(&o.Remote, "remote", "origin", "git remote to push to")
	cmd.Flags().StringVar(&signKey, "sign-key", "", "OpenPGP private key (file or armored text) to sign the tag with; default $DIST_SIGNING_KEY")
	cmd.Flags().StringVar(&imageKeyFile, "image-key", "", "sign the pushed image as cosign does with this private key `FILE` (PEM, or cosign's with $"+PasswordEnv+")")
	return cmd
}

func newPostreleaseCmd(a *app) *cobra.Command {
	var o release.PostreleaseOptions
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "postrelease [--version NEXT]",
		Short: "VERSION NEXT.dev0, a new unreleased changelog entry, commit \"Back to development: NEXT\"",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withRelease(dryRun, func(env *release.Env) (*release.Report, error) {
				o.Auth = release.ReadGitHubToken(env.Manifest, os.Getenv).GitAuth()
				return release.Postrelease(cmd.Context(), env, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Version, "version", "", "the next version (default: the next patch)")
	cmd.Flags().BoolVar(&o.NoPush, "no-push", false, "commit only; push nothing")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would change, changing nothing")
	cmd.Flags().StringVar(&o.Remote, "remote", "origin", "git remote to push to")
	return cmd
}

func newNotesCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "notes [VERSION]",
		Short: "A changelog entry as GitHub Markdown (default: the latest dated one)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			version := ""
			if len(args) == 1 {
				version = args[0]
			}
			notes, err := release.ReadNotes(m, version)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(notes)
			}
			fmt.Fprint(a.stdout, notes.Text)
			if !strings.HasSuffix(notes.Text, "\n") {
				fmt.Fprintln(a.stdout)
			}
			return nil
		},
	}
}

// imageOptions are the build settings dist build, dist release and dist
// verify-image share: dist's HTTP client, SOURCE_DATE_EPOCH, and the
// dependencies installer for whichever dist.yaml the build reads (the
// tagged commit's, for a release). The installer's sources allow plain
// HTTP as the build's registries do: o.Insecure as set when it runs.
func (a *app) imageOptions(m *manifest.Manifest) *image.BuildOptions {
	o := &image.BuildOptions{
		Manifest: m, Client: a.http(), SourceDateEpoch: os.Getenv(sourcedate.Var),
		Step: a.step, Log: a.log(), DistVersion: versionString(), By: channel.By(m.Dir, os.Getenv),
	}
	o.DependenciesFor = func(m *manifest.Manifest) build.Installer {
		return deps.New(m, a.http(), a.openLockfiles(opener.Settings{Insecure: o.Insecure}), deps.Logs{Step: a.step, Log: a.log()})
	}
	return o
}
