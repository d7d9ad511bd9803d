package tour

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const sample = "# Title\n" +
	"\n" +
	"```sh\n" +
	"$ not a console block\n" +
	"```\n" +
	"\n" +
	"<!-- tour: in ~/kinto-dist -->\n" +
	"```console\n" +
	"$ dist lock verify\n" +
	"ok: 20 entries verified\n" +
	"\n" +
	"$ cat <<'EOF'\n" +
	"> one\n" +
	"> EOF\n" +
	"one\n" +
	"$ false\n" +
	"[1]\n" +
	"```\n" +
	"\n" +
	"- a list item:\n" +
	"\n" +
	"  <!-- tour: in clone; network -->\n" +
	"  ```console\n" +
	"  $ dist build\n" +
	"  built sha256:0123456789abcdef\n" +
	"  ...\n" +
	"  ```\n" +
	"\n" +
	"<!-- tour: skip needs the GitHub API -->\n" +
	"```console\n" +
	"$ dist release\n" +
	"```\n"

func TestParse(t *testing.T) {
	f, err := Parse("README.md", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Blocks) != 3 {
		t.Fatalf("got %d blocks, want 3", len(f.Blocks))
	}
	b := f.Blocks[0]
	if b.Line != 8 || b.Dir != "~/kinto-dist" || b.Network || len(b.Commands) != 3 {
		t.Errorf("block 1: line %d dir %q network %v, %d commands", b.Line, b.Dir, b.Network, len(b.Commands))
	}
	c := b.Commands[0]
	if c.Line != 9 || c.Text != "dist lock verify" || !slices.Equal(c.Want, []string{"ok: 20 entries verified"}) || c.WantExit != 0 {
		t.Errorf("command 1: %+v", c)
	}
	if c := b.Commands[1]; c.Text != "cat <<'EOF'\none\nEOF" || !slices.Equal(c.Want, []string{"one"}) {
		t.Errorf("a command continued with PS2 lines: %+v", c)
	}
	if c := b.Commands[2]; c.Text != "false" || len(c.Want) != 0 || c.WantExit != 1 {
		t.Errorf("an exit line: %+v", c)
	}
	b = f.Blocks[1]
	if b.Indent != "  " || b.Dir != "clone" || !b.Network || !slices.Equal(b.Commands[0].Want, []string{"built sha256:0123456789abcdef", "..."}) {
		t.Errorf("an indented block: %+v %+v", b, b.Commands[0])
	}
	if b := f.Blocks[2]; b.Skip != "needs the GitHub API" || b.Dir != "" {
		t.Errorf("a skipped block: %+v", b)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"```console\n$ ls\n```\n", "README.md:1: a console block needs either"},
		{"<!-- tour: in a -->\n<!-- tour: skip b -->\n```console\n$ ls\n```\n", "README.md:3: a console block needs either"},
		{"<!-- tour: in a -->\n\nSome prose.\n", "README.md:1: a tour directive must come right before"},
		{"<!-- tour: in a -->\n", "README.md:1: a tour directive must come right before"},
		{"<!-- tour: cd a -->\n```console\n$ ls\n```\n", `README.md:1: unknown tour directive "cd a"`},
		{"<!-- tour: in a -->\n```console\noutput\n$ ls\n```\n", "README.md:3: output before the first"},
		{"<!-- tour: in a -->\n```console\n$ ls\n", "README.md:2: console block not closed"},
		{"<!-- tour: in a -->\n```console\n```\n", "README.md:2: console block without"},
	} {
		_, err := Parse("README.md", []byte(tc.text))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q...", tc.text, err, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"built sha256:f3bb37d5f111370e26978230786550f590bc149a3ad123ba7dddb0b877fce61e":  "built sha256:<hex>",
		"tag: created 0.1.0 at 35a81087dd0f (annotated)":                                 "tag: created 0.1.0 at <hex> (annotated)",
		"    --hash=h1:JbKBrX9F9wjwXedIJkWe+jjYRjysHZrWKgJRPDSIxVw=":                     "    --hash=h1:<hash>",
		"created      2026-11-23T00:58:36Z":                                              "created      <date>",
		"check version: 0.1.0, dated 2026-11-22 in CHANGELOG.md":                         "check version: 0.1.0, dated <date> in CHANGELOG.md",
		"pushed 127.0.0.1:43291/go-httpbin-dist and localhost:5000/x":                    "pushed 127.0.0.1:<port>/go-httpbin-dist and localhost:<port>/x",
		"retried after 1.5s, then 340ms (2m44s in all)":                                  "retried after <duration>, then <duration> (<duration> in all)",
		"layer        config   1 entry, 1.7 KiB":                                         "layer        config   1 entry, <size>",
		"wrote kinto-dist.tar.gz (14 artifacts, 9223 bytes)":                             "wrote kinto-dist.tar.gz (14 artifacts, <size>)",
		`        "dependencies_bytes": 646660`:                                           `        "dependencies_bytes": <size>`,
		"lockfiles/default.txt: kinto 14.3.0 -> 14.3.1 (patch)   ":                       "lockfiles/default.txt: kinto 14.3.0 -> 14.3.1 (patch)",
		"FAILED: 1 problem in 16 entries (32 hashes; 1 target checked for completeness)": "FAILED: 1 problem in 16 entries (32 hashes; 1 target checked for completeness)",
		"greenlet==3.0.3 ; platform_machine == \"aarch64\"":                              "greenlet==3.0.3 ; platform_machine == \"aarch64\"",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestMatch(t *testing.T) {
	got := []string{"check a", "check b", "commit: 0123abcd", "push: main"}
	for _, tc := range []struct {
		name   string
		want   []string
		ok     bool
		merged []string
	}{
		{"equal", got, true, got},
		{"a hash changed", []string{"check a", "check b", "commit: 9999ffff", "push: main"}, true, got},
		{"elided middle", []string{"check a", "...", "push: main"}, true, []string{"check a", "...", "push: main"}},
		{"elided end, indented", []string{"check a", "  ..."}, true, []string{"check a", "  ..."}},
		{"elision of nothing", []string{"...", "check a", "check b", "commit: 0123abcd", "push: main"}, true, append([]string{"..."}, got...)},
		{"two elisions", []string{"...", "check b", "...", "push: main"}, true, []string{"...", "check b", "...", "push: main"}},
		{"a line changed", []string{"check a", "...", "push: master"}, false, nil},
		{"a line missing", []string{"check a", "check b", "push: main"}, false, nil},
		{"an extra line", append(slices.Clone(got), "done"), false, nil},
	} {
		ok, merged := Match(tc.want, got)
		if ok != tc.ok || !slices.Equal(merged, tc.merged) {
			t.Errorf("%s: Match = %v %q, want %v %q", tc.name, ok, merged, tc.ok, tc.merged)
		}
	}
}

func TestUpdate(t *testing.T) {
	f, err := Parse("README.md", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	b0, b1 := f.Blocks[0], f.Blocks[1]
	ok, _ := b0.Commands[0].Check(Result{Output: []string{"ok: 20 entries verified"}})
	if !ok {
		t.Error("Check: the shown output does not match")
	}
	if ok, _ := b0.Commands[2].Check(Result{Exit: 2}); ok {
		t.Error("Check: exit 2 matches [1]")
	}
	_, up := b1.Commands[0].Check(Result{Output: []string{"built sha256:fedcba9876543210", "  base scratch", "wrote oci-layout:build/oci"}})
	out := string(f.Update(map[*Command]Result{
		b0.Commands[0]: {Output: []string{"ok: 21 entries verified", "note: more"}},
		b0.Commands[2]: {Exit: 2},
		b1.Commands[0]: {Output: up},
	}))
	want := strings.NewReplacer(
		"ok: 20 entries verified\n", "ok: 21 entries verified\nnote: more\n",
		"$ false\n[1]\n", "$ false\n[2]\n",
		"built sha256:0123456789abcdef\n", "built sha256:fedcba9876543210\n",
	).Replace(sample)
	if out != want {
		t.Errorf("Update:\n%s\nwant:\n%s", out, want)
	}
	if string(f.Update(nil)) != sample {
		t.Error("Update with no results changed the file")
	}
}

func TestAliases(t *testing.T) {
	as := Aliases{{"~", "/tmp/t1/home"}, {"/tmp/tour", "/tmp/t1"}, {"127.0.0.1:8765", "127.0.0.1:40001"}}
	if got := as.ToShown("cd /tmp/t1/home/kinto && curl http://127.0.0.1:40001/simple; ls /tmp/t1/x"); got != "cd ~/kinto && curl http://127.0.0.1:8765/simple; ls /tmp/tour/x" {
		t.Errorf("ToShown: %q", got)
	}
	if got := as.ToReal("dist lock add --index-url http://127.0.0.1:8765/simple x"); got != "dist lock add --index-url http://127.0.0.1:40001/simple x" {
		t.Errorf("ToReal: %q", got)
	}
}

func TestShell(t *testing.T) {
	dir := t.TempDir()
	scratch := t.TempDir()
	sh, err := StartShell(dir, scratch, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	run := func(cmd string) (string, int) {
		t.Helper()
		out, code, err := sh.Run(cmd, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return out, code
	}
	if _, code := run("mkdir sub && cd sub && x=kept"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out, _ := run(`pwd; echo "$x"`); out != filepath.Join(dir, "sub")+"\nkept\n" {
		t.Errorf("cd and variables do not carry over: %q", out)
	}
	if out, code := run("echo out; echo err >&2; echo out2; exit_code() { return 3; }; exit_code"); out != "out\nerr\nout2\n" || code != 3 {
		t.Errorf("streams and exit code: %q %d", out, code)
	}
	if out, _ := run("cat <<'EOF'\na $x\nEOF"); out != "a $x\n" {
		t.Errorf("a here-document: %q", out)
	}
	if out, _ := run("cat"); out != "" {
		t.Errorf("stdin is not empty: %q", out)
	}
	if _, _, err := sh.Run("sleep 30", 200*time.Millisecond); err != ErrTimeout {
		t.Errorf("a hanging command: %v", err)
	}
	if _, _, err := sh.Run("true", time.Second); err == nil {
		t.Error("a command after a timeout ran")
	}
}
