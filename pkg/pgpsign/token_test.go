package pgpsign_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/softhsm"
	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/pkcs11key"
)

// verifier imports cert alone into a fresh GNUPGHOME and returns a function
// that runs gpg --verify there, returning its status lines.
func verifier(t *testing.T, cert []byte) func(files ...string) (string, error) {
	t.Helper()
	gpg := testtool.Need(t, "gpg", "gpg")
	dir := t.TempDir()
	home := filepath.Join(dir, "gnupg")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run() })
	run := func(args ...string) (string, error) {
		args = append([]string{"--homedir", home, "--batch", "--status-fd", "1"}, args...)
		out, err := exec.Command(gpg, args...).CombinedOutput()
		return string(out), err
	}
	certFile := filepath.Join(dir, "cert.asc")
	os.WriteFile(certFile, cert, 0o644)
	if out, err := run("--import", certFile); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	return func(files ...string) (string, error) { return run(append([]string{"--verify"}, files...)...) }
}

// TestFromSignerToken: gpg makes an RSA key, its secret half is imported
// into a SoftHSM token, and FromSigner pairs the certificate gpg exported
// with the token's key. gpg, knowing only the certificate, accepts the
// detached and clear-signed signatures; signing twice gives the same bytes,
// the same bytes as signing with the key file; a certificate of another key
// is refused.
func TestFromSignerToken(t *testing.T) {
	tk := softhsm.New(t)
	k := testgpg.New(t, "rsa2048", "")
	tk.ImportKey(t, "openpgp", "01", testgpg.RSAKeys(t, k.SecretFile, "")[0])
	key, err := pkcs11key.Open(pkcs11key.Config{Module: tk.Module, URI: tk.URI("openpgp"), PIN: tk.PIN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { key.Close() })
	cert, _ := os.ReadFile(k.PublicFile)
	s, err := pgpsign.FromSigner(cert, key, releaseDate)
	if err != nil {
		t.Fatal(err)
	}
	file, err := pgpsign.Load(k.SecretFile, "", releaseDate)
	if err != nil {
		t.Fatal(err)
	}
	if !s.RSA() || s.KeyID() != file.KeyID() || s.Fingerprint() != file.Fingerprint() {
		t.Errorf("token signer: RSA %v, key %s, fingerprint %s; key file: %s %s",
			s.RSA(), s.KeyID(), s.Fingerprint(), file.KeyID(), file.Fingerprint())
	}
	type export func(*pgpsign.Signer) ([]byte, error)
	for _, pub := range []export{(*pgpsign.Signer).PublicKey, (*pgpsign.Signer).PublicKeyBinary} {
		a, err := pub(s)
		b, _ := pub(file)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("the token signer's public key differs from the key file's (%v)", err)
		}
	}

	verify := verifier(t, cert)
	dir := t.TempDir()
	data := []byte("abc  hello.zip\n")
	os.WriteFile(filepath.Join(dir, "checksums.txt"), data, 0o644)
	sign := map[string]func() ([]byte, error){
		"checksums.txt.asc": func() ([]byte, error) { return s.SignArmored(bytes.NewReader(data)) },
		"checksums.txt.sig": func() ([]byte, error) { return s.Sign(bytes.NewReader(data)) },
		"InRelease":         func() ([]byte, error) { return s.SignCleartext(data) },
	}
	fromFile := map[string]func() ([]byte, error){
		"checksums.txt.asc": func() ([]byte, error) { return file.SignArmored(bytes.NewReader(data)) },
		"checksums.txt.sig": func() ([]byte, error) { return file.Sign(bytes.NewReader(data)) },
		"InRelease":         func() ([]byte, error) { return file.SignCleartext(data) },
	}
	for name, f := range sign {
		sig1, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sig2, _ := f()
		want, _ := fromFile[name]()
		if !bytes.Equal(sig1, sig2) || !bytes.Equal(sig1, want) {
			t.Errorf("%s: two token signatures, or token and key file, differ:\n%s\n%s\n%s", name, sig1, sig2, want)
		}
		os.WriteFile(filepath.Join(dir, name), sig1, 0o644)
		args := []string{filepath.Join(dir, name)}
		if name != "InRelease" {
			args = append(args, filepath.Join(dir, "checksums.txt"))
		}
		out, err := verify(args...)
		if err != nil || !strings.Contains(out, "[GNUPG:] GOODSIG "+s.KeyID()) || !strings.Contains(out, s.Fingerprint()) {
			t.Errorf("gpg --verify %s: %v\n%s", name, err, out)
		}
	}

	other := testgpg.New(t, "rsa2048", "")
	otherCert, _ := os.ReadFile(other.PublicFile)
	_, err = pgpsign.FromSigner(otherCert, key, releaseDate)
	otherFile, _ := pgpsign.Load(other.SecretFile, "", releaseDate)
	want := "the token's key is not the signing key of this certificate (fingerprint " + otherFile.Fingerprint() + ")"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("FromSigner with another key's certificate: %v, want %q", err, want)
	}
}

// TestFromSignerSubkeys: the certificate's signing subkey is found and used
// (gpg names it in GOODSIG); an encryption subkey is refused, as is a key
// that is not in the certificate at all.
func TestFromSignerSubkeys(t *testing.T) {
	k := testgpg.New(t, "rsa2048", "")
	var fpr string
	for _, line := range strings.Split(k.Run(t, "--with-colons", "--fingerprint", "test@example.com"), "\n") {
		if strings.HasPrefix(line, "fpr:") {
			fpr = strings.Split(line, ":")[9]
			break
		}
	}
	k.Run(t, "--passphrase", "", "--quick-add-key", fpr, "rsa2048", "sign", "never")
	k.Run(t, "--passphrase", "", "--quick-add-key", fpr, "rsa2048", "encr", "never")
	cert := []byte(k.Run(t, "--armor", "--export", fpr))
	os.WriteFile(k.SecretFile, []byte(k.Run(t, "--armor", "--export-secret-keys", fpr)), 0o600)
	keys := testgpg.RSAKeys(t, k.SecretFile, "") // primary, signing subkey, encryption subkey

	s, err := pgpsign.FromSigner(cert, keys[1], releaseDate)
	if err != nil {
		t.Fatal(err)
	}
	if s.Fingerprint() != fpr {
		t.Errorf("Fingerprint() = %s, want the primary key's %s", s.Fingerprint(), fpr)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.WriteFile(data, []byte("data\n"), 0o644)
	sig, err := s.SignArmored(strings.NewReader("data\n"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(data+".asc", sig, 0o644)
	if out, err := verifier(t, cert)(data+".asc", data); err != nil || !strings.Contains(out, "GOODSIG "+s.KeyID()) ||
		strings.HasSuffix(fpr, s.KeyID()) {
		t.Errorf("gpg --verify of the subkey's signature (key %s): %v\n%s", s.KeyID(), err, out)
	}

	if _, err := pgpsign.FromSigner(cert, keys[2], releaseDate); err == nil ||
		!strings.Contains(err.Error(), "which may not sign") || !strings.Contains(err.Error(), fpr) {
		t.Errorf("FromSigner with the encryption subkey: %v", err)
	}
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	if _, err := pgpsign.FromSigner(cert, stranger, releaseDate); err == nil ||
		!strings.Contains(err.Error(), "is not the signing key of this certificate (fingerprint "+fpr+")") {
		t.Errorf("FromSigner with a key not in the certificate: %v", err)
	}
}

// TestFromSignerRejects: keys whose OpenPGP signatures could not be made
// reproducibly from a token, and certificates that are not one key, are
// refused with a reason.
func TestFromSignerRejects(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		name   string
		cert   []byte
		signer crypto.Signer
		want   string
	}{
		{"ed25519", nil, edKey, "OpenPGP signatures need RSA or Ed25519 for reproducibility, but the OpenPGP library"},
		{"ecdsa", nil, ecKey, "random nonce: OpenPGP signatures need RSA or Ed25519 for reproducibility"},
		{"garbage certificate", []byte("not a key"), rsaKey, "the certificate: not an OpenPGP key"},
		{"no signer", nil, nil, "no signer given"},
	} {
		_, err := pgpsign.FromSigner(tc.cert, tc.signer, releaseDate)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: FromSigner: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// failingSigner is a token that refuses to sign.
type failingSigner struct{ *rsa.PrivateKey }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("CKR_DEVICE_REMOVED")
}

// TestTokenErrorSurfaces: when the token fails, the error says so, in its
// own words, rather than the OpenPGP library's.
func TestTokenErrorSurfaces(t *testing.T) {
	k := testgpg.New(t, "rsa2048", "")
	cert, _ := os.ReadFile(k.PublicFile)
	s, err := pgpsign.FromSigner(cert, failingSigner{testgpg.RSAKeys(t, k.SecretFile, "")[0]}, releaseDate)
	if err != nil {
		t.Fatal(err)
	}
	for name, sign := range map[string]func() error{
		"detached": func() error { _, err := s.Sign(strings.NewReader("data")); return err },
		"clear":    func() error { _, err := s.SignCleartext([]byte("data\n")); return err },
	} {
		if err := sign(); err == nil || !strings.Contains(err.Error(), "the token did not sign: CKR_DEVICE_REMOVED") {
			t.Errorf("%s signature: %v", name, err)
		}
	}
}
