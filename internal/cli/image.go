package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/image/inspect"
	"github.com/distbuild/dist/internal/image/promote"
)

// imageCommands returns build, promote, inspect, status, diff, sign and
// verify-image.
func imageCommands(a *app) []*cobra.Command {
	return []*cobra.Command{newBuildCmd(a), newPromoteCmd(a), newInspectCmd(a), newStatusCmd(a), newDiffCmd(a), newSignCmd(a), newVerifyImageCmd(a)}
}

func newBuildCmd(a *app) *cobra.Command {
	// The flags' settings; the rest of the options are imageOptions'.
	var flags image.BuildOptions
	cmd := &cobra.Command{
		Use:   "build [--platform P,...] [--output DEST]... [--dry-run]",
		Short: "Build the image without a daemon, reproducibly, and write or push it",
		Long: `Build the distribution's image: the base pinned by digest, then the
dependencies, image.files, the rendered config, and the lockfiles with a
release manifest. DEST is oci-layout:DIR (default ` + image.DefaultOutput + `),
docker-archive:FILE, or a registry reference HOST/REPO[:TAG] (the tag defaults
to the version), which pushes. --output may be repeated. An image written to
a layout or pushed gets its SBOM (SPDX 2.3) and SLSA provenance attached as
OCI referrers; a docker-archive gets neither.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			o := a.imageOptions(m)
			o.Platforms, o.Outputs, o.DryRun, o.Insecure, o.Force = flags.Platforms, flags.Outputs, flags.DryRun, flags.Insecure, flags.Force
			bar := &byteCounter{c: a.console(), what: "writing"}
			o.Progress = bar.add
			rep, err := image.Build(cmd.Context(), *o)
			bar.finish()
			if err != nil {
				return err
			}
			if len(rep.Dirty) > 0 {
				fmt.Fprintf(a.stderr, "dist: note: the work tree differs from HEAD (%s): the image records revision %s\n", strings.Join(rep.Dirty, ", "), rep.Commit)
			}
			for _, w := range rep.Warnings {
				fmt.Fprintf(a.stderr, "dist: warning: %s\n", w)
			}
			if rep.NoProvenance != "" {
				fmt.Fprintf(a.stderr, "dist: note: no provenance attached: %s\n", rep.NoProvenance)
			}
			if a.json {
				return a.printJSON(rep)
			}
			printBuild(a.stdout, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&flags.Platforms, "platform", nil, "build for these platforms (default: image.platforms, else "+"linux/amd64)")
	f.StringArrayVarP(&flags.Outputs, "output", "o", nil, "where to put the image: oci-layout:DIR, docker-archive:FILE or HOST/REPO[:TAG] (repeatable)")
	f.BoolVar(&flags.DryRun, "dry-run", false, "print what would be built and where, without building")
	f.BoolVar(&flags.Insecure, "insecure", false, "allow plain HTTP to any registry (loopback registries always may)")
	f.BoolVar(&flags.Force, "force", false, "let a push move a tag that already names another image")
	return cmd
}

func printBuild(w io.Writer, r *image.BuildReport) {
	var plats []string
	for _, p := range r.Platforms {
		plats = append(plats, p.Platform)
	}
	if r.DryRun {
		fmt.Fprintf(w, "would build %s %s for %s\n", r.Name, r.Version, strings.Join(plats, ", "))
	} else {
		fmt.Fprintf(w, "built %s %s: %s\n", r.Name, r.Version, r.Digest)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	base := "scratch"
	if r.Base != nil {
		base = r.Base.Reference()
	}
	fmt.Fprintf(tw, "  base\t%s\n", base)
	if r.Commit != "" {
		fmt.Fprintf(tw, "  commit\t%s\n", r.Commit)
	}
	fmt.Fprintf(tw, "  created\t%s\n", r.Created)
	for _, l := range r.Layers {
		fmt.Fprintf(tw, "  layer\t%s\t%d %s, %s\n", l.Role, l.Entries, plural(l.Entries, "entry", "entries"), humanBytes(l.Bytes))
	}
	for _, p := range r.Platforms {
		switch {
		case p.Digest != "" && p.DependenciesBytes > 0:
			fmt.Fprintf(tw, "  %s\t%s, dependencies %s\n", p.Platform, p.Digest, humanBytes(p.DependenciesBytes))
		case p.Digest != "":
			fmt.Fprintf(tw, "  %s\t%s\n", p.Platform, p.Digest)
		}
	}
	tw.Flush()
	verb := "wrote"
	if r.DryRun {
		verb = "would write"
	}
	for _, o := range r.Outputs {
		switch {
		case o.Kind == "registry" && r.DryRun:
			fmt.Fprintf(w, "would push %s (tag %s)\n", o.Output, strings.Join(o.Tags, ", "))
			printMoves(w, o.Channels)
		case o.Kind == "registry":
			line := fmt.Sprintf("pushed %s@%s (tag %s)", trimTag(o.Output), r.Digest, strings.Join(o.Tags, ", "))
			if len(o.Moved) > 0 {
				line += fmt.Sprintf("; moved %s from another image (--force)", strings.Join(o.Moved, ", "))
			}
			fmt.Fprintln(w, line)
			printMoves(w, o.Channels)
		default:
			fmt.Fprintf(w, "%s %s\n", verb, o.Output)
		}
		printAttached(w, o)
	}
}

// printAttached lists the referrers and the signature an output got.
func printAttached(w io.Writer, o image.OutputReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range o.Referrers {
		fmt.Fprintf(tw, "  attached\t%s\t%s\n", r.ArtifactType, r.Digest)
	}
	if o.Signature != "" {
		fmt.Fprintf(tw, "  signed\t%s\n", o.Signature)
	}
	tw.Flush()
}

// printMoves says what a push did to the channels that follow the build.
func printMoves(w io.Writer, moves []*channel.MoveResult) {
	for _, c := range moves {
		switch {
		case c.DryRun:
			fmt.Fprintf(w, "would move channel %s to %s\n", c.Channel, c.Version)
		case !c.Changed:
			fmt.Fprintf(w, "channel %s already at %s\n", c.Channel, c.Version)
		case c.PreviousDigest != "":
			fmt.Fprintf(w, "moved channel %s to %s (was %s)\n", c.Channel, c.Version, c.PreviousDigest)
		default:
			fmt.Fprintf(w, "moved channel %s to %s\n", c.Channel, c.Version)
		}
	}
}

func trimTag(ref string) string {
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[:i]
	}
	return ref
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func newPromoteCmd(a *app) *cobra.Command {
	var o promote.Options
	var insecure bool
	cmd := &cobra.Command{
		Use:   "promote VERSION CHANNEL [--repository REPO]",
		Short: "Point a channel tag (stage, prod) at the image of an already-pushed version",
		Long: `Point CHANNEL, a tag in the image repository, at the image of VERSION, and
record the move in the registry. When dist.yaml has channels:, CHANNEL must be
one of them, and a channel with from: takes only a version that has been on
that channel (else exit 1, nothing moved).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Version, o.Channel = args[0], args[1]
			o.Manifest, o.Client = a.manifest, a.registry(insecure)
			o.By = channel.By(a.dir, os.Getenv)
			res, err := promote.Promote(cmd.Context(), o)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			from := ""
			if res.Previous != "" && res.Changed {
				from = " (was " + res.Previous + ")"
			}
			switch {
			case !res.Changed:
				fmt.Fprintf(a.stdout, "%s:%s already points at %s:%s (%s)\n", res.Repository, res.Channel, res.Repository, res.Version, res.Digest)
			case res.DryRun:
				fmt.Fprintf(a.stdout, "would promote %s:%s (%s) to %s%s\n", res.Repository, res.Version, res.Digest, res.Channel, from)
			default:
				fmt.Fprintf(a.stdout, "promoted %s:%s (%s) to %s%s\n", res.Repository, res.Version, res.Digest, res.Channel, from)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Repository, "repository", "", "image repository (default: image.repository in dist.yaml)")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "say what would move, without moving it")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to any registry (loopback registries always may)")
	return cmd
}

func newInspectCmd(a *app) *cobra.Command {
	var platform string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "inspect REF|oci-layout:DIR[:REF]|docker-archive:FILE",
		Short: "Show the version, commit, pins and layers recorded in an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := inspect.Options{Client: a.registry(insecure), Dir: a.dir}
			if platform != "" {
				p, err := v1.ParsePlatform(platform)
				if err != nil {
					return failure.Usagef("--platform %s: %w", platform, err)
				}
				o.Platform = p
			}
			r, err := inspect.Inspect(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(r)
			}
			printInspect(a.stdout, r)
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "which image of an index to show (default: the first)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to any registry (loopback registries always may)")
	return cmd
}

func printInspect(w io.Writer, r *inspect.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rel := r.Release
	fmt.Fprintf(tw, "image\t%s\n", r.Reference)
	if r.ImageID != "" {
		fmt.Fprintf(tw, "image id\t%s\n", r.ImageID)
	} else {
		fmt.Fprintf(tw, "digest\t%s\n", r.Digest)
	}
	fmt.Fprintf(tw, "name\t%s\n", rel.Name)
	fmt.Fprintf(tw, "version\t%s\n", rel.Version)
	if rel.Commit != "" {
		fmt.Fprintf(tw, "commit\t%s\n", rel.Commit)
	}
	fmt.Fprintf(tw, "created\t%s\n", rel.Created)
	if rel.Source != "" {
		fmt.Fprintf(tw, "source\t%s\n", rel.Source)
	}
	if rel.Base != nil {
		fmt.Fprintf(tw, "base\t%s\n", rel.Base.Reference())
	} else {
		fmt.Fprintf(tw, "base\tscratch\n")
	}
	for _, p := range r.Platforms {
		fmt.Fprintf(tw, "platform\t%s\t%s\n", p.Platform, p.Digest)
	}
	c := r.Config
	if len(c.Entrypoint) > 0 {
		fmt.Fprintf(tw, "entrypoint\t%s\n", quoteArgs(c.Entrypoint))
	}
	if len(c.Cmd) > 0 {
		fmt.Fprintf(tw, "cmd\t%s\n", quoteArgs(c.Cmd))
	}
	if c.User != "" {
		fmt.Fprintf(tw, "user\t%s\n", c.User)
	}
	if c.WorkingDir != "" {
		fmt.Fprintf(tw, "workdir\t%s\n", c.WorkingDir)
	}
	if len(c.Ports) > 0 {
		fmt.Fprintf(tw, "ports\t%s\n", strings.Join(c.Ports, " "))
	}
	tw.Flush()
	if len(c.Env) > 0 {
		fmt.Fprintln(w, "env:")
		for _, e := range c.Env {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	fmt.Fprintf(w, "layers (%s):\n", r.Platform)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range r.Layers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.Role, l.Digest, humanBytes(l.Size))
	}
	tw.Flush()
	if len(r.Referrers) > 0 {
		fmt.Fprintln(w, "referrers:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, ref := range r.Referrers {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", ref.ArtifactType, ref.Digest, humanBytes(ref.Size))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "pins:")
	for _, lf := range rel.Lockfiles {
		fmt.Fprintf(w, "  %s (%s)\n", lf.Path, lf.Ecosystem)
		for _, p := range lf.Pins {
			fmt.Fprintf(w, "    %s%s==%s  %s\n", p.Name, p.Extras, p.Version, strings.Join(p.Hashes, " "))
		}
	}
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, s := range args {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
