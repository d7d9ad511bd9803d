package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/changelog"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/plan"
	"github.com/distbuild/dist/internal/textdiff"
)

func (a *app) repo(m *manifest.Manifest) (*gitrepo.Repo, error) {
	r, err := gitrepo.Open(m.Dir)
	if err != nil {
		return nil, usage(fmt.Errorf("%s: %w", m.Dir, err))
	}
	return r, nil
}

// loadPlan loads the manifest and computes the plan, for plan and changelog.
func (a *app) loadPlan(since string) (*manifest.Manifest, *plan.Plan, error) {
	m, err := a.manifest()
	if err != nil {
		return nil, nil, err
	}
	p, err := a.plan(m, since)
	return m, p, err
}

func (a *app) plan(m *manifest.Manifest, since string) (*plan.Plan, error) {
	repo, err := a.repo(m)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	p, err := plan.Compute(m, repo, plan.Options{Since: since})
	if err != nil {
		return nil, usage(err)
	}
	return p, nil
}

func newPlanCmd(a *app) *cobra.Command {
	var since string
	cmd := &cobra.Command{
		Use:   "plan [--since REF]",
		Short: "The required next version and every reason, since the last release tag",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, err := a.loadPlan(since)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(p)
			}
			printPlan(a, p)
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "compare with this tag, branch or commit instead of the latest release tag")
	return cmd
}

func printPlan(a *app, p *plan.Plan) {
	if p.FirstRelease {
		fmt.Fprintf(a.stdout, "first release: no release tag is reachable from HEAD\nnext: %s (from VERSION %s)\n", p.Next, p.Current)
		return
	}
	fmt.Fprintf(a.stdout, "base:    %s (tag %s)\ncurrent: %s\nbump:    %s\nnext:    %s\n", p.Base, p.BaseTag, p.Current, p.Bump, p.Next)
	if len(p.Reasons) == 0 {
		fmt.Fprintln(a.stdout, "reasons: none: nothing the policy reads changed (a patch release)")
		return
	}
	fmt.Fprintln(a.stdout, "reasons:")
	for _, r := range p.Reasons {
		what := r.Name
		switch {
		case r.From != "" && r.To != "":
			what = fmt.Sprintf("%s %s -> %s", r.Name, r.From, r.To)
		case r.To != "":
			what = fmt.Sprintf("%s %s", r.Name, r.To)
		case r.From != "":
			what = fmt.Sprintf("%s %s", r.Name, r.From)
		}
		where := r.File
		if r.Line > 0 {
			where = fmt.Sprintf("%s:%d", r.File, r.Line)
		}
		fmt.Fprintf(a.stdout, "  %-5s  %-22s  %s  (%s)\n", r.Level, r.Kind, what, where)
	}
}

func newChangelogCmd(a *app) *cobra.Command {
	var write bool
	var since string
	cmd := &cobra.Command{
		Use:   "changelog [--write]",
		Short: "Generate the unreleased entry from the plan, merged with hand-written notes",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, p, err := a.loadPlan(since)
			if err != nil {
				return err
			}
			cl, err := changelog.Load(m.Abs(m.Changelog))
			if err != nil {
				return usage(err)
			}
			before := string(cl.Bytes())
			if err := cl.MergeGenerated(plan.Sections(p)); err != nil {
				return usage(err)
			}
			if !write {
				u, err := cl.Unreleased()
				if err != nil {
					return usage(err)
				}
				fmt.Fprintf(a.stdout, "%s\n\n%s", u.Heading, u.Body())
				return nil
			}
			if !cl.Changed() {
				fmt.Fprintf(a.stdout, "%s is up to date\n", m.Changelog)
				return nil
			}
			if err := cl.Write(); err != nil {
				return err
			}
			if a.verbose {
				fmt.Fprint(a.stderr, textdiff.Unified(m.Changelog, before, string(cl.Bytes())))
			}
			fmt.Fprintf(a.stdout, "wrote %s\n", m.Changelog)
			return nil
		},
	}
	cmd.Flags().BoolVar(&write, "write", false, "write the merged entry into the changelog (default: print it)")
	cmd.Flags().StringVar(&since, "since", "", "compare with this tag, branch or commit instead of the latest release tag")
	return cmd
}
