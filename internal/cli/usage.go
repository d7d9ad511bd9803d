package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/failure"
)

// cobraUsage makes cobra's own complaints usage errors (exit 2) by their
// type, since cobra returns them as plain errors: every argument validator
// is wrapped; a command that only groups others (dist, lock, config)
// refuses an argument that names none of them, where cobra would print
// its help and exit 0; and help refuses a topic it does not know. Flag
// errors go through the root's FlagErrorFunc, required flags and flag
// groups through its PersistentPreRunE. Call it once the tree is built.
func cobraUsage(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.HasSubCommands() && !c.Runnable():
			c.Args = unknownCommand
			c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
			// Run alone, it shows its help: no "[flags]" to give it.
			c.DisableFlagsInUseLine = true
		case c.Args != nil:
			c.Args = argsUsage(c.Args)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	help, _, err := root.Find([]string{"help"})
	if err != nil || help == root || help.Run == nil {
		return
	}
	run := help.Run
	help.Run = nil
	help.RunE = func(c *cobra.Command, args []string) error {
		if cmd, rest, err := root.Find(args); cmd == nil || err != nil || len(rest) > 0 {
			return failure.Usagef("unknown help topic %q (dist help lists the commands)", strings.Join(args, " "))
		}
		run(c, args)
		return nil
	}
}

// unknownCommand is the argument check of a command that only groups
// others: any argument names a subcommand that does not exist.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return failure.Usage(errors.New(msg))
}

// argsUsage wraps a cobra argument validator so that its error is a usage
// error; cobraUsage applies it to every command.
func argsUsage(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return failure.Usage(v(cmd, args))
	}
}
