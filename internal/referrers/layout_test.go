package referrers

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layoutWithIndex writes a two-platform image index into a new layout and
// returns the layout's directory, the index digest and a platform
// manifest's digest.
func layoutWithIndex(t *testing.T) (string, v1.Hash, v1.Hash) {
	t.Helper()
	dir := t.TempDir()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var platform v1.Hash
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
		if platform.Hex == "" {
			if platform, err = img.Digest(); err != nil {
				t.Fatal(err)
			}
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1.0"})); err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return dir, d, platform
}

func TestLayout(t *testing.T) {
	dir, subject, platform := layoutWithIndex(t)

	sb, err := WriteLayout(dir, subject, sbomArtifact)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := WriteLayout(dir, subject, provenanceArtifact)
	if err != nil {
		t.Fatal(err)
	}
	// Writing again replaces the entry instead of adding one.
	if again, err := WriteLayout(dir, subject, sbomArtifact); err != nil || again.Digest != sb.Digest {
		t.Fatalf("second write: %v, %v", again, err)
	}
	// A platform manifest inside the index can be a subject too.
	onPlatform, err := WriteLayout(dir, platform, provenanceArtifact)
	if err != nil {
		t.Fatal(err)
	}

	rs, err := ListLayout(dir, subject)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Digest != sb.Digest || rs[1].Digest != pr.Digest ||
		rs[0].ArtifactType != "application/spdx+json" || rs[1].ArtifactType != "application/vnd.in-toto+json" {
		t.Fatalf("referrers %+v", rs)
	}
	if rs[0].Annotations["org.opencontainers.image.created"] != "2023-11-14T22:13:20Z" {
		t.Errorf("annotations %v", rs[0].Annotations)
	}
	got, err := FetchLayout(dir, rs[0])
	if err != nil || !bytes.Equal(got, sbomArtifact.Data) {
		t.Errorf("FetchLayout: %q, %v", got, err)
	}
	prs, err := ListLayout(dir, platform)
	if err != nil || len(prs) != 1 || prs[0].Digest != onPlatform.Digest {
		t.Errorf("referrers of the platform manifest: %+v, %v", prs, err)
	}

	// index.json: the image's entry is kept, each referrer is listed
	// once with its artifactType, and go-containerregistry still reads
	// the layout and every blob in it.
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 4 || idx.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "1.0" {
		t.Fatalf("index.json:\n%s", raw)
	}
	for _, d := range idx.Manifests[1:] {
		if d.ArtifactType == "" || d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("referrer entry %+v", d)
		}
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	img, err := ii.Image(idx.Manifests[1].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject == nil || m.Subject.Digest != subject || m.Subject.MediaType != types.OCIImageIndex {
		t.Errorf("subject %+v", m.Subject)
	}
}

func TestLayoutErrors(t *testing.T) {
	dir, _, _ := layoutWithIndex(t)
	missing := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("9", 64)}
	if _, err := WriteLayout(dir, missing, sbomArtifact); err == nil || !strings.Contains(err.Error(), "the layout has no image") {
		t.Errorf("unknown subject: %v", err)
	}
	if _, err := WriteLayout(t.TempDir(), missing, sbomArtifact); err == nil || !strings.Contains(err.Error(), "is not an OCI layout") {
		t.Errorf("not a layout: %v", err)
	}
	if rs, err := ListLayout(dir, missing); err != nil || len(rs) != 0 {
		t.Errorf("referrers of an unknown subject: %v, %v", rs, err)
	}
}
