package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/source/opener"
)

// lockFlags are shared by the lock subcommands.
type lockFlags struct {
	file     string
	settings opener.Settings
	pre      bool
	noDeps   bool
}

func (f *lockFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "act on this lockfile only (default: every lockfile in dist.yaml)")
	cmd.Flags().StringVar(&f.settings.IndexURL, "index-url", "", "PEP 503/691 index for pypi lockfiles (overrides dist.yaml and PIP_INDEX_URL)")
	cmd.Flags().StringSliceVar(&f.settings.PythonVersion, "python-version", nil, "pin only files for these Python versions (e.g. 3.12)")
	cmd.Flags().StringSliceVar(&f.settings.Platform, "platform", nil, "pin only files for these platform tags (e.g. manylinux2014_x86_64)")
	cmd.Flags().BoolVar(&f.settings.Insecure, "insecure", false, "allow plain HTTP to any image registry")
}

// lockfiles loads the lockfiles a read-only lock command acts on (the one
// -f names, or all) with the pin set they belong to.
func (a *app) lockfiles(f *lockFlags) (*lockset.Selection, error) {
	m, err := a.manifest()
	if err != nil {
		return nil, err
	}
	return lockset.Select(m, lockset.SelectOptions{File: f.file, Open: a.openLockfiles(f.settings)})
}

// edit is the part of lock add's and lock upgrade's options the shared
// flags set.
func (a *app) edit(f *lockFlags, dryRun bool) lock.EditOptions {
	return lock.EditOptions{File: f.file, Open: a.openLockfiles(f.settings), IncludePre: f.pre, NoDeps: f.noDeps, DryRun: dryRun}
}

func newLockCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Edit and check the hashed lockfiles",
	}
	cmd.AddCommand(newLockAddCmd(a), newLockUpgradeCmd(a), newLockVerifyCmd(a), newLockWhyCmd(a), newLockOutdatedCmd(a))
	return cmd
}

func newLockAddCmd(a *app) *cobra.Command {
	var f lockFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add [-f FILE] SPEC...",
		Short: "Pin name, name[extra]==ver, a range (name>=1,<2), module@ver or image:tag (latest stable when no version)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			res, err := lock.Add(cmd.Context(), m, lock.AddOptions{EditOptions: a.edit(&f, dryRun), Specs: args})
			if err != nil {
				return err
			}
			return a.printEdit(res)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.noDeps, "no-deps", false, "pin only what is named, not what it requires (hashin's behaviour)")
	cmd.Flags().BoolVar(&f.pre, "include-prereleases", false, "consider prereleases when picking the latest version")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff instead of writing")
	return cmd
}

func newLockUpgradeCmd(a *app) *cobra.Command {
	var f lockFlags
	var dryRun, all bool
	cmd := &cobra.Command{
		Use:   "upgrade [-f FILE] [NAME[==VERSION]... | --all]",
		Short: "Move pins to their latest stable version, or to the version or range given (NAME==VER, NAME>=1,<2)",
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			res, err := lock.Upgrade(cmd.Context(), m, lock.UpgradeOptions{EditOptions: a.edit(&f, dryRun), Specs: args, All: all})
			if err != nil {
				return err
			}
			return a.printEdit(res)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.noDeps, "no-deps", false, "move only the named pins, leaving what they require as it is")
	cmd.Flags().BoolVar(&all, "all", false, "upgrade every pin")
	cmd.Flags().BoolVar(&f.pre, "include-prereleases", false, "consider prereleases")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff instead of writing")
	return cmd
}

// printEdit prints what add or upgrade did: with --dry-run the diff, else
// a line per pin.
func (a *app) printEdit(res *lock.Edit) error {
	if a.json {
		return a.printJSON(res)
	}
	if res.DryRun {
		fmt.Fprint(a.stdout, res.Diff)
		if !res.Changed {
			fmt.Fprintln(a.stdout, "everything is up to date")
		}
		return nil
	}
	pins := res.Pins
	if len(pins) == 0 {
		fmt.Fprintln(a.stdout, "everything is up to date")
	}
	for _, p := range pins {
		var line string
		switch p.Kind {
		case lock.Upgraded:
			line = fmt.Sprintf("%s: %s %s -> %s (%s)", p.File, p.Name, p.From, p.Version, p.Level)
		case lock.Downgraded:
			line = fmt.Sprintf("%s: %s %s -> %s (%s, downgrade)", p.File, p.Name, p.From, p.Version, p.Level)
		case lock.Unchanged:
			line = fmt.Sprintf("%s: %s%s==%s already pinned", p.File, p.Name, p.Extras, p.Version)
		case lock.Removed:
			line = fmt.Sprintf("%s: removed %s==%s", p.File, p.Name, p.From)
		case lock.Noted:
			line = fmt.Sprintf("%s: %s==%s: marker or via note updated", p.File, p.Name, p.Version)
		default:
			line = fmt.Sprintf("%s: %s %s%s==%s (%d %s)", p.File, p.Kind, p.Name, p.Extras, p.Version, len(p.Hashes), plural(len(p.Hashes), "hash", "hashes"))
		}
		if p.Marker != "" && p.Kind != lock.Removed {
			line += " ; " + p.Marker
		}
		if len(p.Via) > 0 && p.Kind != lock.Removed {
			line += ", via " + strings.Join(p.Via, ", ")
		}
		if len(p.Lines) > 0 {
			line += ", with " + strings.Join(p.Lines, " and ") + " (pip's hash mode wants a line per form asked for)"
		}
		if p.Why != "" {
			line += ": " + p.Why
		}
		fmt.Fprintln(a.stdout, line)
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
	var download, offline bool
	cmd := &cobra.Command{
		Use:   "verify [-f FILE] [--download | --offline]",
		Short: "Check every pin is exact, hashed and matches the index",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if offline && download {
				return failure.Usagef("--offline and --download exclude each other")
			}
			sel, err := a.lockfiles(&f)
			if err != nil {
				return err
			}
			res, err := lock.Verify(cmd.Context(), sel.Targets, lock.VerifyOptions{Download: download, Set: sel.Set, Offline: offline})
			var indexErr *lock.IndexError
			if err != nil && !errors.As(err, &indexErr) {
				return err
			}
			if a.json {
				if err := a.printJSON(res); err != nil {
					return err
				}
			} else {
				printLockVerify(a, res, download, indexErr != nil)
			}
			// The problems are printed: nothing more to say on stderr.
			return res.Verdict(indexErr)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&download, "download", false, "download every locked file and re-hash its bytes")
	cmd.Flags().BoolVar(&offline, "offline", false, "run only the checks that need no index (completeness from the metadata in the cache)")
	return cmd
}

// printLockVerify prints lock verify's problems, one a line, and its summary:
// ok, FAILED, or INCOMPLETE when the index could not be asked.
func printLockVerify(a *app, res *lock.VerifyResult, download, incomplete bool) {
	for _, p := range res.Problems {
		fmt.Fprintln(a.stdout, p.String())
	}
	what := fmt.Sprintf("%d %s", res.Hashes, plural(res.Hashes, "hash", "hashes"))
	if download {
		what += fmt.Sprintf("; %d %s downloaded and re-hashed", res.Files, plural(res.Files, "file", "files"))
	}
	if res.Targets > 0 && len(res.Problems) == 0 && res.Uncached == 0 {
		what += fmt.Sprintf("; complete for %d %s", res.Targets, plural(res.Targets, "target", "targets"))
	} else if res.Targets > 0 {
		what += fmt.Sprintf("; %d %s checked for completeness", res.Targets, plural(res.Targets, "target", "targets"))
	}
	if res.Uncached > 0 {
		what += fmt.Sprintf("; %d %s not cached, so not checked", res.Uncached, plural(res.Uncached, "pin's requirements", "pins' requirements"))
	}
	if res.Offline {
		what += "; without the index"
	}
	if incomplete {
		fmt.Fprintf(a.stdout, "INCOMPLETE: %d %s in %d %s (%s)\n", len(res.Problems), plural(len(res.Problems), "problem", "problems"), res.Entries, plural(res.Entries, "entry", "entries"), what)
	} else if len(res.Problems) == 0 {
		fmt.Fprintf(a.stdout, "ok: %d %s verified (%s)\n", res.Entries, plural(res.Entries, "entry", "entries"), what)
	} else {
		fmt.Fprintf(a.stdout, "FAILED: %d %s in %d %s (%s)\n", len(res.Problems), plural(len(res.Problems), "problem", "problems"), res.Entries, plural(res.Entries, "entry", "entries"), what)
	}
}

// whyJSON is what lock why prints with --json.
type whyJSON struct {
	Name   string        `json:"name"`
	Chains [][]lock.Link `json:"chains"`
}

func newLockWhyCmd(a *app) *cobra.Command {
	var f lockFlags
	cmd := &cobra.Command{
		Use:   "why NAME",
		Short: "Show every chain of requirements that brings a pypi pin in",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := a.lockfiles(&f)
			if err != nil {
				return err
			}
			chains, err := lock.Why(cmd.Context(), sel.Set, args[0])
			if err != nil {
				return err
			}
			if a.json {
				if chains == nil {
					chains = [][]lock.Link{}
				}
				return a.printJSON(whyJSON{Name: args[0], Chains: chains})
			}
			if len(chains) == 0 {
				fmt.Fprintf(a.stdout, "%s: no direct pin requires it (nothing would install it)\n", args[0])
				return nil
			}
			for _, c := range chains {
				parts := []string{fmt.Sprintf("%s %s", c[0].Name, c[0].Version)}
				for _, l := range c[1:] {
					parts = append(parts, l.Requirement)
				}
				fmt.Fprintln(a.stdout, strings.Join(parts, " → "))
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

// outdatedJSON is what lock outdated prints with --json.
type outdatedJSON struct {
	Pins []lock.Outdated `json:"pins"`
}

func newLockOutdatedCmd(a *app) *cobra.Command {
	var f lockFlags
	var exitCode bool
	cmd := &cobra.Command{
		Use:   "outdated [-f FILE] [--exit-code]",
		Short: "List what upgrade --all would change, marked major, minor or patch",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := a.lockfiles(&f)
			if err != nil {
				return err
			}
			rows, err := lock.ListOutdated(cmd.Context(), sel.Targets, lock.Options{IncludePre: f.pre})
			if err != nil {
				return err
			}
			if err := a.printOutdated(rows); err != nil {
				return err
			}
			if exitCode && len(rows) > 0 {
				// As git diff --exit-code: the list is the report, the
				// code tells CI that there was something to list.
				return &failure.CheckError{}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.pre, "include-prereleases", false, "consider prereleases")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when anything is outdated (for CI)")
	return cmd
}

func (a *app) printOutdated(rows []lock.Outdated) error {
	if a.json {
		return a.printJSON(outdatedJSON{Pins: rows})
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.stdout, "everything is up to date")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tNAME\tCURRENT\tLATEST\tCHANGE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s\t%s\n", r.File, r.Line, r.Name, r.Current, r.Latest, changeWord(r.Level))
	}
	return tw.Flush()
}

// changeWord is a row's level as the CHANGE column shows it, capitalised
// ("Minor"); a row without a level shows "-", as status shows a tag
// without a version, and keeps its column.
func changeWord(level string) string {
	if level == "" {
		return "-"
	}
	return strings.ToUpper(level[:1]) + level[1:]
}
