package lock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/resolver"
	"github.com/distbuild/dist/internal/source/opener"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

const (
	// genSeeds graphs are locked and installed; every genNoMetaEvery-th is
	// served without PEP 658 metadata files. genImpossible more are
	// impossible once their last top-level requirement is added.
	genSeeds       = 200
	genNoMetaEvery = 5
	genImpossible  = 8
	// pipWidth bounds the pip processes: the CPU they take, not the
	// resolutions, is what would starve a 2-core CI machine.
	pipWidth = 2
)

// genRun is what every case of a run shares.
type genRun struct {
	// python is the X.Y the lockfiles are resolved for: pip's own, since
	// pip installs them.
	python string
	pip    bool          // python3 -m pip is there
	pipSem chan struct{} // pipWidth slots
}

// genCase is one generated graph and what the test learned of it.
type genCase struct {
	name       string
	seed       uint64
	projects   []pyindex.Project
	top        []string
	noMeta     bool
	impossible bool
	dir        string
	locked     bool // the lockfiles were written and verified
}

// TestGeneratedGraphs locks random solvable graphs the way `dist lock add
// -f lockfiles/default.txt TOP...` does, then proves each result with the
// real pip: `pip install --require-hashes` of both lockfiles into a fresh
// venv, and `pip check`. pip only sees this machine (python 3.11 on its
// own architecture), so a second, independent check evaluates the set
// for both image platforms with pip's own vendored packaging library.
// Impossible graphs must fail with a *resolver.Conflict and leave the
// lockfiles as they were.
func TestGeneratedGraphs(t *testing.T) {
	start := time.Now()
	pipErr := exec.Command("python3", "-m", "pip", "--version").Run()
	if pipErr != nil && os.Getenv("CI") == "true" {
		t.Fatalf("python3 -m pip is not available (%v); CI must install it", pipErr)
	}
	run := &genRun{python: "3.11", pip: pipErr == nil, pipSem: make(chan struct{}, pipWidth)}
	if run.pip {
		out, err := exec.Command("python3", "-c", `import sys; print("%d.%d" % sys.version_info[:2])`).Output()
		if err != nil {
			t.Fatal(err)
		}
		run.python = strings.TrimSpace(string(out))
	}

	var cases []*genCase
	for seed := uint64(1); seed <= genSeeds; seed++ {
		o := pyindex.GraphOptions{Projects: 8 + int(seed%8), Versions: 3, Top: 2 + int(seed%3), Traps: int(seed % 4)}
		ps, top := pyindex.Graph(seed, o)
		cases = append(cases, &genCase{name: fmt.Sprintf("g%d", seed), seed: seed, projects: ps, top: top, noMeta: seed%genNoMetaEvery == 0})
	}
	for i := uint64(0); i < genImpossible; i++ {
		seed := 10_000 + i
		o := pyindex.GraphOptions{Prefix: fmt.Sprintf("x%d", seed), Projects: 10, Versions: 3, Top: 3, Traps: int(i % 3), Impossible: true}
		ps, top := pyindex.Graph(seed, o)
		cases = append(cases, &genCase{name: fmt.Sprintf("x%d", seed), seed: seed, projects: ps, top: top, impossible: true, noMeta: i%2 == 1})
	}

	var withMeta, noMeta []pyindex.Project
	for _, c := range cases {
		if c.noMeta {
			noMeta = append(noMeta, c.projects...)
		} else {
			withMeta = append(withMeta, c.projects...)
		}
	}
	srv := pyindex.Start(t, withMeta...)
	srvNoMeta := pyindex.Start(t, noMeta...)
	srvNoMeta.SetCoreMetadata(false)
	t.Logf("indexes generated in %s: %d and %d projects (the second without PEP 658 metadata)", time.Since(start).Round(time.Millisecond), len(withMeta), len(noMeta))

	root := t.TempDir()
	t.Run("graph", func(t *testing.T) {
		for _, c := range cases {
			c.dir = filepath.Join(root, c.name)
			index := srv.IndexURL()
			if c.noMeta {
				index = srvNoMeta.IndexURL()
			}
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				if c.impossible {
					lockImpossible(t, run, c, index)
					return
				}
				lockGraph(t, run, c.dir, index, c.top)
				c.locked = !t.Failed()
				if run.pip && c.locked {
					pipInstall(t, run, c.dir, index)
				}
			})
		}
	})
	if pipErr != nil {
		t.Skipf("python3 -m pip is not available (%v): %d graphs locked and verified, none installed", pipErr, len(cases))
	}
	checkTargets(t, run, root, cases)
	t.Logf("%d graphs in %s", len(cases), time.Since(start).Round(time.Millisecond))
}

// writeManifest writes a distribution whose direct pins go to
// default.txt and their dependencies to constraints.txt, resolved for
// one Python on two architectures.
func writeManifest(t *testing.T, dir, index, python string) {
	t.Helper()
	yaml := fmt.Sprintf(`name: generated
lockfiles:
  - path: lockfiles/default.txt
    ecosystem: pypi
    index: %[1]s
    python_version: ["%[2]s"]
    dependencies: lockfiles/constraints.txt
  - path: lockfiles/constraints.txt
    ecosystem: pypi
    index: %[1]s
    python_version: ["%[2]s"]
image:
  platforms: [linux/amd64, linux/arm64]
`, index, python)
	if err := os.MkdirAll(filepath.Join(dir, "lockfiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dist.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadSet does what the CLI does before `lock add` or `lock verify`: every
// lockfile loaded, the pypi set made of them, one client with a cold
// cache of the distribution's own.
func loadSet(t *testing.T, dir, index string) ([]*lockset.Target, *lockset.PySet) {
	t.Helper()
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	client := fetch.New(fetch.Options{CacheDir: filepath.Join(dir, ".cache"), RetryWaitMin: time.Millisecond})
	all, err := lockset.Load(m, "", opener.New(client, opener.Settings{IndexURL: index}))
	if err != nil {
		t.Fatal(err)
	}
	set, err := lockset.NewPySet(m, all)
	if err != nil {
		t.Fatal(err)
	}
	if set == nil || len(set.Targets) != 2 {
		t.Fatalf("the pypi set has %v", set)
	}
	return all, set
}

func defaultTarget(t *testing.T, all []*lockset.Target) *lockset.Target {
	t.Helper()
	for _, tg := range all {
		if tg.Lock.Path == "lockfiles/default.txt" {
			return tg
		}
	}
	t.Fatal("no lockfiles/default.txt target")
	return nil
}

// lockGraph runs `dist lock add -f lockfiles/default.txt TOP...` in a new
// distribution, then `dist lock verify` on what it wrote.
func lockGraph(t *testing.T, run *genRun, dir, index string, top []string) {
	t.Helper()
	ctx := context.Background()
	writeManifest(t, dir, index, run.python)
	all, set := loadSet(t, dir, index)
	if _, err := lock.AddTo(ctx, defaultTarget(t, all), top, lock.Options{Set: set}); err != nil {
		t.Fatalf("lock add %s: %v", strings.Join(top, " "), err)
	}
	for _, tg := range set.Targets {
		if err := tg.Write(); err != nil {
			t.Fatal(err)
		}
	}

	all, set = loadSet(t, dir, index)
	res, err := lock.Verify(ctx, all, lock.VerifyOptions{Set: set})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("lock verify: %s", p)
	}
	if res.Targets != 2 {
		t.Errorf("lock verify proved %d targets, want 2", res.Targets)
	}
	if t.Failed() {
		t.Logf("top: %s\n%s", strings.Join(top, " "), lockfiles(dir))
	}
}

// lockImpossible locks all but the last top-level requirement, which must
// work, then adds the last, which must fail with a conflict that names it
// and change no lockfile.
func lockImpossible(t *testing.T, run *genRun, c *genCase, index string) {
	last := c.top[len(c.top)-1]
	lockGraph(t, run, c.dir, index, c.top[:len(c.top)-1])
	if t.Failed() {
		return
	}
	c.top = c.top[:len(c.top)-1] // what the lockfiles hold, for checkTargets
	c.locked = true
	before := map[string][]byte{}
	for _, f := range []string{"default.txt", "constraints.txt"} {
		before[f], _ = os.ReadFile(filepath.Join(c.dir, "lockfiles", f))
	}
	all, set := loadSet(t, c.dir, index)
	_, err := lock.AddTo(context.Background(), defaultTarget(t, all), []string{last}, lock.Options{Set: set})
	var conflict *resolver.Conflict
	switch {
	case err == nil:
		t.Fatalf("lock add %s: no error, want a conflict", last)
	case !errors.As(err, &conflict):
		t.Fatalf("lock add %s: %T %v, want a *resolver.Conflict", last, err, err)
	case !strings.Contains(err.Error(), last):
		t.Errorf("lock add %s: the conflict does not name it: %v", last, err)
	default:
		t.Logf("lock add %s: %v", last, err)
	}
	for _, tg := range set.Targets {
		if tg.Changed() {
			t.Errorf("%s changed in memory after a failed add:\n%s", tg.Lock.Path, tg.Diff())
		}
	}
	for f, b := range before {
		after, _ := os.ReadFile(filepath.Join(c.dir, "lockfiles", f))
		if !bytes.Equal(b, after) {
			t.Errorf("lockfiles/%s changed on disk after a failed add", f)
		}
	}
	if run.pip {
		pipInstall(t, run, c.dir, index)
	}
}

// pipEnv is the environment pip runs in: the local index only, no
// configuration or cache of the machine's, no version check.
func pipEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") {
			env = append(env, kv)
		}
	}
	return append(env, "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_CACHE_DIR=1", "PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1")
}

// pipInstall installs the lockfiles into a fresh venv with the real pip,
// hashes required, and runs pip check there.
func pipInstall(t *testing.T, run *genRun, dir, index string) {
	t.Helper()
	run.pipSem <- struct{}{}
	defer func() { <-run.pipSem }()
	venv := filepath.Join(dir, "venv")
	defer os.RemoveAll(venv)
	if out, err := exec.Command("python3", "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
		t.Fatalf("python3 -m venv: %v\n%s", err, out)
	}
	install := []string{"install", "--require-hashes", "--no-compile", "--progress-bar", "off", "--index-url", index + "/"}
	for _, f := range []string{"default.txt", "constraints.txt"} {
		// No dependency at all leaves constraints.txt unwritten.
		if p := filepath.Join(dir, "lockfiles", f); fileExists(p) {
			install = append(install, "-r", p)
		}
	}
	for _, args := range [][]string{install, {"check"}} {
		cmd := pipCommand(filepath.Join(venv, "bin", "python"), args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s\n%s", strings.Join(cmd.Args, " "), err, out, lockfiles(dir))
		}
	}
}

var (
	pipRunnerOnce sync.Once
	pipRunner     string
)

// pipCommand runs the machine's pip on the venv's interpreter. That is
// what `python3 -m pip --python PY ARGS` does: it re-executes pip's
// __pip-runner__.py with PY. Running that directly saves the first
// interpreter's start (a third of a second a call, a minute over the
// test on 2 cores); without it, the documented way is used.
func pipCommand(py string, args ...string) *exec.Cmd {
	pipRunnerOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "import os, pip; print(os.path.join(os.path.dirname(pip.__file__), '__pip-runner__.py'))").Output()
		if p := strings.TrimSpace(string(out)); err == nil && fileExists(p) {
			pipRunner = p
		}
	})
	var cmd *exec.Cmd
	if pipRunner != "" {
		cmd = exec.Command(py, append([]string{pipRunner}, args...)...)
	} else {
		cmd = exec.Command("python3", append([]string{"-m", "pip", "--python", py}, args...)...)
	}
	cmd.Env = pipEnv()
	return cmd
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func lockfiles(dir string) string {
	var b strings.Builder
	for _, f := range []string{"default.txt", "constraints.txt"} {
		data, _ := os.ReadFile(filepath.Join(dir, "lockfiles", f))
		fmt.Fprintf(&b, "--- lockfiles/%s\n%s", f, hashLines.ReplaceAllString(string(data), ""))
	}
	return b.String()
}

var hashLines = regexp.MustCompile(`(?m) \\\n\s+--hash=sha256:[0-9a-f]+`)

// checkTargets proves every locked graph for both image platforms, which
// pip on this machine cannot: in each target, the top-level requirements
// and every requirement of every installed pin (with the extras asked of
// it) are met by an installed pin, and every installed pin is needed
// there. Markers, specifiers and extras are read by pip's own vendored
// packaging library, and requirements from the generated graph itself,
// not through dist.
func checkTargets(t *testing.T, run *genRun, root string, cases []*genCase) {
	type input struct {
		Name     string                         `json:"name"`
		Top      []string                       `json:"top"`
		Files    []string                       `json:"files"`
		Requires map[string]map[string][]string `json:"requires"`
	}
	var in []input
	for _, c := range cases {
		if !c.locked {
			continue
		}
		x := input{Name: c.name, Top: c.top, Requires: map[string]map[string][]string{}}
		for _, f := range []string{"default.txt", "constraints.txt"} {
			if p := filepath.Join(c.dir, "lockfiles", f); fileExists(p) {
				x.Files = append(x.Files, p)
			}
		}
		for _, p := range c.projects {
			vs := map[string][]string{}
			for _, r := range p.Versions {
				vs[r.Version] = append([]string{}, r.RequiresDist...)
			}
			x.Requires[p.Name] = vs
		}
		in = append(in, x)
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "check_targets.py")
	if err := os.WriteFile(script, []byte(checkTargetsPy), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", script, run.python)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check_targets.py: %v\n%s", err, stderr.Bytes())
	}
	var problems []struct{ Name, Problem string }
	if err := json.Unmarshal(out, &problems); err != nil {
		t.Fatalf("check_targets.py: %v\n%s", err, out)
	}
	byName := map[string]*genCase{}
	for _, c := range cases {
		byName[c.name] = c
	}
	shown := map[string]bool{}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Name, p.Problem)
		if c := byName[p.Name]; c != nil && !shown[p.Name] {
			shown[p.Name] = true
			t.Logf("%s: top: %s\n%s", p.Name, strings.Join(c.top, " "), lockfiles(c.dir))
		}
	}
	t.Logf("checked %d locked graphs for python %s on x86_64 and aarch64 with pip's packaging", len(in), run.python)
}

// checkTargetsPy reads the cases as JSON on stdin and writes the problems
// it finds as a JSON list of {"Name", "Problem"}.
const checkTargetsPy = `
import json, sys
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

PY = sys.argv[1]
TARGETS = [dict(python_version=PY, python_full_version=PY + ".0", os_name="posix",
                sys_platform="linux", platform_system="Linux", platform_machine=m,
                implementation_name="cpython", platform_python_implementation="CPython")
           for m in ("x86_64", "aarch64")]

def read_lockfile(path):
    text = open(path).read().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(Requirement(" ".join(w for w in line.split() if not w.startswith("--hash"))))
    return out

def active(req, env, extras):
    return req.marker is None or any(req.marker.evaluate(dict(env, extra=x)) for x in [""] + sorted(extras))

def walk(roots, env, installed, requires, where):
    """Follows requirements from roots (requirement, who) with the extras
    each asks for; returns the names reached and the unmet requirements."""
    asked, problems = {}, []
    todo = list(roots)
    while todo:
        req, who = todo.pop()
        n = canonicalize_name(req.name)
        if n not in installed:
            problems.append("%s: %s requires %s: not installed" % (where, who, req))
            continue
        v = installed[n]
        if not req.specifier.contains(v, prereleases=True):
            problems.append("%s: %s requires %s: %s is installed" % (where, who, req, v))
        extras = {x.lower() for x in req.extras}
        if n in asked and extras <= asked[n]:
            continue
        asked[n] = asked.get(n, set()) | extras
        for s in requires.get(n, {}).get(v, []):
            dep = Requirement(s)
            if active(dep, env, asked[n]):
                todo.append((dep, "%s %s" % (n, v)))
    return set(asked), problems

def check(case):
    problems = []
    requires = {canonicalize_name(n): vs for n, vs in case["requires"].items()}
    pins = [r for f in case["files"] for r in read_lockfile(f)]
    for env in TARGETS:
        where = "python %s, %s" % (PY, env["platform_machine"])
        installed = {}
        for r in pins:
            if not active(r, env, ()):
                continue
            (spec,) = r.specifier
            n = canonicalize_name(r.name)
            if n in installed and installed[n] != spec.version:
                problems.append("%s: %s pinned twice" % (where, n))
            installed[n] = spec.version
            if spec.version not in requires.get(n, {}):
                problems.append("%s: %s==%s is not a release of the graph" % (where, n, spec.version))
        # From the top: what the target needs. From every installed line:
        # what pip check would say.
        reached, found = walk([(Requirement(s), "the top") for s in case["top"]], env, installed, requires, where)
        problems += found
        _, found = walk([(r, "its lockfile line") for r in pins if active(r, env, ())], env, installed, requires, where)
        problems += found
        for n in sorted(set(installed) - reached):
            problems.append("%s: %s is installed but nothing needs it there" % (where, n))
    return list(dict.fromkeys(problems))

out = []
for case in json.load(sys.stdin):
    for p in check(case):
        out.append({"Name": case["name"], "Problem": p})
json.dump(out, sys.stdout)
`
