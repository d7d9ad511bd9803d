package gomod

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// Defaults of the go command (its $GOROOT/go.env), used for empty fields.
const (
	DefaultGOPROXY = "https://proxy.golang.org,direct"
	DefaultGOSUMDB = "sum.golang.org"
)

// Env is the part of the go command's configuration that decides where
// modules come from and how their hashes are checked. An empty field means
// what it means to the go command: GOPROXY and GOSUMDB take their defaults,
// GONOPROXY and GONOSUMDB take GOPRIVATE.
type Env struct {
	GOPROXY   string
	GOPRIVATE string
	GONOPROXY string
	GONOSUMDB string
	GOSUMDB   string
}

// EnvFromOS reads Env the way `go env` does: the process environment first,
// then the file `go env -w` writes ($GOENV, or go/env under the user config
// directory; GOENV=off skips it). $GOROOT/go.env is not read: its stock
// values are the defaults New applies.
func EnvFromOS() Env {
	file := readGoEnvFile()
	get := func(key string) string {
		if v := os.Getenv(key); v != "" {
			return v
		}
		return file[key]
	}
	return Env{
		GOPROXY:   get("GOPROXY"),
		GOPRIVATE: get("GOPRIVATE"),
		GONOPROXY: get("GONOPROXY"),
		GONOSUMDB: get("GONOSUMDB"),
		GOSUMDB:   get("GOSUMDB"),
	}
}

// withDefaults resolves empty fields as the go command does.
func (e Env) withDefaults() Env {
	if e.GOPROXY == "" {
		e.GOPROXY = DefaultGOPROXY
	}
	if e.GOSUMDB == "" {
		e.GOSUMDB = DefaultGOSUMDB
	}
	if e.GONOPROXY == "" {
		e.GONOPROXY = e.GOPRIVATE
	}
	if e.GONOSUMDB == "" {
		e.GONOSUMDB = e.GOPRIVATE
	}
	return e
}

func readGoEnvFile() map[string]string {
	path := os.Getenv("GOENV")
	switch path {
	case "off":
		return nil
	case "":
		dir, err := os.UserConfigDir()
		if err != nil || dir == "" {
			return nil
		}
		path = filepath.Join(dir, "go", "env")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return parseGoEnvFile(data)
}

// parseGoEnvFile reads KEY=VALUE lines. `go env -w` never quotes values,
// so neither does this.
func parseGoEnvFile(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(k, " \t") {
			continue
		}
		out[k] = v
	}
	return out
}
