package manifest

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/distbuild/dist/internal/policy"
)

// TestREADMEReference keeps README's "dist.yaml reference" true: its table
// names every key Manifest decodes (walked from the yaml tags, the policy
// rules and the channel keys) and no other, and gives the defaults that
// defaults() and policy.Defaults fill in.
func TestREADMEReference(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## dist.yaml reference\n")
	if !ok {
		t.Fatal(`README.md has no "## dist.yaml reference" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| ([^|]*) \\|")
	documented := map[string]string{} // key -> default column
	var order []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if _, dup := documented[m[1]]; dup {
			t.Errorf("README lists %s twice", m[1])
		}
		documented[m[1]] = strings.TrimSpace(m[2])
		order = append(order, m[1])
	}

	var keys []string
	walkKeys(reflect.TypeFor[Manifest](), "", &keys)
	// The two sections decoded by hand (UnmarshalYAML): policy's rules
	// and below_1_0, and each channel's track and from.
	for rule := range policy.Defaults {
		keys = append(keys, "policy."+rule)
	}
	keys = append(keys, "policy."+policy.Below1Key, "channels.NAME.track", "channels.NAME.from")
	for _, k := range keys {
		if _, ok := documented[k]; !ok {
			t.Errorf("README's dist.yaml reference does not list %s", k)
		}
	}
	for _, k := range order {
		if !slices.Contains(keys, k) {
			t.Errorf("README's dist.yaml reference lists %s, which dist.yaml does not accept", k)
		}
	}

	// The defaults the table states are the ones dist fills in.
	m, err := Parse("dist.yaml", []byte("name: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"changelog":        "`" + m.Changelog + "`",
		"version_file":     "`" + m.VersionFile + "`",
		"tag_format":       "`\"" + m.TagFormat + "\"`",
		"dev_marker":       "`" + m.DevMarker + "`",
		"release_branches": "`[main, master, \"*.x\"]`",
	} {
		if got := documented[key]; got != want {
			t.Errorf("README gives %s the default %s; dist fills in %s", key, got, want)
		}
	}
	if !slices.Equal(m.ReleaseBranches, []string{"main", "master", "*.x"}) {
		t.Errorf("release_branches defaults to %q: update README's dist.yaml reference and this test", m.ReleaseBranches)
	}
	for rule, level := range policy.Defaults {
		if got, want := documented["policy."+rule], "`"+level.String()+"`"; got != want {
			t.Errorf("README gives policy.%s the default %s; policy.Defaults has %s", rule, got, want)
		}
	}
}

// walkKeys appends the dotted path of every key t decodes from YAML: a
// struct's fields by their yaml tags, "KEY[]." before the keys of a
// list's items. A type that decodes itself (UnmarshalYAML) is a leaf.
func walkKeys(t reflect.Type, prefix string, out *[]string) {
	unmarshaler := reflect.TypeFor[yaml.Unmarshaler]()
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		*out = append(*out, key)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		sub := key + "."
		if ft.Kind() == reflect.Slice {
			ft, sub = ft.Elem(), key+"[]."
		}
		if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(unmarshaler) {
			walkKeys(ft, sub, out)
		}
	}
}
