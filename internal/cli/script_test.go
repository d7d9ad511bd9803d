package cli

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	packageurl "github.com/package-url/packageurl-go"
	"github.com/rogpeppe/go-internal/testscript"
	spdxjson "github.com/spdx/tools-golang/json"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/distbuild/dist/internal/image/imagetest"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/testenv/fixtures"
	"github.com/distbuild/dist/internal/testenv/ghapi"
	"github.com/distbuild/dist/internal/testenv/gitenv"
	"github.com/distbuild/dist/internal/testenv/goproxy"
	"github.com/distbuild/dist/internal/testenv/pyindex"
	"github.com/distbuild/dist/internal/testenv/registry"
	"github.com/distbuild/dist/internal/textdiff"
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
			case "cosign":
				// Installed by .ci/run with go install: missing under
				// CI=true is a broken CI image, not a skip.
				if _, err := exec.LookPath(cond); err != nil {
					if os.Getenv("CI") == "true" {
						return false, fmt.Errorf("%s is not installed; CI must install it", cond)
					}
					return false, nil
				}
				return true, nil
			case "crane":
				// Missing under CI=true is a broken CI image, not a skip.
				if craneBin() == "" && os.Getenv("CI") == "true" {
					return false, fmt.Errorf("crane is not installed; CI must install it (.ci/run)")
				}
				return craneBin() != "", nil
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
			// stderr are then checked as after exec. A PROG killed by a
			// signal exits 128+signal, as a shell reports it (137 for
			// SIGKILL).
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
					if ws, ok := ee.Sys().(interface {
						Signaled() bool
						Signal() syscall.Signal
					}); ok && ws.Signaled() {
						got = 128 + int(ws.Signal())
					}
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", args[1], got, want)
				}
			},
			// json-valid FILE [PATH[=VALUE]...]: FILE (stdout: the last
			// command's) holds exactly one JSON object, as every --json
			// prints, and each PATH (keys and list indexes joined by dots,
			// pins.0.to) is in it; with =VALUE, a string, number or bool
			// that reads VALUE.
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
					p, want, eq := strings.Cut(p, "=")
					cur, ok := jsonPath(v, p)
					if !ok {
						ts.Fatalf("%s: no %s", args[0], p)
					}
					if got := fmt.Sprint(cur); eq && got != want {
						ts.Fatalf("%s: %s is %q, want %q", args[0], p, got, want)
					}
				}
			},
			// json-get FILE PATH VAR: set $VAR to the string (or number) at
			// PATH in the JSON object FILE holds (stdout: the last
			// command's), PATH as json-valid takes it; a "sha256:HEX"
			// digest also sets ${VAR}_HEX, for blobs/sha256/$X_HEX and the
			// sha256-$X_HEX referrers tag.
			"json-get": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: json-get FILE PATH VAR")
				}
				var cur any
				ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &cur))
				cur, ok := jsonPath(cur, args[1])
				if !ok {
					ts.Fatalf("%s: no %s", args[0], args[1])
				}
				v := fmt.Sprint(cur)
				ts.Setenv(args[2], v)
				if hex, ok := strings.CutPrefix(v, "sha256:"); ok {
					ts.Setenv(args[2]+"_HEX", hex)
				}
			},
			// sbom-pins SBOM LOCKFILE...: SBOM is an SPDX 2.3 JSON document
			// (read with spdx/tools-golang) that lists every pypi and gomod
			// pin of the lockfiles: a package with its purl, and checksums
			// (pypi: sha256) or a go-sum-h1 reference (gomod) that are all
			// among the pin's hashes, at least one of them.
			"sbom-pins": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: sbom-pins SBOM LOCKFILE...")
				}
				doc, err := spdxjson.Read(strings.NewReader(ts.ReadFile(args[0])))
				ts.Check(err)
				byPURL := map[string]*spdx.Package{}
				for _, p := range doc.Packages {
					for _, r := range p.PackageExternalReferences {
						if r.RefType == "purl" {
							byPURL[r.Locator] = p
						}
					}
				}
				n := 0
				for _, lf := range args[1:] {
					f, err := lockfile.Parse(lf, []byte(ts.ReadFile(lf)))
					ts.Check(err)
					for _, e := range f.Entries() {
						var purl string
						var got []string
						if strings.HasPrefix(e.Hashes[0], "h1:") {
							ns, name := path.Split(e.Name)
							purl = packageurl.NewPackageURL(packageurl.TypeGolang, strings.TrimSuffix(ns, "/"), name, e.Version, nil, "").ToString()
							if p := byPURL[purl]; p != nil {
								for _, r := range p.PackageExternalReferences {
									if r.RefType == "go-sum-h1" {
										got = append(got, r.Locator)
									}
								}
							}
						} else {
							purl = packageurl.NewPackageURL(packageurl.TypePyPi, "", pep508.NormalizeName(e.Name), e.Version, nil, "").ToString()
							if p := byPURL[purl]; p != nil {
								for _, c := range p.PackageChecksums {
									got = append(got, strings.ToLower(string(c.Algorithm))+":"+c.Value)
								}
							}
						}
						if byPURL[purl] == nil {
							ts.Fatalf("%s: no package %s (%s:%d)", args[0], purl, lf, e.Line)
						}
						if len(got) == 0 {
							ts.Fatalf("%s: %s has no hash", args[0], purl)
						}
						for _, h := range got {
							if !slices.Contains(e.Hashes, h) {
								ts.Fatalf("%s: %s has hash %s, which %s:%d does not pin", args[0], purl, h, lf, e.Line)
							}
						}
						n++
					}
				}
				fmt.Fprintf(ts.Stdout(), "%d pins in the SBOM with their hashes\n", n)
			},
			// capture VAR REGEXP [FILE]: set $VAR to REGEXP's first group in
			// FILE (default stdout), such as a digest a command printed, for
			// the commands after it.
			"capture": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 || len(args) > 3 {
					ts.Fatalf("usage: capture VAR REGEXP [FILE]")
				}
				file := "stdout"
				if len(args) == 3 {
					file = args[2]
				}
				re, err := regexp.Compile(args[1])
				ts.Check(err)
				m := re.FindStringSubmatch(ts.ReadFile(file))
				if len(m) < 2 {
					ts.Fatalf("capture: no match for %s in %s", args[1], file)
				}
				ts.Setenv(args[0], m[1])
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
			// crane ARGS...: run go-containerregistry's crane (on PATH, or
			// where go install puts it) as exec runs a program: a second
			// opinion on what dist wrote to a registry. Guard with [crane].
			"crane": func(ts *testscript.TestScript, neg bool, args []string) {
				err := ts.Exec(craneBin(), args...)
				if (err != nil) != neg {
					ts.Fatalf("crane %s: %v", strings.Join(args, " "), err)
				}
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

// craneBin finds crane: on PATH, else in GOBIN or GOPATH/bin, where .ci/run
// installs it; "" when it is nowhere.
var craneBin = sync.OnceValue(func() string {
	if p, err := exec.LookPath("crane"); err == nil {
		return p
	}
	for _, v := range []string{"GOBIN", "GOPATH"} {
		out, _ := exec.Command("go", "env", v).Output()
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if d == "" {
				continue
			}
			if v == "GOPATH" {
				d = filepath.Join(d, "bin")
			}
			if st, err := os.Stat(filepath.Join(d, "crane")); err == nil && !st.IsDir() {
				return filepath.Join(d, "crane")
			}
		}
	}
	return ""
})

// jsonPath follows a dotted path ("outputs.0.reference": object keys and
// list indexes) from v, a decoded JSON value; ok is false where it leads
// nowhere.
func jsonPath(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		var ok bool
		switch c := v.(type) {
		case map[string]any:
			v, ok = c[k]
		case []any:
			i, err := strconv.Atoi(k)
			if ok = err == nil && i >= 0 && i < len(c); ok {
				v = c[i]
			}
		}
		if !ok {
			return nil, false
		}
	}
	return v, true
}
