package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/scaffold"
)

func newInitCmd(a *app) *cobra.Command {
	var o scaffold.Options
	cmd := &cobra.Command{
		Use:   "init [DIR] [--ecosystem pypi|gomod|oci] [--index-url URL] [--image REPO] [--base IMAGE] [--dry-run]",
		Short: "Scaffold a distribution repository (never overwrites a file)",
		Long: `Scaffold a distribution repository in DIR (default: the current directory,
or -C's; a relative DIR is taken from there, an absolute one as given).

--ecosystem is the first lockfile's (pypi: default.txt with its
constraints.txt; gomod: go.txt; oci: base.txt), --index-url its index
(a PEP 503/691 URL for pypi, a GOPROXY for gomod). --image REPO (where
dist release pushes) or --base IMAGE (scratch or NAME[:TAG], pinned in
lockfiles/base.txt) adds an image: section; a pypi image's base defaults
to ` + scaffold.DefaultPythonBase + `. A file that exists is kept as it is.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := a.dir
			if len(args) == 1 {
				dir = args[0]
				if !filepath.IsAbs(dir) {
					dir = filepath.Join(a.dir, dir)
				}
			}
			res, err := scaffold.Init(dir, o)
			if res != nil && slices.Contains(res.Kept, "dist.yaml") {
				for _, f := range []string{"ecosystem", "index-url", "image", "base", "name"} {
					if cmd.Flags().Changed(f) {
						fmt.Fprintf(a.stderr, "dist: note: %s exists and is kept: --%s changes nothing in it\n", filepath.Join(dir, "dist.yaml"), f)
					}
				}
			}
			if res != nil && a.json && err == nil {
				return a.printJSON(res)
			}
			if res != nil {
				printInit(a, dir, res)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Name, "name", "", "distribution name (default: the directory's name)")
	f.StringVar(&o.Ecosystem, "ecosystem", "pypi", "the first lockfile's ecosystem: pypi, gomod or oci")
	f.StringVar(&o.IndexURL, "index-url", "", "the first lockfile's index: a PEP 503/691 URL (pypi) or a GOPROXY (gomod)")
	f.StringVar(&o.Repository, "image", "", "image.repository, where dist release pushes (e.g. ghcr.io/OWNER/NAME)")
	f.StringVar(&o.Base, "base", "", "image.base: scratch or NAME[:TAG], pinned in lockfiles/base.txt")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the files that would be written, writing nothing")
	return cmd
}

func printInit(a *app, dir string, res *scaffold.Result) {
	verb := "created"
	if res.DryRun {
		verb = "would create"
	}
	for _, p := range res.Files {
		fmt.Fprintf(a.stdout, "%s %s\n", verb, filepath.Join(dir, p))
	}
	for _, p := range res.Kept {
		fmt.Fprintf(a.stdout, "kept    %s (already exists)\n", filepath.Join(dir, p))
	}
	for _, n := range res.Next {
		if dir != "." {
			// The same command, from where dist init was run.
			n = "dist -C " + shellQuote(dir) + n[len("dist"):]
		}
		fmt.Fprintf(a.stdout, "next: %s\n", n)
	}
}

// shellQuote quotes a path for a shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\*?[]#~;&|<>(){}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
