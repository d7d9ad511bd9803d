package referrers

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distbuild/dist/internal/testenv/registry"
)

var (
	sbomArtifact = Artifact{
		ArtifactType: "application/spdx+json",
		Data:         []byte(`{"spdxVersion":"SPDX-2.3"}` + "\n"),
		FileName:     "sbom.spdx.json",
		Annotations:  map[string]string{"org.opencontainers.image.created": "2023-11-14T22:13:20Z"},
	}
	provenanceArtifact = Artifact{
		ArtifactType: "application/vnd.in-toto+json",
		Data:         []byte(`{"_type":"https://in-toto.io/Statement/v1"}` + "\n"),
	}
)

// TestInProcessTagFallback uses go-containerregistry's registry as
// registry.StartInProcess serves it, without the referrers API.
func TestInProcessTagFallback(t *testing.T) {
	host := registry.StartInProcess(t)
	testRegistry(t, host, true)
}

// TestReferrersAPI uses go-containerregistry's registry with its referrers
// API turned on: no fallback tag may appear.
func TestReferrersAPI(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(
		ggcrregistry.Logger(log.New(io.Discard, "", 0)),
		ggcrregistry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	testRegistry(t, strings.TrimPrefix(srv.URL, "http://"), false)
}

// TestDistribution28 uses the CNCF distribution registry 2.8, which has no
// referrers API and so needs the tag schema.
func TestDistribution28(t *testing.T) {
	reg := registry.StartDistribution(t, registry.Options{})
	testRegistry(t, reg.Host, true)
}

func testRegistry(t *testing.T, host string, wantTag bool) {
	for _, platforms := range [][]string{nil, {"linux/amd64", "linux/arm64"}} {
		ref := host + "/dist/app:1.0"
		if platforms != nil {
			ref = host + "/dist/multi:1.0"
		}
		d := registry.PushRandomImage(t, ref, platforms...)
		subject, err := name.NewDigest(strings.Split(ref, ":1.0")[0]+"@"+d, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}

		if rs, err := List(subject); err != nil || len(rs) != 0 {
			t.Fatalf("before attaching: %v, %v", rs, err)
		}
		sb, err := Push(subject, sbomArtifact)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := Push(subject, provenanceArtifact)
		if err != nil {
			t.Fatal(err)
		}
		// Attaching the same artifact again changes nothing.
		if again, err := Push(subject, sbomArtifact); err != nil || again.Digest != sb.Digest {
			t.Fatalf("second push: %v, %v", again, err)
		}

		rs, err := List(subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 || rs[0].Digest != sb.Digest || rs[1].Digest != pr.Digest {
			t.Fatalf("referrers %+v, want %s then %s", rs, sb.Digest, pr.Digest)
		}
		if rs[0].ArtifactType != "application/spdx+json" || rs[1].ArtifactType != "application/vnd.in-toto+json" {
			t.Errorf("artifact types %q %q", rs[0].ArtifactType, rs[1].ArtifactType)
		}
		if rs[0].Annotations["org.opencontainers.image.created"] != "2023-11-14T22:13:20Z" || rs[0].MediaType != string(types.OCIManifestSchema1) {
			t.Errorf("sbom referrer %+v", rs[0])
		}
		for _, tc := range []struct {
			r    Referrer
			want []byte
		}{{rs[0], sbomArtifact.Data}, {rs[1], provenanceArtifact.Data}} {
			got, err := Fetch(subject.Context(), tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("fetched %q, want %q", got, tc.want)
			}
		}

		tag := subject.Context().Tag(strings.Replace(d, ":", "-", 1))
		_, err = remote.Get(tag)
		if wantTag && err != nil {
			t.Errorf("fallback tag %s: %v", tag, err)
		}
		if !wantTag && err == nil {
			t.Errorf("fallback tag %s exists on a registry with the referrers API", tag)
		}
		checkWithCrane(t, subject, sb, wantTag)
	}
}

// checkWithCrane reads what Push wrote with another client, when crane is
// installed: the referrer manifest names the subject, and the fallback tag
// lists the referrer.
func checkWithCrane(t *testing.T, subject name.Digest, r Referrer, wantTag bool) {
	crane, err := exec.LookPath("crane")
	if err != nil {
		t.Log("crane not in PATH; skipping the check with crane")
		return
	}
	out, err := exec.Command(crane, "manifest", subject.Context().Digest(r.Digest).String()).Output()
	if err != nil {
		t.Fatalf("crane manifest: %v", err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("crane manifest: %v\n%s", err, out)
	}
	if m.Subject == nil || m.Subject.Digest.String() != subject.DigestStr() || m.ArtifactType != r.ArtifactType ||
		m.Config.MediaType != EmptyMediaType || len(m.Layers) != 1 || m.Layers[0].Annotations[TitleAnnotation] != "sbom.spdx.json" {
		t.Errorf("crane manifest of the referrer:\n%s", out)
	}
	if !wantTag {
		return
	}
	tag := subject.Context().Tag(strings.Replace(subject.DigestStr(), ":", "-", 1))
	out, err = exec.Command(crane, "manifest", tag.String()).Output()
	if err != nil {
		t.Fatalf("crane manifest %s: %v", tag, err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(out, &idx); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range idx.Manifests {
		found = found || d.Digest.String() == r.Digest && d.ArtifactType == r.ArtifactType
	}
	if idx.MediaType != types.OCIImageIndex || len(idx.Manifests) != 2 || !found {
		t.Errorf("crane manifest %s:\n%s", tag, out)
	}
}

func TestImageIsReproducible(t *testing.T) {
	subject := v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: 123, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("1", 64)}}
	a, err := Image(subject, sbomArtifact)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Image(subject, sbomArtifact)
	if err != nil {
		t.Fatal(err)
	}
	ma, _ := a.RawManifest()
	mb, _ := b.RawManifest()
	if !bytes.Equal(ma, mb) {
		t.Fatalf("two manifests for the same artifact:\n%s\n%s", ma, mb)
	}
	want := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},` +
		`"layers":[{"mediaType":"application/spdx+json","size":27,"digest":"sha256:`
	if !strings.HasPrefix(string(ma), want) || !strings.Contains(string(ma), `"artifactType":"application/spdx+json"`) {
		t.Errorf("manifest:\n%s", ma)
	}
	if _, err := Image(subject, Artifact{Data: []byte("x")}); err == nil {
		t.Error("an artifact without a type was accepted")
	}
	if _, err := Image(v1.Descriptor{}, sbomArtifact); err == nil {
		t.Error("an empty subject was accepted")
	}
}
