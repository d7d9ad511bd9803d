package provenance

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/testenv/golden"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	indexDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	amd64Digest = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	arm64Digest = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
	baseDigest  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	commit      = "0123456789abcdef0123456789abcdef01234567"
)

func input() Input {
	return Input{
		Image: Image{
			Name:   "registry.example.org/dist/go-httpbin-dist",
			Digest: indexDigest,
			Manifests: []Manifest{
				{Platform: "linux/amd64", Digest: amd64Digest},
				{Platform: "linux/arm64/v8", Digest: arm64Digest},
			},
		},
		Source:    Source{Repository: "https://github.com/distbuild/dist", Ref: "refs/tags/1.2.0", Commit: commit},
		Platforms: []string{"linux/amd64", "linux/arm64/v8"},
		Lockfiles: []Lockfile{
			{Path: "lockfiles/go.txt", SHA256: "sha256:5555555555555555555555555555555555555555555555555555555555555555"},
			{Path: "lockfiles/base.txt", SHA256: "6666666666666666666666666666666666666666666666666666666666666666"},
		},
		Base:            &Base{Name: "docker.io/library/alpine", Tag: "3.20", Digest: baseDigest},
		DistVersion:     "0.4.0",
		GoVersion:       "go1.26.8",
		SourceDateEpoch: 1700000000,
	}
}

func TestGenerateGolden(t *testing.T) {
	got, err := Generate(input())
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "httpbin.intoto.json"), got)
}

// TestReproducible generates many times: protojson varies its whitespace
// between processes and sometimes between calls, which marshal must undo.
func TestReproducible(t *testing.T) {
	first, err := Generate(input())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		in := input()
		// Lockfile order does not matter.
		in.Lockfiles[0], in.Lockfiles[1] = in.Lockfiles[1], in.Lockfiles[0]
		b, err := Generate(in)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, b) {
			t.Fatalf("run %d gave other bytes:\n%s\nvs\n%s", i, first, b)
		}
	}
}

// TestParsesBack reads the statement with the in-toto types, as a
// verifier would, and checks what the issue asks it to record.
func TestParsesBack(t *testing.T) {
	b, err := Generate(input())
	if err != nil {
		t.Fatal(err)
	}
	var st intoto.Statement
	if err := protojson.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	if st.GetType() != "https://in-toto.io/Statement/v1" || st.GetPredicateType() != "https://slsa.dev/provenance/v1" {
		t.Errorf("type %s predicateType %s", st.GetType(), st.GetPredicateType())
	}
	var subjects []string
	for _, s := range st.GetSubject() {
		subjects = append(subjects, "sha256:"+s.GetDigest()["sha256"]+" "+s.GetAnnotations().GetFields()["platform"].GetStringValue())
	}
	if want := []string{indexDigest + " ", amd64Digest + " linux/amd64", arm64Digest + " linux/arm64/v8"}; strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Errorf("subjects %q, want %q", subjects, want)
	}

	pb, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		t.Fatal(err)
	}
	var pred slsa.Provenance
	if err := protojson.Unmarshal(pb, &pred); err != nil {
		t.Fatal(err)
	}
	if err := pred.Validate(); err != nil {
		t.Fatal(err)
	}
	bd := pred.GetBuildDefinition()
	if bd.GetBuildType() != BuildType {
		t.Errorf("buildType %s", bd.GetBuildType())
	}
	ext := bd.GetExternalParameters().AsMap()
	if ext["sourceDateEpoch"] != float64(1700000000) {
		t.Errorf("sourceDateEpoch %v", ext["sourceDateEpoch"])
	}
	if src := ext["source"].(map[string]any); src["repository"] != "https://github.com/distbuild/dist" || src["ref"] != "refs/tags/1.2.0" {
		t.Errorf("source %v", src)
	}
	deps := map[string]map[string]string{}
	for _, d := range bd.GetResolvedDependencies() {
		key := d.GetUri()
		if key == "" {
			key = d.GetName()
		}
		deps[key] = d.GetDigest()
	}
	for key, want := range map[string][2]string{
		"git+https://github.com/distbuild/dist@refs/tags/1.2.0": {"gitCommit", commit},
		"lockfiles/go.txt":   {"sha256", "5555555555555555555555555555555555555555555555555555555555555555"},
		"lockfiles/base.txt": {"sha256", "6666666666666666666666666666666666666666666666666666666666666666"},
		"pkg:oci/alpine@sha256:2222222222222222222222222222222222222222222222222222222222222222?repository_url=docker.io%2Flibrary%2Falpine&tag=3.20": {"sha256", strings.TrimPrefix(baseDigest, "sha256:")},
	} {
		if got := deps[key][want[0]]; got != want[1] {
			t.Errorf("resolved dependency %s: %s %q, want %q (all: %v)", key, want[0], got, want[1], deps)
		}
	}
	b2 := pred.GetRunDetails().GetBuilder()
	if b2.GetId() != BuilderID || b2.GetVersion()["dist"] != "0.4.0" || b2.GetVersion()["go"] != "go1.26.8" {
		t.Errorf("builder %v", b2)
	}
	if pred.GetRunDetails().GetMetadata() != nil {
		t.Errorf("metadata %v: run times would make the statement irreproducible", pred.GetRunDetails().GetMetadata())
	}
}

func TestMinimal(t *testing.T) {
	// A single-platform pypi image on scratch from a repository without a
	// remote: no platform subjects, no base, no go version, no source URI.
	in := input()
	in.Image.Manifests = nil
	in.Base = nil
	in.GoVersion = ""
	in.Source = Source{Commit: commit}
	in.Platforms = []string{"linux/amd64"}
	b, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Subject   []json.RawMessage `json:"subject"`
		Predicate struct {
			BuildDefinition struct {
				ResolvedDependencies []map[string]any `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Builder struct {
					Version map[string]string `json:"version"`
				} `json:"builder"`
			} `json:"runDetails"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Subject) != 1 {
		t.Errorf("%d subjects", len(doc.Subject))
	}
	deps := doc.Predicate.BuildDefinition.ResolvedDependencies
	if len(deps) != 3 || deps[0]["uri"] != nil {
		t.Errorf("resolved dependencies %v", deps)
	}
	if v := doc.Predicate.RunDetails.Builder.Version; len(v) != 1 {
		t.Errorf("builder version %v", v)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Input)
		want string
	}{
		{"digest", func(in *Input) { in.Image.Digest = "sha256:abc" }, `image digest "sha256:abc"`},
		{"manifest", func(in *Input) { in.Image.Manifests[1].Digest = "" }, `platform manifest "linux/arm64/v8"`},
		{"commit", func(in *Input) { in.Source.Commit = "HEAD" }, `source commit "HEAD"`},
		{"platforms", func(in *Input) { in.Platforms = nil }, "no platforms"},
		{"lockfile", func(in *Input) { in.Lockfiles[0].SHA256 = "h1:x" }, `lockfile "lockfiles/go.txt"`},
		{"base", func(in *Input) { in.Base.Digest = "latest" }, `base image "docker.io/library/alpine"`},
		{"dist", func(in *Input) { in.DistVersion = "" }, "dist version"},
		{"epoch", func(in *Input) { in.SourceDateEpoch = -1 }, "before 1970"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := input()
			tc.edit(&in)
			_, err := Generate(in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
