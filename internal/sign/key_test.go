package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadKey(t *testing.T) {
	k := newKey(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	// The encrypted format as cosign generate-key-pair writes it, made
	// with the same sigstore code cosign calls.
	encrypted, _, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte("s3cret")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(encrypted), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----") {
		t.Fatalf("encrypted key:\n%s", encrypted)
	}
	emptyPassword, _, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte{}))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)

	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	for _, tc := range []struct {
		name     string
		pem      []byte
		password []byte
		want     string // error substring; "" for success
		same     bool   // the key is k
	}{
		{name: "pkcs8", pem: pemOf("PRIVATE KEY", pkcs8), same: true},
		{name: "sec1", pem: pemOf("EC PRIVATE KEY", sec1), same: true},
		{name: "pkcs8 ignores a password", pem: pemOf("PRIVATE KEY", pkcs8), password: []byte("x"), same: true},
		{name: "encrypted", pem: encrypted, password: []byte("s3cret")},
		{name: "encrypted empty password", pem: emptyPassword, password: []byte{}},
		{name: "encrypted no password", pem: encrypted, want: "the key is encrypted; set COSIGN_PASSWORD"},
		{name: "encrypted wrong password", pem: encrypted, password: []byte("nope"), want: "wrong COSIGN_PASSWORD"},
		{name: "rsa", pem: pemOf("PRIVATE KEY", rsaDER), want: "*rsa.PrivateKey key: an ECDSA P-256 key is needed"},
		{name: "p384", pem: pemOf("PRIVATE KEY", p384DER), want: "ECDSA P-384 key: P-256 is needed"},
		{name: "not pem", pem: []byte("hello"), want: "no PEM-encoded private key"},
		{name: "public key", pem: pemOf("PUBLIC KEY", []byte{1}), want: "PUBLIC KEY: unknown private key PEM file type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadKey(tc.pem, tc.password)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				if tc.password != nil && strings.Contains(err.Error(), string(tc.password)) {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.same && !got.Equal(k) {
				t.Error("a different key")
			}
		})
	}
}

func TestLoadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(path, nil); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("error %v does not name the file", err)
	}
}
