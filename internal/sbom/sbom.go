// Package sbom writes the software bill of materials dist attaches to an
// image: an SPDX 2.3 JSON document (https://spdx.github.io/spdx-spec/v2.3/)
// built from what dist already knows exactly, the lockfile pins it
// installed and the base image it pinned, rather than from scanning the
// image's files the way syft does.
//
// The document is reproducible: the same Input gives the same bytes. The
// creation time is the caller's (SOURCE_DATE_EPOCH), packages and checksums
// are sorted, and the document namespace is derived from the input instead
// of from a random UUID.
package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	packageurl "github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/distbuild/dist/internal/pep508"
)

// MediaType is the media type of the document Generate writes; it is also
// the OCI artifactType of the referrer that carries it.
const MediaType = "application/spdx+json"

// NamespacePrefix starts every document namespace dist writes. SPDX asks for
// a URI unique to the document; the rest is derived from the input.
const NamespacePrefix = "https://github.com/distbuild/dist/spdx/"

// GoSumRefType is the SPDX external reference type (category OTHER) that
// carries a Go module's "h1:" hash. SPDX checksums name one algorithm over
// one file's bytes; h1: is SHA-256 over a sorted list of the SHA-256 of every
// file in the module zip (golang.org/x/mod/sumdb/dirhash), so stating it as a
// SHA256 checksum would be wrong, and SPDX 2.3 has no algorithm for it.
const GoSumRefType = "go-sum-h1"

// Input is everything the document states. The caller fills it from
// release.json and the lockfiles; nothing here is read from the image.
type Input struct {
	// Image is the image the document describes.
	Image Image
	// Base is the pinned base image; nil for a "scratch" image.
	Base *Base
	// Pins are the installed lockfile entries (oci pins are the Base, not
	// pins). Order does not matter; the same pin given twice is merged.
	Pins []Pin
	// ToolVersion is dist's own version ("0.4.0"), named as the creator
	// "Tool: dist-0.4.0" and as the build tool package.
	ToolVersion string
	// Created is the document's creation time, normally SOURCE_DATE_EPOCH;
	// it is written in UTC to the second and must not be zero.
	Created time.Time
}

// Image names the image the document describes.
type Image struct {
	// Name is the repository, "registry.example.org/kinto/kinto-dist".
	Name string
	// Version is the release version ("14.3.0"); optional.
	Version string
	// Digest is "sha256:<64 hex>" of the image manifest or index.
	Digest string
}

// Base is the base image, as pinned in the oci lockfile.
type Base struct {
	// Name is the repository, "docker.io/library/python".
	Name string
	// Tag is the pinned tag ("3.12-slim"); optional.
	Tag string
	// Digest is "sha256:<64 hex>" of the base's index or manifest.
	Digest string
}

// Pin is one installed package.
type Pin struct {
	// Ecosystem is "pypi" or "gomod".
	Ecosystem string
	// Name is the project name (pypi) or the module path (gomod).
	Name string
	// Version is the PEP 440 version (pypi) or "vX.Y.Z" (gomod).
	Version string
	// Hashes are the pin's checksums as lockfiles write them: for pypi
	// "sha256:<hex>" of the installed wheel, or of every file the lockfile
	// allows when which one was installed is not known ("sha384:" and
	// "sha512:" are accepted too); for gomod the "h1:<base64>" of go.sum.
	Hashes []string
	// License is what the package's metadata states: an SPDX license
	// expression (core metadata License-Expression, "MIT OR Apache-2.0"),
	// or free text (License, a classifier), which is then carried as an
	// extracted LicenseRef. Empty means the metadata states none.
	License string
}

// Generate returns the SPDX 2.3 JSON document for in, indented by two
// spaces and ending in a newline. Errors name the field that is wrong: an
// image digest that is not sha256, an unknown ecosystem, a hash the
// ecosystem does not use, a zero Created.
func Generate(in Input) ([]byte, error) {
	doc, err := Document(in)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := spdxjson.Write(doc, &b, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Document builds the SPDX document Generate serializes.
//
// Its packages are the image (SPDXRef-Image, purpose CONTAINER), the base
// image (SPDXRef-BaseImage, the image DESCENDANT_OF it), dist
// (SPDXRef-Tool-dist, BUILD_TOOL_OF the image) and one package per pin,
// sorted by ecosystem, name and version, each CONTAINED in the image. Every
// package has its purl as a PACKAGE-MANAGER external reference.
func Document(in Input) (*spdx.Document, error) {
	if err := validate(in); err != nil {
		return nil, err
	}
	pins, err := mergePins(in.Pins)
	if err != nil {
		return nil, err
	}
	in.Pins = pins

	imageID := common.ElementID("Image")
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    common.ElementID("DOCUMENT"),
		DocumentName:      in.Image.Name + "@" + in.Image.Digest,
		DocumentNamespace: namespace(in),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "dist-" + in.ToolVersion}},
			Created:  in.Created.UTC().Format("2006-01-02T15:04:05Z"),
		},
	}
	rel := func(a common.ElementID, kind string, b common.ElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.DocElementID{ElementRefID: a},
			RefB:         common.DocElementID{ElementRefID: b},
			Relationship: kind,
		})
	}

	doc.Packages = append(doc.Packages, imagePackage(imageID, in.Image))
	rel(doc.SPDXIdentifier, common.TypeRelationshipDescribe, imageID)

	if in.Base != nil {
		id := common.ElementID("BaseImage")
		doc.Packages = append(doc.Packages, basePackage(id, *in.Base))
		rel(imageID, common.TypeRelationshipDescendantOf, id)
	}

	toolID := common.ElementID("Tool-dist")
	doc.Packages = append(doc.Packages, &spdx.Package{
		PackageName:             "dist",
		PackageSPDXIdentifier:   toolID,
		PackageVersion:          in.ToolVersion,
		PackageDownloadLocation: "NOASSERTION",
		PackageHomePage:         "https://github.com/distbuild/dist",
		PrimaryPackagePurpose:   "APPLICATION",
		PackageComment:          "The tool that built the image and wrote this document.",
	})
	rel(toolID, common.TypeRelationshipBuildToolOf, imageID)

	licenses := map[string]*spdx.OtherLicense{}
	ids := map[common.ElementID]bool{}
	for _, p := range in.Pins {
		id := uniqueID(ids, "Package-"+p.Ecosystem+"-"+p.Name+"-"+p.Version)
		pkg, err := pinPackage(id, p, licenses)
		if err != nil {
			return nil, err
		}
		doc.Packages = append(doc.Packages, pkg)
		rel(imageID, common.TypeRelationshipContains, id)
	}
	refs := make([]string, 0, len(licenses))
	for ref := range licenses {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		doc.OtherLicenses = append(doc.OtherLicenses, licenses[ref])
	}
	return doc, nil
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func validate(in Input) error {
	if in.Image.Name == "" {
		return errors.New("sbom: image name is empty")
	}
	if !digestRE.MatchString(in.Image.Digest) {
		return fmt.Errorf("sbom: image digest %q: want sha256:<64 hex digits>", in.Image.Digest)
	}
	if in.Base != nil {
		if in.Base.Name == "" {
			return errors.New("sbom: base image name is empty")
		}
		if !digestRE.MatchString(in.Base.Digest) {
			return fmt.Errorf("sbom: base image %s digest %q: want sha256:<64 hex digits>", in.Base.Name, in.Base.Digest)
		}
	}
	if in.ToolVersion == "" {
		return errors.New("sbom: tool version is empty")
	}
	if in.Created.IsZero() {
		return errors.New("sbom: creation time is zero (pass SOURCE_DATE_EPOCH)")
	}
	return nil
}

// mergePins checks each pin, merges the same ecosystem/name/version given
// twice (a pin in two lockfiles), and sorts the result.
func mergePins(in []Pin) ([]Pin, error) {
	byKey := map[string]*Pin{}
	var keys []string
	for _, p := range in {
		if p.Ecosystem != "pypi" && p.Ecosystem != "gomod" {
			return nil, fmt.Errorf("sbom: pin %s==%s: ecosystem %q: want pypi or gomod", p.Name, p.Version, p.Ecosystem)
		}
		if p.Name == "" || p.Version == "" {
			return nil, fmt.Errorf("sbom: %s pin %q version %q: name and version are required", p.Ecosystem, p.Name, p.Version)
		}
		k := p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
		if p.Ecosystem == "pypi" {
			k = p.Ecosystem + "\x00" + pep508.NormalizeName(p.Name) + "\x00" + p.Version
		}
		old, ok := byKey[k]
		if !ok {
			c := p
			c.Hashes = append([]string(nil), p.Hashes...)
			byKey[k] = &c
			keys = append(keys, k)
			continue
		}
		old.Hashes = append(old.Hashes, p.Hashes...)
		if old.License == "" {
			old.License = p.License
		} else if p.License != "" && p.License != old.License {
			return nil, fmt.Errorf("sbom: %s pin %s==%s given twice with licenses %q and %q", p.Ecosystem, p.Name, p.Version, old.License, p.License)
		}
	}
	sort.Strings(keys)
	out := make([]Pin, 0, len(keys))
	for _, k := range keys {
		p := byKey[k]
		sort.Strings(p.Hashes)
		p.Hashes = dedupe(p.Hashes)
		out = append(out, *p)
	}
	return out, nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// namespace derives the document namespace from the whole input, so that
// two different documents never share one and the same input always gives
// the same one (SPDX 2.3 §6.5).
func namespace(in Input) string {
	canon, _ := json.Marshal(struct {
		Input
		Created int64
	}{in, in.Created.Unix()})
	id := uuid.NewSHA1(uuid.NameSpaceURL, append([]byte(NamespacePrefix), canon...))
	return NamespacePrefix + idSafe.ReplaceAllString(in.Image.Name, "-") + "-" + id.String()
}

func imagePackage(id common.ElementID, img Image) *spdx.Package {
	return containerPackage(id, img.Name, img.Version, img.Digest, "")
}

func basePackage(id common.ElementID, b Base) *spdx.Package {
	p := containerPackage(id, b.Name, b.Tag, b.Digest, b.Tag)
	p.PackageComment = "The base image, pinned by digest."
	return p
}

// containerPackage is an image as an SPDX package: its version as given,
// else its digest; the digest as its checksum and in its purl (with tag,
// when there is one).
func containerPackage(id common.ElementID, name, version, digest, tag string) *spdx.Package {
	if version == "" {
		version = digest
	}
	return &spdx.Package{
		PackageName:             name,
		PackageSPDXIdentifier:   id,
		PackageVersion:          version,
		PackageDownloadLocation: "NOASSERTION",
		PackageChecksums:        []common.Checksum{{Algorithm: common.SHA256, Value: strings.TrimPrefix(digest, "sha256:")}},
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  "NOASSERTION",
		PackageExternalReferences: []*spdx.PackageExternalReference{
			purlRef(ociPURL(name, digest, tag)),
		},
		PrimaryPackagePurpose: "CONTAINER",
	}
}

// ociPURL is the purl of an image (purl-spec's oci type): the last path
// element as the name, the digest as the version, the repository as
// repository_url.
func ociPURL(repo, digest, tag string) string {
	q := map[string]string{"repository_url": repo}
	if tag != "" {
		q["tag"] = tag
	}
	return packageurl.NewPackageURL(packageurl.TypeOCI, "", repo[strings.LastIndex(repo, "/")+1:], digest,
		packageurl.QualifiersFromMap(q), "").ToString()
}

func purlRef(purl string) *spdx.PackageExternalReference {
	return &spdx.PackageExternalReference{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: purl}
}

var spdxAlgorithms = map[string]common.ChecksumAlgorithm{
	"sha256": common.SHA256,
	"sha384": common.SHA384,
	"sha512": common.SHA512,
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

func pinPackage(id common.ElementID, p Pin, licenses map[string]*spdx.OtherLicense) (*spdx.Package, error) {
	pkg := &spdx.Package{
		PackageName:             p.Name,
		PackageSPDXIdentifier:   id,
		PackageVersion:          p.Version,
		PackageDownloadLocation: "NOASSERTION",
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  "NOASSERTION",
		PrimaryPackagePurpose:   "LIBRARY",
	}
	var purl string
	switch p.Ecosystem {
	case "pypi":
		// purl-spec's pypi type: the PEP 503 normalized name.
		purl = packageurl.NewPackageURL(packageurl.TypePyPi, "", pep508.NormalizeName(p.Name), p.Version, nil, "").ToString()
		for _, h := range p.Hashes {
			algo, value, _ := strings.Cut(h, ":")
			a, ok := spdxAlgorithms[algo]
			if !ok || !hexRE.MatchString(value) {
				return nil, fmt.Errorf("sbom: pypi pin %s==%s: hash %q: want sha256:<hex>", p.Name, p.Version, h)
			}
			pkg.PackageChecksums = append(pkg.PackageChecksums, common.Checksum{Algorithm: a, Value: value})
		}
	case "gomod":
		ns, name := "", p.Name
		if i := strings.LastIndex(p.Name, "/"); i >= 0 {
			ns, name = p.Name[:i], p.Name[i+1:]
		}
		purl = packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, p.Version, nil, "").ToString()
		for _, h := range p.Hashes {
			if !strings.HasPrefix(h, "h1:") {
				return nil, fmt.Errorf("sbom: gomod pin %s@%s: hash %q: want h1:<base64>", p.Name, p.Version, h)
			}
			pkg.PackageExternalReferences = append(pkg.PackageExternalReferences, &spdx.PackageExternalReference{
				Category: common.CategoryOther,
				RefType:  GoSumRefType,
				Locator:  h,
			})
		}
		if len(p.Hashes) > 0 {
			pkg.PackageComment = "The " + GoSumRefType + " reference is the module's go.sum hash (h1:, SHA-256 over the hashes of the module's files), which SPDX checksums cannot state."
		}
	}
	pkg.PackageExternalReferences = append([]*spdx.PackageExternalReference{purlRef(purl)}, pkg.PackageExternalReferences...)

	if lic := strings.TrimSpace(p.License); lic != "" {
		if validExpression(lic) {
			pkg.PackageLicenseDeclared = lic
		} else {
			// Free text is not an SPDX expression; SPDX carries it as an
			// extracted license named by a LicenseRef (§10.1).
			sum := sha256.Sum256([]byte(lic))
			ref := "LicenseRef-" + hex.EncodeToString(sum[:6])
			if _, ok := licenses[ref]; !ok {
				licenses[ref] = &spdx.OtherLicense{
					LicenseIdentifier: ref,
					ExtractedText:     lic,
					LicenseName:       licenseName(lic),
					LicenseComment:    "As stated in the package metadata, which gives no SPDX license expression.",
				}
			}
			pkg.PackageLicenseDeclared = ref
		}
	}
	return pkg, nil
}

// licenseName is a short name for free license text: its first line,
// capped, since a License field sometimes holds a whole license.
func licenseName(text string) string {
	name, _, _ := strings.Cut(text, "\n")
	name = strings.TrimSpace(name)
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	return name
}

var idSafe = regexp.MustCompile(`[^A-Za-z0-9.]+`)

// uniqueID makes an SPDX identifier (letters, digits, "." and "-") from
// s, numbering a second one that sanitizes to the same string.
func uniqueID(seen map[common.ElementID]bool, s string) common.ElementID {
	base := strings.Trim(idSafe.ReplaceAllString(s, "-"), "-")
	id := common.ElementID(base)
	for n := 2; seen[id]; n++ {
		id = common.ElementID(fmt.Sprintf("%s-%d", base, n))
	}
	seen[id] = true
	return id
}
