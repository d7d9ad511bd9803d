package lock_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// editRepo is a distribution with a pypi lockfile and its dependencies
// lockfile over a small index: app 1.0 and 2.0, which need dep.
func editRepo(t *testing.T) (*manifest.Manifest, lock.EditOptions) {
	t.Helper()
	idx := pyindex.Start(t,
		pyindex.Project{Name: "app", Versions: []pyindex.Release{
			{Version: "1.0", RequiresDist: []string{"dep>=1"}},
			{Version: "1.1", RequiresDist: []string{"dep>=1"}},
			{Version: "2.0", RequiresDist: []string{"dep>=2"}}}},
		pyindex.Project{Name: "dep", Versions: []pyindex.Release{{Version: "1.0"}, {Version: "2.0"}}})
	dir := t.TempDir()
	yaml := "name: x\nlockfiles:\n" +
		"  - path: lockfiles/default.txt\n    ecosystem: pypi\n    python_version: [\"3.12\"]\n    dependencies: lockfiles/constraints.txt\n" +
		"  - path: lockfiles/constraints.txt\n    ecosystem: pypi\n"
	if err := os.WriteFile(filepath.Join(dir, "dist.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	client := fetch.New(fetch.Options{CacheDir: filepath.Join(dir, ".cache"), RetryWaitMin: time.Millisecond})
	return m, lock.EditOptions{File: "lockfiles/default.txt", Open: opener.New(client, opener.Settings{IndexURL: idx.IndexURL()})}
}

func readLockfile(t *testing.T, m *manifest.Manifest, path string) string {
	t.Helper()
	data, err := os.ReadFile(m.Abs(path))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(data)
}

func pinLines(pins []lock.Pinned) []string {
	var out []string
	for _, p := range pins {
		out = append(out, p.File+" "+string(p.Kind)+" "+p.Name+" "+p.From+" "+p.Version)
	}
	return out
}

func samePins(t *testing.T, what string, got []lock.Pinned, want ...string) {
	t.Helper()
	if g := pinLines(got); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: pins\n%s\nwant\n%s", what, strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

// Add and Upgrade lock, edit and write the lockfiles without cobra: a dry
// run shows the diff and writes nothing, a run writes every lockfile the
// resolution changed, and a lock another writer holds stops the edit
// before anything is read.
func TestAddUpgradeWrite(t *testing.T) {
	ctx := context.Background()
	m, eo := editRepo(t)

	dry := eo
	dry.DryRun = true
	res, err := lock.Add(ctx, m, lock.AddOptions{EditOptions: dry, Specs: []string{"app==1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || !res.Changed || !strings.Contains(res.Diff, "+app==1.0 ") || !strings.Contains(res.Diff, "+dep==2.0 ") {
		t.Errorf("dry run: %+v", res)
	}
	if got := readLockfile(t, m, "lockfiles/default.txt") + readLockfile(t, m, "lockfiles/constraints.txt"); got != "" {
		t.Errorf("a dry run wrote:\n%s", got)
	}

	res, err = lock.Add(ctx, m, lock.AddOptions{EditOptions: eo, Specs: []string{"app==1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	samePins(t, "add", res.Pins,
		"lockfiles/constraints.txt required dep  2.0",
		"lockfiles/default.txt added app  1.0")
	if res.DryRun || !res.Changed || res.Diff != "" {
		t.Errorf("add: %+v", res)
	}
	if !strings.HasPrefix(readLockfile(t, m, "lockfiles/default.txt"), "app==1.0 \\\n") || !strings.HasPrefix(readLockfile(t, m, "lockfiles/constraints.txt"), "dep==2.0 \\\n") {
		t.Errorf("add wrote:\n%s\n%s", readLockfile(t, m, "lockfiles/default.txt"), readLockfile(t, m, "lockfiles/constraints.txt"))
	}

	// Another writer holds the dependencies lockfile: nothing is written.
	defer func(w time.Duration) { atomicfile.LockWait = w }(atomicfile.LockWait)
	atomicfile.LockWait = 10 * time.Millisecond
	held, err := atomicfile.Lock(m.Abs("lockfiles/constraints.txt"))
	if err != nil {
		t.Fatal(err)
	}
	before := readLockfile(t, m, "lockfiles/default.txt")
	_, err = lock.Upgrade(ctx, m, lock.UpgradeOptions{EditOptions: eo, Specs: []string{"app"}})
	if !errors.Is(err, atomicfile.ErrLocked) {
		t.Errorf("upgrade under another writer's lock: %v, want ErrLocked", err)
	}
	if readLockfile(t, m, "lockfiles/default.txt") != before {
		t.Error("upgrade under another writer's lock wrote")
	}
	held.Unlock()

	res, err = lock.Upgrade(ctx, m, lock.UpgradeOptions{EditOptions: eo, Specs: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	samePins(t, "upgrade", res.Pins, "lockfiles/default.txt upgraded app 1.0 2.0")

	// A version or range moves the pin there, with or without its set.
	res, err = lock.Upgrade(ctx, m, lock.UpgradeOptions{EditOptions: eo, Specs: []string{"app<2"}})
	if err != nil {
		t.Fatal(err)
	}
	samePins(t, "upgrade app<2", res.Pins, "lockfiles/default.txt downgraded app 2.0 1.1")
	nodeps := eo
	nodeps.NoDeps = true
	res, err = lock.Upgrade(ctx, m, lock.UpgradeOptions{EditOptions: nodeps, Specs: []string{"app==1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	samePins(t, "upgrade --no-deps app==1.0", res.Pins, "lockfiles/default.txt downgraded app 1.1 1.0")

	var usage *failure.UsageError
	if _, err := lock.Upgrade(ctx, m, lock.UpgradeOptions{EditOptions: eo}); !errors.As(err, &usage) {
		t.Errorf("upgrade naming nothing: %v, want a usage error", err)
	}
	if _, err := lock.Upgrade(ctx, m, lock.UpgradeOptions{EditOptions: eo, Specs: []string{"app"}, All: true}); !errors.As(err, &usage) {
		t.Errorf("upgrade naming pins and --all: %v, want a usage error", err)
	}
}
