package configdiff

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/fileerr"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// dump prints a config one key per line, the form of the golden files.
func dump(c Config) string {
	var b strings.Builder
	for _, k := range c.Keys() {
		fmt.Fprintf(&b, "%d\t%s\t%q\n", c[k].Line, k, c[k].Value)
	}
	return b.String()
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestParseGolden(t *testing.T) {
	for _, name := range []string{"kinto.ini", "crlf.ini", "app.env", "app.yaml", "app.toml", "app.json"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join("testdata", name)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parse(name, data)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, p+".golden", dump(c))
		})
	}
}

// TestParseSpotChecks pins down the rules the golden files could hide in a
// long list.
func TestParseSpotChecks(t *testing.T) {
	read := func(name string) Config {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		c, err := parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ini := read("kinto.ini")
	want := map[string]Setting{
		"server:main.host":                        {"0.0.0.0", 10},
		"app:main.kinto.includes":                 {"kinto.plugins.default_bucket\nkinto.plugins.history\nkinto_attachment", 17},
		"app:main.kinto.bucket_create_principals": {"account:admin ; not a comment", 22},
		"app:main.kinto.later":                    {"on the next line\nstill.the.value = because it is indented deeper than its key", 24},
		"top_level":                               {"before any section", 3},
		"DEFAULT.here":                            {"/srv/kinto", 6},
	}
	for k, w := range want {
		if ini[k] != w {
			t.Errorf("ini %s = %+v, want %+v", k, ini[k], w)
		}
	}
	env := read("app.env")
	for k, w := range map[string]string{
		"PORT":               "8080",
		"SPACED":             "value with spaces",
		"HASH":               "#not-a-comment",
		"EMPTY_WITH_COMMENT": "",
		"SINGLE":             `literal $HOME \n # kept`,
		"DOUBLE":             "tab\there \"quoted\" $HOME",
		"MULTI":              "first line\nsecond line",
		"LOG_FORMAT":         "json",
	} {
		if env[k].Value != w {
			t.Errorf("env %s = %q, want %q", k, env[k].Value, w)
		}
	}
	if env["AFTER_MULTI"].Line != 12 {
		t.Errorf("a multi-line value threw off the line count: AFTER_MULTI at %d", env["AFTER_MULTI"].Line)
	}
	y := read("app.yaml")
	if y["public.timeout"].Value != "5s" || y["public.retries"].Value != "5" {
		t.Errorf("merge key: %v %v", y["public.timeout"], y["public.retries"])
	}
	if y["plugins"].Value != `["kinto_attachment",{"enabled":true,"name":"kinto_signer"},1,"1"]` {
		t.Errorf("a list is one value: %q", y["plugins"].Value)
	}
	if y["nothing"].Value != "null" || y["also_nothing"].Value != "null" {
		t.Errorf("null spellings differ: %q %q", y["nothing"].Value, y["also_nothing"].Value)
	}
	tm := read("app.toml")
	if tm["upstream"].Line != 15 || tm["log.level.name"].Line != 23 || tm["server.tls.enabled"].Line != 8 {
		t.Errorf("toml lines: upstream %d, log.level.name %d, server.tls.enabled %d",
			tm["upstream"].Line, tm["log.level.name"].Line, tm["server.tls.enabled"].Line)
	}
	j := read("app.json")
	if j["server.limits.max_duration"].Line != 8 || j["domains"].Value != `["a.example","b.example"]` {
		t.Errorf("json: %+v %+v", j["server.limits.max_duration"], j["domains"])
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{
		"config/example.ini": INI, "A.INI": INI,
		".env": Env, "config/go-httpbin.env": Env,
		"a.yaml": YAML, "a.yml": YAML, "a.toml": TOML, "a.json": JSON,
		// Each its own syntax: rendered, not read.
		"nats.conf": None, "haproxy.cfg": None, "setup.cfg": None, "Caddyfile": None,
	} {
		if got := FormatOf(path); got != want {
			t.Errorf("FormatOf(%q) = %q; want %q", path, got, want)
		}
	}
	// nats.conf is not INI: it reads as nothing rather than failing.
	if c, err := parse("nats.conf", []byte("port: 4222\njetstream {\n  store_dir: /data\n}\n")); c != nil || err != nil {
		t.Errorf("parse(nats.conf) = %v, %v; want nil, nil", c, err)
	}
	if f := For("ini", "setup.cfg"); f != INI {
		t.Errorf("For(ini, setup.cfg) = %q", f)
	}
	if f := For("", "haproxy.cfg"); f != None {
		t.Errorf("For(\"\", haproxy.cfg) = %q", f)
	}
	if c, err := ParseFormat(INI, "setup.cfg", []byte("[metadata]\nname = x\n")); err != nil || c["metadata.name"].Value != "x" {
		t.Errorf("ParseFormat(ini, setup.cfg) = %v, %v", c, err)
	}
	if _, err := ParseFormat("xml", "a.xml", []byte("<a/>")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ParseFormat(xml) = %v, want ErrUnsupported", err)
	}
}

func TestFormatNamed(t *testing.T) {
	for _, f := range Formats {
		if got, err := FormatNamed(string(f)); err != nil || got != f {
			t.Errorf("FormatNamed(%q) = %q, %v", f, got, err)
		}
	}
	_, err := FormatNamed("xml")
	if err == nil || err.Error() != `unknown format "xml" (want ini, env, yaml, toml, json or none)` {
		t.Errorf("FormatNamed(xml) = %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ path, data, want string }{
		{"a.ini", "[a]\nx = 1\n[b\n", "a.ini:3: section header \"[b\" has no closing ]"},
		{"a.ini", "[a]\nx = 1\n[a]\n", "a.ini:3: duplicate section [a] (first at line 1)"},
		{"a.ini", "[a]\nx = 1\nx: 2\n", `a.ini:3: duplicate key "x" in [a] (first at line 2)`},
		{"a.ini", "[a]\njust words\n", `a.ini:2: expected key = value or [section], found "just words"`},
		{"a.ini", "[a]\n = 1\n", `a.ini:2: missing key before "="`},
		{"a.ini", "[ ]\n", "a.ini:1: empty section name"},
		{"a.ini", "[a] junk\n", `a.ini:1: unexpected "junk" after section header`},
		{"a.ini", "a.b = 1\n[a]\nb = 2\n", `a.ini:3: duplicate key "a.b" (first at line 1)`},
		{"a.env", "A=1\nnot a pair\n", `a.env:2: expected KEY=VALUE, found "not a pair"`},
		{"a.env", "A=1\n1BAD=x\n", `a.env:2: invalid variable name "1BAD"`},
		{"a.env", "A=1\nB=\"open\nstill open\n", "a.env:2: B: unterminated \" quote"},
		{"a.env", "A='x' y\n", `a.env:1: A: unexpected "y" after the closing quote`},
		{"a.env", "A=1\nexport A=2\n", `a.env:2: duplicate key "A" (first at line 1)`},
		{"a.yaml", "a: 1\nb: [\n", "a.yaml:2: did not find expected node content"},
		{"a.yaml", "a: 1\na: 2\n", `a.yaml:2: duplicate key "a" (first at line 1)`},
		{"a.yaml", "- a\n- b\n", "a.yaml:1: the top level is not a mapping"},
		{"a.toml", "a = 1\nb = \n", "a.toml:2: unexpected character U+000A at start of value"},
		{"a.toml", "[a]\nx = 1\n[a]\n", "a.toml:3: table a already exists"},
		{"a.json", "{\n  \"a\": 1,\n  \"b\": }\n", "a.json:3: invalid character '}' looking for beginning of value"},
		{"a.json", "{\"a\": 1,\n\"a\": 2}", `a.json:2: duplicate key "a" (first at line 1)`},
		{"a.json", "[1, 2]", "a.json:1: the top level is not an object"},
		{"a.json", "{}\n{}", "a.json:2: unexpected text after the JSON value"},
		{"a.json", "{\"a\": [1,\n", "a.json:2: unexpected end of JSON input"},
		{"a.json", "", "a.json:1: no JSON value"},
	} {
		_, err := parse(tc.path, []byte(tc.data))
		if err == nil || err.Error() != tc.want {
			t.Errorf("parse(%s, %q)\n got: %v\nwant: %s", tc.path, tc.data, err, tc.want)
		}
		var pe *fileerr.Error
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("parse(%s, %q): %T is not a *fileerr.Error", tc.path, tc.data, err)
		}
	}
}

func TestEmptyInputs(t *testing.T) {
	for _, p := range []string{"a.ini", "a.env", "a.yaml", "a.toml"} {
		c, err := parse(p, []byte("# only a comment\n"))
		if err != nil || len(c) != 0 {
			t.Errorf("parse(%s) of a comment = %v, %v; want no keys", p, c, err)
		}
	}
	c, err := parse("bom.ini", []byte("\xef\xbb\xbf[a]\nx = 1\n"))
	if err != nil || c["a.x"].Value != "1" {
		t.Errorf("a byte order mark broke the first line: %v %v", c, err)
	}
}

func TestDiff(t *testing.T) {
	old := Config{
		"app.port":    {Value: "8888", Line: 3},
		"app.host":    {Value: "0.0.0.0", Line: 2},
		"app.old_key": {Value: "x", Line: 4},
		"app.same":    {Value: "s", Line: 5},
	}
	cur := Config{
		"app.port":    {Value: "8080", Line: 3},
		"app.host":    {Value: "0.0.0.0", Line: 2},
		"app.new_key": {Value: "x", Line: 4}, // a rename: removed plus added
		"app.same":    {Value: "s", Line: 9}, // moved, not changed
		"app.added":   {Value: "", Line: 10},
	}
	got := Diff(old, cur)
	want := []Change{
		{Kind: KeyAdded, Key: "app.added", To: "", Line: 10},
		{Kind: KeyAdded, Key: "app.new_key", To: "x", Line: 4},
		{Kind: KeyRemoved, Key: "app.old_key", From: "x", Line: 4},
		{Kind: DefaultChanged, Key: "app.port", From: "8888", To: "8080", Line: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff:\n got %+v\nwant %+v", got, want)
	}
	if d := Diff(nil, Config{"a": {Value: "1", Line: 1}}); len(d) != 1 || d[0].Kind != KeyAdded {
		t.Errorf("Diff from nothing = %+v", d)
	}
	if d := Diff(Config{"a": {Value: "1", Line: 1}}, nil); len(d) != 1 || d[0].Kind != KeyRemoved {
		t.Errorf("Diff to nothing = %+v", d)
	}
}

// TestDiffAcrossFormats diffs two real files per format: the kinds must come
// out the same whatever the syntax.
func TestDiffAcrossFormats(t *testing.T) {
	pairs := map[string][2]string{
		"x.ini":  {"[s]\nport = 1\nold = a\nlist = a\n  b\n", "[s]\nport = 2\nnew = a\nlist = a\n  b\n  c\n"},
		"x.env":  {"PORT=1\nOLD=a\nLIST=a,b\n", "PORT=2\nNEW=a\nLIST=a,b,c\n"},
		"x.yaml": {"s:\n  port: 1\n  old: a\n  list: [a, b]\n", "s:\n  port: 2\n  new: a\n  list: [a, b, c]\n"},
		"x.toml": {"[s]\nport = 1\nold = 'a'\nlist = ['a', 'b']\n", "[s]\nport = 2\nnew = 'a'\nlist = ['a', 'b', 'c']\n"},
		"x.json": {`{"s": {"port": 1, "old": "a", "list": ["a", "b"]}}`, `{"s": {"port": 2, "new": "a", "list": ["a", "b", "c"]}}`},
	}
	for path, p := range pairs {
		a, err := parse(path, []byte(p[0]))
		if err != nil {
			t.Fatal(err)
		}
		b, err := parse(path, []byte(p[1]))
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, c := range Diff(a, b) {
			kinds = append(kinds, string(c.Kind)+" "+strings.ToLower(c.Key))
		}
		want := "default-changed s.list, key-added s.new, key-removed s.old, default-changed s.port"
		if path == "x.env" {
			want = "default-changed list, key-added new, key-removed old, default-changed port"
		}
		if got := strings.Join(kinds, ", "); got != want {
			t.Errorf("%s: %s\nwant %s", path, got, want)
		}
	}
}

// parse reads a config in the format its extension names (FormatOf), as
// the tests name their files.
func parse(path string, data []byte) (Config, error) {
	return ParseFormat(FormatOf(path), path, data)
}
