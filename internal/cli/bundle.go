package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/bundle"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/sourcedate"
)

func newBundleCmd(a *app) *cobra.Command {
	var o bundle.Options
	var settings opener.Settings
	cmd := &cobra.Command{
		Use:   "bundle [-o FILE] [--dry-run]",
		Short: "Write an offline tarball: lockfiles, every hashed artifact, rendered config, install script",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			o.Open = a.openLockfiles(settings)
			o.SourceDateEpoch = os.Getenv(sourcedate.Var)
			res, err := bundle.Write(cmd.Context(), m, o)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(a.stderr, "note: %s\n", s)
			}
			if !o.DryRun {
				fmt.Fprintf(a.stdout, "wrote %s (%s/, %d artifacts, %d bytes)\n", res.Path, res.Root, res.Artifacts, res.Bytes)
				return nil
			}
			fmt.Fprintf(a.stdout, "would write %s (%s/, %d artifacts, %d bytes):\n", res.Path, res.Root, res.Artifacts, res.Bytes)
			// The artifacts are many and named by the lockfiles: count them.
			for _, f := range res.Files {
				if !strings.HasPrefix(f, "vendor/") {
					fmt.Fprintf(a.stdout, "  %s\n", f)
				}
			}
			if res.Artifacts > 0 {
				fmt.Fprintf(a.stdout, "  vendor/ (%d %s)\n", res.Artifacts, plural(res.Artifacts, "artifact", "artifacts"))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "tarball to write (default build/NAME-VERSION.tar.gz)")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "say what the tarball would hold, writing nothing")
	cmd.Flags().StringSliceVar(&settings.Platform, "platform", nil, "bundle only pypi files for these platform tags (e.g. manylinux2014_x86_64)")
	cmd.Flags().StringSliceVar(&settings.PythonVersion, "python-version", nil, "bundle only pypi files for these Python versions")
	return cmd
}
