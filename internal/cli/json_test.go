package cli

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/bundle"
	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/image/inspect"
	"github.com/distbuild/dist/internal/image/promote"
	"github.com/distbuild/dist/internal/lock"
	"github.com/distbuild/dist/internal/plan"
	"github.com/distbuild/dist/internal/reldiff"
	"github.com/distbuild/dist/internal/release"
	"github.com/distbuild/dist/internal/render"
)

// jsonOutputs are the values the commands print with --json, one per
// command shape; a command that prints a new type belongs here.
var jsonOutputs = map[string]any{
	"lock add, lock upgrade":           lock.Edit{},
	"lock outdated":                    outdatedJSON{},
	"lock verify":                      lock.VerifyResult{},
	"lock why":                         whyJSON{},
	"bundle":                           bundle.Result{},
	"config render":                    render.Result{},
	"plan":                             plan.Plan{},
	"changelog":                        plan.ChangelogEntry{},
	"notes":                            release.Notes{},
	"prerelease, release, postrelease": release.Report{},
	"build":                            image.BuildReport{},
	"promote":                          promote.Result{},
	"inspect":                          inspect.Report{},
	"sign":                             image.SignReport{},
	"verify-image":                     image.VerifyReport{},
	"status":                           channel.Report{},
	"diff":                             reldiff.Result{},
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// jsonKey is one key of a command's JSON output, where it was declared.
type jsonKey struct {
	name  string
	kind  reflect.Kind // after pointers
	where string       // "plan.Plan.Base"
}

// walkJSON calls fn for every key the encoding/json encoding of t can
// hold, recursively; map keys are data, not names, and are not walked.
func walkJSON(t reflect.Type, seen map[reflect.Type]bool, fn func(jsonKey)) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	if t.Implements(reflect.TypeFor[json.Marshaler]()) || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Marshaler]()) {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" && f.Anonymous {
			walkJSON(f.Type, seen, fn)
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		fn(jsonKey{name: name, kind: ft.Kind(), where: t.String() + "." + f.Name})
		walkJSON(f.Type, seen, fn)
	}
}

// TestJSONKeys holds every --json output to one naming scheme: snake_case
// keys, each spelled out by a tag, and a key means one kind of value in
// every command (hashes always a list, counts end in _count).
func TestJSONKeys(t *testing.T) {
	// Keys that the scheme replaced, with their replacement.
	retired := map[string]string{
		"current": "from (a version change) — plan's current is DESIGN's",
		"latest":  "to", "mediaType": "media_type", "repository": "reference",
		"output": "reference", "revision": "commit", "bytes": "size",
		"entries": "entry_count", "artifacts": "artifact_count", "targets": "target_count",
		"where": "file and line", "path": "file",
	}
	// DESIGN §3 fixes dist plan's shape: its base and current are versions.
	exempt := map[string]bool{"plan.Plan.Base": true, "plan.Plan.Current": true}
	kinds := map[string]jsonKey{}
	for cmd, v := range jsonOutputs {
		walkJSON(reflect.TypeOf(v), map[reflect.Type]bool{}, func(k jsonKey) {
			if exempt[k.where] {
				return
			}
			switch {
			case k.name == "":
				t.Errorf("%s: %s has no json tag (it would print as %q)", cmd, k.where, k.where[strings.LastIndexByte(k.where, '.')+1:])
				return
			case !snakeCase.MatchString(k.name):
				t.Errorf("%s: %s is %q, not snake_case", cmd, k.where, k.name)
			case retired[k.name] != "" && k.where != "meta.Lockfile.Path":
				t.Errorf("%s: %s is %q: the scheme says %s", cmd, k.where, k.name, retired[k.name])
			case k.name == "hashes" && k.kind != reflect.Slice:
				t.Errorf("%s: %s: hashes is always a list", cmd, k.where)
			}
			if prev, ok := kinds[k.name]; ok && prev.kind != k.kind {
				t.Errorf("%q is a %s at %s but a %s at %s", k.name, prev.kind, prev.where, k.kind, k.where)
			} else if !ok {
				kinds[k.name] = k
			}
		})
	}
}
