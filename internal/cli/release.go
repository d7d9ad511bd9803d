package cli

import "github.com/spf13/cobra"

// releaseCommands returns plan, changelog, prerelease, release, postrelease
// and notes.
func releaseCommands(a *app) []*cobra.Command {
	return []*cobra.Command{newPlanCmd(a), newChangelogCmd(a)}
}
