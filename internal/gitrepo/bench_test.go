//go:build unix

package gitrepo_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	"github.com/distbuild/dist/internal/version"
)

func pep(s string) (version.V, error) { return version.Parse("pypi", s) }

// benchRepos are the benchmark repository: 2,000 commits and 1,000
// release tags on main, half annotated, plus a 10.0.x maintenance branch;
// with the loose refs tagging and fetching leave; with refs packed as a
// clone leaves them; and after git gc, which also writes a commit-graph.
func benchRepos(b *testing.B) [3]string {
	var dirs [3]string
	for i := range dirs {
		dirs[i] = b.TempDir()
		if err := gitenv.Generate(dirs[i], gitenv.Spec{Commits: 2000, Tags: 1000, MaintFrom: "10.0.0", MaintBranch: "10.0.x", MaintCommits: 20}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := gitenv.Run(dirs[1], gitenv.Env(), nil, "pack-refs", "--all"); err != nil {
		b.Fatal(err)
	}
	if _, err := gitenv.Run(dirs[2], gitenv.Env(), nil, "gc", "-q"); err != nil {
		b.Fatal(err)
	}
	return dirs
}

func BenchmarkLatestReleaseTag(b *testing.B) {
	dirs := benchRepos(b)
	for _, bc := range []struct{ name, dir, rev, want string }{
		{"loose/main", dirs[0], "main", "19.49.0"},
		{"loose/maint", dirs[0], "10.0.x", "10.0.10"},
		{"packed/main", dirs[1], "main", "19.49.0"},
		{"packed/maint", dirs[1], "10.0.x", "10.0.10"},
		{"gc/main", dirs[2], "main", "19.49.0"},
		{"gc/maint", dirs[2], "10.0.x", "10.0.10"},
	} {
		dir := bc.dir
		b.Run(bc.name, func(b *testing.B) {
			if _, err := gitenv.Run(dir, gitenv.Env(), nil, "checkout", "-q", bc.rev); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				r, err := gitrepo.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				rel, err := gitrepo.LatestReleaseTag(r, "{version}", pep, version.Compare)
				r.Close()
				if err != nil || rel.Tag != bc.want {
					b.Fatalf("got %q, %v; want %s", rel.Tag, err, bc.want)
				}
			}
			// On a shared machine wall time mostly measures the neighbours;
			// the process's own CPU time (user + system) does not.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
