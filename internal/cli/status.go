package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/channel"
)

func newStatusCmd(a *app) *cobra.Command {
	var history, insecure bool
	cmd := &cobra.Command{
		Use:   "status [CHANNEL...] [--history]",
		Short: "Where each channel stands: version, digest, when and by whom it moved, how far behind",
		Long: `For each channel of dist.yaml (or each CHANNEL named): the version and
digest its tag names, when it moved and who moved it (from the move records
kept in the registry), and how many releases it is behind the channel its
from: names. --history lists its past moves; --json always holds them, and
each channel's stable key. Only manifests and referrers lists are read.`,
		ValidArgsFunction: a.completeChannels,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			rep, err := channel.Survey(cmd.Context(), channel.SurveyOptions{
				Client: a.registry(insecure), Repository: m.ImageRepository(), Config: m.Channels.Config, Names: args,
			})
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(rep)
			}
			printStatus(a.stdout, rep, history)
			return nil
		},
	}
	cmd.Flags().BoolVar(&history, "history", false, "list each channel's past moves too")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to any registry (loopback registries always may)")
	return cmd
}

// completeChannels offers dist.yaml's channels.
func (a *app) completeChannels(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	if m := a.completionManifest(); m != nil {
		for _, c := range m.Channels.Config {
			if strings.HasPrefix(c.Name, toComplete) {
				out = append(out, c.Name)
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// shortDigest is "sha256:" and the first 12 hex digits, as a table shows
// a digest (--json has it whole).
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// printStatus prints a line per channel, aligned, each followed with
// history by its moves, newest first, aligned among themselves.
func printStatus(w io.Writer, rep *channel.Report, history bool) {
	states := rep.Channels
	fmt.Fprintln(w, rep.Reference)
	var rows strings.Builder
	tw := tabwriter.NewWriter(&rows, 0, 4, 2, ' ', 0)
	for _, s := range states {
		version := s.Version
		if version == "" {
			version = "?"
		}
		var notes []string
		switch {
		case s.Digest == "":
			version = "-"
			notes = append(notes, "no tag yet")
		case s.Recorded:
			notes = append(notes, "moved "+s.Moved.UTC().Format(time.RFC3339)+" by "+s.By)
		default:
			notes = append(notes, "moved outside dist (no record)")
		}
		switch {
		case s.Track != "":
			notes = append(notes, "tracks "+s.Track)
		case s.Behind != nil && *s.Behind == 0:
			notes = append(notes, "up to date with "+s.From)
		case s.Behind != nil:
			notes = append(notes, fmt.Sprintf("%d %s behind %s", *s.Behind, plural(*s.Behind, "release", "releases"), s.From))
		case s.From != "":
			notes = append(notes, "from "+s.From)
		}
		if s.Interrupted != nil {
			notes = append(notes, fmt.Sprintf("a move to %s was interrupted: run it again", s.Interrupted.Version))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Channel, version, shortDigest(s.Digest), strings.Join(notes, "; "))
	}
	tw.Flush()
	lines := strings.SplitAfter(rows.String(), "\n")
	for i, s := range states {
		fmt.Fprint(w, lines[i])
		if !history {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range s.History {
			state := ""
			if !r.Completed {
				state = " (interrupted)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\tby %s%s\n", r.Time.UTC().Format(time.RFC3339), r.Version, shortDigest(r.Digest), r.By, state)
		}
		tw.Flush()
	}
}
