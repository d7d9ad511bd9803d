package redact

import (
	"slices"
	"testing"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:s3cret@h/x":          "https://u:***@h/x",
		"https://u:s3c%zzret@h:8/x?a@b": "https://u:***@h:8/x?a@b",
		"https://u:p@ss@h/x":            "https://u:***@h/x",
		"https://u@h/x":                 "https://u@h/x",
		"https://h/x@y":                 "https://h/x@y",
		"git@github.com:o/r.git":        "git@github.com:o/r.git",
		"u:s3cret@h/x":                  "u:***@h/x",
		"":                              "",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecrets(t *testing.T) {
	got := Secrets("https://u:s3%40cret@h/")
	if !slices.Equal(got, []string{"s3%40cret", "s3@cret"}) {
		t.Errorf("Secrets = %q", got)
	}
	if got := Secrets("https://u:s3cret%@h/"); !slices.Equal(got, []string{"s3cret%"}) {
		t.Errorf("Secrets = %q", got)
	}
	if s := String(`parse "https://u:s3cret%@h/": bad`, Secrets("https://u:s3cret%@h/")...); s != `parse "https://u:***@h/": bad` {
		t.Errorf("String = %q", s)
	}
}
