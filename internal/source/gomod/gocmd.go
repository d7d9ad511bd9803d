package gomod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"

	"github.com/distbuild/dist/internal/source"
)

// ErrNoGoCommand is returned for a module GOPROXY sends to "direct" (or
// that GOPRIVATE/GONOPROXY keeps from the proxies) when the go command,
// which fetches such modules, is not on PATH.
var ErrNoGoCommand = errors.New("fetching it from version control needs the go command, which is not on PATH")

// goProxy is the GOPROXY entry "direct": the go command fetches the module
// from its version control repository, with the user's git configuration
// and credentials, and dist reads what it downloaded. Its protocol paths
// read as "go:<escaped module>/@v/<version>.zip".
var goProxy = proxy{kind: kindGo, base: "go:"}

// goDownload is what `go mod download -json MODULE@VERSION` reports.
type goDownload struct {
	Path, Version  string
	Error          string
	GoMod, Zip     string // local files in the go command's module cache
	Sum, GoModSum  string // go.sum's h1: hashes
	Info, Dir, Ref string
}

// goCalls runs each go command at most once for the life of a Source:
// Release reads a version's go.mod and zip, each through one download.
type goCalls struct {
	mu    sync.Mutex
	calls map[string]*goCall
}

type goCall struct {
	once sync.Once
	out  []byte
	err  error
}

// runGo runs the go command with args in an empty directory, so that no
// go.mod around is read or written, under the Source's GOPROXY
// configuration with "direct" as the only way left. Checksums are not
// asked of GOSUMDB by the go command: Release checks the hashes dist
// computes against it, as for a proxy's files.
func (s *Source) runGo(ctx context.Context, args ...string) ([]byte, error) {
	key := strings.Join(args, " ")
	s.goRuns.mu.Lock()
	if s.goRuns.calls == nil {
		s.goRuns.calls = map[string]*goCall{}
	}
	c := s.goRuns.calls[key]
	if c == nil {
		c = &goCall{}
		s.goRuns.calls[key] = c
	}
	s.goRuns.mu.Unlock()
	c.once.Do(func() { c.out, c.err = s.execGo(ctx, args...) })
	return c.out, c.err
}

func (s *Source) execGo(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("go")
	if err != nil {
		return nil, ErrNoGoCommand
	}
	dir, err := os.MkdirTemp("", "dist-gomod-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOPROXY=direct",
		"GOSUMDB=off",
		"GOPRIVATE="+s.env.GOPRIVATE,
		"GONOPROXY="+s.env.GONOPROXY,
		"GONOSUMDB="+s.env.GONOSUMDB,
		"GO111MODULE=on",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		// Never a prompt for a password: dist runs unattended.
		"GIT_TERMINAL_PROMPT=0",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, fmt.Errorf("go %s: %w", args[0], err)
	}
	// A failed download still prints its JSON, with the reason in Error;
	// a failed list prints it on stderr.
	if err != nil && stdout.Len() == 0 {
		return nil, goError(strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// goError reads the go command's reason; the ones that mean the module or
// version does not exist wrap source.ErrNotFound.
func goError(msg string) error {
	msg = strings.TrimPrefix(msg, "go: ")
	for _, s := range []string{"unknown revision", "no matching versions", "not found", "404", "does not exist", "invalid version"} {
		if strings.Contains(msg, s) {
			return source.NotFound("go command: %s", msg)
		}
	}
	return fmt.Errorf("go command: %s", msg)
}

// goFile serves one GOPROXY protocol path through the go command: the
// @v/list and @latest answers, or a local copy of a version's .mod or
// .zip.
func (s *Source) goFile(ctx context.Context, rel string) (data []byte, local string, err error) {
	escMod, file, ok := strings.Cut(rel, "/@")
	if !ok {
		return nil, "", fmt.Errorf("%s: not a module proxy path", rel)
	}
	mod, err := module.UnescapePath(escMod)
	if err != nil {
		return nil, "", err
	}
	switch {
	case file == "v/list":
		out, err := s.runGo(ctx, "list", "-m", "-versions", "-json", mod)
		if err != nil {
			return nil, "", err
		}
		var l struct {
			Versions []string
			Error    *struct{ Err string }
		}
		if err := json.Unmarshal(out, &l); err != nil {
			return nil, "", fmt.Errorf("go list -m -versions %s: %w", mod, err)
		}
		if l.Error != nil {
			return nil, "", goError(l.Error.Err)
		}
		return []byte(strings.Join(l.Versions, "\n") + "\n"), "", nil
	case file == "latest":
		out, err := s.runGo(ctx, "list", "-m", "-json", mod+"@latest")
		if err != nil {
			return nil, "", err
		}
		var l struct {
			Version string
			Error   *struct{ Err string }
		}
		if err := json.Unmarshal(out, &l); err != nil {
			return nil, "", fmt.Errorf("go list -m %s@latest: %w", mod, err)
		}
		if l.Error != nil {
			return nil, "", goError(l.Error.Err)
		}
		data, err := json.Marshal(map[string]string{"Version": l.Version})
		return data, "", err
	case strings.HasPrefix(file, "v/"):
		name := strings.TrimPrefix(file, "v/")
		ext := name[strings.LastIndexByte(name, '.'):]
		ver, err := module.UnescapeVersion(strings.TrimSuffix(name, ext))
		if err != nil {
			return nil, "", err
		}
		d, err := s.goModDownload(ctx, mod, ver)
		if err != nil {
			return nil, "", err
		}
		switch ext {
		case ".mod":
			return nil, d.GoMod, nil
		case ".zip":
			return nil, d.Zip, nil
		}
	}
	return nil, "", fmt.Errorf("%s: not served through the go command", rel)
}

// goModDownload runs `go mod download -json MODULE@VERSION`.
func (s *Source) goModDownload(ctx context.Context, mod, ver string) (*goDownload, error) {
	out, err := s.runGo(ctx, "mod", "download", "-json", mod+"@"+ver)
	if err != nil {
		return nil, err
	}
	var d goDownload
	if err := json.Unmarshal(out, &d); err != nil {
		return nil, fmt.Errorf("go mod download %s@%s: %w", mod, ver, err)
	}
	if d.Error != "" {
		return nil, goError(d.Error)
	}
	if d.Path != mod || d.Version != ver || d.GoMod == "" || d.Zip == "" {
		return nil, fmt.Errorf("go mod download %s@%s answered for %s@%s", mod, ver, d.Path, d.Version)
	}
	return &d, nil
}

// goSums returns the Sum and GoModSum `go mod download -json` reported for
// a version fetched through the go command; ok is false for one that was
// not.
func (s *Source) goSums(ctx context.Context, mod, ver string) (zip, goMod string, ok bool) {
	key := "mod download -json " + mod + "@" + ver
	s.goRuns.mu.Lock()
	_, ran := s.goRuns.calls[key]
	s.goRuns.mu.Unlock()
	if !ran {
		return "", "", false
	}
	d, err := s.goModDownload(ctx, mod, ver)
	if err != nil {
		return "", "", false
	}
	return d.Sum, d.GoModSum, true
}
