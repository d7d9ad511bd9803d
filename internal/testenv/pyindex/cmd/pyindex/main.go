// Command pyindex serves a generated Python package index, for benchmarks
// that need a realistic index on the local machine:
//
//	pyindex -addr 127.0.0.1:8765 -projects 300 -files 3 -size 100 -lockfile req.txt
//
// serves 300 projects of one version with 3 files of about 100 KB each, and
// writes a requirements file pinning every project with its hashes, which
// pip or dist can install or verify against the index. The first line on
// stdout is the index URL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/distbuild/dist/internal/testenv/fixtures"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	projects := flag.Int("projects", 300, "number of projects")
	files := flag.Int("files", 3, "files per version: an sdist, then wheels")
	versions := flag.Int("versions", 1, "versions per project (1.0.0, 1.1.0, ...)")
	size := flag.Int("size", 100, "approximate size of each file, in KB")
	lockfile := flag.String("lockfile", "", "write a hashed requirements file pinning every project here")
	pinOldest := flag.Bool("pin-oldest", false, "pin the oldest version in -lockfile instead of the newest, for upgrade benchmarks")
	fixture := flag.String("fixture", "", `serve a named fixture instead of generated projects ("kinto": the Kinto-shaped example in testdata/kinto-dist)`)
	flag.Parse()
	if *fixture != "" {
		if err := serveFixture(*addr, *fixture); err != nil {
			fmt.Fprintln(os.Stderr, "pyindex:", err)
			os.Exit(1)
		}
		return
	}
	if *projects < 1 || *files < 1 || *versions < 1 || *size < 0 {
		fmt.Fprintln(os.Stderr, "pyindex: -projects, -files and -versions must be at least 1, -size at least 0")
		os.Exit(2)
	}
	if err := run(*addr, *projects, *files, *versions, *size, *lockfile, *pinOldest); err != nil {
		fmt.Fprintln(os.Stderr, "pyindex:", err)
		os.Exit(1)
	}
}

// wheelTags are realistic tags for the wheels of a generated release, in
// the order a release gains them.
var wheelTags = []string{
	"py3-none-any",
	"cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
	"cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64",
	"cp312-cp312-macosx_11_0_arm64",
	"cp312-cp312-win_amd64",
	"cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
	"cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",
	"cp311-cp311-macosx_11_0_arm64",
	"cp311-cp311-win_amd64",
}

func run(addr string, nProjects, nFiles, nVersions, sizeKB int, lockfile string, pinOldest bool) error {
	// The archive around the padding takes about a kilobyte.
	pad := max(sizeKB*1024-1024, 0)
	var projects []pyindex.Project
	var pins []string
	for i := range nProjects {
		p := pyindex.Project{Name: fmt.Sprintf("bench-pkg-%04d", i+1)}
		for v := range nVersions {
			r := pyindex.Release{Version: fmt.Sprintf("1.%d.0", v), Pad: pad, Files: []pyindex.File{pyindex.Sdist()}}
			for k := 1; k < nFiles; k++ {
				tag := fmt.Sprintf("py3-none-linux_bench%d", k)
				if k-1 < len(wheelTags) {
					tag = wheelTags[k-1]
				}
				r.Files = append(r.Files, pyindex.Wheel(tag))
			}
			p.Versions = append(p.Versions, r)
		}
		pin := p.Versions[len(p.Versions)-1]
		if pinOldest {
			pin = p.Versions[0]
		}
		pins = append(pins, p.Name+"=="+pin.Version)
		projects = append(projects, p)
	}

	start := time.Now()
	srv, err := pyindex.New(projects...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv.URL = "http://" + ln.Addr().String()
	if lockfile != "" {
		body, err := srv.Lockfile(pins...)
		if err != nil {
			return err
		}
		header := fmt.Sprintf("# %d projects, %d files of about %d KB each, served by pyindex at %s\n",
			nProjects, nProjects*nVersions*nFiles, sizeKB, srv.IndexURL())
		if err := os.WriteFile(lockfile, []byte(header+body), 0o644); err != nil {
			return err
		}
	}
	fmt.Println(srv.IndexURL() + "/")
	fmt.Fprintf(os.Stderr, "pyindex: %d files generated in %s\n", nProjects*nVersions*nFiles, time.Since(start).Round(time.Millisecond))
	return serve(srv, ln)
}

func serveFixture(addr, name string) error {
	if name != "kinto" {
		return fmt.Errorf("unknown fixture %q (want kinto)", name)
	}
	srv, err := pyindex.New(fixtures.KintoProjects()...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv.URL = "http://" + ln.Addr().String()
	fmt.Println(srv.IndexURL() + "/")
	return serve(srv, ln)
}

// serve runs until SIGINT or SIGTERM.
func serve(srv *pyindex.Server, ln net.Listener) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Handler: srv}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
