package gomod

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/distbuild/dist/internal/source"
)

// testRepo is a Go module in a local bare git repository that the go
// command reaches as https://example.local/team/lib: git's url.insteadOf
// sends it to the directory, so no network is used. The module path
// carries ".git", which tells the go command the repository's URL without
// a ?go-get=1 lookup.
type testRepo struct {
	path string // the module path
	env  []string
}

func gitModule(t *testing.T) testRepo {
	t.Helper()
	needGo(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git command")
	}
	const modPath = "example.local/team/lib.git"
	root := t.TempDir()
	src, bare := filepath.Join(root, "src"), filepath.Join(root, "lib.git")
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(src, "init", "-q")
	write("go.mod", "module "+modPath+"\n\ngo 1.22\n")
	write("lib.go", "package lib\n\n// Hello greets.\nfunc Hello() string { return \"hi\" }\n")
	git(src, "add", ".")
	git(src, "commit", "-q", "-m", "v1.0.0")
	git(src, "tag", "v1.0.0")
	write("lib.go", "package lib\n\n// Hello greets.\nfunc Hello() string { return \"hello\" }\n")
	git(src, "commit", "-q", "-a", "-m", "v1.1.0")
	git(src, "tag", "v1.1.0")
	git(root, "clone", "-q", "--bare", src, bare)

	gopath := t.TempDir()
	env := map[string]string{
		"GOPATH": gopath, "GOMODCACHE": "", "GOFLAGS": "-modcacherw", "GOENV": "off",
		"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": filepath.Join(root, "gitconfig"),
		"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "url." + bare + ".insteadOf", "GIT_CONFIG_VALUE_0": "https://example.local/team/lib",
	}
	var list []string
	for k, v := range env {
		t.Setenv(k, v)
		list = append(list, k+"="+v)
	}
	return testRepo{path: modPath, env: append(os.Environ(), list...)}
}

// GOPROXY=direct: the go command fetches from git, and the lockfile hash
// is the Sum `go mod download -json` reports (DESIGN §2).
func TestGoCommand(t *testing.T) {
	repo := gitModule(t)
	s := newSource(t, Env{GOPROXY: "direct", GOSUMDB: "off"})
	name, vs, err := s.Versions(ctx, repo.path)
	if err != nil || name != repo.path || !slices.Equal(vs, []string{"v1.0.0", "v1.1.0"}) {
		t.Fatalf("Versions: %s %v %v", name, vs, err)
	}
	rel, err := s.Release(ctx, repo.path, "v1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	var dl struct{ Sum, GoModSum string }
	out := runGo(t, needGo(t), t.TempDir(), append(repo.env, "GOPROXY=direct", "GOSUMDB=off"), "mod", "download", "-json", repo.path+"@v1.1.0")
	if err := json.Unmarshal(out, &dl); err != nil {
		t.Fatal(err)
	}
	if got := rel.Hashes(); len(got) != 2 || got[0] != dl.Sum || got[1] != dl.GoModSum {
		t.Errorf("Release hashes %v, go mod download says %s %s", got, dl.Sum, dl.GoModSum)
	}
	again, err := s.Rehash(ctx, rel)
	if err != nil || !slices.Equal(again, rel.Hashes()) {
		t.Errorf("Rehash: %v %v, want %v", again, err, rel.Hashes())
	}
	if deps, err := s.BuildList(ctx, repo.path, "v1.1.0"); err != nil || len(deps) != 0 {
		t.Errorf("BuildList: %v %v", deps, err)
	}
	if local, err := s.Fetch(ctx, rel, rel.Artifacts[0]); err != nil || local == "" {
		t.Errorf("Fetch: %q %v", local, err)
	}

	// A tag the repository lacks is not found, as from a proxy.
	if _, err := s.Release(ctx, repo.path, "v1.9.9"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown version: %v, want ErrNotFound", err)
	}
	// Without the go command, the error says what is missing.
	t.Setenv("PATH", t.TempDir())
	if _, _, err := newSource(t, Env{GOPROXY: "direct", GOSUMDB: "off"}).Versions(ctx, repo.path); !errors.Is(err, ErrNoGoCommand) {
		t.Errorf("no go command: %v", err)
	}
}
