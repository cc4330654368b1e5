package pgpsign_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

var releaseDate = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestSignatureVerifiesWithGPG signs with keys gpg made and lets gpg judge
// the signatures; the same input signed twice gives the same bytes.
func TestSignatureVerifiesWithGPG(t *testing.T) {
	for _, tc := range []struct{ algo, pass string }{
		{"rsa2048", "s3cret pass"},
		{"ed25519", ""},
	} {
		t.Run(tc.algo, func(t *testing.T) {
			k := testgpg.New(t, tc.algo, tc.pass)
			s, err := pgpsign.Load(k.SecretFile, tc.pass, releaseDate)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.RSA(); got != strings.HasPrefix(tc.algo, "rsa") {
				t.Errorf("RSA() = %v for %s", got, tc.algo)
			}
			dir := t.TempDir()
			data := filepath.Join(dir, "checksums.txt")
			os.WriteFile(data, []byte("abc  hello.zip\n"), 0o644)
			sig1, err := s.SignArmored(bytes.NewReader([]byte("abc  hello.zip\n")))
			if err != nil {
				t.Fatal(err)
			}
			sig2, _ := s.SignArmored(bytes.NewReader([]byte("abc  hello.zip\n")))
			if !bytes.Equal(sig1, sig2) {
				t.Errorf("two signatures of the same data differ:\n%s\n%s", sig1, sig2)
			}
			os.WriteFile(data+".asc", sig1, 0o644)
			status := k.Verify(t, data+".asc", data)
			if !strings.Contains(status, s.KeyID()) {
				t.Errorf("gpg status does not name key %s:\n%s", s.KeyID(), status)
			}
			// VALIDSIG ends with the primary key's fingerprint.
			if fpr := s.Fingerprint(); len(fpr) != 40 || !strings.Contains(status, fpr) {
				t.Errorf("gpg status does not name fingerprint %s:\n%s", fpr, status)
			}
			// The key was made now, after the release date: the signature
			// must not predate it (gpg would reject it), so it carries the
			// key's own time instead.
			bin, _ := s.Sign(bytes.NewReader([]byte("x")))
			os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
			os.WriteFile(filepath.Join(dir, "x.sig"), bin, 0o644)
			k.Verify(t, filepath.Join(dir, "x.sig"), filepath.Join(dir, "x"))

			// A changed byte must fail verification.
			os.WriteFile(data, []byte("abd  hello.zip\n"), 0o644)
			if out, err := k.Try("--verify", data+".asc", data); err == nil {
				t.Errorf("gpg accepted a signature over different data:\n%s", out)
			}

			pub, err := s.PublicKey()
			if err != nil || !bytes.Contains(pub, []byte("BEGIN PGP PUBLIC KEY BLOCK")) {
				t.Errorf("PublicKey: %v\n%s", err, pub)
			}
		})
	}
}

// TestSignatureTimeIsReleaseDate: with a key older than the release, the
// signature carries the release date, not the clock.
func TestSignatureTimeIsReleaseDate(t *testing.T) {
	k := testgpg.New(t, "ed25519", "")
	later := time.Now().Add(48 * time.Hour).Truncate(time.Second).UTC()
	s, err := pgpsign.Load(k.SecretFile, "", later)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "d"), []byte("d"), 0o644)
	sig, _ := s.Sign(bytes.NewReader([]byte("d")))
	os.WriteFile(filepath.Join(dir, "d.sig"), sig, 0o644)
	out, _ := k.Try("--status-fd", "1", "--verify", filepath.Join(dir, "d.sig"), filepath.Join(dir, "d"))
	// VALIDSIG <fpr> <date> <timestamp> ...
	want := " " + later.Format("2006-01-02") + " " + strconv.FormatInt(later.Unix(), 10) + " "
	if !strings.Contains(out, want) {
		t.Errorf("signature time is not the release date %s (%q):\n%s", later, want, out)
	}
}

// TestLoadRejects covers the errors a user meets before any build starts.
func TestLoadRejects(t *testing.T) {
	rsa := testgpg.New(t, "rsa2048", "right")
	ecdsa := testgpg.New(t, "nistp256", "")
	pub := rsa.PublicFile
	for _, tc := range []struct {
		name, file, pass, want string
	}{
		{"wrong passphrase", rsa.SecretFile, "wrong", "wrong passphrase"},
		{"no passphrase", rsa.SecretFile, "", "passphrase-protected"},
		{"public key", pub, "", "public key only"},
		{"ecdsa", ecdsa.SecretFile, "", "RSA or Ed25519"},
		{"missing file", filepath.Join(t.TempDir(), "nope.asc"), "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pgpsign.Load(tc.file, tc.pass, releaseDate)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := pgpsign.Parse([]byte("not a key"), "", releaseDate); err == nil {
		t.Error("Parse accepted garbage")
	}
}

// TestSignCleartext clear-signs text as apt's InRelease is: gpgv accepts it
// with the binary public key as its keyring, the same text signed twice
// gives the same bytes, and a changed line fails.
func TestSignCleartext(t *testing.T) {
	gpgv := testtool.Need(t, "gpgv", "gpgv")
	for _, algo := range []string{"rsa2048", "ed25519"} {
		t.Run(algo, func(t *testing.T) {
			k := testgpg.New(t, algo, "")
			s, err := pgpsign.Load(k.SecretFile, "", releaseDate)
			if err != nil {
				t.Fatal(err)
			}
			text := []byte("Origin: hello\nSuite: stable\n-dash line\nSHA256:\n 00 1 main/Packages\n")
			signed, err := s.SignCleartext(text)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := s.SignCleartext(text)
			if !bytes.Equal(signed, again) {
				t.Errorf("two clear signatures of the same text differ:\n%s\n%s", signed, again)
			}
			if !bytes.HasPrefix(signed, []byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n")) ||
				!bytes.HasSuffix(signed, []byte("-----END PGP SIGNATURE-----\n")) {
				t.Errorf("not a cleartext signature:\n%s", signed)
			}
			dir := t.TempDir()
			keyring := filepath.Join(dir, "key.gpg")
			pub, err := s.PublicKeyBinary()
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(keyring, pub, 0o644)
			for _, tc := range []struct {
				name string
				data []byte
				ok   bool
			}{
				{"as signed", signed, true},
				{"a line changed", bytes.Replace(signed, []byte("Suite: stable"), []byte("Suite: stabla"), 1), false},
			} {
				file := filepath.Join(dir, "InRelease")
				os.WriteFile(file, tc.data, 0o644)
				out, err := exec.Command(gpgv, "--keyring", keyring, file).CombinedOutput()
				if (err == nil) != tc.ok {
					t.Errorf("%s: gpgv: %v (want ok %v)\n%s", tc.name, err, tc.ok, out)
				}
			}
		})
	}
}
