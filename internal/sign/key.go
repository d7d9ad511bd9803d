package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// encryptedTypes are the PEM block types of cosign's encrypted keys
// (scrypt + NaCl secretbox, go-securesystemslib's "encrypted" package):
// cosign 2 writes the first, cosign 1 wrote the second.
var encryptedTypes = map[string]bool{
	"ENCRYPTED SIGSTORE PRIVATE KEY": true,
	"ENCRYPTED COSIGN PRIVATE KEY":   true,
}

// LoadKeyFile reads the private key at path; see LoadKey. Errors name the
// file.
func LoadKeyFile(path string, password []byte) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := LoadKey(b, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadKey parses an ECDSA P-256 private key from PEM: unencrypted PKCS#8
// ("PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY"), or cosign's encrypted format
// ("ENCRYPTED SIGSTORE PRIVATE KEY", as `cosign generate-key-pair` writes
// it), decrypted with password. A nil password means none was given (the
// CLI passes COSIGN_PASSWORD when it is set, even empty, since cosign
// allows an empty password). Parsing and decryption are sigstore's
// cryptoutils.UnmarshalPEMToPrivateKey. Other key types and curves are
// refused: cosign's keys, and the signatures dist writes, are P-256.
func LoadKey(pemBytes []byte, password []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM-encoded private key")
	}
	var pf cryptoutils.PassFunc
	if encryptedTypes[block.Type] {
		if password == nil {
			return nil, errors.New("the key is encrypted; set COSIGN_PASSWORD to its password")
		}
		pf = cryptoutils.StaticPasswordFunc(password)
	}
	k, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, pf)
	if err != nil {
		if encryptedTypes[block.Type] {
			// The secretbox fails the same way for a wrong password
			// and for damaged bytes; the password is the usual cause.
			return nil, errors.New("cannot decrypt the key: wrong COSIGN_PASSWORD, or a damaged key")
		}
		return nil, fmt.Errorf("%s: %w", block.Type, err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key: an ECDSA P-256 key is needed (cosign generate-key-pair makes one)", k)
	}
	if ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("an ECDSA %s key: P-256 is needed (cosign generate-key-pair makes one)", ec.Curve.Params().Name)
	}
	return ec, nil
}
