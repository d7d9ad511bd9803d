package pep508

import (
	"strings"
	"testing"
)

func mustMarker(t testing.TB, s string) *Marker {
	t.Helper()
	m, err := ParseMarker(s)
	if err != nil {
		t.Fatalf("ParseMarker(%q): %v", s, err)
	}
	return m
}

func mustEnv(t testing.TB, python, platform string, extras ...string) Env {
	t.Helper()
	env, err := EnvFor(python, platform)
	if err != nil {
		t.Fatal(err)
	}
	env.Extras = extras
	return env
}

func TestMarkerString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`python_version>='3.8'`, `python_version >= "3.8"`},
		{`python_version >= "3.8" and (sys_platform == "linux" or extra == "fast")`, `python_version >= "3.8" and (sys_platform == "linux" or extra == "fast")`},
		{`((python_version > "3.8") and ((sys_platform == "linux")))`, `python_version > "3.8" and sys_platform == "linux"`},
		{`os_name=='a' and (os_name=='b' and os_name=='c')`, `os_name == "a" and os_name == "b" and os_name == "c"`},
		{`os_name=='a' or (os_name=='b' or os_name=='c')`, `os_name == "a" or os_name == "b" or os_name == "c"`},
		{`(os_name=='a' or os_name=='b') or os_name=='c' and (os_name=='d' or (os_name=='e'))`, `os_name == "a" or os_name == "b" or os_name == "c" and (os_name == "d" or os_name == "e")`},
		{`'linux' in sys_platform`, `"linux" in sys_platform`},
		{`'win'   not	 in sys_platform`, `"win" not in sys_platform`},
		{`"3.8" <= python_version`, `"3.8" <= python_version`},
		{`platform_version == 'say "hi"'`, `platform_version == 'say "hi"'`},
		{`os.name == "posix" and sys.platform != 'win32'`, `os_name == "posix" and sys_platform != "win32"`},
		{`platform.python_implementation == 'CPython' or python_implementation == 'PyPy'`, `platform_python_implementation == "CPython" or platform_python_implementation == "PyPy"`},
		{`python_version ~= '3.8' or python_version === '3.12'`, `python_version ~= "3.8" or python_version === "3.12"`},
		{`extra == "TEST_Extra"`, `extra == "TEST_Extra"`},
		{`python_full_version < "3.8.1"`, `python_full_version < "3.8.1"`},
		{`implementation_name == "cpython" and implementation_version >= "3" and platform_release != "" and platform_system == "Linux" and platform_machine == "x86_64"`,
			`implementation_name == "cpython" and implementation_version >= "3" and platform_release != "" and platform_system == "Linux" and platform_machine == "x86_64"`},
	} {
		m := mustMarker(t, c.in)
		if got := m.String(); got != c.want {
			t.Errorf("ParseMarker(%q).String() = %s, want %s", c.in, got, c.want)
		}
		again := mustMarker(t, m.String())
		if again.String() != m.String() {
			t.Errorf("re-parse of %s gives %s", m.String(), again.String())
		}
	}
	var nilMarker *Marker
	if nilMarker.String() != "" {
		t.Error("nil marker String is not empty")
	}
}

func TestMarkerEvaluate(t *testing.T) {
	py312 := mustEnv(t, "3.12.4", "linux/amd64")
	py310 := mustEnv(t, "3.10", "linux/arm64")
	py38 := mustEnv(t, "3.8", "linux/arm/v7")
	withRelease := py312
	withRelease.PlatformRelease = "5.15.0-1034-azure"
	withRelease.PlatformVersion = "#41-Ubuntu SMP"
	for _, c := range []struct {
		marker string
		env    Env
		want   bool
	}{
		// Versions compare as PEP 440 versions: "3.10" > "3.8" although not as strings.
		{`python_version > "3.8"`, py310, true},
		{`python_version > "3.8"`, py38, false},
		{`python_version >= "3.8"`, py38, true},
		{`"3.8" < python_version`, py310, true},
		{`python_version < "3.10"`, py38, true},
		{`python_version == "3.10"`, py310, true},
		{`python_version == "3.10.0"`, py310, true}, // PEP 440 zero padding
		{`python_version == "3.*"`, py310, true},
		{`python_version == "3.1.*"`, py310, false},
		{`python_version != "3.10.*"`, py310, false},
		{`python_version ~= "3.8"`, py312, true},
		{`python_version ~= "3.8.0"`, py312, false},
		{`python_version === "3.12"`, py312, true},
		{`python_version === "3.12.0"`, py312, false},
		{`python_full_version < "3.8.1"`, py38, true}, // full version defaults to 3.8.0
		{`python_full_version < "3.8.1"`, py312, false},
		{`python_full_version == "3.12.4"`, py312, true},
		{`python_full_version >= "3.12.4rc1"`, py312, true},
		{`implementation_version >= "3.12.1"`, py312, true},
		// Strings.
		{`sys_platform == "linux"`, py312, true},
		{`sys_platform == "win32"`, py312, false},
		{`sys_platform != "win32"`, py312, true},
		{`'linux' in sys_platform`, py312, true},
		{`'lin' in sys_platform`, py312, true},
		{`'win' in sys_platform`, py312, false},
		{`"linux" not in sys_platform`, py312, false},
		{`sys_platform in "linux linux2"`, py312, true},
		{`sys_platform < "m"`, py312, true}, // not versions: string order, as packaging does
		{`platform_machine ~= "x86"`, py312, false},
		{`platform_machine == "x86_64"`, py312, true},
		{`platform_machine == "aarch64"`, py310, true},
		{`platform_machine == "armv7l"`, py38, true},
		{`os_name == "posix" and platform_system == "Linux"`, py312, true},
		{`implementation_name == "cpython"`, py312, true},
		{`platform_python_implementation != "PyPy"`, py312, true},
		{`platform_python_implementation === "cpython"`, py312, true}, // === ignores case
		{`platform_release >= "5"`, withRelease, true},                // not a version: string order
		{`platform_release < "5.10"`, withRelease, false},
		{`"Ubuntu" in platform_version`, withRelease, true},
		{`platform_release == ""`, py312, true},
		// Precedence, from PEP 508's tests: and binds tighter than or.
		{`os_name=='a' and os_name=='b' or os_name=='posix'`, py312, true},
		{`os_name=='posix' and (os_name=='b' or os_name=='c')`, py312, false},
		{`os_name=='posix' or os_name=='b' and os_name=='c'`, py312, true},
		{`(os_name=='posix' or os_name=='b') and os_name=='c'`, py312, false},
		{`((python_version > "3.8") and ((sys_platform == "linux")))`, py312, true},
		{`(python_version < "3" or (sys_platform == "win32" or (os_name == "posix" and python_version >= "3.12")))`, py312, true},
		{`(python_version < "3" or (sys_platform == "win32" or (os_name == "posix" and python_version >= "3.13")))`, py312, false},
	} {
		if got := mustMarker(t, c.marker).Evaluate(c.env); got != c.want {
			t.Errorf("%s in %v = %v, want %v", c.marker, c.env, got, c.want)
		}
	}
}

func TestMarkerExtra(t *testing.T) {
	py := func(extras ...string) Env { return mustEnv(t, "3.12", "linux/amd64", extras...) }
	for _, c := range []struct {
		marker string
		env    Env
		want   bool
	}{
		{`python_version >= "3.6" and extra == "TEST_Extra"`, py("test-extra"), true},
		{`python_version >= "3.6" and extra == "TEST_Extra"`, py("Test.Extra"), true},
		{`python_version >= "3.6" and extra == "TEST_Extra"`, py(), false},
		{`python_version >= "3.6" and extra == "TEST_Extra"`, py("other"), false},
		{`python_version >= "3.13" and extra == "test_extra"`, py("test-extra"), false},
		{`extra == "a"`, py("b", "a"), true},
		{`"a" == extra`, py("b", "A"), true},
		{`extra != "a"`, py("b", "a"), false},
		{`extra != "a"`, py("b"), true},
		{`extra != "a"`, py(), true},
		{`extra == ""`, py(), true},
		{`extra == ""`, py("a"), false},
		{`extra == "a" or extra == "b"`, py("b"), true},
		{`extra == "a" and extra == "b"`, py("a", "b"), true}, // each atom looks at the whole set
		{`extra in "a b"`, py("b"), true},
		{`extra not in "a b"`, py("c"), true},
		{`extra not in "a b"`, py("c", "a"), false},
		{`extra == "1.0"`, py("1-0"), true}, // names, not versions: both normalize to "1-0"
	} {
		if got := mustMarker(t, c.marker).Evaluate(c.env); got != c.want {
			t.Errorf("%s with extras %q = %v, want %v", c.marker, c.env.Extras, got, c.want)
		}
	}
	for marker, want := range map[string]bool{
		`extra == "a"`: true,
		`"a" == extra`: true,
		`python_version >= "3" and (os_name == "posix" or extra == "x")`:       true,
		`python_version >= "3" and (os_name == "posix" or 'extra' == os_name)`: false,
	} {
		if got := mustMarker(t, marker).UsesExtra(); got != want {
			t.Errorf("UsesExtra(%s) = %v, want %v", marker, got, want)
		}
	}
	var nilMarker *Marker
	if nilMarker.UsesExtra() || !nilMarker.Evaluate(Env{}) {
		t.Error("nil marker: UsesExtra or !Evaluate")
	}
}

func TestAndOr(t *testing.T) {
	a := mustMarker(t, `os_name == "posix"`)
	b := mustMarker(t, `python_version >= "3.8"`)
	c := mustMarker(t, `extra == "x"`)
	for _, tc := range []struct {
		got  *Marker
		want string
	}{
		{and(nil, nil), ""},
		{and(a, nil), `os_name == "posix"`},
		{and(nil, b), `python_version >= "3.8"`},
		{and(a, b), `os_name == "posix" and python_version >= "3.8"`},
		{and(a, mustMarker(t, `os_name=='posix'`)), `os_name == "posix"`},
		{and(or(a, b), c), `(os_name == "posix" or python_version >= "3.8") and extra == "x"`},
		{and(and(a, b), c), `os_name == "posix" and python_version >= "3.8" and extra == "x"`},
		{or(a, nil), ""},
		{or(nil, b), ""},
		{or(a, b), `os_name == "posix" or python_version >= "3.8"`},
		{or(and(a, b), c), `os_name == "posix" and python_version >= "3.8" or extra == "x"`},
		{or(or(a, b), or(c, a)), `os_name == "posix" or python_version >= "3.8" or extra == "x" or os_name == "posix"`},
	} {
		if got := tc.got.String(); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
		if tc.got != nil {
			if again := mustMarker(t, tc.got.String()); again.String() != tc.want {
				t.Errorf("re-parse of %s gives %s", tc.want, again.String())
			}
		}
	}
	env := mustEnv(t, "3.7", "linux/amd64")
	if and(a, b).Evaluate(env) || !or(a, b).Evaluate(env) || !and(a, nil).Evaluate(env) {
		t.Error("combinators evaluate wrongly")
	}
	// The operands are not changed.
	if a.String() != `os_name == "posix"` || b.String() != `python_version >= "3.8"` {
		t.Error("combinators changed their operands")
	}
}

func TestParseMarkerErrors(t *testing.T) {
	for _, c := range []syntaxCase{
		{``, 1, "expected a marker variable or a quoted string, found end of input"},
		{`python_version`, 15, "expected a comparison operator (==, !=, <, <=, >, >=, ~=, ===, in, not in), found end of input"},
		{`foo == 'a'`, 1, `unknown marker variable "foo"`},
		{`python_version == '3.8`, 19, "unterminated string: no closing '"},
		{`python_version == "3.8'`, 19, `unterminated string: no closing "`},
		{`python_version == 3.8`, 19, `found "3.8" (strings must be quoted)`},
		{`(os_name == 'a'`, 16, `expected ")" to close "(" at column 1, found end of input`},
		{`os_name == 'a' xor os_name == 'b'`, 16, `expected "and", "or" or end of marker, found "xor"`},
		{`os_name = 'a'`, 9, "expected a comparison operator"},
		{`os_name <> 'a'`, 10, "expected a marker variable or a quoted string"},
		{`'a' not 'b'`, 9, `expected "in" after "not", found "'b'"`},
		{`'a' notin 'b'`, 5, "expected a comparison operator"},
		{`'a' not`, 8, `expected "in" after "not", found end of input`},
		{`os_name == 'a' and`, 19, "expected a marker variable or a quoted string, found end of input"},
		{`os_name == 'a' and or os_name == 'b'`, 20, `unknown marker variable "or"`},
		{`os_name == 'a' andos_name == 'b'`, 16, `expected "and", "or" or end of marker, found "andos_name"`},
		{`()`, 2, "expected a marker variable or a quoted string"},
		{`extras == 'a'`, 1, `unknown marker variable "extras"`},
		{`'ü' == os_name or`, 18, "found end of input"},
	} {
		_, err := ParseMarker(c.in)
		checkSyntaxError(t, "ParseMarker", err, c)
	}
}

func TestEnvFor(t *testing.T) {
	for _, c := range []struct{ python, platform, version, full, machine, str string }{
		{"3.12", "linux/amd64", "3.12", "3.12.0", "x86_64", "python 3.12, linux/amd64"},
		{"3.12.4", "linux/arm64", "3.12", "3.12.4", "aarch64", "python 3.12.4, linux/arm64"},
		{"3.11", "linux/arm64/v8", "3.11", "3.11.0", "aarch64", "python 3.11, linux/arm64/v8"},
		{"3.9", "linux/arm/v7", "3.9", "3.9.0", "armv7l", "python 3.9, linux/arm/v7"},
		{"3.9", "linux/arm/v6", "3.9", "3.9.0", "armv6l", "python 3.9, linux/arm/v6"},
		{"3.10", "linux/386", "3.10", "3.10.0", "i686", "python 3.10, linux/386"},
		{"3.13.0rc2", "linux/ppc64le", "3.13", "3.13.0rc2", "ppc64le", "python 3.13.0rc2, linux/ppc64le"},
		{"3.8", "linux/s390x", "3.8", "3.8.0", "s390x", "python 3.8, linux/s390x"},
		{"3.14", "linux/riscv64", "3.14", "3.14.0", "riscv64", "python 3.14, linux/riscv64"},
	} {
		env, err := EnvFor(c.python, c.platform)
		if err != nil {
			t.Errorf("EnvFor(%q, %q): %v", c.python, c.platform, err)
			continue
		}
		want := Env{
			PythonVersion: c.version, PythonFullVersion: c.full, OSName: "posix", SysPlatform: "linux",
			PlatformMachine: c.machine, PlatformSystem: "Linux", ImplementationName: "cpython",
			ImplementationVersion: c.full, PlatformPythonImplementation: "CPython",
			python: c.python, platform: c.platform,
		}
		if env.String() != c.str || env.Extras != nil ||
			env.PythonVersion != want.PythonVersion || env.PythonFullVersion != want.PythonFullVersion ||
			env.OSName != want.OSName || env.SysPlatform != want.SysPlatform || env.PlatformMachine != want.PlatformMachine ||
			env.PlatformSystem != want.PlatformSystem || env.ImplementationName != want.ImplementationName ||
			env.ImplementationVersion != want.ImplementationVersion ||
			env.PlatformPythonImplementation != want.PlatformPythonImplementation ||
			env.PlatformRelease != "" || env.PlatformVersion != "" {
			t.Errorf("EnvFor(%q, %q) = %+v (%s)", c.python, c.platform, env, env)
		}
	}
	for _, c := range []struct{ python, platform, msg string }{
		{"3.12", "darwin/arm64", "unsupported platform"},
		{"3.12", "windows/amd64", "unsupported platform"},
		{"3.12", "linux/mips64le", "unsupported platform"},
		{"3.12", "linux/arm", "unsupported platform"},
		{"3.12", "linux", "unsupported platform"},
		{"3.12", "", "unsupported platform"},
		{"3.12", "Linux/AMD64", "unsupported platform"},
		{"3", "linux/amd64", "invalid python version"},
		{"3.x", "linux/amd64", "invalid python version"},
		{"three", "linux/amd64", "invalid python version"},
		{"3.12.4.1", "linux/amd64", "invalid python version"},
		{"", "linux/amd64", "invalid python version"},
		{" 3.12", "linux/amd64", "invalid python version"},
	} {
		if _, err := EnvFor(c.python, c.platform); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("EnvFor(%q, %q) error = %v, want %q", c.python, c.platform, err, c.msg)
		}
	}
	manual := Env{PythonVersion: "3.11", SysPlatform: "linux", PlatformMachine: "aarch64"}
	if got := manual.String(); got != "python 3.11, linux/aarch64" {
		t.Errorf("hand-made Env String() = %q", got)
	}
}

func FuzzParseMarker(f *testing.F) {
	for _, seed := range []string{
		`python_version >= "3.8" and (sys_platform == "linux" or extra == "fast")`,
		`python_version >= "3.6" and extra == "TEST_Extra"`,
		`'linux' in sys_platform`, `"win" not in sys_platform`,
		`((python_version > "3.8") and ((sys_platform == "linux")))`,
		`python_full_version < "3.8.1"`, `os.name == 'posix' or platform_version == 'a"b'`,
		`os_name=='a' and os_name=='b' or os_name=='c'`, `python_version ~= "3.*"`,
	} {
		f.Add(seed)
	}
	envs := []Env{
		mustEnv(f, "3.12.4", "linux/amd64", "fast"),
		mustEnv(f, "3.8", "linux/arm64"),
		{},
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseMarker(in)
		if err != nil {
			if se, ok := err.(*SyntaxError); !ok || se.Column < 1 || se.Column > len([]rune(in))+1 {
				t.Fatalf("ParseMarker(%q): bad error %v", in, err)
			}
			return
		}
		out := m.String()
		again, err := ParseMarker(out)
		if err != nil {
			t.Fatalf("String() of ParseMarker(%q) = %q does not re-parse: %v", in, out, err)
		}
		if again.String() != out {
			t.Fatalf("String() not stable: %q -> %q -> %q", in, out, again.String())
		}
		for _, env := range envs {
			if m.Evaluate(env) != again.Evaluate(env) {
				t.Fatalf("meaning changed in round trip: %q -> %q", in, out)
			}
		}
		if m.UsesExtra() != again.UsesExtra() {
			t.Fatalf("UsesExtra changed in round trip: %q -> %q", in, out)
		}
		and(m, again).Evaluate(envs[0])
		or(m, again).Evaluate(envs[1])
	})
}

func TestDisjoint(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{`python_version < "3.8"`, `python_version >= "3.8"`, true},
		{`python_version < "3.8"`, `python_version >= "3.7"`, false},
		{`python_version <= "3.8"`, `python_version >= "3.8"`, false},
		{`python_version < "3.10"`, `python_version >= "3.10"`, true},
		{`python_version < "3.10"`, `python_version > "3.9"`, true}, // python_version is X.Y
		{`python_full_version < "3.10"`, `python_full_version > "3.9"`, false},
		{`python_version <= "3.9"`, `python_version > "3.9"`, true},
		{`python_version == "3.8.*"`, `python_version >= "3.9"`, true},
		{`python_version == "3.8.*"`, `python_version > "3.8"`, false},
		{`python_full_version ~= "3.8.1"`, `python_full_version >= "3.9"`, true},
		{`python_full_version ~= "3.8.1"`, `python_full_version >= "3.8.5"`, false},
		{`sys_platform == "win32"`, `sys_platform != "win32"`, true},
		{`sys_platform != "win32"`, `sys_platform != "linux"`, false},
		{`sys_platform == "win32"`, `sys_platform == "linux"`, true},
		{`sys_platform in "linux darwin"`, `sys_platform == "linux"`, false},
		{`python_version < "3.8" and sys_platform == "linux"`, `python_version >= "3.8" or sys_platform == "win32"`, true},
		{`python_version < "3.8" and sys_platform == "linux"`, `python_version >= "3.8" or sys_platform != "win32"`, false},
		{`python_version < "3.8"`, `sys_platform == "linux"`, false},
		{`platform_machine == "aarch64"`, `platform_machine == "x86_64" or platform_machine == "aarch64"`, false},
		{`extra == "a"`, `extra == "b"`, true},
		{`python_version >= "0"`, `python_version < "0"`, true},
		// Variables vary independently: this is disjoint on every real
		// machine, but the check errs towards a conflict.
		{`sys_platform == "win32"`, `os_name == "posix"`, false},
	} {
		a, b := mustMarker(t, tc.a), mustMarker(t, tc.b)
		if got := Disjoint(a, b); got != tc.want {
			t.Errorf("Disjoint(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Disjoint(b, a); got != tc.want {
			t.Errorf("Disjoint(%s, %s) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
	if Disjoint(nil, mustMarker(t, `python_version < "3.8"`)) {
		t.Error("no marker is disjoint from nothing")
	}
}

// and is a marker true where both a and b are, built as the parser builds
// one: a nil marker is true, so and(nil, b) is b; and(a, a) is a.
func and(a, b *Marker) *Marker { return join(kindAnd, a, b) }

// or is a marker true where either a or b is: a nil marker is true, so or
// with a nil argument is nil; or(a, a) is a.
func or(a, b *Marker) *Marker {
	if a == nil || b == nil {
		return nil
	}
	return join(kindOr, a, b)
}

func join(kind markerKind, a, b *Marker) *Marker {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a == b || a.String() == b.String():
		return a
	}
	return combine(kind, []*Marker{a, b})
}
