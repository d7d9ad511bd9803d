package configdiff

import (
	"slices"
	"testing"
)

func TestMultiLineValues(t *testing.T) {
	old, err := parse("a.ini", []byte("[app:main]\nkinto.includes = kinto_signer\n    kinto_attachment\n\n    kinto_emailer\nport = 8888\n"))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := parse("a.ini", []byte("[app:main]\nkinto.includes =\n    kinto_signer\n    kinto_attachment\n    kinto_admin\nport = 8888\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := Diff(old, cur)
	if len(d) != 1 || d[0].Key != "app:main.kinto.includes" {
		t.Fatalf("Diff = %+v", d)
	}
	if !MultiLine(d[0].From) || !MultiLine(d[0].To) || MultiLine("8888") {
		t.Error("MultiLine")
	}
	if got := OneLine(d[0].From); got != "kinto_signer kinto_attachment kinto_emailer" {
		t.Errorf("OneLine = %q", got)
	}
	if got := OneLine("a ; b"); got != "a ; b" {
		t.Errorf("OneLine of one line = %q", got)
	}
	added, removed := LineChanges(d[0].From, d[0].To)
	if !slices.Equal(added, []string{"kinto_admin"}) || !slices.Equal(removed, []string{"kinto_emailer"}) {
		t.Errorf("LineChanges = %q, %q", added, removed)
	}
	for _, tc := range []struct {
		from, to       string
		added, removed []string
	}{
		{"a\nb", "b\na", nil, nil},
		{"a\r\nb", "a\n\nb\n", nil, nil},
		{"a\na", "a", nil, []string{"a"}},
		{"a", "a\nb\nc", []string{"b", "c"}, nil},
		{"x: |\n  one", "x: |\n    one", []string{"    one"}, []string{"  one"}},
	} {
		added, removed := LineChanges(tc.from, tc.to)
		if !slices.Equal(added, tc.added) || !slices.Equal(removed, tc.removed) {
			t.Errorf("LineChanges(%q, %q) = %q, %q; want %q, %q", tc.from, tc.to, added, removed, tc.added, tc.removed)
		}
	}
}
