package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/reldiff/load"
)

func newDiffCmd(a *app) *cobra.Command {
	var format string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "diff FROM TO [--format text|markdown]",
		Short: "What changes between two releases or channels: pins, config keys, changelog entries",
		Long: `What going from FROM to TO changes: the pins, each with its level under the
SemVer policy; the config keys added, removed or changed; and the changelog
entries between the two, without FROM's own. FROM and TO are channels of
dist.yaml, versions or tags: "dist diff prod stage" is what promoting stage
to prod would change. A channel, or a version pushed to image.repository, is
read from its image (release.json, the lockfiles and the rendered configs it
holds; the changelog from git at the commit it was built from); any other
version from its git tag, as is a tag when the registry cannot be reached
(a note on stderr says so). --format markdown is a deployment request to paste
into an issue.`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeChannels,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "markdown" {
				return failure.Usagef("--format %s: want text or markdown", format)
			}
			m, git, err := a.manifestAndRepo()
			if err != nil {
				return err
			}
			defer git.Close()
			res, err := load.Diff(cmd.Context(), args[0], args[1], load.Options{Manifest: m, Git: git, Client: a.registry(insecure),
				Note: func(msg string) { fmt.Fprintf(a.stderr, "dist: note: %s\n", msg) }})
			if err != nil {
				return err
			}
			if a.json {
				js, err := res.JSON()
				if err != nil {
					return err
				}
				_, err = a.stdout.Write(js)
				return err
			}
			if format == "markdown" {
				fmt.Fprint(a.stdout, res.Markdown())
			} else {
				fmt.Fprint(a.stdout, res.Text())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, or markdown: a deployment request")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to any registry (loopback registries always may)")
	return cmd
}
