// Package testgpg makes OpenPGP keys for tests with GnuPG itself, in a
// keyring of the test's own (GNUPGHOME in a temp dir), and verifies
// signatures with it: the keys and the verdicts come from a tool nobody here
// wrote. Tests are skipped when gpg is missing, or fail under
// SVCPACK_REQUIRE_TOOLS=1 (see internal/testtool).
package testgpg

import (
	"crypto/rsa"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"golang.org/x/crypto/openpgp"
	"golang.org/x/crypto/openpgp/packet"
)

// Key is a key pair made by gpg in a private keyring.
type Key struct {
	// Home is the GNUPGHOME holding the key pair.
	Home string
	// SecretFile is the ASCII-armored secret key, as a user would export it.
	SecretFile string
	// PublicFile is the ASCII-armored public key.
	PublicFile string
	// Passphrase protects the secret key ("" for none).
	Passphrase string
	gpg        string
}

// New makes a key pair with gpg --quick-gen-key. algo is a gpg algorithm
// name such as rsa2048, ed25519 or nistp256.
func New(t testing.TB, algo, passphrase string) *Key {
	t.Helper()
	gpg := testtool.Need(t, "gpg", "gpg")
	dir := t.TempDir()
	k := &Key{Home: filepath.Join(dir, "gnupg"), Passphrase: passphrase, gpg: gpg,
		SecretFile: filepath.Join(dir, "secret.asc"), PublicFile: filepath.Join(dir, "public.asc")}
	if err := os.Mkdir(k.Home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("gpgconf", "--homedir", k.Home, "--kill", "all").Run() })
	uid := "svcpack test <test@example.com>"
	k.Run(t, "--passphrase", passphrase, "--quick-gen-key", uid, algo, "sign", "never")
	sec := k.Run(t, "--passphrase", passphrase, "--armor", "--export-secret-keys", uid)
	pub := k.Run(t, "--armor", "--export", uid)
	if err := os.WriteFile(k.SecretFile, []byte(sec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.PublicFile, []byte(pub), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

// Run runs gpg in the key's home, in batch mode, and returns its stdout;
// it fails the test on a non-zero exit.
func (k *Key) Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := k.Try(args...)
	if err != nil {
		t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Try is Run that returns the error (with stderr in the output) instead of
// failing.
func (k *Key) Try(args ...string) (string, error) {
	all := append([]string{"--homedir", k.Home, "--batch", "--yes", "--pinentry-mode", "loopback"}, args...)
	cmd := exec.Command(k.gpg, all...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// Verify checks a detached signature over the data file with gpg --verify
// and returns gpg's status lines; it fails the test when gpg rejects it.
func (k *Key) Verify(t testing.TB, sigFile, dataFile string) string {
	t.Helper()
	out, err := k.Try("--status-fd", "1", "--verify", sigFile, dataFile)
	if err != nil || !strings.Contains(out, "[GNUPG:] GOODSIG") {
		t.Fatalf("gpg --verify %s %s: %v\n%s", sigFile, dataFile, err, out)
	}
	return out
}

// RSAKeys returns the RSA secret keys of the OpenPGP secret key in file
// (armored; protected by passphrase, or "" for none), the primary first,
// then its subkeys: to move onto a token.
func RSAKeys(t testing.TB, file, passphrase string) []*rsa.PrivateKey {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	es, err := openpgp.ReadArmoredKeyRing(f)
	if err != nil {
		t.Fatal(err)
	}
	var keys []*rsa.PrivateKey
	for _, k := range append([]*packet.PrivateKey{es[0].PrivateKey}, subkeys(es[0])...) {
		if k.Encrypted {
			if err := k.Decrypt([]byte(passphrase)); err != nil {
				t.Fatal(err)
			}
		}
		keys = append(keys, k.PrivateKey.(*rsa.PrivateKey))
	}
	return keys
}

func subkeys(e *openpgp.Entity) []*packet.PrivateKey {
	var out []*packet.PrivateKey
	for _, sub := range e.Subkeys {
		out = append(out, sub.PrivateKey)
	}
	return out
}
