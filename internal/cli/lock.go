package cli

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/atomicfile"
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

func (f *lockFlags) register(cmd *cobra.Command, index bool) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "act on this lockfile only (default: every lockfile in dist.yaml)")
	if index {
		cmd.Flags().StringVar(&f.settings.IndexURL, "index-url", "", "PEP 503/691 index for pypi lockfiles (overrides dist.yaml and PIP_INDEX_URL)")
		cmd.Flags().StringSliceVar(&f.settings.PythonVersion, "python-version", nil, "pin only files for these Python versions (e.g. 3.12)")
		cmd.Flags().StringSliceVar(&f.settings.Platform, "platform", nil, "pin only files for these platform tags (e.g. manylinux2014_x86_64)")
		cmd.Flags().BoolVar(&f.settings.Insecure, "insecure", false, "allow plain HTTP to any image registry")
	}
}

// lockLockfiles takes the lock of every lockfile in dist.yaml, in sorted
// order, before they are read: add and upgrade read, change and write
// them, and a second writer meanwhile would lose the first one's pins.
// Resolving may touch any lockfile of the pin set, so all are held. A dry
// run writes nothing and takes no lock.
func (a *app) lockLockfiles(dryRun bool) (func(), error) {
	if dryRun {
		return func() {}, nil
	}
	m, err := a.manifest()
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, l := range m.Lockfiles {
		paths = append(paths, m.Abs(l.Path))
	}
	sort.Strings(paths)
	paths = slices.Compact(paths)
	return atomicfile.LockAll(paths)
}

func (a *app) loadTargets(f *lockFlags) ([]*lockset.Target, error) {
	targets, _, err := a.loadSet(f)
	return targets, err
}

// loadSet loads the lockfiles acted on (the one -f names, or all) and the
// pypi pin set they belong to, sharing one Target per file so that what the
// set edits is what gets written.
func (a *app) loadSet(f *lockFlags) ([]*lockset.Target, *lockset.PySet, error) {
	targets, _, set, err := a.loadAllSet(f)
	return targets, set, err
}

// loadAllSet is loadSet that also returns every lockfile of dist.yaml,
// the acted-on ones among them.
func (a *app) loadAllSet(f *lockFlags) ([]*lockset.Target, []*lockset.Target, *lockset.PySet, error) {
	m, err := a.manifest()
	if err != nil {
		return nil, nil, nil, err
	}
	open := a.openLockfiles(f.settings)
	if f.file != "" {
		if _, err := m.Lockfile(f.file); err != nil {
			return nil, nil, nil, err
		}
	}
	all, err := lockset.Load(m, "", open)
	if err != nil {
		return nil, nil, nil, err
	}
	targets := all
	if f.file != "" {
		l, _ := m.Lockfile(f.file)
		targets = nil
		for _, t := range all {
			if t.Lock == l {
				targets = append(targets, t)
			}
		}
	}
	set, err := lockset.NewPySet(m, all)
	if f.noDeps {
		// Nothing is resolved: the set only gives add the targets to
		// compare markers in, when dist.yaml says which they are.
		if err != nil {
			set = nil
		}
		return targets, all, set, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return targets, all, set, nil
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
			unlock, err := a.lockLockfiles(dryRun)
			if err != nil {
				return err
			}
			defer unlock()
			m, err := a.manifest()
			if err != nil {
				return err
			}
			if err := lock.CheckPlacement(m, f.file, args); err != nil {
				return err
			}
			targets, all, set, err := a.loadAllSet(&f)
			if err != nil {
				return err
			}
			if len(targets) > 1 {
				return failure.Usagef("dist.yaml lists %d lockfiles: choose one with -f FILE", len(targets))
			}
			t := targets[0]
			pins, err := lock.Add(cmd.Context(), t, args, lock.Options{IncludePre: f.pre, NoDeps: f.noDeps, Set: set, Lockfiles: all})
			if err != nil {
				return err
			}
			return a.finishEdit(withSet(targets, set), pins, dryRun)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&f.noDeps, "no-deps", false, "pin only what is named, not what it requires (hashin's behaviour)")
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
				return failure.Usagef("name the pins to upgrade, or give --all")
			}
			unlock, err := a.lockLockfiles(dryRun)
			if err != nil {
				return err
			}
			defer unlock()
			targets, set, err := a.loadSet(&f)
			if err != nil {
				return err
			}
			pins, err := lock.Upgrade(cmd.Context(), targets, args, lock.Options{IncludePre: f.pre, NoDeps: f.noDeps, Set: set})
			if err != nil {
				return err
			}
			return a.finishEdit(withSet(targets, set), pins, dryRun)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&f.noDeps, "no-deps", false, "move only the named pins, leaving what they require as it is")
	cmd.Flags().BoolVar(&all, "all", false, "upgrade every pin")
	cmd.Flags().BoolVar(&f.pre, "include-prereleases", false, "consider prereleases")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print a unified diff instead of writing")
	return cmd
}

// withSet adds the set's lockfiles to the targets, once each: resolving
// may change any of them.
func withSet(targets []*lockset.Target, set *lockset.PySet) []*lockset.Target {
	if set == nil {
		return targets
	}
	out := append([]*lockset.Target(nil), targets...)
	for _, t := range set.Targets {
		found := false
		for _, o := range out {
			found = found || o == t
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}

// editJSON is what add and upgrade print with --json: the pins written
// (or, with --dry-run, that would be) and, in a dry run, the diff.
type editJSON struct {
	Pins   []lock.Pinned `json:"pins"`
	DryRun bool          `json:"dry_run,omitempty"`
	Diff   string        `json:"diff,omitempty"`
}

// finishEdit prints what add or upgrade did, and writes or, with dryRun,
// shows the diff.
func (a *app) finishEdit(targets []*lockset.Target, pins []lock.Pinned, dryRun bool) error {
	if pins == nil {
		pins = []lock.Pinned{}
	}
	if dryRun {
		changed := false
		var diff strings.Builder
		for _, t := range targets {
			diff.WriteString(t.Diff())
			changed = changed || t.Changed()
		}
		if a.json {
			return a.printJSON(editJSON{Pins: pins, DryRun: true, Diff: diff.String()})
		}
		fmt.Fprint(a.stdout, diff.String())
		if !changed {
			fmt.Fprintln(a.stdout, "everything is up to date")
		}
		return nil
	}
	for _, t := range targets {
		if err := t.Write(); err != nil {
			return err
		}
	}
	if a.json {
		return a.printJSON(editJSON{Pins: pins})
	}
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
			targets, set, err := a.loadSet(&f)
			if err != nil {
				return err
			}
			res, err := lock.Verify(cmd.Context(), targets, lock.VerifyOptions{Download: download, Set: set, Offline: offline})
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
	f.register(cmd, true)
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
			_, set, err := a.loadSet(&f)
			if err != nil {
				return err
			}
			if set == nil {
				return failure.Usagef("dist.yaml lists no pypi lockfile")
			}
			chains, err := lock.Why(cmd.Context(), set, args[0])
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
	f.register(cmd, true)
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
	f.register(cmd, true)
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
		fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s\t%s\n", r.File, r.Line, r.Name, r.Current, r.Latest, strings.ToUpper(r.Level[:1])+r.Level[1:])
	}
	return tw.Flush()
}
