package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/sources"
)

// lockFlags are shared by the lock subcommands.
type lockFlags struct {
	file     string
	settings sources.Settings
	pre      bool
}

func (f *lockFlags) register(cmd *cobra.Command, index bool) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "act on this lockfile only (default: every lockfile in dist.yaml)")
	if index {
		cmd.Flags().StringVar(&f.settings.IndexURL, "index-url", "", "PEP 503/691 index for pypi lockfiles (overrides dist.yaml and PIP_INDEX_URL)")
		cmd.Flags().StringSliceVar(&f.settings.PythonVersion, "python-version", nil, "pin only files for these Python versions (e.g. 3.12)")
		cmd.Flags().StringSliceVar(&f.settings.Platform, "platform", nil, "pin only files for these platform tags (e.g. manylinux2014_x86_64)")
		cmd.Flags().BoolVar(&f.settings.Insecure, "insecure", false, "allow plain HTTP to any image registry")
	}
}

func (a *app) loadTargets(f *lockFlags) ([]*lock.Target, error) {
	m, err := a.manifest()
	if err != nil {
		return nil, err
	}
	return lock.Load(m, f.file, sources.Opener(a.http(), f.settings))
}

func newLockCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Edit and check the hashed lockfiles",
	}
	cmd.AddCommand(newLockAddCmd(a), newLockUpgradeCmd(a), newLockVerifyCmd(a), newLockOutdatedCmd(a))
	return cmd
}

func newLockAddCmd(a *app) *cobra.Command {
	var f lockFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add [-f FILE] SPEC...",
		Short: "Pin name, name==ver, module@ver or image:tag (latest stable when no version)",
		Args:  argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := a.loadTargets(&f)
			if err != nil {
				return err
			}
			if len(targets) > 1 {
				return usage(fmt.Errorf("dist.yaml lists %d lockfiles: choose one with -f FILE", len(targets)))
			}
			t := targets[0]
			pins, err := lock.Add(cmd.Context(), t, args, lock.Options{IncludePre: f.pre})
			if err != nil {
				return err
			}
			return a.finishEdit([]*lock.Target{t}, pins, dryRun)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&f.pre, "include-prereleases", false, "consider prereleases when picking the latest version")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff instead of writing")
	return cmd
}

func newLockUpgradeCmd(a *app) *cobra.Command {
	var f lockFlags
	var dryRun, all bool
	cmd := &cobra.Command{
		Use:   "upgrade [-f FILE] [NAME... | --all]",
		Short: "Move pins to their latest stable version",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usage(fmt.Errorf("name the pins to upgrade, or give --all"))
			}
			targets, err := a.loadTargets(&f)
			if err != nil {
				return err
			}
			pins, err := lock.Upgrade(cmd.Context(), targets, args, lock.Options{IncludePre: f.pre})
			if err != nil {
				return err
			}
			return a.finishEdit(targets, pins, dryRun)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&all, "all", false, "upgrade every pin")
	cmd.Flags().BoolVar(&f.pre, "include-prereleases", false, "consider prereleases")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff instead of writing")
	return cmd
}

// finishEdit prints what add or upgrade did, and writes or, with dryRun,
// shows the diff.
func (a *app) finishEdit(targets []*lock.Target, pins []lock.Pinned, dryRun bool) error {
	if dryRun {
		for _, t := range targets {
			fmt.Fprint(a.stdout, t.Diff())
		}
		return nil
	}
	for _, t := range targets {
		if err := t.Write(); err != nil {
			return err
		}
	}
	if a.json {
		if pins == nil {
			pins = []lock.Pinned{}
		}
		return a.printJSON(pins)
	}
	if len(pins) == 0 {
		fmt.Fprintln(a.stdout, "everything is up to date")
	}
	for _, p := range pins {
		switch p.Kind {
		case "upgraded", "downgraded":
			fmt.Fprintf(a.stdout, "%s: %s %s -> %s (%s)\n", p.File, p.Name, p.From, p.Version, p.Level)
		case "unchanged":
			fmt.Fprintf(a.stdout, "%s: %s==%s already pinned\n", p.File, p.Name, p.Version)
		default:
			fmt.Fprintf(a.stdout, "%s: %s %s==%s (%d %s)\n", p.File, p.Kind, p.Name, p.Version, p.Hashes, plural(p.Hashes, "hash", "hashes"))
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newLockVerifyCmd(a *app) *cobra.Command {
	var f lockFlags
	var download bool
	cmd := &cobra.Command{
		Use:   "verify [-f FILE] [--download]",
		Short: "Check every pin is exact, hashed and matches the index",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := a.loadTargets(&f)
			if err != nil {
				return err
			}
			res, err := lock.Verify(cmd.Context(), targets, lock.VerifyOptions{Download: download})
			if err != nil {
				return err
			}
			if a.json {
				if err := a.printJSON(res); err != nil {
					return err
				}
			} else {
				for _, p := range res.Problems {
					fmt.Fprintln(a.stdout, p.String())
				}
				what := fmt.Sprintf("%d %s", res.Hashes, plural(res.Hashes, "hash", "hashes"))
				if download {
					what += fmt.Sprintf("; %d %s downloaded and re-hashed", res.Files, plural(res.Files, "file", "files"))
				}
				if len(res.Problems) == 0 {
					fmt.Fprintf(a.stdout, "ok: %d %s verified (%s)\n", res.Entries, plural(res.Entries, "entry", "entries"), what)
				} else {
					fmt.Fprintf(a.stdout, "FAILED: %d %s in %d %s (%s)\n", len(res.Problems), plural(len(res.Problems), "problem", "problems"), res.Entries, plural(res.Entries, "entry", "entries"), what)
				}
			}
			if len(res.Problems) > 0 {
				return failed(nil)
			}
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&download, "download", false, "download every locked file and re-hash its bytes")
	return cmd
}

func newLockOutdatedCmd(a *app) *cobra.Command {
	var f lockFlags
	cmd := &cobra.Command{
		Use:   "outdated [-f FILE]",
		Short: "List what upgrade --all would change, marked major, minor or patch",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := a.loadTargets(&f)
			if err != nil {
				return err
			}
			rows := []lock.Outdated{}
			for _, t := range targets {
				r, err := lock.ListOutdated(cmd.Context(), t, lock.Options{IncludePre: f.pre})
				if err != nil {
					return err
				}
				rows = append(rows, r...)
			}
			if a.json {
				return a.printJSON(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.stdout, "everything is up to date")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FILE\tNAME\tCURRENT\tLATEST\tCHANGE")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s\t%s\n", r.File, r.Line, r.Name, r.Current, r.Latest, strings.ToUpper(r.Level[:1])+r.Level[1:])
			}
			return tw.Flush()
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&f.pre, "include-prereleases", false, "consider prereleases")
	return cmd
}
