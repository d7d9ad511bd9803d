package cli

import (
	"crypto/ecdsa"
	"fmt"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/spf13/cobra"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/image"
	"github.com/distbuild/dist/internal/release"
	"github.com/distbuild/dist/internal/sign"
)

// PasswordEnv holds the password of an encrypted cosign key, as for cosign.
const PasswordEnv = "COSIGN_PASSWORD"

func newSignCmd(a *app) *cobra.Command {
	var keyFile string
	var insecure, dryRun bool
	cmd := &cobra.Command{
		Use:   "sign REF --key FILE [--dry-run]",
		Short: "Sign an image as cosign does, so that cosign verify --key accepts it",
		Long: `Sign the image REF names (HOST/REPO:TAG or HOST/REPO@DIGEST; for several
platforms, the index) the way cosign signs with a key: the simple-signing
payload, ECDSA P-256, pushed as the sha256-<hex>.sig tag beside the image,
after any signatures already there. FILE is an unencrypted PEM private key
(PKCS#8 or SEC 1) or a key from cosign generate-key-pair, decrypted with
$` + PasswordEnv + `. Keyless signing and the transparency log are not done:
verify with cosign verify --key PUB --insecure-ignore-tlog=true. --dry-run
resolves the digest and says what would be pushed where, pushing nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" {
				return failure.Usagef("--key FILE is required: the private key to sign with")
			}
			key, err := loadImageKey(keyFile)
			if err != nil {
				return err
			}
			res, err := image.Sign(cmd.Context(), a.http(), args[0], key, image.SignOptions{Insecure: insecure, DryRun: dryRun})
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			if res.DryRun && !res.AlreadySigned {
				fmt.Fprintf(a.stdout, "would sign %s (%s): would push the signature to %s\n", res.Reference, res.Digest, res.Signature)
				return nil
			}
			if res.AlreadySigned {
				fmt.Fprintf(a.stdout, "%s (%s) is already signed by this key in %s\n", res.Reference, res.Digest, res.Signature)
				return nil
			}
			fmt.Fprintf(a.stdout, "signed %s (%s): %s\n", res.Reference, res.Digest, res.Signature)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "private key `FILE`: PEM (PKCS#8, SEC 1) or cosign's encrypted format with $"+PasswordEnv)
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to any registry (loopback registries always may)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "resolve the digest and say what would be pushed where, pushing nothing")
	return cmd
}

// loadImageKey reads an image signing key, with $COSIGN_PASSWORD for an
// encrypted one (set and empty is a password too, as cosign has it). A key
// that cannot be read or decrypted is configuration: exit 2. Neither the
// key nor the password is ever in the message.
func loadImageKey(file string) (*ecdsa.PrivateKey, error) {
	var password []byte
	if pw, ok := os.LookupEnv(PasswordEnv); ok {
		password = []byte(pw)
	}
	key, err := sign.LoadKeyFile(file, password)
	if err != nil {
		return nil, failure.Usagef("signing key: %w", err)
	}
	return key, nil
}

// Where release finds the key it signs its tag with, when --sign-key is
// not given: the key (a path or the armored text), and its passphrase.
const (
	signingKeyEnv        = "DIST_SIGNING_KEY"
	signingPassphraseEnv = "DIST_SIGNING_PASSPHRASE"
)

// loadTagKey reads the OpenPGP key release signs its tag with: flag, else
// $DIST_SIGNING_KEY, with $DIST_SIGNING_PASSPHRASE for a protected one;
// nil for none. A key that cannot be read or unlocked is configuration:
// exit 2. Neither the key nor the passphrase is ever in the message.
func loadTagKey(flag string) (*openpgp.Entity, error) {
	key := flag
	if key == "" {
		key = os.Getenv(signingKeyEnv)
	}
	k, err := release.SigningKey(key, []byte(os.Getenv(signingPassphraseEnv)))
	if err != nil {
		return nil, failure.Usagef("signing key: %w", err)
	}
	return k, nil
}
