package gobuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/distbuild/dist/internal/testenv/goproxy"
)

func TestScratch(t *testing.T) {
	p := goproxy.Start(t,
		goproxy.Module{Path: "example.com/server", Version: "v1.0.0", Requires: []string{"example.com/lib v1.1.0", "example.com/util v0.3.0"}, Go: "1.21",
			Files: map[string]string{"cmd/server/main.go": "package main\nimport \"example.com/lib\"\nfunc main(){ println(lib.X()) }\n"}},
		goproxy.Module{Path: "example.com/lib", Version: "v1.1.0", Requires: []string{"example.com/util v0.3.0"}, Go: "1.23",
			Files: map[string]string{"lib.go": "package lib\nimport \"example.com/util\"\nfunc X() int { return util.Y() }\n"}},
		goproxy.Module{Path: "example.com/util", Version: "v0.3.0",
			Files: map[string]string{"util.go": "package util\nfunc Y() int { return 3 }\n"}},
	)
	dir := os.Getenv("SCRATCH")
	os.WriteFile(filepath.Join(dir, "env"), []byte(p.URL+"\n"+p.SumDB+"\n"), 0o644)
	cmd := exec.Command("sleep", "100")
	cmd.Run()
}
