package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// LoadSigningKey reads an OpenPGP secret key for signing tags: either the
// armored key itself (what DIST_SIGNING_KEY usually holds in CI) or the
// path of a file with the armored or binary key, as `gpg --export-secret-keys`
// writes it. The first key able to sign is used; a passphrase-protected
// one is decrypted with passphrase. Errors never quote the key.
func LoadSigningKey(pathOrArmored string, passphrase []byte) (*openpgp.Entity, error) {
	data := []byte(pathOrArmored)
	source := "the signing key"
	if !strings.Contains(pathOrArmored, "-----BEGIN PGP") {
		b, err := os.ReadFile(pathOrArmored)
		if err != nil {
			return nil, fmt.Errorf("read signing key: %w", err)
		}
		data, source = b, pathOrArmored
	}
	var ring openpgp.EntityList
	var err error
	if bytes.Contains(data, []byte("-----BEGIN PGP")) {
		ring, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not an OpenPGP key: %w", source, err)
	}
	now := time.Now()
	for _, e := range ring {
		k, ok := e.SigningKey(now)
		if !ok || k.PrivateKey == nil || k.PrivateKey.Dummy() {
			continue
		}
		if k.PrivateKey.Encrypted {
			if len(passphrase) == 0 {
				return nil, fmt.Errorf("%s is protected by a passphrase and none was given", source)
			}
			if err := e.DecryptPrivateKeys(passphrase); err != nil {
				return nil, fmt.Errorf("%s: wrong passphrase", source)
			}
		}
		return e, nil
	}
	return nil, errors.New(source + " holds no secret key that can sign (was it exported with --export-secret-keys?)")
}
