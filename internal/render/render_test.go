package render

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", p, got, want)
	}
}

// repo copies testdata/repo to a temporary directory, so that writes never
// touch the source tree, and loads its manifest.
func repo(t *testing.T) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/repo")); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// only points the manifest at one template, rendered to config/<name>.
func only(m *manifest.Manifest, template string) *manifest.Manifest {
	out := strings.TrimSuffix(strings.TrimPrefix(template, "templates/"), ".tmpl")
	m.Configs = []manifest.Config{{Template: template, Output: "config/" + out, Line: 99}}
	return m
}

func TestRenderWithSprig(t *testing.T) {
	m := repo(t)
	outs, err := Render(m, map[string]string{"log_level": "warn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 {
		t.Fatalf("%d outputs, want 2", len(outs))
	}
	golden(t, "app.ini", string(outs[0].Content))
	golden(t, "app.yaml", string(outs[1].Content))
	o := outs[1]
	if o.Template != "templates/app.yaml.tmpl" || o.Path != "config/nested/app.yaml" || o.File != filepath.Join(m.Dir, "config/nested/app.yaml") {
		t.Errorf("output names: %+v", o)
	}
	if got := outs[0].Settings["logger_root.level"].Value; got != "WARN" {
		t.Errorf("--set did not override vars: level = %q", got)
	}
	if got := outs[1].Settings["plugins"].Value; got != `["kinto_attachment","kinto_signer"]` {
		t.Errorf("yaml output was not parsed: plugins = %q", got)
	}
	if _, err := os.Stat(o.File); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Render wrote %s", o.Path)
	}
}

func TestData(t *testing.T) {
	m := repo(t)
	d, err := NewData(m, map[string]string{"port": "9000", "extra": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "demo-dist" || d.Version != "2.0.0.dev0" {
		t.Errorf("name %q version %q", d.Name, d.Version)
	}
	wantPins := map[string]any{
		"Kinto_Signer":                       "7.0.0",
		"kinto-signer":                       "7.0.0", // the normalized alias
		"kinto":                              "14.3.0",
		"requests":                           "2.31.0",
		"github.com/mccutchen/go-httpbin/v2": "v2.26.0",
	}
	if !reflect.DeepEqual(d.Pins, wantPins) {
		t.Errorf("Pins = %v\nwant %v", d.Pins, wantPins)
	}
	var list []string
	for _, p := range d.PinList {
		list = append(list, p.Name+"=="+p.Version+" "+p.Ecosystem+" "+p.Lockfile)
	}
	wantList := []string{
		"Kinto_Signer==7.0.0 pypi lockfiles/default.txt",
		"kinto==14.3.0 pypi lockfiles/default.txt",
		"kinto==13.0.0 pypi lockfiles/constraints.txt",
		"requests==2.31.0 pypi lockfiles/constraints.txt",
		"github.com/mccutchen/go-httpbin/v2==v2.26.0 gomod lockfiles/go.txt",
	}
	if !reflect.DeepEqual(list, wantList) {
		t.Errorf("PinList =\n%s\nwant\n%s", strings.Join(list, "\n"), strings.Join(wantList, "\n"))
	}
	wantVars := map[string]any{"port": "9000", "plugins": "kinto_attachment, kinto_signer", "log_level": "info", "extra": "x"}
	if !reflect.DeepEqual(d.Vars, wantVars) {
		t.Errorf("Vars = %v, want %v", d.Vars, wantVars)
	}
	for _, name := range []string{"KINTO.SIGNER", "kinto_signer", "Kinto_Signer"} {
		if v, ok := d.lookupPin(name); !ok || v != "7.0.0" {
			t.Errorf("lookupPin(%q) = %q, %v", name, v, ok)
		}
	}
	if _, ok := d.lookupPin("Github.com/mccutchen/go-httpbin/v2"); ok {
		t.Error("Go module paths must match exactly")
	}
}

// TestErrors checks that each failure names the template or output by its
// repository-relative path and line, although the manifest was loaded from
// an absolute directory, and that nothing is written.
func TestErrors(t *testing.T) {
	for _, tc := range []struct{ template, want string }{
		{"templates/missing-key.ini.tmpl", `templates/missing-key.ini.tmpl:4: at <.Vars.hostname>: map has no entry for key "hostname"`},
		{"templates/bad-syntax.ini.tmpl", `templates/bad-syntax.ini.tmpl:3: unexpected "}" in operand`},
		{"templates/unpinned.ini.tmpl", `templates/unpinned.ini.tmpl:3: at <pin "kinto-emailer">: error calling pin: "kinto-emailer" is not pinned in any lockfile (pinned: Kinto_Signer, github.com/mccutchen/go-httpbin/v2, kinto, kinto, requests)`},
		{"templates/clock.ini.tmpl", `templates/clock.ini.tmpl:2: at <now>: error calling now: now is not available: a rendered config must come out the same on every run (set the value in vars: or with --set)`},
		{"templates/bad-output.ini.tmpl", `config/bad-output.ini:3: expected key = value or [section], found "info" (rendered from templates/bad-output.ini.tmpl, not written)`},
		{"templates/nowhere.ini.tmpl", `dist.yaml:99: template templates/nowhere.ini.tmpl: no such file or directory`},
	} {
		t.Run(filepath.Base(tc.template), func(t *testing.T) {
			m := only(repo(t), tc.template)
			if !filepath.IsAbs(m.Dir) {
				t.Fatal("the test wants an absolute manifest directory")
			}
			// A good config first: the bad one must stop it being
			// written too.
			m.Configs = append([]manifest.Config{{Template: "templates/app.ini.tmpl", Output: "config/app.ini"}}, m.Configs...)
			outs, err := Render(m, nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got  %v\nwant %s", err, tc.want)
			}
			if outs != nil {
				t.Errorf("outputs returned with an error: %d", len(outs))
			}
			if _, err := os.Stat(filepath.Join(m.Dir, "config")); !errors.Is(err, fs.ErrNotExist) {
				t.Error("something was written")
			}
		})
	}
}

func TestDataErrors(t *testing.T) {
	m := repo(t)
	os.WriteFile(filepath.Join(m.Dir, "VERSION"), []byte("\n"), 0o644)
	if _, err := Render(m, nil); err == nil || err.Error() != "VERSION:1: empty version file" {
		t.Errorf("empty VERSION: %v", err)
	}
	m = repo(t)
	os.WriteFile(filepath.Join(m.Dir, "lockfiles/go.txt"), []byte("ok==1\n==2\n"), 0o644)
	if _, err := Render(m, nil); err == nil || !strings.HasPrefix(err.Error(), "lockfiles/go.txt:2: ") {
		t.Errorf("bad lockfile: %v", err)
	}
	m = repo(t)
	m.Configs = append(m.Configs, manifest.Config{Template: "templates/app.ini.tmpl", Output: "./config/app.ini", Line: 20})
	if _, err := Render(m, nil); err == nil || err.Error() != "dist.yaml:20: config/app.ini is already the output of the config at line 14" {
		t.Errorf("two configs, one output: %v", err)
	}
}

func TestUnknownFormatIsRenderedNotParsed(t *testing.T) {
	outs, err := Render(only(repo(t), "templates/notes.txt.tmpl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Settings != nil || string(outs[0].Content) != "Not a config format dist reads: demo-dist\n" {
		t.Errorf("%+v", outs[0])
	}
}

func TestWriteAndCheck(t *testing.T) {
	m := repo(t)
	outs, err := Render(m, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Nothing committed yet: every output drifts, from /dev/null.
	drifts, err := Check(outs)
	if err != nil {
		t.Fatal(err)
	}
	if len(drifts) != 2 || !drifts[1].Missing {
		t.Fatalf("drifts before writing: %+v", drifts)
	}
	golden(t, "missing.diff", drifts[1].Diff)

	changed, err := Write(outs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, []string{"config/app.ini", "config/nested/app.yaml"}) {
		t.Errorf("changed = %v", changed)
	}
	for _, o := range outs {
		if b, _ := os.ReadFile(o.File); string(b) != string(o.Content) {
			t.Errorf("%s holds %q", o.Path, b)
		}
	}
	if drifts, err := Check(outs); err != nil || len(drifts) != 0 {
		t.Fatalf("drift right after writing: %+v %v", drifts, err)
	}

	// A hand edit to the committed file is drift, shown as a unified diff
	// from the file to the render.
	ini := outs[0].File
	b, _ := os.ReadFile(ini)
	edited := strings.Replace(string(b), "port = 8888", "port = 8080", 1)
	edited = strings.Replace(edited, "kinto.has_webob = false\n", "", 1)
	os.WriteFile(ini, []byte(edited), 0o644)
	os.Chmod(ini, 0o600)
	drifts, err = Check(outs)
	if err != nil {
		t.Fatal(err)
	}
	if len(drifts) != 1 || drifts[0].Path != "config/app.ini" || drifts[0].Missing {
		t.Fatalf("drifts: %+v", drifts)
	}
	golden(t, "drift.diff", drifts[0].Diff)

	// A file that differs only by its last newline still drifts.
	os.WriteFile(ini, []byte(strings.TrimSuffix(string(outs[0].Content), "\n")), 0o600)
	drifts, _ = Check(outs)
	if len(drifts) != 1 || !strings.Contains(drifts[0].Diff, `\ No newline at end of file`) {
		t.Errorf("newline-only drift: %+v", drifts)
	}

	// Writing again replaces only the drifted file, keeps its mode, and
	// leaves no temporary file behind; the unchanged one keeps its mtime.
	yaml := outs[1].File
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(yaml, old, old)
	changed, err = Write(outs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, []string{"config/app.ini"}) {
		t.Errorf("changed = %v", changed)
	}
	if st, _ := os.Stat(ini); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the file's own 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(yaml); !st.ModTime().Equal(old) {
		t.Errorf("an unchanged output was rewritten")
	}
	for _, dir := range []string{filepath.Dir(ini), filepath.Dir(yaml)} {
		if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
	if drifts, _ := Check(outs); len(drifts) != 0 {
		t.Errorf("drift after the second write: %+v", drifts)
	}
}

func TestParseSet(t *testing.T) {
	got, err := ParseSet([]string{"port=80", "url=http://h/?a=b", "empty=", "port=81"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"port": "81", "url": "http://h/?a=b", "empty": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSet = %v", got)
	}
	for _, bad := range []string{"noequals", "=v"} {
		if _, err := ParseSet([]string{bad}); err == nil {
			t.Errorf("ParseSet(%q) accepted", bad)
		}
	}
}

// goHTTPBinEnv is every environment variable go-httpbin v2.26.0 reads
// (httpbin/cmd/cmd.go, loadConfig), apart from the HTTPBIN_ENV_* family.
var goHTTPBinEnv = []string{
	"ALLOWED_REDIRECT_DOMAINS", "EXCLUDE_HEADERS", "HOST", "HTTPS_CERT_FILE", "HTTPS_KEY_FILE",
	"LOG_FORMAT", "LOG_LEVEL", "MAX_BODY_SIZE", "MAX_DURATION", "PORT", "PREFIX",
	"SRV_MAX_HEADER_BYTES", "SRV_READ_HEADER_TIMEOUT", "SRV_READ_TIMEOUT",
	"UNSAFE_ALLOW_DANGEROUS_RESPONSES", "USE_FULL_VERSION", "USE_REAL_HOSTNAME",
}

// TestShippedTemplates renders the repository's own go-httpbin template and
// the Kinto example's, as dist config render would. The goldens are what the
// committed outputs (config/go-httpbin.env, testdata/kinto-dist/config/
// example.ini) must hold.
func TestShippedTemplates(t *testing.T) {
	t.Run("go-httpbin", func(t *testing.T) {
		m, err := manifest.Load("../..")
		if err != nil {
			t.Fatal(err)
		}
		m.Configs = []manifest.Config{{Template: "templates/go-httpbin.env.tmpl", Output: "config/go-httpbin.env"}}
		outs, err := Render(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "go-httpbin.env", string(outs[0].Content))
		if got := outs[0].Settings.Keys(); !reflect.DeepEqual(got, goHTTPBinEnv) {
			t.Errorf("keys:\n%v\nwant go-httpbin's:\n%v", got, goHTTPBinEnv)
		}
		defaults := map[string]string{"HOST": "0.0.0.0", "PORT": "8080", "MAX_BODY_SIZE": "1048576", "MAX_DURATION": "10s", "LOG_FORMAT": "text", "LOG_LEVEL": "INFO"}
		for k, v := range defaults {
			if got := outs[0].Settings[k].Value; got != v {
				t.Errorf("%s = %q, go-httpbin's default is %q", k, got, v)
			}
		}
		outs, err = Render(m, map[string]string{"port": "80", "log_level": "debug"})
		if err != nil {
			t.Fatal(err)
		}
		if s := outs[0].Settings; s["PORT"].Value != "80" || s["LOG_LEVEL"].Value != "DEBUG" {
			t.Errorf("--set: PORT=%q LOG_LEVEL=%q", s["PORT"].Value, s["LOG_LEVEL"].Value)
		}
	})
	t.Run("kinto-dist", func(t *testing.T) {
		m, err := manifest.Load("../../testdata/kinto-dist")
		if err != nil {
			t.Fatal(err)
		}
		outs, err := Render(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(outs) != 1 || outs[0].Path != "config/example.ini" {
			t.Fatalf("outputs: %+v", outs)
		}
		golden(t, "kinto-example.ini", string(outs[0].Content))
		s := outs[0].Settings
		for k, v := range map[string]string{
			"app:main.kinto.storage_backend":    "kinto.core.storage.postgresql",
			"app:main.kinto.permission_backend": "kinto.core.permission.postgresql",
			"server:main.port":                  "8888",
		} {
			if s[k].Value != v {
				t.Errorf("%s = %q, want %q", k, s[k].Value, v)
			}
		}
		if inc := s["app:main.kinto.includes"].Value; !strings.Contains(inc, "\nkinto_attachment\n") || !strings.HasSuffix(inc, "\nkinto_signer") {
			t.Errorf("kinto.includes does not list the pinned plugins: %q", inc)
		}
		if s["app:main.kinto.signer.resources"].Line == 0 {
			t.Error("kinto-signer is pinned but its settings are missing")
		}
	})
}

// TestDroppedPluginDropsKeys is the point of rendering from the pins: take
// a plugin out of the lockfile and the config diff reports its keys gone,
// which the policy turns into a major bump.
func TestDroppedPluginDropsKeys(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../testdata/kinto-dist")); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, err := Render(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	lf := filepath.Join(dir, "lockfiles/default.txt")
	b, _ := os.ReadFile(lf)
	i := strings.Index(string(b), "kinto-signer==")
	os.WriteFile(lf, b[:i], 0o644)
	after, err := Render(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, c := range configdiff.Diff(before[0].Settings, after[0].Settings) {
		switch {
		case c.Kind == configdiff.KeyRemoved && strings.HasPrefix(c.Key, "app:main.kinto.signer."):
			removed++
		case c.Kind == configdiff.DefaultChanged && c.Key == "app:main.kinto.includes":
		default:
			t.Errorf("unexpected change %+v", c)
		}
	}
	if removed != 7 {
		t.Errorf("%d kinto.signer keys removed, want 7", removed)
	}
}

// TestRenderFormat: an output whose extension names no format dist reads
// (nats.conf) is rendered and not read; configs[].format overrides the
// extension, and a render its format cannot read is refused.
func TestRenderFormat(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"dist.yaml": `name: app
configs:
  - {template: nats.conf.tmpl, output: nats.conf}
  - {template: settings.tmpl, output: settings.cfg, format: json}
`,
		"VERSION":        "1.0.0\n",
		"nats.conf.tmpl": "port: 4222\njetstream {\n  store_dir: /data\n}\n",
		"settings.tmpl":  "{\"port\": 8080}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := Render(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Format != configdiff.None || outs[0].Settings != nil || !strings.HasPrefix(string(outs[0].Content), "port: 4222") {
		t.Errorf("nats.conf: %s %v %q", outs[0].Format, outs[0].Settings, outs[0].Content)
	}
	if outs[1].Format != configdiff.JSON || outs[1].Settings["port"].Value != "8080" {
		t.Errorf("settings.cfg: %s %v", outs[1].Format, outs[1].Settings)
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.tmpl"), []byte("port = 8080\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Render(m, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "settings.cfg:1: ") {
		t.Errorf("settings.cfg that is not JSON: %v", err)
	}
}

func TestRenderVersionOverridesTheVersionFile(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"dist.yaml":     "name: app\nconfigs:\n  - {template: app.conf.tmpl, output: app.conf}\n",
		"VERSION":       "1.1.0.dev0\n",
		"app.conf.tmpl": "version = {{ .Version }}\n",
		"app.conf":      "version = 1.1.0.dev0\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := RenderVersion(m, nil, "1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(outs[0].Content); got != "version = 1.1.0\n" {
		t.Errorf("RenderVersion: %q", got)
	}
	// The file on disk still says what VERSION says: Render agrees with it.
	outs, err = Render(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if drifts, err := Check(outs); err != nil || len(drifts) != 0 {
		t.Errorf("Render after RenderVersion: drifts %v, %v", drifts, err)
	}
}
