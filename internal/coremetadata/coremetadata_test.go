package coremetadata

import (
	"reflect"
	"strings"
	"testing"
)

// wheelMetadata is shaped like what setuptools writes: Dynamic-free,
// UTF-8, a folded License, fields in any case, and a description body that
// looks like more fields.
const wheelMetadata = `Metadata-Version: 2.1
Name: Kinto
Version: 14.3.0
Summary: Kinto Web Service – Store, Sync, Share, and Self-Host.
Author-email: Mozilla Services <développeurs@mozilla.com>
License: Copyright 2012 Mozilla Foundation
        
        Licensed under the Apache License, Version 2.0
Classifier: Programming Language :: Python :: 3
Classifier: License :: OSI Approved :: Apache Software License
requires-python: >=3.8
Provides-Extra: postgresql
Requires-Dist: bcrypt
Requires-Dist: colander>=1.0 ; python_version >= "3.8"
REQUIRES-DIST: SQLAlchemy<3 ; extra == "postgresql"
Provides-Extra: monitoring
Description-Content-Type: text/x-rst

Kinto
=====

Requires-Dist: not-a-dependency
Name: not-the-name
`

func TestParse(t *testing.T) {
	want := &Metadata{
		MetadataVersion: "2.1",
		Name:            "Kinto",
		Version:         "14.3.0",
		RequiresPython:  ">=3.8",
		RequiresDist:    []string{"bcrypt", `colander>=1.0 ; python_version >= "3.8"`, `SQLAlchemy<3 ; extra == "postgresql"`},
		ProvidesExtra:   []string{"postgresql", "monitoring"},
		License:         "Copyright 2012 Mozilla Foundation\n\nLicensed under the Apache License, Version 2.0",
		Classifiers:     []string{"Programming Language :: Python :: 3", "License :: OSI Approved :: Apache Software License"},
	}
	for name, data := range map[string]string{
		"LF":   wheelMetadata,
		"CRLF": strings.ReplaceAll(wheelMetadata, "\n", "\r\n"),
		"BOM":  "\ufeff" + wheelMetadata,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse:\n got %#v\nwant %#v", got, want)
			}
			if got.SdistUsable() {
				t.Error("Metadata-Version 2.1 is usable")
			}
		})
	}

	// Control characters are read, not refused: old metadata carries long
	// texts as fields. (A form feed is white space, and trimmed.)
	got, err := Parse([]byte("Metadata-Version: 1.1\nName: old\nVersion: 0.1\nLicense: GPL\n        \f\n        END\nDescription: \x1b[1mbold\x1b[0m\nRequires: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.License != "GPL\n\nEND" || got.RequiresDist != nil {
		t.Errorf("%#v", got)
	}

	// A file without a body, ending without a newline, with tabs for
	// folding and the newer fields.
	got, err = Parse([]byte("Metadata-Version: 2.4\nName: late\nVersion: 1.0\nLicense-Expression: MIT OR\n\tApache-2.0\nDynamic: Classifier\nRequires-Dist: attrs"))
	if err != nil {
		t.Fatal(err)
	}
	if got.LicenseExpression != "MIT OR\nApache-2.0" || !reflect.DeepEqual(got.Dynamic, []string{"Classifier"}) || !reflect.DeepEqual(got.RequiresDist, []string{"attrs"}) {
		t.Errorf("%#v", got)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "Metadata-Version: 2.1\nName: x\nVersion: 1\n"
	for _, tc := range []struct{ data, want string }{
		{"", "no Metadata-Version field"},
		{"\n" + head, "no Metadata-Version field"},
		{"Name: x\nVersion: 1\n", "no Metadata-Version field"},
		{"Metadata-Version: 2.1\nVersion: 1\n", "no Name field"},
		{"Metadata-Version: 2.1\nName: x\n", "no Version field"},
		{"Metadata-Version: 2.1\nName:\nVersion: 1\n", "line 2: empty Name"},
		{" Metadata-Version: 2.1\n", `line 1: continuation line " Metadata-Version: 2.1" before any field`},
		{head + "this is the description\n", `line 4: "this is the description" is not a "Field: value" line`},
		{head + "Requires Dist: x\n", `line 4: "Requires Dist: x" is not a "Field: value" line`},
		{head + ": x\n", `line 4: ": x" is not a "Field: value" line`},
		{head + "Requires-Dist: a\r\nname: y\r\n", "line 5: name given again (first on line 2)"},
		{head + "Requires-Python: >=3\nRequires-Python: >=3.8\n", "line 5: Requires-Python given again (first on line 4)"},
		{head + "Requires-Dist:\n", "line 4: empty Requires-Dist"},
		{head + "Provides-Extra:  \n", "line 4: empty Provides-Extra"},
		{"Metadata-Version: 3.0\nName: x\nVersion: 1\n", "line 1: Metadata-Version 3.0 is newer than this dist reads (2.x)"},
		{"Name: x\nVersion: 1\nMetadata-Version: 2\n", `line 3: Metadata-Version "2" is not major.minor`},
		{"Metadata-Version: 2.+1\nName: x\nVersion: 1\n", `line 1: Metadata-Version "2.+1" is not major.minor`},
		{head + strings.Repeat("x", 200) + "\n", `line 4: "` + strings.Repeat("x", 80) + `"... is not`},
	} {
		_, err := Parse([]byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.data, err, tc.want)
		}
	}
}

func TestSdistUsable(t *testing.T) {
	for _, tc := range []struct {
		version string
		dynamic []string
		want    bool
	}{
		{"1.0", nil, false},
		{"1.2", nil, false},
		{"2.1", nil, false},
		{"2.2", nil, true},
		{"2.3", nil, true},
		{"2.4", []string{"Classifier", "License"}, true},
		{"2.10", nil, true},
		{"2.2", []string{"Requires-Dist"}, false},
		{"2.2", []string{"requires-dist"}, false},
		{"2.4", []string{"Summary", "PROVIDES-EXTRA"}, false},
		{"2.2.0", nil, true},
		{"2", nil, false},
		{"", nil, false},
	} {
		m := &Metadata{MetadataVersion: tc.version, Dynamic: tc.dynamic}
		if got := m.SdistUsable(); got != tc.want {
			t.Errorf("Metadata-Version %q, Dynamic %q: SdistUsable = %v, want %v", tc.version, tc.dynamic, got, tc.want)
		}
	}
}

// format writes m back as a header block, folding multi-line values the way
// setuptools does.
func format(m *Metadata) string {
	var b strings.Builder
	one := func(name, v string) {
		b.WriteString(name + ": " + strings.ReplaceAll(v, "\n", "\n        ") + "\n")
	}
	one("Metadata-Version", m.MetadataVersion)
	one("Name", m.Name)
	one("Version", m.Version)
	for name, v := range map[string]string{"Requires-Python": m.RequiresPython, "License": m.License, "License-Expression": m.LicenseExpression} {
		if v != "" {
			one(name, v)
		}
	}
	for name, vs := range map[string][]string{"Requires-Dist": m.RequiresDist, "Provides-Extra": m.ProvidesExtra, "Dynamic": m.Dynamic, "Classifier": m.Classifiers} {
		for _, v := range vs {
			one(name, v)
		}
	}
	b.WriteString("\nDescription body\n")
	return b.String()
}

// FuzzParse checks that Parse never panics, and that what it returns reads
// back the same once written out again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(wheelMetadata))
	f.Add([]byte(strings.ReplaceAll(wheelMetadata, "\n", "\r\n")))
	f.Add([]byte("Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Requires-Dist\nLicense: x\n \n\ty\r\n\r\nbody"))
	f.Add([]byte("Metadata-Version: 2.1\nName: a\nVersion: 1\nName: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if m != nil {
				t.Fatalf("Parse returned %#v with error %v", m, err)
			}
			return
		}
		if m.MetadataVersion == "" || m.Name == "" || m.Version == "" {
			t.Fatalf("required field empty: %#v", m)
		}
		for _, v := range append([]string{m.Name, m.Version, m.RequiresPython, m.License}, m.RequiresDist...) {
			if v != strings.TrimSpace(v) {
				t.Fatalf("value %q not trimmed", v)
			}
		}
		m.SdistUsable()
		again, err := Parse([]byte(format(m)))
		if err != nil {
			t.Fatalf("written back, %#v does not parse: %v\n%s", m, err, format(m))
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("written back and read again:\n got %#v\nwant %#v", again, m)
		}
	})
}
