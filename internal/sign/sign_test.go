package sign

import (
	"crypto"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/distbuild/dist/internal/testenv/registry"
)

func pushImage(t *testing.T, ref string, platforms ...string) name.Digest {
	t.Helper()
	d := registry.PushRandomImage(t, ref, platforms...)
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r.Context().Digest(d)
}

func TestSign(t *testing.T) {
	host := registry.StartInProcess(t)
	image := pushImage(t, host+"/dist/app:1.0")
	key, other := newKey(t), newKey(t)

	tag, err := name.NewTag(host+"/dist/app:1.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Sign(tag, key)
	if err != nil {
		t.Fatal(err)
	}
	if res.Image.String() != image.String() || res.AlreadySigned {
		t.Errorf("signed %s (already %v), want %s", res.Image, res.AlreadySigned, image)
	}
	wantTag := host + "/dist/app:sha256-" + image.DigestStr()[len("sha256:"):] + ".sig"
	if res.SignatureTag.String() != wantTag {
		t.Errorf("signature tag %s, want %s", res.SignatureTag, wantTag)
	}
	wantPayload := `{"critical":{"identity":{"docker-reference":"` + host + `/dist/app"},"image":{"docker-manifest-digest":"` +
		image.DigestStr() + `"},"type":"cosign container image signature"},"optional":null}`
	if string(res.Payload) != wantPayload {
		t.Errorf("payload\n%s\nwant\n%s", res.Payload, wantPayload)
	}

	// The signature image, read back as cosign reads it.
	img, err := remote.Image(res.SignatureTag)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 {
		t.Fatalf("signature manifest %+v", m)
	}
	l := m.Layers[0]
	if l.MediaType != SimpleSigningMediaType || l.Annotations[SignatureAnnotation] != res.Signature {
		t.Errorf("signature layer %+v", l)
	}
	if _, err := base64.StdEncoding.DecodeString(res.Signature); err != nil {
		t.Errorf("signature %q: %v", res.Signature, err)
	}

	if _, err := Verify(image, key.Public()); err != nil {
		t.Error(err)
	}
	if _, err := Verify(image, other.Public()); err == nil || !strings.Contains(err.Error(), "no signature") {
		t.Errorf("verified under another key: %v", err)
	}

	// Signing again with the same key adds nothing; another key appends.
	again, err := Sign(image, key)
	if err != nil || !again.AlreadySigned {
		t.Errorf("second signature: %+v, %v", again, err)
	}
	if _, err := Sign(image, other); err != nil {
		t.Fatal(err)
	}
	n, err := Verify(image, other.Public())
	if err != nil || n != 2 {
		t.Errorf("after a second key: %d layers, %v", n, err)
	}
	if _, err := Verify(image, key.Public()); err != nil {
		t.Errorf("the first signature was lost: %v", err)
	}
}

// TestPreview: the preview names the digest and the signature tag Sign
// pushes to, and pushes nothing.
func TestPreview(t *testing.T) {
	host := registry.StartInProcess(t)
	image := pushImage(t, host+"/dist/app:1.0")
	key := newKey(t)
	tag, _ := name.NewTag(host+"/dist/app:1.0", name.Insecure)
	res, err := Preview(tag, key)
	if err != nil {
		t.Fatal(err)
	}
	if res.Image.String() != image.String() || res.SignatureTag.String() != SignatureTag(image).String() || res.AlreadySigned {
		t.Errorf("preview %+v", res)
	}
	if _, err := remote.Head(res.SignatureTag); err == nil {
		t.Fatal("the preview pushed a signature")
	}
	if _, err := Sign(tag, key); err != nil {
		t.Fatal(err)
	}
	if again, err := Preview(tag, key); err != nil || !again.AlreadySigned {
		t.Errorf("preview after signing: %+v, %v", again, err)
	}
}

func TestSignMissingImage(t *testing.T) {
	host := registry.StartInProcess(t)
	ref, _ := name.NewTag(host+"/dist/none:1.0", name.Insecure)
	if _, err := Sign(ref, newKey(t)); err == nil || !strings.Contains(err.Error(), "dist/none:1.0") {
		t.Errorf("error %v", err)
	}
}

// TestCosignVerifies checks dist's signatures with the real cosign, in
// go-containerregistry's registry and in distribution 2.8: a signature by
// an unencrypted key, by a key cosign generated and encrypted, on a
// multi-platform index, appended to a signature cosign made, and that a
// signature is refused under another key.
func TestCosignVerifies(t *testing.T) {
	cosign, err := exec.LookPath("cosign")
	if err != nil {
		msg := "cosign not in PATH (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI must install it")
		}
		t.Skip(msg)
	}
	t.Run("in-process", func(t *testing.T) { testCosign(t, cosign, registry.StartInProcess(t)) })
	t.Run("distribution", func(t *testing.T) { testCosign(t, cosign, registry.StartDistribution(t, registry.Options{}).Host) })
}

func testCosign(t *testing.T, cosign, host string) {
	dir := t.TempDir()
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(cosign, args...)
		cmd.Dir = dir
		// A HOME of its own keeps cosign's TUF cache and config out of the
		// user's.
		cmd.Env = append(os.Environ(), "HOME="+dir, "COSIGN_PASSWORD=")
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	verify := func(pub, ref string) (string, error) {
		return run(nil, "verify", "--key", pub, "--insecure-ignore-tlog=true", "--allow-http-registry", "--output", "json", ref)
	}
	writePub := func(name string, pub crypto.PublicKey) string {
		b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	key, other := newKey(t), newKey(t)
	pub := writePub("dist.pub", key.Public())
	otherPub := writePub("other.pub", other.Public())

	// An unencrypted key; then refused under another key.
	image := pushImage(t, host+"/dist/plain:1.0")
	if _, err := Sign(image, key); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(pub, image.String()); err != nil {
		t.Fatalf("cosign verify: %v\n%s", err, out)
	} else if !strings.Contains(out, image.DigestStr()) {
		t.Errorf("cosign verify output lacks the digest:\n%s", out)
	}
	if out, err := verify(otherPub, image.String()); err == nil {
		t.Errorf("cosign verify accepted the signature under another key:\n%s", out)
	}

	// A multi-platform index, signed through its tag.
	multi, err := name.NewTag(host+"/dist/multi:1.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	pushImage(t, multi.String(), "linux/amd64", "linux/arm64")
	if _, err := Sign(multi, key); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(pub, multi.String()); err != nil {
		t.Fatalf("cosign verify of an index: %v\n%s", err, out)
	}

	// A key cosign generated and encrypted.
	if out, err := run([]string{"COSIGN_PASSWORD=correct horse"}, "generate-key-pair"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	cosignKey, err := LoadKeyFile(filepath.Join(dir, "cosign.key"), []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	enc := pushImage(t, host+"/dist/encrypted:1.0")
	if _, err := Sign(enc, cosignKey); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(filepath.Join(dir, "cosign.pub"), enc.String()); err != nil {
		t.Fatalf("cosign verify with cosign's key: %v\n%s", err, out)
	}

	// cosign signs first; dist appends; both signatures verify.
	both := pushImage(t, host+"/dist/both:1.0")
	if out, err := run([]string{"COSIGN_PASSWORD=correct horse"}, "sign", "--key", "cosign.key", "--tlog-upload=false",
		"--allow-http-registry", "--yes", both.String()); err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	if _, err := Sign(both, key); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pub, filepath.Join(dir, "cosign.pub")} {
		if out, err := verify(p, both.String()); err != nil {
			t.Errorf("cosign verify --key %s after appending: %v\n%s", filepath.Base(p), err, out)
		}
	}
	if n, err := Verify(both, key.Public()); err != nil || n != 2 {
		t.Errorf("dist's signature beside cosign's: %d layers, %v", n, err)
	}
}
