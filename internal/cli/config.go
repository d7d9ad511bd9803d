package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/render"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Render the example configuration"}
	cmd.AddCommand(newConfigRenderCmd(a))
	return cmd
}

func newConfigRenderCmd(a *app) *cobra.Command {
	var o render.Options
	cmd := &cobra.Command{
		Use:   "render [--check | --dry-run] [--set KEY=VALUE]",
		Short: "Render each configs: template; --check fails on drift",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			res, err := render.Apply(m, o)
			if res == nil {
				return err
			}
			if a.json {
				if err := a.printJSON(res); err != nil {
					return err
				}
			} else {
				printRender(a, res, o)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&o.Check, "check", false, "render in memory and fail with a diff when a committed output differs")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "print the diff of what would change, writing nothing")
	cmd.Flags().StringArrayVar(&o.Set, "set", nil, "template variable `KEY=VALUE` (overrides vars: in dist.yaml)")
	return cmd
}

// printRender shows the drift for --check and --dry-run, and each output's
// state for a render and --dry-run.
func printRender(a *app, res *render.Result, o render.Options) {
	if o.Check || o.DryRun {
		for _, st := range res.Configs {
			fmt.Fprint(a.stdout, st.Diff)
		}
	}
	if o.Check {
		if res.Drift == 0 {
			fmt.Fprintf(a.stdout, "ok: %d %s up to date\n", len(res.Configs), plural(len(res.Configs), "config", "configs"))
		}
		return
	}
	for _, st := range res.Configs {
		state := "unchanged"
		switch {
		case st.Changed && o.DryRun:
			state = "would write"
		case st.Changed:
			state = "wrote"
		}
		fmt.Fprintf(a.stdout, "%-9s %s (from %s)\n", state, st.Path, st.Template)
	}
}
