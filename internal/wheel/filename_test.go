package wheel

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFilename(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Filename
	}{
		{"Kinto-14.3.0-py3-none-any.whl", Filename{Name: "Kinto", Version: "14.3.0", Python: []string{"py3"}, ABI: []string{"none"}, Platform: []string{"any"}}},
		{"six-1.16.0-py2.py3-none-any.whl", Filename{Name: "six", Version: "1.16.0", Python: []string{"py2", "py3"}, ABI: []string{"none"}, Platform: []string{"any"}}},
		{
			"zope.interface-6.0-1local-CP312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
			Filename{Name: "zope.interface", Version: "6.0", Build: "1local", Python: []string{"cp312"}, ABI: []string{"cp312"}, Platform: []string{"manylinux_2_17_x86_64", "manylinux2014_x86_64"}},
		},
		{"torch-2.3.0+cpu-cp312-cp312-linux_x86_64.whl", Filename{Name: "torch", Version: "2.3.0+cpu", Python: []string{"cp312"}, ABI: []string{"cp312"}, Platform: []string{"linux_x86_64"}}},
		{"pkg-1!2.0rc1-123-cp39.cp310-abi3-musllinux_1_2_aarch64.whl", Filename{Name: "pkg", Version: "1!2.0rc1", Build: "123", Python: []string{"cp39", "cp310"}, ABI: []string{"abi3"}, Platform: []string{"musllinux_1_2_aarch64"}}},
	} {
		got, err := ParseFilename(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}

	f, _ := ParseFilename("a-1-py2.py3-none-any.manylinux1_x86_64.whl")
	var tags []string
	for _, tag := range f.Tags() {
		tags = append(tags, tag.String())
	}
	if got := strings.Join(tags, " "); got != "py2-none-any py2-none-manylinux1_x86_64 py3-none-any py3-none-manylinux1_x86_64" {
		t.Errorf("Tags() = %s", got)
	}

	for _, bad := range []string{
		"Kinto-14.3.0.tar.gz",
		"Kinto-14.3.0-py3-none-any.WHL",
		"Kinto-py3-none-any.whl",
		"Kinto-14.3.0-x-y-py3-none-any.whl",
		"Kinto-14.3.0-build-py3-none-any.whl", // a build tag starts with a digit
		"-14.3.0-py3-none-any.whl",
		"Kinto--py3-none-any.whl",
		"Kinto-1-py3..py2-none-any.whl",
		"Kinto-1-py3-none-.whl",
		"dir/Kinto-1-py3-none-any.whl",
		"Kin to-1-py3-none-any.whl",
		"Kinto-1-py3-none-any-.whl",
	} {
		if f, err := ParseFilename(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, f)
		}
	}
}

// FuzzParseFilename checks that whatever parses gives itself back: String
// parses to the same Filename, and the tags come from the name.
func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{
		"Kinto-14.3.0-py3-none-any.whl",
		"six-1.16.0-py2.py3-none-any.whl",
		"zope.interface-6.0-1local-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"pkg-1!2.0rc1+local.7-123-cp39.cp310-abi3-musllinux_1_2_aarch64.whl",
		"a-b-c-d-e-f-g.whl",
		"-----.whl",
		"Kinto-14.3.0.tar.gz",
		"é-1-py3-none-any.whl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := ParseFilename(s)
		if err != nil {
			return
		}
		if !strings.HasSuffix(s, ".whl") || strings.Contains(s, "/") {
			t.Fatalf("%q accepted", s)
		}
		again, err := ParseFilename(fn.String())
		if err != nil {
			t.Fatalf("%q parsed, its String %q does not: %v", s, fn.String(), err)
		}
		if !reflect.DeepEqual(fn, again) {
			t.Fatalf("%q: %+v, then %+v", s, fn, again)
		}
		if !strings.EqualFold(fn.String(), s) {
			t.Fatalf("%q gave back %q", s, fn.String())
		}
		tags := fn.Tags()
		if len(tags) != len(fn.Python)*len(fn.ABI)*len(fn.Platform) || len(tags) == 0 {
			t.Fatalf("%q: %d tags from %v %v %v", s, len(tags), fn.Python, fn.ABI, fn.Platform)
		}
		for _, tag := range tags {
			if tag.Python == "" || tag.ABI == "" || tag.Platform == "" || strings.ContainsAny(tag.String(), ".") {
				t.Fatalf("%q: tag %q", s, tag)
			}
		}
	})
}
