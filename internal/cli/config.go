package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/render"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Render the example configuration"}
	cmd.AddCommand(newConfigRenderCmd(a))
	return cmd
}

// configJSON is what dist config render prints with --json.
type configJSON struct {
	Configs []render.Status `json:"configs"`
	DryRun  bool            `json:"dry_run,omitempty"`
}

func newConfigRenderCmd(a *app) *cobra.Command {
	var check, dryRun bool
	var sets []string
	cmd := &cobra.Command{
		Use:   "render [--check | --dry-run] [--set KEY=VALUE]",
		Short: "Render each configs: template; --check fails on drift",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			vars, err := render.ParseSet(sets)
			if err != nil {
				return err
			}
			outs, err := render.Render(m, vars)
			if err != nil {
				return err
			}
			statuses, err := render.Compare(outs)
			if err != nil {
				return err
			}
			drift := 0
			for _, st := range statuses {
				if st.Changed {
					drift++
				}
			}
			if !check && !dryRun && drift > 0 {
				if _, err := render.Write(outs); err != nil {
					return err
				}
			}
			if a.json {
				if err := a.printJSON(configJSON{Configs: statuses, DryRun: dryRun && !check}); err != nil {
					return err
				}
			} else {
				printRender(a, statuses, check, dryRun)
			}
			if check && drift > 0 {
				return failure.Checkf("%d rendered %s out of date: run dist config render", drift, plural(drift, "config is", "configs are"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "render in memory and fail with a diff when a committed output differs")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the diff of what would change, writing nothing")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "template variable `KEY=VALUE` (overrides vars: in dist.yaml)")
	return cmd
}

// printRender shows the drift for --check and --dry-run, and each output's
// state for a render and --dry-run.
func printRender(a *app, statuses []render.Status, check, dryRun bool) {
	if check || dryRun {
		for _, st := range statuses {
			fmt.Fprint(a.stdout, st.Diff)
		}
	}
	if check {
		drift := 0
		for _, st := range statuses {
			if st.Changed {
				drift++
			}
		}
		if drift == 0 {
			fmt.Fprintf(a.stdout, "ok: %d %s up to date\n", len(statuses), plural(len(statuses), "config", "configs"))
		}
		return
	}
	for _, st := range statuses {
		state := "unchanged"
		switch {
		case st.Changed && dryRun:
			state = "would write"
		case st.Changed:
			state = "wrote"
		}
		fmt.Fprintf(a.stdout, "%-9s %s (from %s)\n", state, st.Path, st.Template)
	}
}
