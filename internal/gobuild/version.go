package gobuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// GoVersion is the version of the toolchain Build compiles with, such as
// "go1.26.8": `go env GOVERSION` of goCmd ("go" from PATH when empty), run
// as Build runs the go command, with GOTOOLCHAIN=local and outside any
// module, so that neither $GOTOOLCHAIN nor a go.mod's toolchain line can
// name another toolchain than the one that will build. The version goes
// into the binary, so two toolchains give two images.
//
// Errors: the go command is missing, or fails.
func GoVersion(ctx context.Context, goCmd string) (string, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "env", "GOVERSION")
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=", "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		var notFound *exec.Error
		if errors.As(err, &notFound) {
			return "", fmt.Errorf("building a Go server needs the go command: %w", err)
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go env GOVERSION: %v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, "go") {
		return "", fmt.Errorf("go env GOVERSION said %q, not a Go version", v)
	}
	return v, nil
}
