package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/plan"
)

func newPlanCmd(a *app) *cobra.Command {
	var since string
	cmd := &cobra.Command{
		Use:   "plan [--since REF]",
		Short: "The required next version and every reason, since the last release tag",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := a.manifestAndRepo()
			if err != nil {
				return err
			}
			defer repo.Close()
			p, err := plan.Compute(m, repo, plan.Options{Since: since})
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(p)
			}
			printPlan(a, m, p)
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "compare with this tag, branch or commit instead of the latest release tag")
	return cmd
}

func printPlan(a *app, m *manifest.Manifest, p *plan.Plan) {
	if p.FirstRelease {
		fmt.Fprintf(a.stdout, "first release: no release tag is reachable from HEAD\nnext: %s (from VERSION %s)\n", p.Next, p.Current)
		if s := planState(m, p); s != "" {
			fmt.Fprintf(a.stdout, "state: %s\n", s)
		}
		return
	}
	fmt.Fprintf(a.stdout, "base:    %s (tag %s)\ncurrent: %s\n", p.Base, p.BaseTag, p.Current)
	if s := planState(m, p); s != "" {
		fmt.Fprintf(a.stdout, "state:   %s\n", s)
	}
	fmt.Fprintf(a.stdout, "bump:    %s\nnext:    %s\n", p.Bump, p.Next)
	if len(p.Reasons) == 0 {
		fmt.Fprintln(a.stdout, "reasons: none: nothing the policy reads changed (a patch release)")
		return
	}
	fmt.Fprintln(a.stdout, "reasons:")
	for _, r := range p.Reasons {
		what := r.Name
		switch {
		case configdiff.MultiLine(r.From) || configdiff.MultiLine(r.To):
			what = r.Name + " " + lineDiff(r.From, r.To)
		case r.Kind == "dependency-rehashed":
			what = fmt.Sprintf("%s %s (new hashes)", r.Name, r.To)
		case r.From != "" && r.To != "":
			what = fmt.Sprintf("%s %s -> %s", r.Name, r.From, r.To)
		case r.To != "":
			what = fmt.Sprintf("%s %s", r.Name, r.To)
		case r.From != "":
			what = fmt.Sprintf("%s %s", r.Name, r.From)
		}
		if r.Marker != "" {
			what += " ; " + r.Marker
		}
		where := r.File
		if r.Line > 0 {
			where = fmt.Sprintf("%s:%d", r.File, r.Line)
		}
		if r.MovedFrom != "" {
			where += ", moved from " + r.MovedFrom
		}
		// The rule, not the kind: it is the name dist.yaml's policy: sets.
		fmt.Fprintf(a.stdout, "  %-5s  %-22s  %s  (%s)\n", r.Level, r.Rule, what, where)
	}
}

// planState says where the release cycle stands when it is not between
// postrelease and prerelease, or "".
func planState(m *manifest.Manifest, p *plan.Plan) string {
	switch {
	case p.Prepared != "" && p.Prepared != p.Next:
		return fmt.Sprintf("%s is prepared, not yet tagged, but the policy requires %s", p.Prepared, p.Next)
	case p.Prepared != "":
		return fmt.Sprintf("%s is prepared, not yet tagged (dist release tags it)", p.Prepared)
	case p.NoEntry && p.Base != "" && p.Base == p.Current:
		// A maintenance branch made from the tag, or a release that
		// stopped after tagging: VERSION still says the release.
		return fmt.Sprintf("%s is tagged; %s has no unreleased entry yet (dist changelog --write starts %s)", p.Base, m.Changelog, p.Next)
	case p.NoEntry:
		return fmt.Sprintf("%s has no unreleased entry (dist changelog --write starts %s)", m.Changelog, p.Next)
	}
	return ""
}

// lineDiff writes the change of a value that spans lines (an INI list such
// as kinto.includes) on one line: "+added -removed", or the whole values
// when one side is empty.
func lineDiff(from, to string) string {
	if from == "" || to == "" {
		return configdiff.OneLine(from + to)
	}
	added, removed := configdiff.LineChanges(from, to)
	var parts []string
	for _, l := range added {
		parts = append(parts, "+"+strings.TrimSpace(l))
	}
	for _, l := range removed {
		parts = append(parts, "-"+strings.TrimSpace(l))
	}
	if len(parts) == 0 {
		return "(the same lines, in another order or spacing)"
	}
	return strings.Join(parts, " ")
}

func newChangelogCmd(a *app) *cobra.Command {
	var o plan.ChangelogOptions
	cmd := &cobra.Command{
		Use:   "changelog [--write]",
		Short: "Generate the unreleased entry from the plan, merged with hand-written notes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := a.manifestAndRepo()
			if err != nil {
				return err
			}
			defer repo.Close()
			e, err := plan.Changelog(m, repo, o)
			if err != nil {
				return err
			}
			switch {
			case a.json:
				return a.printJSON(e)
			case e.Prepared != "" && o.Write:
				fmt.Fprintf(a.stdout, "%s: %s is prepared, not yet tagged; nothing to write (dist release tags it, dist postrelease starts the next entry)\n", m.Changelog, e.Prepared)
			case e.Prepared != "":
				fmt.Fprintf(a.stderr, "%s is prepared, not yet tagged: its entry as dated\n", e.Prepared)
				fmt.Fprint(a.stdout, e.Text)
			case !o.Write:
				fmt.Fprint(a.stdout, e.Text)
				if e.ByHand != "" {
					fmt.Fprintf(a.stderr, "note: nothing to generate (%s): write what changed at %s:%d by hand\n", e.ByHand, e.File, e.Line)
				}
			case e.Written:
				if a.verbose {
					fmt.Fprint(a.stderr, e.Diff)
				}
				fmt.Fprintf(a.stdout, "wrote %s\n", m.Changelog)
			case e.ByHand != "":
				fmt.Fprintf(a.stdout, "%s is up to date: nothing to generate (%s); write what changed at %s:%d by hand\n", m.Changelog, e.ByHand, e.File, e.Line)
			default:
				fmt.Fprintf(a.stdout, "%s is up to date\n", m.Changelog)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Write, "write", false, "write the merged entry into the changelog (default: print it)")
	cmd.Flags().StringVar(&o.Since, "since", "", "compare with this tag, branch or commit instead of the latest release tag")
	return cmd
}
