package goproxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

var modules = []Module{
	{Path: "example.com/Dep", Version: "v1.0.0"},
	{Path: "example.com/Dep", Version: "v1.1.0-rc.1"},
	{Path: "example.com/untagged", Version: "v0.0.0-20240102030405-abcdefabcdef"},
	{Path: "example.com/app", Version: "v0.1.0", Requires: []string{"example.com/Dep v1.0.0"}, Files: map[string]string{
		"main.go": "package main\n\nfunc main() {}\n",
	}},
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServes(t *testing.T) {
	p := Start(t, modules...)
	for path, want := range map[string]string{
		"/example.com/!dep/@v/list":                  "v1.0.0\nv1.1.0-rc.1\n",
		"/example.com/!dep/@latest":                  `{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`,
		"/example.com/untagged/@v/list":              "",
		"/example.com/untagged/@latest":              `{"Version":"v0.0.0-20240102030405-abcdefabcdef","Time":"2024-01-02T03:04:05Z"}`,
		"/example.com/app/@v/v0.1.0.mod":             "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/Dep v1.0.0\n)\n",
		ModulePath("example.com/Dep", "v1.0.0.info"): `{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`,
	} {
		if code, body := get(t, p.URL+path); code != 200 || body != want {
			t.Errorf("%s: %d %q, want %q", path, code, body, want)
		}
	}
	for _, path := range []string{"/example.com/nope/@v/list", "/example.com/!dep/@v/v9.0.0.zip", "/example.com/!dep/@v/", "/../etc/passwd"} {
		if code, _ := get(t, p.URL+path); code != 404 {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}

	p.FailNext(2)
	list := "/example.com/!dep/@v/list"
	for _, want := range []int{500, 500, 200} {
		if code, _ := get(t, p.URL+list); code != want {
			t.Errorf("after FailNext: %d, want %d", code, want)
		}
	}
	if n := p.Requests(list); n != 4 {
		t.Errorf("Requests(list) = %d, want 4", n)
	}

	p.Add(t, Module{Path: "example.com/Dep", Version: "v1.2.0"})
	if _, body := get(t, p.URL+list); body != "v1.0.0\nv1.1.0-rc.1\nv1.2.0\n" {
		t.Errorf("list after Add: %q", body)
	}
}

func TestZipIsValid(t *testing.T) {
	p := Start(t, modules...)
	_, body := get(t, p.URL+ModulePath("example.com/app", "v0.1.0.zip"))
	f := t.TempDir() + "/app.zip"
	if err := writeFile(f, body); err != nil {
		t.Fatal(err)
	}
	cf, err := modzip.CheckZip(module.Version{Path: "example.com/app", Version: "v0.1.0"}, f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cf.Valid, " ") != "example.com/app@v0.1.0/go.mod example.com/app@v0.1.0/main.go" {
		t.Errorf("zip holds %v", cf.Valid)
	}
}

// The go command accepts both forms, and the checksum database.
func TestGoCommand(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	p := Start(t, modules...)
	for _, env := range [][]string{
		append(GoEnv(t, p.URL), "GOSUMDB="+p.SumDB),
		GoEnv(t, p.FileURL()),
	} {
		cmd := exec.Command(goBin, "mod", "download", "-json", "example.com/app@v0.1.0", "example.com/Dep@latest")
		cmd.Dir = t.TempDir()
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v\n%s%s", err, out, stderr.Bytes())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var dl struct{ Path, Version, Sum, Error string }
			if err := dec.Decode(&dl); err != nil {
				t.Fatal(err)
			}
			if dl.Error != "" || !strings.HasPrefix(dl.Sum, "h1:") {
				t.Errorf("%+v", dl)
			}
		}
	}
}

func writeFile(name, content string) error {
	return os.WriteFile(name, []byte(content), 0o644)
}
