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

func newConfigRenderCmd(a *app) *cobra.Command {
	var check bool
	var sets []string
	cmd := &cobra.Command{
		Use:   "render [--check] [--set KEY=VALUE]",
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
			if check {
				drifts, err := render.Check(outs)
				if err != nil {
					return err
				}
				for _, d := range drifts {
					fmt.Fprint(a.stdout, d.Diff)
				}
				if len(drifts) > 0 {
					return failure.Checkf("%d rendered %s out of date: run dist config render", len(drifts), plural(len(drifts), "config is", "configs are"))
				}
				fmt.Fprintf(a.stdout, "ok: %d %s up to date\n", len(outs), plural(len(outs), "config", "configs"))
				return nil
			}
			changed, err := render.Write(outs)
			if err != nil {
				return err
			}
			for _, o := range outs {
				state := "unchanged"
				for _, c := range changed {
					if c == o.Path {
						state = "wrote"
					}
				}
				fmt.Fprintf(a.stdout, "%-9s %s (from %s)\n", state, o.Path, o.Template)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "render in memory and fail with a diff when a committed output differs")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "template variable `KEY=VALUE` (overrides vars: in dist.yaml)")
	return cmd
}
