//go:build unix

package gitrepo_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
)

// BenchmarkPushOneCommit pushes one new commit of a 2,000-commit history
// (100 tags, 100 files, packed by git gc as a clone is) to a local bare
// clone: with dist's Push, with go-git's Remote.PushContext that Push used
// to call, and with git push. Each push opens the repository, as a dist
// command does; making the commit is not timed. cpu-ms/op counts the
// benchmark's process and its children (git-receive-pack, or git push and
// everything it runs).
func BenchmarkPushOneCommit(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		push func(b *testing.B, dir string)
	}{
		{"dist", func(b *testing.B, dir string) {
			r, err := gitrepo.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if err := r.Push(ctx, "origin", []string{"refs/heads/main"}, gitrepo.Auth{}); err != nil {
				b.Fatal(err)
			}
		}},
		{"go-git", func(b *testing.B, dir string) {
			r, err := gitrepo.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			err = r.Go().PushContext(ctx, &git.PushOptions{RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/main"}})
			if err != nil {
				b.Fatal(err)
			}
		}},
		{"git", func(b *testing.B, dir string) {
			if out, err := gitenv.Run(dir, gitenv.Env(), nil, "push", "-q", "origin", "main"); err != nil {
				b.Fatal(out, err)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := gitenv.MustGenerate(b, gitenv.Spec{Commits: 2000, Tags: 100, Files: 100})
			g.GC()
			bare := filepath.Join(b.TempDir(), "remote.git")
			if out, err := gitenv.Run(g.Dir, gitenv.Env(), nil, "clone", "-q", "--bare", g.Dir, bare); err != nil {
				b.Fatal(out, err)
			}
			g.Git("remote", "add", "origin", bare)
			var cpu, wall time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				g.Commit(fmt.Sprintf("bench %d", i), map[string]string{"src/f0042.txt": fmt.Sprintf("push %d\n", i)})
				cpu0, t0 := cpuWithChildren(), time.Now()
				b.StartTimer()
				bc.push(b, g.Dir)
				b.StopTimer()
				cpu += cpuWithChildren() - cpu0
				wall += time.Since(t0)
			}
			if got := g.GitIn(bare, "rev-parse", "main"); got != g.Head() {
				b.Fatalf("remote main %s, want %s", got, g.Head())
			}
			b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(wall)/float64(b.N)/1e6, "wall-ms/op")
		})
	}
}

func cpuWithChildren() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano())
}
