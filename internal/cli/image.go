package cli

import "github.com/spf13/cobra"

// imageCommands returns build, promote and inspect.
func imageCommands(a *app) []*cobra.Command { return nil }
