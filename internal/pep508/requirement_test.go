package pep508

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseRequirementPEP508Example(t *testing.T) {
	// "All features of the language shown with a name based lookup", PEP 508.
	r, err := ParseRequirement(`requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "requests" || !slices.Equal(r.Extras, []string{"security", "tests"}) ||
		r.Specifiers.String() != ">=2.8.1,==2.8.*" || r.URL != "" || r.Marker.String() != `python_version < "2.7"` {
		t.Errorf("parsed %#v", r)
	}
	if got, want := r.String(), `requests[security,tests]>=2.8.1,==2.8.* ; python_version < "2.7"`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	if !r.Specifiers.Contains("2.8.5", false) || r.Specifiers.Contains("2.9", false) {
		t.Error("specifier semantics lost")
	}

	// "A minimal URL based lookup".
	const url = "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686"
	r, err = ParseRequirement("pip @ " + url)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "pip" || r.URL != url || !r.Specifiers.Empty() || r.Marker != nil || r.Extras != nil {
		t.Errorf("parsed %#v", r)
	}
}

func TestParseRequirementString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// The test list from PEP 508's complete grammar.
		{"A", "A"},
		{"A.B-C_D", "A.B-C_D"},
		{"aa", "aa"},
		{"name", "name"},
		{"name<=1", "name<=1"},
		{"name>=3", "name>=3"},
		{"name>=3,<2", "name>=3,<2"},
		{"name@http://foo.com", "name @ http://foo.com"},
		{"name [fred,bar] @ http://foo.com ; python_version=='2.7'", `name[fred,bar] @ http://foo.com ; python_version == "2.7"`},
		{"name[quux, strange];python_version<'2.7' and platform_version=='2'", `name[quux,strange] ; python_version < "2.7" and platform_version == "2"`},
		{"name; os_name=='a' or os_name=='b'", `name ; os_name == "a" or os_name == "b"`},
		{"name; os_name=='a' and os_name=='b' or os_name=='c'", `name ; os_name == "a" and os_name == "b" or os_name == "c"`},
		{"name; os_name=='a' and (os_name=='b' or os_name=='c')", `name ; os_name == "a" and (os_name == "b" or os_name == "c")`},
		{"name; os_name=='a' or os_name=='b' and os_name=='c'", `name ; os_name == "a" or os_name == "b" and os_name == "c"`},
		{"name; (os_name=='a' or os_name=='b') and os_name=='c'", `name ; (os_name == "a" or os_name == "b") and os_name == "c"`},
		// Others.
		{"speedup[Fast] (>= 1.0) ; python_version >= '3.8'", `speedup[fast]>=1.0 ; python_version >= "3.8"`},
		{"speedup[fast](>=1.0,<2)", "speedup[fast]>=1.0,<2"},
		{"name ()", "name"},
		{"Foo[Bar_Baz.qux, X--Y]", "Foo[bar-baz-qux,x-y]"},
		{"name[]", "name"},
		{"  name  ", "name"},
		{"name\t>=1.0\t;\textra=='x'", `name>=1.0 ; extra == "x"`},
		{"name ; extra == 'x'", `name ; extra == "x"`},
		{"name[a] ; extra == 'x'", `name[a] ; extra == "x"`},
		{"zope.interface===4.1.0-1", "zope.interface===4.1.0-1"},
		{"name==1.0+local", "name==1.0+local"},
		{"name ~= 1.4.5a4", "name~=1.4.5a4"},
		// The URL ends at whitespace: without it, ";" belongs to the URL.
		{"name @ file:///tmp/x.whl;python_version<'3'", "name @ file:///tmp/x.whl;python_version<'3'"},
		{"name @ file:///tmp/x.whl ;python_version<'3'", `name @ file:///tmp/x.whl ; python_version < "3"`},
		{"name @ git+https://host/repo.git@v1.0#egg=name ; os_name == 'posix'", `name @ git+https://host/repo.git@v1.0#egg=name ; os_name == "posix"`},
	} {
		r, err := ParseRequirement(c.in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", c.in, err)
			continue
		}
		got := r.String()
		if got != c.want {
			t.Errorf("ParseRequirement(%q).String() = %s, want %s", c.in, got, c.want)
		}
		again, err := ParseRequirement(got)
		if err != nil || again.String() != got {
			t.Errorf("re-parse of %s: %s, %v", got, again.String(), err)
		}
	}
}

func TestParseRequirementFields(t *testing.T) {
	r, err := ParseRequirement("name @ file:///tmp/x.whl;python_version<'3'")
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "file:///tmp/x.whl;python_version<'3'" || r.Marker != nil {
		t.Errorf("URL %q, marker %v", r.URL, r.Marker)
	}
	r, err = ParseRequirement("Foo_Bar [Socks , SECURITY] (>=1.0) ; extra == 'x'")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "Foo_Bar" || !slices.Equal(r.Extras, []string{"socks", "security"}) || r.Specifiers.String() != ">=1.0" || !r.Marker.UsesExtra() {
		t.Errorf("parsed %#v", r)
	}
}

type syntaxCase struct {
	in     string
	column int
	msg    string
}

func checkSyntaxError(t *testing.T, what string, err error, c syntaxCase) {
	t.Helper()
	if err == nil {
		t.Errorf("%s(%q): no error", what, c.in)
		return
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("%s(%q): error %T %v is not a *SyntaxError", what, c.in, err, err)
		return
	}
	if se.Column != c.column || !strings.Contains(se.Msg, c.msg) || se.Input != c.in {
		t.Errorf("%s(%q): column %d, %q; want column %d, %q", what, c.in, se.Column, se.Msg, c.column, c.msg)
	}
	if !strings.Contains(err.Error(), "column ") {
		t.Errorf("%s(%q): Error() = %q has no column", what, c.in, err)
	}
}

func TestParseRequirementErrors(t *testing.T) {
	for _, c := range []syntaxCase{
		{"", 1, "expected a distribution name, found end of input"},
		{"   ", 4, "expected a distribution name"},
		{"-foo", 1, `expected a distribution name, found "-foo"`},
		{"foo bar", 5, `expected "[", a version specifier, "@", ";" or end, found "bar"`},
		{"foo-", 4, `expected "[", a version specifier`},
		{"foo[bar", 8, `expected "," or "]" in extras, found end of input`},
		{"foo[bar baz]", 9, `expected "," or "]" in extras, found "baz]"`},
		{"foo[bar,]", 9, `expected an extra name, found "]"`},
		{"foo[bar] baz", 10, `expected a version specifier, "@", ";" or end, found "baz"`},
		{"foo >=1.0 ,<bad", 12, `invalid version specifier: pep440: invalid specifier clause "<bad"`},
		{"foo >=1.0, 2.0", 12, "missing comparison operator"},
		{"foo >=1.0 bar", 5, "whitespace inside version"},
		{"foo (>=1.0", 5, `expected ")"`},
		{"foo (>=1.0) bar", 13, `expected ";" or end, found "bar"`},
		{"foo @ ", 7, `expected a URL after "@", found end of input`},
		{"foo @ http://x extra", 16, `expected ";" or end after URL, found "extra"`},
		{"foo @ http://x ; ", 18, `expected a marker after ";"`},
		{"foo;", 5, `expected a marker after ";"`},
		{"foo; bogus == '1'", 6, `unknown marker variable "bogus"`},
		{"foo; python_version >= '3' and", 31, "expected a marker variable or a quoted string, found end of input"},
		{"foo; python_version >= '3' )", 28, `expected "and", "or" or end of marker, found ")"`},
		{"fóo", 2, `expected "[", a version specifier`},
		{"é; python_version", 1, "expected a distribution name"},
		{"x; python_versión == '3'", 4, `unknown marker variable "python_versi"`},
	} {
		_, err := ParseRequirement(c.in)
		checkSyntaxError(t, "ParseRequirement", err, c)
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"foo":            "foo",
		"Foo.Bar__baz":   "foo-bar-baz",
		"a-_-b":          "a-b",
		"TEST_Extra":     "test-extra",
		"zope.interface": "zope-interface",
		"Zope_Interface": "zope-interface",
		"Kinto":          "kinto",
		"A__B--C..d":     "a-b-c-d",
		"":               "",
		"_x_":            "-x-",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseRequirement(f *testing.F) {
	for _, seed := range []string{
		"A", "name>=3,<2", "name@http://foo.com",
		`requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"`,
		"name [fred,bar] @ http://foo.com ; python_version=='2.7'",
		"name; (os_name=='a' or os_name=='b') and os_name=='c'",
		"speedup[Fast] (>= 1.0) ; python_version >= '3.8'",
		"name @ file:///tmp/x.whl;python_version<'3'",
		"zope.interface===4.1.0-1", "name ()", "x ; extra == 'a' or 'linux' in sys_platform",
	} {
		f.Add(seed)
	}
	env, _ := EnvFor("3.12", "linux/amd64")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ParseRequirement(in)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Column < 1 || se.Column > len([]rune(in))+1 {
				t.Fatalf("ParseRequirement(%q): bad error %v", in, err)
			}
			return
		}
		out := r.String()
		again, err := ParseRequirement(out)
		if err != nil {
			t.Fatalf("String() of ParseRequirement(%q) = %q does not re-parse: %v", in, out, err)
		}
		if again.String() != out {
			t.Fatalf("String() not stable: %q -> %q -> %q", in, out, again.String())
		}
		if r.Name != again.Name || r.URL != again.URL || !slices.Equal(r.Extras, again.Extras) {
			t.Fatalf("fields changed in round trip: %#v vs %#v", r, again)
		}
		if r.Marker.Evaluate(env) != again.Marker.Evaluate(env) {
			t.Fatalf("marker meaning changed in round trip: %q -> %q", in, out)
		}
	})
}
