package release

import (
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/distbuild/dist/internal/manifest"
)

func TestBranchAllowed(t *testing.T) {
	m := &manifest.Manifest{ReleaseBranches: []string{"main", "master", "*.x"}}
	for b, want := range map[string]bool{"main": true, "1.0.x": true, "14.x": true, "feature": false, "main2": false, "fix/1.0.x": false} {
		if got := branchAllowed(m, b); got != want {
			t.Errorf("%s: %v, want %v", b, got, want)
		}
	}
}

func TestRefusalListsEveryReason(t *testing.T) {
	one := (&Refusal{Step: "prerelease", Reasons: []string{"HEAD is detached"}}).Error()
	if one != "prerelease refused: HEAD is detached" {
		t.Errorf("got %q", one)
	}
	two := (&Refusal{Step: "prerelease", Reasons: []string{"a", "b"}}).Error()
	if !strings.Contains(two, "\n  - a\n  - b") {
		t.Errorf("got %q", two)
	}
}

// SigningKey takes the key and its passphrase as values: the CLI reads
// DIST_SIGNING_KEY and DIST_SIGNING_PASSPHRASE, this package reads neither.
func TestSigningKeyIsPassedIn(t *testing.T) {
	e, err := openpgp.NewEntity("Dist Test", "", "dist@example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	pass := []byte("pass phrase")
	if err := e.EncryptPrivateKeys(pass, nil); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	w, err := armor.Encode(&b, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	armored := b.String()

	t.Setenv("DIST_SIGNING_KEY", armored)
	t.Setenv("DIST_SIGNING_PASSPHRASE", string(pass))
	if k, err := SigningKey("", nil); k != nil || err != nil {
		t.Errorf("no key given: %v %v, want none (the environment is the CLI's to read)", k, err)
	}
	if _, err := SigningKey(armored, nil); err == nil || !strings.Contains(err.Error(), "protected by a passphrase") {
		t.Errorf("no passphrase given: %v, want it asked for (the environment's is the CLI's to read)", err)
	}
	k, err := SigningKey(armored, pass)
	if err != nil || k.PrimaryIdentity() == nil || k.PrimaryIdentity().UserId.Email != "dist@example.org" {
		t.Fatalf("key and passphrase given: %v %v", k, err)
	}
	if _, err := SigningKey(armored, []byte("n0t-it")); err == nil || strings.Contains(err.Error(), "n0t-it") || strings.Contains(err.Error(), "PGP PRIVATE") {
		t.Errorf("wrong passphrase: %v", err)
	}
}
