package wheel

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/manifest"
)

func TestManifestPython(t *testing.T) {
	const (
		debSite = "/usr/lib/python3/dist-packages"
		debPy   = "/usr/bin/python3"
	)
	for _, tc := range []struct {
		name string
		py   *manifest.Python
		want string
	}{
		{"no image.python", nil, ""},
		{"version", &manifest.Python{SitePackages: debSite, Interpreter: debPy, Version: "3.11"}, "3.11"},
		{"full version", &manifest.Python{SitePackages: debSite, Interpreter: debPy, Version: "3.11.2"}, "3.11.2"},
		// The stated version wins over the paths; a build refuses the
		// two disagreeing, a lock just reports what was stated.
		{"version over paths", &manifest.Python{SitePackages: "/usr/local/lib/python3.12/site-packages", Interpreter: "/usr/local/bin/python3", Version: "3.12.4"}, "3.12.4"},
		{"paths", &manifest.Python{SitePackages: "/usr/local/lib/python3.12/site-packages", Interpreter: "/usr/local/bin/python3"}, "3.12"},
		{"Debian paths", &manifest.Python{SitePackages: debSite, Interpreter: debPy}, ""},
	} {
		m := &manifest.Manifest{Image: &manifest.Image{Python: tc.py}}
		got, ok := ManifestPython(m)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
	if v, ok := ManifestPython(&manifest.Manifest{}); ok {
		t.Errorf("no image: got %q", v)
	}
}

func TestMajorMinor(t *testing.T) {
	for in, want := range map[string]string{
		"3.12": "3.12", "3.12.7": "3.12", "3.9.18": "3.9", "3.14.0rc1": "3.14", "3.13.0a4": "3.13", " 3.11 ": "3.11",
		"3": "", "": "", "python3.12": "", "3.x": "", "3.12-slim": "",
	} {
		got, ok := MajorMinor(in)
		if got != want || ok != (want != "") {
			t.Errorf("MajorMinor(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestInstallDebianLayout: Debian's paths spell no version; told it, the
// install follows Debian's own scheme, everything under /usr.
func TestInstallDebianLayout(t *testing.T) {
	data, pin := build(t, "Demo.Tool", "1.0", demoWheel("py3-none-any"))
	files, err := installBytes(data, pin, Layout{SitePackages: "/usr/lib/python3/dist-packages", Interpreter: "/usr/bin/python3", Python: "3.11.2"})
	if err != nil {
		t.Fatal(err)
	}
	got := byPath(files)
	for _, p := range []string{
		"/usr/lib/python3/dist-packages/demo_tool/cli.py",
		"/usr/lib/python3/dist-packages/demo_tool/extra.py",
		"/usr/lib/python3/dist-packages/Demo_Tool-1.0.dist-info/INSTALLER",
		"/usr/bin/demo-cli",
		"/usr/bin/demo-py",
		"/usr/include/python3.11/Demo.Tool/demo.h",
		"/usr/share/demo-tool/README.txt",
	} {
		if _, ok := got[p]; !ok {
			t.Errorf("%s not installed", p)
		}
	}
	for _, p := range []string{"/usr/bin/demo-cli", "/usr/bin/demo-py", "/usr/bin/demo-gui"} {
		f := got[p]
		if first, _, _ := strings.Cut(string(f.Data), "\n"); first != "#!/usr/bin/python3" || f.Mode != 0o755 {
			t.Errorf("%s: %v, first line %q", p, f.Mode, first)
		}
	}
	rec := string(got["/usr/lib/python3/dist-packages/Demo_Tool-1.0.dist-info/RECORD"].Data)
	for _, want := range []string{"../../../bin/demo-cli,sha256=", "\n../../../include/python3.11/Demo.Tool/demo.h,sha256="} {
		if !strings.Contains(rec, want) {
			t.Errorf("RECORD lacks %q:\n%s", want, rec)
		}
	}
	// The paths' own version, when they spell one, is not needed.
	files, err = installBytes(data, pin, Layout{SitePackages: "/usr/lib/python3/dist-packages", Interpreter: "/usr/bin/python3.11"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := byPath(files)["/usr/include/python3.11/Demo.Tool/demo.h"]; !ok {
		t.Errorf("headers not in /usr/include/python3.11")
	}
}
