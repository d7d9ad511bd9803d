package gitrepo_test

import (
	"bytes"
	"crypto"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

// gnupg is a throw-away GnuPG home holding one key pair made by gpg itself,
// the way a maintainer makes a release key.
type gnupg struct {
	home string
	t    *testing.T
}

func newGnupg(t *testing.T) *gnupg {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("gpg is missing; .ci/run installs gnupg")
		}
		t.Skip("gpg is not installed (apt-get install gnupg)")
	}
	// gpg-agent's socket lives in the home: keep its path short.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	g := &gnupg{home: home, t: t}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	return g
}

func (g *gnupg) run(stdin []byte, args ...string) []byte {
	g.t.Helper()
	cmd := exec.Command("gpg", append([]string{"--homedir", g.home, "--batch", "--pinentry-mode", "loopback"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func (g *gnupg) genKey(uid, passphrase string) {
	g.run(nil, "--passphrase", passphrase, "--quick-gen-key", uid, "default", "default", "never")
}

func (g *gnupg) exportSecret(uid, passphrase string, armor bool) []byte {
	args := []string{"--passphrase", passphrase, "--export-secret-keys", uid}
	if armor {
		args = append([]string{"--armor"}, args...)
	}
	return g.run(nil, args...)
}

func TestSignedTag(t *testing.T) {
	t.Parallel()
	gpg := newGnupg(t)
	const uid = "Dist Release <release@dist.invalid>"
	gpg.genKey(uid, "")
	armored := string(gpg.exportSecret(uid, "", true))
	if !strings.Contains(armored, "BEGIN PGP PRIVATE KEY BLOCK") {
		t.Fatalf("export: %q", armored[:min(len(armored), 60)])
	}
	keyFile := filepath.Join(t.TempDir(), "release.asc")
	binFile := filepath.Join(t.TempDir(), "release.gpg")
	os.WriteFile(keyFile, []byte(armored), 0o600)
	os.WriteFile(binFile, gpg.exportSecret(uid, "", false), 0o600)

	for _, src := range []string{armored, keyFile, binFile} {
		key, err := gitrepo.LoadSigningKey(src, nil)
		if err != nil {
			t.Fatalf("LoadSigningKey: %v", err)
		}
		if key.PrimaryIdentity() == nil || key.PrimaryIdentity().Name != uid {
			t.Errorf("identity %+v", key.PrimaryIdentity())
		}
	}
	key, _ := gitrepo.LoadSigningKey(armored, nil)

	g := gitenv.New(t)
	g.ExtraEnv = []string{"GNUPGHOME=" + gpg.home}
	g.Commit("Preparing release 1.0.0", map[string]string{"VERSION": "1.0.0\n"})
	tag, err := open(t, g.Dir).CreateAnnotatedTag("1.0.0", "Tagging 1.0.0", key)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Git("cat-file", "-t", "1.0.0"); got != "tag" {
		t.Errorf("cat-file -t: %s", got)
	}
	raw := g.Git("cat-file", "tag", "1.0.0")
	if !strings.Contains(raw, "\n\nTagging 1.0.0\n-----BEGIN PGP SIGNATURE-----") {
		t.Errorf("tag object:\n%s", raw)
	}
	if out, err := g.TryGit("tag", "-v", "1.0.0"); err != nil {
		t.Errorf("git tag -v rejects the signature: %v\n%s", err, out)
	}
	if out, err := g.TryGit("verify-tag", "--raw", "1.0.0"); err != nil {
		t.Errorf("git verify-tag: %v\n%s", err, out)
	}
	fsck(t, g)
	if tag.Commit != g.Head() {
		t.Errorf("signed tag points at %s", tag.Commit)
	}

	// The same signature on other content must fail: git really checks it.
	forged := strings.Replace(raw, "Tagging 1.0.0", "Tagging 6.6.6", 1) + "\n"
	h, err := gitenv.Run(g.Dir, g.Env(), []byte(forged), "hash-object", "-t", "tag", "-w", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	g.Git("update-ref", "refs/tags/forged", h)
	if _, err := g.TryGit("tag", "-v", "forged"); err == nil {
		t.Error("git tag -v accepted a forged tag: the check proves nothing")
	}
}

// lockedKey is a passphrase-protected secret key and its public half,
// armored. go-crypto makes it, with a cheap S2K count: a key exported by
// gpg is protected with 65 million hash iterations, seconds of test time
// for what LoadSigningKey does with either the same way.
func lockedKey(t *testing.T, passphrase string) (locked, public string) {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity("Locked", "", "locked@dist.invalid", cfg)
	if err != nil {
		t.Fatal(err)
	}
	armored := func(write func(w io.Writer) error, kind string) string {
		var b bytes.Buffer
		w, err := armor.Encode(&b, kind, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return b.String()
	}
	public = armored(e.Serialize, openpgp.PublicKeyType)
	s2kCfg := &packet.Config{S2KConfig: &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 1024}}
	if err := e.EncryptPrivateKeys([]byte(passphrase), s2kCfg); err != nil {
		t.Fatal(err)
	}
	locked = armored(func(w io.Writer) error { return e.SerializePrivateWithoutSigning(w, nil) }, openpgp.PrivateKeyType)
	return locked, public
}

func TestLoadSigningKeyErrors(t *testing.T) {
	t.Parallel()
	locked, public := lockedKey(t, "pass phrase")
	if key, err := gitrepo.LoadSigningKey(locked, []byte("pass phrase")); err != nil {
		t.Errorf("with the passphrase: %v", err)
	} else if k, ok := key.SigningKey(time.Now()); !ok || k.PrivateKey.Encrypted {
		t.Error("the key is still locked")
	}
	for _, c := range []struct {
		name, src, pass, want string
	}{
		{"no passphrase", locked, "", "passphrase"},
		{"wrong passphrase", locked, "nope", "wrong passphrase"},
		{"public key only", public, "", "no secret key"},
		{"garbage", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot base64\n-----END PGP PRIVATE KEY BLOCK-----\n", "", "not an OpenPGP key"},
		{"missing file", filepath.Join(t.TempDir(), "none.asc"), "", "no such file"},
	} {
		_, err := gitrepo.LoadSigningKey(c.src, []byte(c.pass))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "BEGIN PGP") || (c.pass != "" && strings.Contains(err.Error(), c.pass)) {
			t.Errorf("%s: the error quotes the key or passphrase: %v", c.name, err)
		}
	}
}
