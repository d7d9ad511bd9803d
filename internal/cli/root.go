// Package cli holds dist's cobra commands, shaped as gh's pkg/cmd are. A
// command's RunE parses and checks its flags, takes what it works on from
// the app (the factory: dist.yaml, the HTTP and registry clients, the git
// repository; and the streams), calls one package function with an
// options struct, and prints what that returns: the report on stdout, as
// text or --json, progress and notes on stderr. The work, and every
// decision about it (what to read, what to write, which error is a usage
// error and which a failed check), is the package's, where a test calls it
// without cobra; an error becomes an exit code in one place, exitCode.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/jsonfmt"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/regclient"
	"github.com/distbuild/dist/internal/source/opener"
)

// Version is dist's own version, set at link time by the Makefile.
var Version = ""

// Exit codes, as DESIGN.md fixes them.
const (
	ExitOK     = 0
	ExitFailed = 1 // a check failed
	ExitUsage  = 2 // usage or configuration error
)

// streams are where a command writes, as gh's IOStreams: the report on
// stdout (human lines, or the --json document and nothing else), and on
// stderr what a person watches go by (progress, -v's log, notes and
// warnings). stderrTTY says whether stderr is a terminal: only there is a
// progress bar drawn, so that logs and CI output stay clean.
type streams struct {
	stdout    io.Writer
	stderr    io.Writer
	stderrTTY bool
}

func newStreams(stdout, stderr io.Writer) streams {
	f, ok := stderr.(*os.File)
	return streams{stdout: stdout, stderr: stderr, stderrTTY: ok && term.IsTerminal(int(f.Fd()))}
}

// app is what every command shares, as gh's Factory and IOStreams are:
// the global flags, the streams, and the factory methods through which a
// command gets what it works on, each made on first use, so that a
// command that needs no network or repository opens none:
//
//   - manifest: dist.yaml of -C's directory, loaded;
//   - http: the one HTTP client (retries, the cache, one --jobs limit),
//     with its downloads on the console's bar;
//   - registry: a registry client over that HTTP client;
//   - repo: the git repository holding the distribution (manifestAndRepo:
//     both);
//   - lockfiles: the lockfiles a read-only lock command acts on, loaded
//     with their pin set (lockset.Select).
//
// A command's RunE parses its flags, takes what it needs from these,
// calls one package function and prints what it returns.
type app struct {
	dir     string
	json    bool
	verbose bool
	jobs    int
	streams

	client *fetch.Client
	con    *console
}

func (a *app) manifest() (*manifest.Manifest, error) {
	return manifest.Load(a.dir)
}

// netrcFile is where index credentials are found by host: $NETRC, else
// ~/.netrc, as curl and pip look; "" when there is no home directory.
func netrcFile() string {
	if p := os.Getenv("NETRC"); p != "" {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".netrc")
	}
	return ""
}

func (a *app) http() *fetch.Client {
	if a.client == nil {
		a.client = fetch.New(fetch.Options{Jobs: a.jobs, Log: a.log(), CacheDir: os.Getenv("DIST_CACHE_DIR"), Netrc: netrcFile()})
		a.client.Progress = &downloads{c: a.console()}
	}
	return a.client
}

// openLockfiles opens each lockfile's source over dist's client, with the
// flags in s and PIP_INDEX_URL, read here so that no library reads it.
func (a *app) openLockfiles(s opener.Settings) lockset.Opener {
	s.EnvIndexURL = os.Getenv("PIP_INDEX_URL")
	return opener.New(a.http(), s)
}

// registry is a registry client over dist's HTTP client; insecure allows
// plain HTTP to any registry (loopback registries always may).
func (a *app) registry(insecure bool) *regclient.Client {
	return image.NewRegistryClient(a.http(), insecure)
}

// repo opens the git repository m lives in. Every command that reads
// history needs the distribution to be one: when it is not, that is a
// usage error (exit 2).
func (a *app) repo(m *manifest.Manifest) (*gitrepo.Repo, error) {
	r, err := gitrepo.Open(m.Dir)
	if err != nil {
		return nil, failure.Usagef("%s: %w", m.Dir, err)
	}
	return r, nil
}

// manifestAndRepo is manifest and repo together, for the commands that
// read history; the caller closes the repository.
func (a *app) manifestAndRepo() (*manifest.Manifest, *gitrepo.Repo, error) {
	m, err := a.manifest()
	if err != nil {
		return nil, nil, err
	}
	r, err := a.repo(m)
	return m, r, err
}

// console is stderr as progress and logs share it.
func (a *app) console() *console {
	if a.con == nil {
		a.con = &console{w: a.stderr, term: a.stderrTTY}
	}
	return a.con
}

func (a *app) printJSON(v any) error {
	b, err := jsonfmt.Indent(v)
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(b)
	return err
}

// log is the verbose log libraries are given: a line on stderr per call
// with -v, nil without, so that they skip the work of formatting.
func (a *app) log() func(format string, args ...any) {
	if !a.verbose {
		return nil
	}
	return a.console().printf
}

// step prints a line of progress on stderr, -v or not: what a long
// command is doing now.
func (a *app) step(format string, args ...any) {
	a.console().printf(format, args...)
}

func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(Version, bi)
}

// NewRoot builds the command tree writing to the given streams.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	a := &app{streams: newStreams(stdout, stderr)}
	root := &cobra.Command{
		Use:           "dist",
		Short:         "Pin, version, build and ship a server distribution",
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// cobra checks these after this hook, with plain errors.
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return failure.Usage(err)
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return failure.Usage(err)
			}
			if a.jobs < 1 {
				return failure.Usagef("--jobs %d: want at least 1 request in flight", a.jobs)
			}
			if a.dir != "" {
				st, err := os.Stat(a.dir)
				if err != nil || !st.IsDir() {
					return failure.Usagef("-C %s: not a directory", a.dir)
				}
			} else {
				a.dir = "."
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("dist {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return failure.Usage(err) })
	pf := root.PersistentFlags()
	pf.StringVarP(&a.dir, "directory", "C", "", "run as if dist was started in `DIR`")
	pf.BoolVar(&a.json, "json", false, "print data as JSON where a command reports data")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log what is being done on stderr")
	pf.IntVar(&a.jobs, "jobs", fetch.DefaultJobs, "network requests in flight at once")

	root.AddCommand(newInitCmd(a), newLockCmd(a), newBundleCmd(a), newConfigCmd(a))
	root.AddCommand(releaseCommands(a)...)
	root.AddCommand(imageCommands(a)...)
	addCompletions(root, a)
	cobraUsage(root)
	return root
}

// Execute runs dist with os.Args and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs dist with args and returns the exit code; tests call it directly.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(stderr, "dist: %s\n", msg)
	}
	return exitCode(err)
}

// exitCode is the one place an error becomes an exit code (DESIGN §3), by
// what its type says happened: a failed check exits 1 even when it carries
// a file's place; a usage or configuration error, or a problem at a place
// in a file, exits 2; anything else (an index, a registry or a build that
// failed) exits 1.
func exitCode(err error) int {
	var check *failure.CheckError
	var usage *failure.UsageError
	var file *fileerr.Error
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &check):
		return ExitFailed
	case errors.As(err, &usage), errors.As(err, &file):
		return ExitUsage
	}
	return ExitFailed
}
