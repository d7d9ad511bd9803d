// Command tagbench times gitrepo.LatestReleaseTag the way `dist plan` uses
// it, for scripts/bench/plan-tags.sh to compare with git describe.
//
//	tagbench gen DIR [-commits N] [-tags N] [-maint N] [-files N]
//	tagbench latest [-C DIR] [-format F]
//	tagbench noop
//
// gen writes a repository (gitenv.Generate: main with release tags, and a
// 10.0.x maintenance branch forked at 10.0.0); latest prints the highest
// PEP 440 release tag reachable from HEAD, as the plan's base; noop exits
// at once, measuring what starting this binary costs before any work.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	"github.com/distbuild/dist/internal/version"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tagbench gen DIR [flags] | tagbench latest [-C DIR] [-format F]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "noop":
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		commits := fs.Int("commits", 2000, "commits on main")
		tags := fs.Int("tags", 1000, "release tags on main")
		maint := fs.Int("maint", 20, "commits on the 10.0.x maintenance branch")
		files := fs.Int("files", 0, "extra files in the tree")
		if len(os.Args) < 3 {
			fmt.Fprintln(os.Stderr, "tagbench gen: DIR missing")
			os.Exit(2)
		}
		fs.Parse(os.Args[3:])
		spec := gitenv.Spec{Commits: *commits, Tags: *tags, Files: *files}
		if *maint > 0 {
			spec.MaintFrom, spec.MaintBranch, spec.MaintCommits = "10.0.0", "10.0.x", *maint
		}
		if err := gitenv.Generate(os.Args[2], spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "latest":
		fs := flag.NewFlagSet("latest", flag.ExitOnError)
		dir := fs.String("C", ".", "repository")
		format := fs.String("format", "{version}", "tag_format")
		fs.Parse(os.Args[2:])
		r, err := gitrepo.Open(*dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer r.Close()
		rel, err := gitrepo.LatestReleaseTag(r, *format, func(s string) (version.V, error) { return version.Parse("pypi", s) }, version.Compare)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(rel.Tag)
	default:
		fmt.Fprintf(os.Stderr, "tagbench: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}
