package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/image"
)

func newVerifyImageCmd(a *app) *cobra.Command {
	var insecure bool
	cmd := &cobra.Command{
		Use:   "verify-image REF|oci-layout:DIR[:REF]",
		Short: "Rebuild an image from the commit it records and compare the digests",
		Long: `Read the commit, the time and the platforms an image records (its
release.json and index), build that commit again from this repository's own
objects, as dist release builds, and compare the digests. Nothing built is
taken from dist's cache of earlier builds (the Go server is linked again,
every layer compressed again); downloads, checked by hash, are. Exit 0
when they are equal; 1 when they differ, naming the first layer or config
field that does; 2 when the commit is not in this repository. A Go server
built with another Go version cannot give the same digest: the report says
so.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.manifest()
			if err != nil {
				return err
			}
			o := a.imageOptions(m)
			o.Insecure = insecure
			rep, err := image.Verify(cmd.Context(), image.VerifyOptions{Build: *o, Image: args[0]})
			if err != nil {
				return err
			}
			if a.json {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				printVerify(a.stdout, rep)
			}
			return rep.Verdict()
		},
	}
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to any registry (loopback registries always may)")
	return cmd
}

func printVerify(w io.Writer, r *image.VerifyReport) {
	fmt.Fprintf(w, "image    %s\n", r.Reference)
	fmt.Fprintf(w, "digest   %s\n", r.Digest)
	fmt.Fprintf(w, "commit   %s (version %s, created %s)\n", r.Commit, r.Version, r.Created)
	fmt.Fprintf(w, "rebuilt  %s for %s\n", r.RebuiltDigest, strings.Join(r.Platforms, ", "))
	if r.Dirty {
		fmt.Fprintf(w, "note: the image records revision %s: it was built from a work tree that differed from the commit, so it cannot match the commit's rebuild\n", r.Commit)
	}
	if r.GoDiffers {
		fmt.Fprintf(w, "note: the image was built with %s and this machine has %s: the Go server's binary differs with the toolchain, so the digests cannot match; verify with %s\n", r.GoVersion, r.LocalGoVersion, r.GoVersion)
	}
	if r.Match {
		fmt.Fprintln(w, "verified: the commit rebuilds to the same digest")
		return
	}
	fmt.Fprintln(w, "differs: the commit does not rebuild to the image's digest")
	if r.Difference != nil {
		fmt.Fprintf(w, "first difference: %s\n", r.Difference)
	}
}
