// Package provenance writes the build provenance dist attaches to an image:
// an in-toto Statement v1 (https://github.com/in-toto/attestation/tree/main/spec/v1)
// whose predicate is SLSA Provenance v1 (https://slsa.dev/spec/v1.0/provenance),
// built with the in-toto/attestation Go types.
//
// # The dist image build type
//
// BuildType names what the predicate's parameters mean:
//
//   - externalParameters.source: {"repository": URL, "ref": the git ref built,
//     e.g. "refs/tags/14.3.0"}; the image is built from that ref's committed
//     files, never from a work tree.
//   - externalParameters.platforms: the platforms built ("linux/amd64", ...).
//   - externalParameters.sourceDateEpoch: SOURCE_DATE_EPOCH in seconds, the
//     time stamped on every layer entry and in the config; it changes the
//     image's bytes, so it is a parameter of the build.
//   - resolvedDependencies: the source at its commit ({"gitCommit": sha1}),
//     each lockfile with its sha256, and the base image by digest. With the
//     lockfiles' hashes these pin every byte that goes into the image.
//   - runDetails.builder.version: {"dist": its version, "go": the toolchain
//     that compiled a gomod server, when there is one}.
//
// runDetails.metadata is left out on purpose: startedOn and finishedOn are
// facts about one run, so stating real times would give two builds of the
// same commit different provenance, and stating SOURCE_DATE_EPOCH as them
// would be false (it is when the source was committed, not when the build
// ran). SOURCE_DATE_EPOCH is recorded as the parameter it is instead.
//
// The statement is reproducible: the same Input gives the same bytes.
package provenance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	packageurl "github.com/package-url/packageurl-go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	// MediaType is the media type of a statement; it is also the OCI
	// artifactType of the referrer that carries it.
	MediaType = "application/vnd.in-toto+json"
	// PredicateType is SLSA Provenance v1's.
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildType is dist's image build, described in the package comment.
	BuildType = "https://github.com/distbuild/dist/buildtypes/image/v1"
	// BuilderID names dist as the builder.
	BuilderID = "https://github.com/distbuild/dist"
)

// Input is everything the statement records. The caller fills it from the
// build it just did; nothing is read from the environment.
type Input struct {
	// Image is the built image: the statement's subjects.
	Image Image
	// Source is where the image was built from.
	Source Source
	// Platforms are the platforms built, "linux/amd64" style.
	Platforms []string
	// Lockfiles are the lockfiles the build read, by path in the repository.
	Lockfiles []Lockfile
	// Base is the pinned base image; nil for "scratch".
	Base *Base
	// DistVersion is dist's version, "0.4.0".
	DistVersion string
	// GoVersion is the toolchain that compiled a gomod server ("go1.26.8",
	// as runtime.Version and `go env GOVERSION` say); empty otherwise.
	GoVersion string
	// SourceDateEpoch is SOURCE_DATE_EPOCH, seconds since 1970 UTC.
	SourceDateEpoch int64
}

// Image is the image the statement is about.
type Image struct {
	// Name is the repository, "registry.example.org/kinto/kinto-dist".
	Name string
	// Digest is "sha256:<64 hex>" of what was pushed or written: the
	// index for a multi-platform image, else the manifest.
	Digest string
	// Manifests are an index's platform manifests; empty for a single
	// manifest.
	Manifests []Manifest
}

// Manifest is one platform's manifest in an index.
type Manifest struct {
	// Platform is "linux/arm64/v8" style.
	Platform string
	// Digest is "sha256:<64 hex>".
	Digest string
}

// Source is the git source of the build.
type Source struct {
	// Repository is a URL of the repository ("https://github.com/o/r");
	// empty when the repository has no remote. A local path should not
	// be given: it means nothing on another machine.
	Repository string
	// Ref is the ref built ("refs/tags/14.3.0"); empty when a commit was
	// built directly.
	Ref string
	// Commit is the 40-hex commit built; required.
	Commit string
}

// Lockfile is one lockfile the build read.
type Lockfile struct {
	// Path is the lockfile's slash-separated path in the repository.
	Path string
	// SHA256 is the hex sha256 of its bytes at Source.Commit ("sha256:"
	// prefix accepted).
	SHA256 string
}

// Base is the base image as pinned in the oci lockfile.
type Base struct {
	// Name is the repository, "docker.io/library/python".
	Name string
	// Tag is the pinned tag; optional.
	Tag string
	// Digest is "sha256:<64 hex>".
	Digest string
}

var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	hexRE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// Generate returns the in-toto statement for in as JSON, indented by two
// spaces and ending in a newline. Errors name the field that is wrong.
func Generate(in Input) ([]byte, error) {
	st, err := Statement(in)
	if err != nil {
		return nil, err
	}
	return marshal(st)
}

// Statement builds the in-toto statement Generate serializes. Subjects
// are the image (named by its repository) and then each platform manifest
// (the same name, annotated with its platform), in the order given.
// Resolved dependencies are the source, the lockfiles sorted by path, and
// the base image.
func Statement(in Input) (*intoto.Statement, error) {
	if err := validate(in); err != nil {
		return nil, err
	}
	subjects := []*intoto.ResourceDescriptor{{Name: in.Image.Name, Digest: digestSet(in.Image.Digest)}}
	for _, m := range in.Image.Manifests {
		ann, err := structpb.NewStruct(map[string]any{"platform": m.Platform})
		if err != nil {
			return nil, err
		}
		subjects = append(subjects, &intoto.ResourceDescriptor{Name: in.Image.Name, Digest: digestSet(m.Digest), Annotations: ann})
	}

	source := map[string]any{}
	if in.Source.Repository != "" {
		source["repository"] = in.Source.Repository
	}
	if in.Source.Ref != "" {
		source["ref"] = in.Source.Ref
	}
	platforms := make([]any, len(in.Platforms))
	for i, p := range in.Platforms {
		platforms[i] = p
	}
	external, err := structpb.NewStruct(map[string]any{
		"source":          source,
		"platforms":       platforms,
		"sourceDateEpoch": in.SourceDateEpoch,
	})
	if err != nil {
		return nil, err
	}

	deps := []*intoto.ResourceDescriptor{sourceDescriptor(in.Source)}
	lockfiles := append([]Lockfile(nil), in.Lockfiles...)
	sort.Slice(lockfiles, func(i, j int) bool { return lockfiles[i].Path < lockfiles[j].Path })
	for _, l := range lockfiles {
		deps = append(deps, &intoto.ResourceDescriptor{
			Name:   l.Path,
			Digest: map[string]string{"sha256": strings.TrimPrefix(l.SHA256, "sha256:")},
		})
	}
	if b := in.Base; b != nil {
		q := map[string]string{"repository_url": b.Name}
		name := b.Name + "@" + b.Digest
		if b.Tag != "" {
			q["tag"] = b.Tag
			name = b.Name + ":" + b.Tag + "@" + b.Digest
		}
		deps = append(deps, &intoto.ResourceDescriptor{
			Name: name,
			Uri: packageurl.NewPackageURL(packageurl.TypeOCI, "", b.Name[strings.LastIndex(b.Name, "/")+1:], b.Digest,
				packageurl.QualifiersFromMap(q), "").ToString(),
			Digest: digestSet(b.Digest),
		})
	}

	version := map[string]string{"dist": in.DistVersion}
	if in.GoVersion != "" {
		version["go"] = in.GoVersion
	}
	pred := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:            BuildType,
			ExternalParameters:   external,
			ResolvedDependencies: deps,
		},
		RunDetails: &slsa.RunDetails{
			Builder: &slsa.Builder{Id: BuilderID, Version: version},
		},
	}
	if err := pred.Validate(); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	predStruct, err := toStruct(pred)
	if err != nil {
		return nil, err
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       subjects,
		PredicateType: PredicateType,
		Predicate:     predStruct,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return st, nil
}

// sourceDescriptor is SLSA's usual form for a git source:
// "git+URL@REF" with the commit as a gitCommit digest.
func sourceDescriptor(s Source) *intoto.ResourceDescriptor {
	d := &intoto.ResourceDescriptor{Digest: map[string]string{"gitCommit": s.Commit}}
	if s.Repository != "" {
		uri := s.Repository
		if !strings.HasPrefix(uri, "git+") {
			uri = "git+" + uri
		}
		if s.Ref != "" {
			uri += "@" + s.Ref
		}
		d.Uri = uri
	}
	return d
}

func digestSet(d string) map[string]string {
	return map[string]string{"sha256": strings.TrimPrefix(d, "sha256:")}
}

func validate(in Input) error {
	if in.Image.Name == "" {
		return errors.New("provenance: image name is empty")
	}
	if !digestRE.MatchString(in.Image.Digest) {
		return fmt.Errorf("provenance: image digest %q: want sha256:<64 hex digits>", in.Image.Digest)
	}
	for _, m := range in.Image.Manifests {
		if m.Platform == "" || !digestRE.MatchString(m.Digest) {
			return fmt.Errorf("provenance: platform manifest %q %q: want a platform and sha256:<64 hex digits>", m.Platform, m.Digest)
		}
	}
	if !commitRE.MatchString(in.Source.Commit) {
		return fmt.Errorf("provenance: source commit %q: want 40 hex digits", in.Source.Commit)
	}
	if len(in.Platforms) == 0 {
		return errors.New("provenance: no platforms")
	}
	for _, l := range in.Lockfiles {
		if l.Path == "" || !hexRE.MatchString(strings.TrimPrefix(l.SHA256, "sha256:")) {
			return fmt.Errorf("provenance: lockfile %q sha256 %q: want a path and 64 hex digits", l.Path, l.SHA256)
		}
	}
	if b := in.Base; b != nil && (b.Name == "" || !digestRE.MatchString(b.Digest)) {
		return fmt.Errorf("provenance: base image %q digest %q: want a name and sha256:<64 hex digits>", b.Name, b.Digest)
	}
	if in.DistVersion == "" {
		return errors.New("provenance: dist version is empty")
	}
	if in.SourceDateEpoch < 0 {
		return fmt.Errorf("provenance: SOURCE_DATE_EPOCH %d is before 1970", in.SourceDateEpoch)
	}
	return nil
}

// toStruct turns a message into the google.protobuf.Struct a statement's
// predicate is.
func toStruct(m proto.Message) (*structpb.Struct, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(b, s); err != nil {
		return nil, err
	}
	return s, nil
}

// marshal writes st as indented JSON. protojson orders fields as the proto
// declares them and map keys sorted, but deliberately varies its
// whitespace from run to run so that nobody depends on it; re-indenting
// with encoding/json drops that whitespace and makes the bytes stable.
func marshal(st *intoto.Statement) ([]byte, error) {
	b, err := protojson.Marshal(st)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
