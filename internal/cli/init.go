package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/scaffold"
)

func newInitCmd(a *app) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Scaffold a distribution repository (never overwrites a file)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := a.dir
			if len(args) == 1 {
				dir = filepath.Join(a.dir, args[0])
			}
			if name == "" {
				abs, err := filepath.Abs(dir)
				if err != nil {
					return err
				}
				name = filepath.Base(abs)
			}
			res, err := scaffold.Init(dir, name)
			for _, p := range res.Created {
				fmt.Fprintf(a.stdout, "created %s\n", filepath.Join(dir, p))
			}
			for _, p := range res.Kept {
				fmt.Fprintf(a.stdout, "kept    %s (already exists)\n", filepath.Join(dir, p))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "distribution name (default: the directory's name)")
	return cmd
}
