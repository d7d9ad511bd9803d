// Command pyindex-graph serves a generated dependency graph
// (pyindex.Graph) on 127.0.0.1 for the resolver benchmark:
//
//	pyindex-graph -seed 1 -projects 120 -versions 3 -top 12 -traps 4
//
// It prints the index URL on the first line of stdout and the top-level
// requirements, space-separated, on the second (both in one write, so a
// reader that sees the first line sees the second), then serves until
// SIGINT or SIGTERM. Every file is a small py3-none-any wheel, with a PEP
// 658 metadata file unless -no-core-metadata.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/distbuild/dist/internal/testenv/pyindex"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	seed := flag.Uint64("seed", 1, "graph seed: the same seed serves the same graph")
	prefix := flag.String("prefix", "", `project name prefix ("g" and the seed when empty)`)
	projects := flag.Int("projects", 120, "number of projects")
	versions := flag.Int("versions", 3, "versions per project")
	top := flag.Int("top", 12, "number of top-level requirements")
	traps := flag.Int("traps", 4, "backtracking traps")
	noMeta := flag.Bool("no-core-metadata", false, "serve no PEP 658 metadata files")
	flag.Parse()
	if *projects < 2 || *versions < 1 || *top < 1 || *traps < 0 {
		fmt.Fprintln(os.Stderr, "pyindex-graph: want -projects >= 2, -versions >= 1, -top >= 1, -traps >= 0")
		os.Exit(2)
	}
	if err := run(*addr, *seed, pyindex.GraphOptions{Prefix: *prefix, Projects: *projects, Versions: *versions, Top: *top, Traps: *traps}, *noMeta); err != nil {
		fmt.Fprintln(os.Stderr, "pyindex-graph:", err)
		os.Exit(1)
	}
}

func run(addr string, seed uint64, o pyindex.GraphOptions, noMeta bool) error {
	start := time.Now()
	projects, top := pyindex.Graph(seed, o)
	srv, err := pyindex.New(projects...)
	if err != nil {
		return err
	}
	srv.SetCoreMetadata(!noMeta)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// The script reads the URL first, then stops the server by killing
	// it: nothing needs a graceful shutdown.
	srv.URL = "http://" + ln.Addr().String()
	files := 0
	for _, p := range projects {
		files += len(p.Versions)
	}
	fmt.Fprintf(os.Stderr, "pyindex-graph: seed %d, %d projects, %d wheels, %d top-level requirements, generated in %s\n",
		seed, len(projects), files, len(top), time.Since(start).Round(time.Millisecond))
	os.Stdout.WriteString(srv.IndexURL() + "/\n" + strings.Join(top, " ") + "\n")

	return srv.Serve(ln)
}
