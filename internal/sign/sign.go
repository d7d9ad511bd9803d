// Package sign signs images the way cosign does with a key, so that
// `cosign verify --key` accepts the signatures: the simple-signing payload
// (https://github.com/containers/image/blob/main/docs/containers-signature.5.md,
// as cosign writes it) naming the image's manifest digest, an ECDSA P-256
// signature over the payload's SHA-256, and a layer holding the payload,
// with the base64 signature as its annotation, in the image tagged
// "sha256-<hex>.sig" beside the signed image. A signature already there is
// kept and the new one appended, as cosign does.
//
// The payload and signing primitives are sigstore's (pkg/signature); no
// cryptography is written here. Keyless signing (Fulcio certificates) and
// the Rekor transparency log are not done: `cosign verify` needs
// --insecure-ignore-tlog=true for these signatures.
package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

const (
	// SimpleSigningMediaType is the media type of a signature layer.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds a layer's base64 signature.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// TagSuffix ends the tag of a signature image.
	TagSuffix = ".sig"
)

// Result is what Sign did.
type Result struct {
	// Image is the signed image, repository@sha256:<hex>.
	Image name.Digest
	// SignatureTag is where the signatures are: repository:sha256-<hex>.sig.
	SignatureTag name.Tag
	// Payload is the signed simple-signing JSON.
	Payload []byte
	// Signature is the base64 ASN.1 ECDSA signature of Payload.
	Signature string
	// AlreadySigned is true when the tag already held a signature of the
	// same payload by the same key, so nothing was pushed.
	AlreadySigned bool
}

// Payload returns the simple-signing payload cosign signs for image:
// {"critical":{"identity":{"docker-reference":REPOSITORY},"image":
// {"docker-manifest-digest":DIGEST},"type":"cosign container image
// signature"},"optional":null}.
func Payload(image name.Digest) ([]byte, error) {
	return payload.Cosign{Image: image}.MarshalJSON()
}

// SignatureTag is the tag cosign keeps image's signatures under:
// "sha256-<hex>.sig" in the image's repository.
func SignatureTag(image name.Digest) name.Tag {
	return image.Context().Tag(strings.Replace(image.DigestStr(), ":", "-", 1) + TagSuffix)
}

// Sign signs the image ref names (a tag is resolved to its digest first;
// for a multi-platform image that is the index's digest, as cosign signs
// it) with key, and pushes the signature to SignatureTag, appending to the
// signatures there. opts are go-containerregistry's (authentication,
// transport, context).
func Sign(ref name.Reference, key *ecdsa.PrivateKey, opts ...remote.Option) (Result, error) {
	return sign(ref, key, true, opts)
}

// Preview is Sign without the push: it resolves ref to its digest, signs
// the payload and reads the signatures already at SignatureTag, so that
// the Result says what Sign would push where (nothing, when
// AlreadySigned). It writes nothing.
func Preview(ref name.Reference, key *ecdsa.PrivateKey, opts ...remote.Option) (Result, error) {
	return sign(ref, key, false, opts)
}

func sign(ref name.Reference, key *ecdsa.PrivateKey, push bool, opts []remote.Option) (Result, error) {
	desc, err := remote.Head(ref, opts...)
	if err != nil {
		return Result{}, fmt.Errorf("sign: %s: %w", ref, err)
	}
	image := ref.Context().Digest(desc.Digest.String())

	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		return Result{}, fmt.Errorf("sign: %w", err)
	}
	body, err := Payload(image)
	if err != nil {
		return Result{}, err
	}
	sig, err := sv.SignMessage(bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("sign: %w", err)
	}
	res := Result{Image: image, SignatureTag: SignatureTag(image), Payload: body, Signature: base64.StdEncoding.EncodeToString(sig)}

	base, err := existing(res.SignatureTag, opts)
	if err != nil {
		return Result{}, err
	}
	if done, err := signedBy(base, body, sv); err != nil {
		return Result{}, err
	} else if done {
		res.AlreadySigned = true
		return res, nil
	}
	if !push {
		return res, nil
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(body, SimpleSigningMediaType),
		Annotations: map[string]string{SignatureAnnotation: res.Signature},
	})
	if err != nil {
		return Result{}, fmt.Errorf("sign: %w", err)
	}
	if err := remote.Write(res.SignatureTag, img, opts...); err != nil {
		return Result{}, fmt.Errorf("sign: pushing %s: %w", res.SignatureTag, err)
	}
	return res, nil
}

// existing is the signature image at tag, or an empty one shaped as cosign
// makes it (an OCI manifest with an OCI config) when the tag does not
// exist.
func existing(tag name.Tag, opts []remote.Option) (v1.Image, error) {
	img, err := remote.Image(tag, opts...)
	if err == nil {
		return img, nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		return mutate.ConfigMediaType(base, types.OCIConfigJSON), nil
	}
	return nil, fmt.Errorf("sign: reading %s: %w", tag, err)
}

// signedBy reports whether img already holds a signature of body that
// verifies under sv's key: signing again would only add a duplicate (ECDSA
// signatures differ each time), which cosign avoids too.
func signedBy(img v1.Image, body []byte, sv signature.Verifier) (bool, error) {
	m, err := img.Manifest()
	if err != nil {
		return false, fmt.Errorf("sign: %w", err)
	}
	want, _, err := v1.SHA256(bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	for _, l := range m.Layers {
		if l.Digest != want {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		if err != nil {
			continue
		}
		if sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(body)) == nil {
			return true, nil
		}
	}
	return false, nil
}

// Verify checks that the signature image for image holds at least one
// signature by pub of a payload naming image's digest, as `cosign verify
// --key` does without a transparency log. It returns how many layers it
// checked and an error when none verifies.
func Verify(image name.Digest, pub crypto.PublicKey, opts ...remote.Option) (int, error) {
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return 0, fmt.Errorf("verify: %w", err)
	}
	tag := SignatureTag(image)
	img, err := remote.Image(tag, opts...)
	if err != nil {
		return 0, fmt.Errorf("verify: %s: %w", tag, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return 0, fmt.Errorf("verify: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return 0, fmt.Errorf("verify: %w", err)
	}
	for i, l := range layers {
		sig, err := base64.StdEncoding.DecodeString(m.Layers[i].Annotations[SignatureAnnotation])
		if err != nil {
			continue
		}
		rc, err := l.Compressed()
		if err != nil {
			return i, fmt.Errorf("verify: %w", err)
		}
		var body bytes.Buffer
		_, err = body.ReadFrom(rc)
		rc.Close()
		if err != nil {
			return i, fmt.Errorf("verify: %w", err)
		}
		if v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(body.Bytes())) != nil {
			continue
		}
		var p payload.Cosign
		if err := p.UnmarshalJSON(body.Bytes()); err != nil {
			continue
		}
		if p.Image.DigestStr() == image.DigestStr() {
			return len(layers), nil
		}
	}
	return len(layers), fmt.Errorf("verify: no signature in %s verifies under the key for %s", tag, image.DigestStr())
}
