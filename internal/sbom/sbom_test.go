package sbom

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/testenv/golden"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/spdxlib"
)

const (
	imageDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	baseDigest  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	alphaWheel  = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	alphaSdist  = "sha256:abababababababababababababababababababababababababababababababab"
	betaWheel   = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	httpbinSum  = "h1:Kx5HWVmTkeRtcDu8QrdUFJsu+UvHvmv1xl1K4fZQ5tY="
)

func kintoInput() Input {
	return Input{
		Image: Image{Name: "registry.example.org/kinto/kinto-dist", Version: "14.3.0", Digest: imageDigest},
		Base:  &Base{Name: "docker.io/library/python", Tag: "3.12-slim", Digest: baseDigest},
		Pins: []Pin{
			// Deliberately out of order, with one pin in two lockfiles.
			{Ecosystem: "pypi", Name: "Zope.Interface", Version: "6.0", Hashes: []string{betaWheel}, License: "ZPL 2.1"},
			{Ecosystem: "pypi", Name: "alpha", Version: "1.1.0", Hashes: []string{alphaWheel, alphaSdist}, License: "Apache-2.0 OR MIT"},
			{Ecosystem: "pypi", Name: "alpha", Version: "1.1.0", Hashes: []string{alphaWheel}},
			{Ecosystem: "pypi", Name: "beta", Version: "2.0.0", Hashes: []string{betaWheel}, License: "BSD License"},
			{Ecosystem: "gomod", Name: "github.com/mccutchen/go-httpbin/v2", Version: "v2.15.0", Hashes: []string{httpbinSum}, License: "MIT"},
		},
		ToolVersion: "0.4.0",
		Created:     time.Unix(1700000000, 0),
	}
}

func TestGenerateGolden(t *testing.T) {
	got, err := Generate(kintoInput())
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "kinto.spdx.json"), got)
}

func TestReproducible(t *testing.T) {
	in := kintoInput()
	a, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	// The same pins in another order, and the time in another zone.
	in.Pins = append([]Pin(nil), in.Pins...)
	for i, j := 0, len(in.Pins)-1; i < j; i, j = i+1, j-1 {
		in.Pins[i], in.Pins[j] = in.Pins[j], in.Pins[i]
	}
	in.Created = in.Created.In(time.FixedZone("X", 5*3600))
	b, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same input in another order gave other bytes")
	}

	// Anything else changes the namespace.
	in.Pins[0].Version = "9.9"
	c, err := Document(in)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := Document(kintoInput())
	if c.DocumentNamespace == d.DocumentNamespace {
		t.Errorf("different inputs share the namespace %s", c.DocumentNamespace)
	}
	if !strings.HasPrefix(d.DocumentNamespace, NamespacePrefix+"registry.example.org-kinto-kinto-dist-") {
		t.Errorf("namespace %s", d.DocumentNamespace)
	}
}

// TestParsesBack reads the document with the SPDX library, as a consumer
// would, and finds every pin with its purl and hashes.
func TestParsesBack(t *testing.T) {
	b, err := Generate(kintoInput())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spdxjson.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("version %s created %s", doc.SPDXVersion, doc.CreationInfo.Created)
	}
	if c := doc.CreationInfo.Creators; len(c) != 1 || c[0].CreatorType != "Tool" || c[0].Creator != "dist-0.4.0" {
		t.Errorf("creators %+v", c)
	}
	described, err := spdxlib.GetDescribedPackageIDs(doc)
	if err != nil || len(described) != 1 || described[0] != "Image" {
		t.Errorf("described %v, %v", described, err)
	}

	pkgs := map[string]*spdx.Package{}
	for _, p := range doc.Packages {
		pkgs[purl(p)] = p
	}
	for _, tc := range []struct {
		purl     string
		checksum []string
		other    string
		license  string
	}{
		{purl: "pkg:oci/kinto-dist@sha256:1111111111111111111111111111111111111111111111111111111111111111?repository_url=registry.example.org%2Fkinto%2Fkinto-dist",
			checksum: []string{imageDigest}, license: "NOASSERTION"},
		{purl: "pkg:oci/python@sha256:2222222222222222222222222222222222222222222222222222222222222222?repository_url=docker.io%2Flibrary%2Fpython&tag=3.12-slim",
			checksum: []string{baseDigest}, license: "NOASSERTION"},
		{purl: "pkg:pypi/alpha@1.1.0", checksum: []string{alphaWheel, alphaSdist}, license: "Apache-2.0 OR MIT"},
		{purl: "pkg:pypi/beta@2.0.0", checksum: []string{betaWheel}, license: "LicenseRef-"},
		{purl: "pkg:pypi/zope-interface@6.0", checksum: []string{betaWheel}, license: "LicenseRef-"},
		{purl: "pkg:golang/github.com/mccutchen/go-httpbin/v2@v2.15.0", other: httpbinSum, license: "MIT"},
	} {
		p := pkgs[tc.purl]
		if p == nil {
			t.Errorf("no package with purl %s", tc.purl)
			continue
		}
		var sums []string
		for _, c := range p.PackageChecksums {
			sums = append(sums, strings.ToLower(string(c.Algorithm))+":"+c.Value)
		}
		for _, want := range tc.checksum {
			if !contains(sums, want) {
				t.Errorf("%s: checksums %v lack %s", tc.purl, sums, want)
			}
		}
		if len(sums) != len(tc.checksum) {
			t.Errorf("%s: checksums %v, want %v", tc.purl, sums, tc.checksum)
		}
		if tc.other != "" {
			found := false
			for _, r := range p.PackageExternalReferences {
				found = found || r.Category == common.CategoryOther && r.RefType == GoSumRefType && r.Locator == tc.other
			}
			if !found {
				t.Errorf("%s: no %s reference %s", tc.purl, GoSumRefType, tc.other)
			}
		}
		if !strings.HasPrefix(p.PackageLicenseDeclared, tc.license) {
			t.Errorf("%s: license %q, want %q", tc.purl, p.PackageLicenseDeclared, tc.license)
		}
	}
	if len(doc.Packages) != 7 { // image, base, dist, 4 pins
		t.Errorf("%d packages", len(doc.Packages))
	}
	if len(doc.OtherLicenses) != 2 {
		t.Errorf("other licenses %+v", doc.OtherLicenses)
	}
	for _, l := range doc.OtherLicenses {
		if l.ExtractedText != "BSD License" && l.ExtractedText != "ZPL 2.1" {
			t.Errorf("extracted license %+v", l)
		}
	}
}

func TestScratchImage(t *testing.T) {
	in := kintoInput()
	in.Base = nil
	doc, err := Document(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Packages {
		if p.PackageSPDXIdentifier == "BaseImage" {
			t.Error("a scratch image has a base package")
		}
	}
	for _, r := range doc.Relationships {
		if r.Relationship == common.TypeRelationshipDescendantOf {
			t.Errorf("a scratch image descends from %v", r.RefB)
		}
	}
}

func TestUniqueIDs(t *testing.T) {
	in := kintoInput()
	// Two module paths that sanitize to the same identifier.
	in.Pins = []Pin{
		{Ecosystem: "gomod", Name: "example.org/a/b", Version: "v1.0.0"},
		{Ecosystem: "gomod", Name: "example.org/a_b", Version: "v1.0.0"},
	}
	doc, err := Document(in)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[common.ElementID]bool{}
	for _, p := range doc.Packages {
		if seen[p.PackageSPDXIdentifier] {
			t.Errorf("identifier %s used twice", p.PackageSPDXIdentifier)
		}
		seen[p.PackageSPDXIdentifier] = true
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Input)
		want string
	}{
		{"digest", func(in *Input) { in.Image.Digest = "sha256:abc" }, `image digest "sha256:abc"`},
		{"base digest", func(in *Input) { in.Base.Digest = "latest" }, `base image docker.io/library/python digest "latest"`},
		{"ecosystem", func(in *Input) { in.Pins[0].Ecosystem = "npm" }, `ecosystem "npm"`},
		{"pypi hash", func(in *Input) { in.Pins[1].Hashes = []string{"h1:abc="} }, `pypi pin alpha==1.1.0: hash "h1:abc="`},
		{"gomod hash", func(in *Input) { in.Pins[4].Hashes = []string{alphaWheel} }, `gomod pin github.com/mccutchen/go-httpbin/v2@v2.15.0: hash`},
		{"time", func(in *Input) { in.Created = time.Time{} }, "SOURCE_DATE_EPOCH"},
		{"tool", func(in *Input) { in.ToolVersion = "" }, "tool version"},
		{"licenses", func(in *Input) { in.Pins[2].License = "GPL-3.0-only" }, `licenses "Apache-2.0 OR MIT" and "GPL-3.0-only"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := kintoInput()
			tc.edit(&in)
			_, err := Generate(in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidExpression(t *testing.T) {
	for s, want := range map[string]bool{
		"MIT":                                  true,
		"Apache-2.0":                           true,
		"GPL-2.0+":                             true,
		"Apache-2.0 OR MIT":                    true,
		"(MIT OR Apache-2.0) AND BSD-3-Clause": true,
		"GPL-2.0-or-later WITH Classpath-exception-2.0": true,
		"LicenseRef-Proprietary":                        true,
		"DocumentRef-x:LicenseRef-y":                    true,
		"":                                              false,
		"BSD License":                                   false,
		"Apache 2.0":                                    false,
		"MIT or Apache-2.0":                             false,
		"(MIT":                                          false,
		"MIT AND":                                       false,
		"MIT WITH":                                      false,
		"Copyright (c) 2024 Someone":                    false,
		"x:LicenseRef-y":                                false,
	} {
		if got := validExpression(s); got != want {
			t.Errorf("validExpression(%q) = %v, want %v", s, got, want)
		}
	}
}

func purl(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r.RefType == common.TypePackageManagerPURL {
			return r.Locator
		}
	}
	return ""
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
