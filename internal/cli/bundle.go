package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/bundle"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/sourcedate"
)

func newBundleCmd(a *app) *cobra.Command {
	var out string
	var dryRun bool
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
			ver, err := m.Version()
			if err != nil {
				return err
			}
			version := ver.Raw
			targets, err := lockset.Load(m, "", a.openLockfiles(settings))
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(m.Dir, "build", m.Name+"-"+version+".tar.gz")
			}
			if !dryRun {
				if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
					return err
				}
			}
			// The bundle is dated like the image: HEAD's commit time.
			mtime, err := sourcedate.Time(os.Getenv(sourcedate.Var), func() (time.Time, error) {
				repo, err := gitrepo.Open(m.Dir)
				if err != nil {
					return time.Time{}, err
				}
				defer repo.Close()
				return repo.HeadTime()
			})
			if err != nil {
				return failure.Usage(err)
			}
			res, err := bundle.Write(cmd.Context(), m, targets, bundle.Options{Output: out, ModTime: mtime, Version: version, DryRun: dryRun})
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(a.stderr, "note: %s\n", s)
			}
			if !dryRun {
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
	cmd.Flags().StringVarP(&out, "output", "o", "", "tarball to write (default build/NAME-VERSION.tar.gz)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what the tarball would hold, writing nothing")
	cmd.Flags().StringSliceVar(&settings.Platform, "platform", nil, "bundle only pypi files for these platform tags (e.g. manylinux2014_x86_64)")
	cmd.Flags().StringSliceVar(&settings.PythonVersion, "python-version", nil, "bundle only pypi files for these Python versions")
	return cmd
}
