package jsonfmt

import "testing"

func TestIndent(t *testing.T) {
	got, err := Indent(map[string]any{"requirement": "kinto>=14,<15 & more", "n": []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"n\": [\n    1\n  ],\n  \"requirement\": \"kinto>=14,<15 & more\"\n}\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := Indent(func() {}); err == nil {
		t.Error("a func encoded")
	}
}
