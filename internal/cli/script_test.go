package cli

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/distbuild/dist/internal/testenv/ghapi"
	"github.com/distbuild/dist/internal/textdiff"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/testenv/fixtures"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	"github.com/distbuild/dist/internal/testenv/goproxy"
	"github.com/distbuild/dist/internal/testenv/pyindex"
	"github.com/distbuild/dist/internal/testenv/registry"
)

type (
	indexKey struct{}
	ghKey    struct{}
	snapKey  struct{}
)

func index(ts *testscript.TestScript) *pyindex.Server {
	return ts.Value(indexKey{}).(*pyindex.Server)
}

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dist": func() { os.Exit(Execute()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script against real
// local servers: a PEP 503/691 index, a GOPROXY and a registry.
func TestScripts(t *testing.T) {
	proxy := goproxy.Start(t, fixtures.GoModules()...)
	reg := registry.StartInProcess(t)
	registry.PushRandomImage(t, reg+"/library/python:3.12-slim", "linux/amd64", "linux/arm64")
	registry.PushRandomImage(t, reg+"/library/python:3.13-slim", "linux/amd64", "linux/arm64")
	registry.PushRandomImage(t, reg+"/library/python:3.13", "linux/amd64")
	_, pipErr := exec.Command("python3", "-m", "pip", "--version").CombinedOutput()
	// Scripts share the go command's build cache with this process (it is
	// content-addressed and safe to share): with HOME the script's own,
	// every script that builds a Go server would compile the standard
	// library again.
	goCache, _ := exec.Command("go", "env", "GOCACHE").Output()
	kintoDist, err := filepath.Abs(filepath.Join("..", "..", "testdata", "kinto-dist"))
	if err != nil {
		t.Fatal(err)
	}

	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Each script gets its own index, since scripts run in parallel
			// and some make theirs fail or serve tampered files.
			idx, err := pyindex.New(fixtures.KintoProjects()...)
			if err != nil {
				return err
			}
			hs := httptest.NewServer(idx)
			env.Defer(hs.Close)
			idx.URL = hs.URL
			env.Values[indexKey{}] = idx
			gh := ghapi.New("mozilla-services/kinto-dist", "gh-t0ken")
			ghs := httptest.NewServer(gh)
			env.Defer(ghs.Close)
			gh.URL = ghs.URL
			env.Values[ghKey{}] = gh
			env.Setenv("GITHUB_API", gh.URL)
			env.Values[snapKey{}] = map[string]string{}
			env.Setenv("INDEX", idx.IndexURL())
			// The Kinto-shaped example distribution the repository keeps.
			env.Setenv("KINTO_DIST", kintoDist)
			env.Setenv("GOPROXY", proxy.URL)
			env.Setenv("GOSUMDB", "off")
			if c := strings.TrimSpace(string(goCache)); c != "" {
				env.Setenv("GOCACHE", c)
			}
			env.Setenv("REGISTRY", reg)
			env.Setenv("DIST_CACHE_DIR", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("HOME", filepath.Join(env.WorkDir, ".home"))
			env.Setenv("DOCKER_CONFIG", filepath.Join(env.WorkDir, ".docker"))
			env.Setenv("PIP_NO_CACHE_DIR", "1")
			// Real git, deterministic identities and dates.
			for k, v := range map[string]string{
				"GIT_AUTHOR_NAME": "Dist Test", "GIT_AUTHOR_EMAIL": "dist@example.org",
				"GIT_COMMITTER_NAME": "Dist Test", "GIT_COMMITTER_EMAIL": "dist@example.org",
				"GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
				"GIT_CONFIG_NOSYSTEM": "1",
			} {
				env.Setenv(k, v)
			}
			env.Setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
			if pipErr == nil {
				env.Setenv("HAVE_PIP", "1")
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "pip":
				return pipErr == nil, nil
			case "docker-registry":
				// Missing under CI=true is a broken CI image, not a skip.
				_, err := exec.LookPath("docker-registry")
				if _, serr := os.Stat(registry.DistributionBinary); err != nil && serr != nil {
					if os.Getenv("CI") == "true" {
						return false, fmt.Errorf("docker-registry is not installed; CI must install it")
					}
					return false, nil
				}
				return true, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exits N PROG ARGS...: run PROG as exec does and require exit
			// code N, so that a script says which failure it expects (DESIGN
			// §3: 1 a failed check, 2 usage or configuration); stdout and
			// stderr are then checked as after exec.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exits N PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%s: %v", args[1], err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", args[1], got, want)
				}
			},
			// json-valid FILE [PATH...]: FILE (stdout: the last command's)
			// holds exactly one JSON object, as every --json prints, and
			// each PATH (keys and list indexes joined by dots, pins.0.to)
			// is in it.
			"json-valid": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 1 {
					ts.Fatalf("usage: json-valid FILE [PATH...]")
				}
				dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
				var v any
				if err := dec.Decode(&v); err != nil {
					ts.Fatalf("%s: %v", args[0], err)
				}
				if _, ok := v.(map[string]any); !ok || dec.More() {
					ts.Fatalf("%s: not one JSON object", args[0])
				}
				for _, p := range args[1:] {
					cur := v
					for _, k := range strings.Split(p, ".") {
						var ok bool
						switch c := cur.(type) {
						case map[string]any:
							cur, ok = c[k]
						case []any:
							i, err := strconv.Atoi(k)
							if ok = err == nil && i >= 0 && i < len(c); ok {
								cur = c[i]
							}
						}
						if !ok {
							ts.Fatalf("%s: no %s", args[0], p)
						}
					}
				}
			},
			// index-fail N: the package index answers the next N requests with 500.
			"index-fail": func(ts *testscript.TestScript, neg bool, args []string) {
				n, err := strconv.Atoi(args[0])
				ts.Check(err)
				index(ts).FailNext(n)
			},
			// index-auth USER PASS: the index wants these basic credentials;
			// $INDEX_AUTH is its URL with them written in.
			"index-auth": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: index-auth USER PASS")
				}
				index(ts).RequireAuth(args[0], args[1])
				ts.Setenv("INDEX_AUTH", strings.Replace(index(ts).IndexURL(), "://", "://"+args[0]+":"+args[1]+"@", 1))
			},
			// index-lock FILE PIN...: write FILE with one entry per PIN
			// ("name==version", optionally followed by " ; marker"), hashed
			// with every file the index has of it: a lockfile dist lock add
			// cannot write, such as one project under two markers.
			"index-lock": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: index-lock FILE PIN...")
				}
				var b strings.Builder
				for _, pin := range args[1:] {
					spec, marker, _ := strings.Cut(pin, ";")
					name, ver, _ := strings.Cut(strings.TrimSpace(spec), "==")
					hashes := index(ts).Hashes(name, ver)
					if len(hashes) == 0 {
						ts.Fatalf("index-lock: the index has no files for %s", spec)
					}
					b.WriteString(strings.TrimSpace(spec))
					if marker = strings.TrimSpace(marker); marker != "" {
						b.WriteString(" ; " + marker)
					}
					for _, h := range hashes {
						b.WriteString(" \\\n    --hash=" + h)
					}
					b.WriteString("\n")
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
			},
			// index-tamper FILE: the index serves other bytes for FILE.
			"index-tamper": func(ts *testscript.TestScript, neg bool, args []string) {
				index(ts).Tamper(args[0])
			},
			// index-publish NAME VERSION: a new release appears on the index.
			"index-publish": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Check(index(ts).Add(pyindex.Project{Name: args[0], Versions: []pyindex.Release{{Version: args[1]}}}))
			},
			// make-wheel NAME VERSION DIR [TAG]: build a wheel of NAME
			// VERSION (tag py3-none-any by default) into DIR, as pip wheel
			// would leave it in a wheelhouse, and set $WHEEL to its
			// filename and $WHEEL_SHA256 to the hex sha256 of its bytes.
			"make-wheel": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 && len(args) != 4 {
					ts.Fatalf("usage: make-wheel NAME VERSION DIR [TAG]")
				}
				f := pyindex.Wheel("py3-none-any")
				if len(args) == 4 {
					f = pyindex.Wheel(args[3])
				}
				built, err := pyindex.New(pyindex.Project{Name: args[0], Versions: []pyindex.Release{{Version: args[1], Files: []pyindex.File{f}}}})
				ts.Check(err)
				a := built.Artifacts(args[0], args[1])[0]
				ts.Check(os.MkdirAll(ts.MkAbs(args[2]), 0o755))
				ts.Check(os.WriteFile(filepath.Join(ts.MkAbs(args[2]), a.Filename), a.Data, 0o644))
				ts.Setenv("WHEEL", a.Filename)
				ts.Setenv("WHEEL_SHA256", strings.TrimPrefix(a.SHA256, "sha256:"))
			},
			// same-bytes A B: A and B are identical files.
			"same-bytes": func(ts *testscript.TestScript, neg bool, args []string) {
				a, b := ts.ReadFile(args[0]), ts.ReadFile(args[1])
				if (a == b) == neg {
					ts.Fatalf("%s and %s: same=%v", args[0], args[1], a == b)
				}
			},
			// sum-in-lock JSON LOCKFILE: the Sum that `go mod download -json`
			// printed to JSON is the hash the lockfile holds.
			"sum-in-lock": func(ts *testscript.TestScript, neg bool, args []string) {
				var d struct{ Path, Version, Sum string }
				ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &d))
				want := fmt.Sprintf("%s==%s \\\n    --hash=%s\n", d.Path, d.Version, d.Sum)
				if d.Sum == "" || !strings.Contains(ts.ReadFile(args[1]), want) {
					ts.Fatalf("%s does not hold %q", args[1], want)
				}
			},
			// subst FILE...: expand $VARS in files, for URLs known only at run time.
			"subst": func(ts *testscript.TestScript, neg bool, args []string) {
				for _, f := range args {
					data := ts.ReadFile(f)
					ts.Check(os.WriteFile(ts.MkAbs(f), []byte(os.Expand(data, ts.Getenv)), 0o644))
				}
			},
			// gh-fail N: the GitHub API answers the next N requests with 500.
			"gh-fail": func(ts *testscript.TestScript, neg bool, args []string) {
				n, err := strconv.Atoi(args[0])
				ts.Check(err)
				ts.Value(ghKey{}).(*ghapi.Server).FailNext(n)
			},
			// gh-releases: print the releases the API holds.
			"gh-releases": func(ts *testscript.TestScript, neg bool, args []string) {
				for _, r := range ts.Value(ghKey{}).(*ghapi.Server).Releases() {
					fmt.Fprintf(ts.Stdout(), "%s draft=%v body=%q\n", r.TagName, r.Draft, r.Body)
				}
			},
			// snapshot save|same NAME DIR: digest DIR's work tree, index, HEAD
			// and refs, or check that they are as saved.
			"snapshot": func(ts *testscript.TestScript, neg bool, args []string) {
				lines, err := gitenv.Snapshot(ts.MkAbs(args[2]))
				ts.Check(err)
				got := strings.Join(lines, "\n")
				saved := ts.Value(snapKey{}).(map[string]string)
				switch args[0] {
				case "save":
					saved[args[1]] = got
				case "same":
					if got != saved[args[1]] {
						ts.Fatalf("the repository changed:\n%s", textdiff.Unified("snapshot", saved[args[1]], got))
					}
				}
			},
			// image-push REF: push a fresh random image to the test registry.
			"image-push": func(ts *testscript.TestScript, neg bool, args []string) {
				registry.PushRandomImage(t, ts.Getenv("REGISTRY")+"/"+args[0], "linux/amd64")
			},
			// image-push-python REF VERSION|- [DIR...]: push a linux/amd64
			// base image whose config sets PYTHON_VERSION=VERSION (none for
			// -) and whose layer holds DIRs (e.g. usr/lib/python3.11/).
			"image-push-python": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: image-push-python REF VERSION|- [DIR...]")
				}
				version := args[1]
				if version == "-" {
					version = ""
				}
				imagetest.Push(t, ts.Getenv("REGISTRY")+"/"+args[0], imagetest.PythonBase(t, "linux/amd64", version, args[2:]...))
			},
			// layer-owners DIR: print "UID:GID NAME" for every entry of
			// every gzip layer blob in the OCI layout DIR, as the tar
			// headers say, so that a script checks who owns the files.
			"layer-owners": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: layer-owners DIR")
				}
				blobs, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "blobs", "sha256", "*"))
				ts.Check(err)
				for _, b := range blobs {
					f, err := os.Open(b)
					ts.Check(err)
					zr, err := gzip.NewReader(f)
					if err != nil {
						f.Close()
						continue // a manifest or a config
					}
					tr := tar.NewReader(zr)
					for {
						h, err := tr.Next()
						if err == io.EOF {
							break
						}
						ts.Check(err)
						fmt.Fprintf(ts.Stdout(), "%d:%d %s\n", h.Uid, h.Gid, h.Name)
					}
					f.Close()
				}
			},
			// expand FILE...: replace $VAR and ${VAR} in files with the
			// script's environment, e.g. a registry's address in dist.yaml.
			"expand": func(ts *testscript.TestScript, neg bool, args []string) {
				for _, f := range args {
					ts.Check(os.WriteFile(ts.MkAbs(f), []byte(os.Expand(ts.ReadFile(f), ts.Getenv)), 0o644))
				}
			},
			// ssh-serve: a git server over SSH on 127.0.0.1 with an empty bare
			// repository remote.git, whose host key is in
			// $HOME/.ssh/known_hosts; a key it accepts for user git is in
			// $HOME/.ssh/deploy_key (not a name ssh tries by itself).
			// Sets $SSH_PORT and $SSH_ROOT (where remote.git is).
			"ssh-serve": func(ts *testscript.TestScript, neg bool, args []string) {
				srv := gitenv.StartSSH(t)
				key := gitenv.NewSSHKey(t)
				srv.Authorize("git", key.Public)
				srv.Bare("remote.git")
				home := ts.Getenv("HOME")
				key.WriteFiles(t, filepath.Join(home, ".ssh", "deploy_key"), "")
				ts.Check(os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(srv.KnownHostsLine()+"\n"), 0o600))
				ts.Setenv("SSH_PORT", strconv.Itoa(srv.Port))
				ts.Setenv("SSH_ROOT", srv.Root)
			},
			// registry-start VAR [USER PASSWORD]: run Debian's docker-registry
			// (with htpasswd authentication when USER is given) until the
			// tests end, and set $VAR to its host:port. Guard with
			// [docker-registry].
			"registry-start": func(ts *testscript.TestScript, neg bool, args []string) {
				var opts registry.Options
				if len(args) == 3 {
					opts.Htpasswd = map[string]string{args[1]: args[2]}
				}
				ts.Setenv(args[0], registry.StartDistribution(t, opts).Host)
			},
		},
		RequireExplicitExec: true,
		// UPDATE_GOLDEN=1 rewrites the golden files that cmp compares with.
		UpdateScripts: os.Getenv("UPDATE_GOLDEN") != "",
	})
}
