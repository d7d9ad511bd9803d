package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
)

// skipValues are what each command's --skip accepts, offered by shell
// completion (TestSkipCompletionsAccepted keeps them in step with the
// commands).
var skipValues = map[string][]string{
	"prerelease": {"verify"},
	"release":    {"image", "github"},
}

// addCompletions teaches shell completion (`dist completion bash|zsh|fish|
// powershell`, through cobra's hidden __complete command) what it cannot
// guess from the flags: the pinned names that `lock upgrade` and `lock
// why` take, the lockfiles -f names, and the values of --skip.
func addCompletions(root *cobra.Command, a *app) {
	find := func(path ...string) *cobra.Command {
		c, rest, err := root.Find(path)
		if err != nil || len(rest) > 0 || c == root {
			return nil
		}
		return c
	}
	if c := find("lock", "upgrade"); c != nil {
		c.ValidArgsFunction = a.completePins(false, true)
	}
	if c := find("lock", "why"); c != nil {
		c.ValidArgsFunction = a.completePins(true, false)
	}
	for _, name := range []string{"add", "upgrade", "verify", "why", "outdated"} {
		if c := find("lock", name); c != nil && c.Flags().Lookup("file") != nil {
			_ = c.RegisterFlagCompletionFunc("file", a.completeLockfiles)
		}
	}
	for name, values := range skipValues {
		if c := find(name); c != nil && c.Flags().Lookup("skip") != nil {
			_ = c.RegisterFlagCompletionFunc("skip", completeList(values))
		}
	}
}

// completionManifest loads dist.yaml for a completion, from -C DIR when
// given (flags are parsed for __complete, but PersistentPreRunE does not
// run). A completion never reports errors: nil means offer nothing.
func (a *app) completionManifest() *manifest.Manifest {
	dir := a.dir
	if dir == "" {
		dir = "."
	}
	m, err := manifest.Load(dir)
	if err != nil {
		return nil
	}
	return m
}

// completePins offers the names pinned in the lockfiles (only in the one
// -f names, when given; only pypi lockfiles with pypiOnly), minus those
// already on the command line; one name at most unless many.
func (a *app) completePins(pypiOnly, many bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		if !many && len(args) > 0 {
			return nil, none
		}
		m := a.completionManifest()
		if m == nil {
			return nil, none
		}
		only := ""
		if f := cmd.Flags().Lookup("file"); f != nil {
			only = filepath.Clean(f.Value.String())
		}
		var names []string
		for _, l := range m.Lockfiles {
			if (pypiOnly && l.Ecosystem != "pypi") || (only != "." && only != filepath.Clean(l.Path)) {
				continue
			}
			path, err := m.Resolve(l.Path)
			if err != nil {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			f, err := lockfile.Parse(l.Path, data)
			if err != nil {
				continue
			}
			for _, e := range f.Entries() {
				if strings.HasPrefix(strings.ToLower(e.Name), strings.ToLower(toComplete)) && !slices.Contains(args, e.Name) {
					names = append(names, e.Name)
				}
			}
		}
		slices.Sort(names)
		return slices.Compact(names), none
	}
}

// completeLockfiles offers the lockfiles dist.yaml lists.
func (a *app) completeLockfiles(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var paths []string
	if m := a.completionManifest(); m != nil {
		for _, l := range m.Lockfiles {
			if strings.HasPrefix(l.Path, toComplete) {
				paths = append(paths, l.Path)
			}
		}
	}
	return paths, cobra.ShellCompDirectiveNoFileComp
}

// completeList completes a comma-separated list of values: the part after
// the last comma, among the values not already in the list.
func completeList(values []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		given := strings.Split(done, ",")
		var out []string
		left := 0
		for _, v := range values {
			if slices.Contains(given, v) {
				continue
			}
			left++
			if strings.HasPrefix(v, last) {
				out = append(out, done+v)
			}
		}
		d := cobra.ShellCompDirectiveNoFileComp
		if left > 1 {
			// Another value may follow after a comma.
			d |= cobra.ShellCompDirectiveNoSpace
		}
		return out, d
	}
}
