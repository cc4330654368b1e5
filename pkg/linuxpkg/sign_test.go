package linuxpkg

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// TestSignedPackages signs the deb and rpm with keys gpg made and lets
// rpm -K and gpg --verify judge them; a key the verifier does not trust
// must be reported.
func TestSignedPackages(t *testing.T) {
	rpmTool := testtool.Need(t, "rpm", "rpm")
	rpmkeys := testtool.Need(t, "rpmkeys", "rpm")
	ar := testtool.Need(t, "ar", "binutils")
	dpkgDeb := testtool.Need(t, "dpkg-deb", "dpkg")
	other := testgpg.New(t, "ed25519", "")
	for _, tc := range []struct{ algo, pass, want string }{
		{"rsa2048", "pass phrase", "Header V4 RSA/SHA256 Signature"},
		{"ed25519", "", "Header V4 EdDSA/SHA256 Signature"},
	} {
		t.Run(tc.algo, func(t *testing.T) {
			k := testgpg.New(t, tc.algo, tc.pass)
			s, err := pgpsign.Load(k.SecretFile, tc.pass, time.Unix(1700000000, 0))
			if err != nil {
				t.Fatal(err)
			}
			o := options(t)
			o.Signer = s
			keyID := strings.ToLower(s.KeyID()[8:])

			// rpm: a header signature that rpm checks against its keyring.
			r := writePackage(t, o, "rpm")
			db := t.TempDir()
			out, _ := exec.Command(rpmTool, "--dbpath", db, "-K", "-v", r).CombinedOutput()
			if !strings.Contains(string(out), "NOKEY") {
				t.Errorf("rpm -K without the key imported should say NOKEY:\n%s", out)
			}
			run(t, rpmkeys, "--dbpath", db, "--import", k.PublicFile)
			out2 := run(t, rpmTool, "--dbpath", db, "-K", "-v", r)
			if !strings.Contains(out2, tc.want+", key ID "+keyID+": OK") || strings.Contains(out2, "BAD") {
				t.Errorf("rpm -K -v, want %q with key %s:\n%s", tc.want, keyID, out2)
			}
			t.Logf("rpm -K -v:\n%s", out2)
			if strings.Count(out2, "digest: OK") != 2 {
				t.Errorf("rpm digests after signing:\n%s", out2)
			}
			// A keyring holding only another key must not accept it.
			db2 := t.TempDir()
			run(t, rpmkeys, "--dbpath", db2, "--import", other.PublicFile)
			if out, err := exec.Command(rpmTool, "--dbpath", db2, "-K", r).CombinedOutput(); err == nil {
				t.Errorf("rpm -K accepted a signature by a key not in its keyring:\n%s", out)
			}

			// deb: a _gpgorigin member over debian-binary, control and data,
			// as debsign writes it.
			d := writePackage(t, o, "deb")
			x := t.TempDir()
			cmd := exec.Command(ar, "x", d)
			cmd.Dir = x
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ar x: %v\n%s", err, b)
			}
			var signed bytes.Buffer
			for _, m := range []string{"debian-binary", "control.tar.gz", "data.tar.gz"} {
				b, err := os.ReadFile(filepath.Join(x, m))
				if err != nil {
					t.Fatalf("deb member: %v", err)
				}
				signed.Write(b)
			}
			os.WriteFile(filepath.Join(x, "signed"), signed.Bytes(), 0o644)
			k.Verify(t, filepath.Join(x, "_gpgorigin"), filepath.Join(x, "signed"))
			if _, err := other.Try("--verify", filepath.Join(x, "_gpgorigin"), filepath.Join(x, "signed")); err == nil {
				t.Error("gpg with another keyring accepted the deb signature")
			}
			// dpkg still reads the signed package.
			if v := strings.TrimSpace(run(t, dpkgDeb, "-f", d, "Package")); v != "hello" {
				t.Errorf("dpkg-deb -f Package: %q", v)
			}

			// Signing keeps packages reproducible.
			for _, f := range []string{"rpm", "deb"} {
				a, _ := os.ReadFile(writePackage(t, o, f))
				b, _ := os.ReadFile(writePackage(t, o, f))
				if !bytes.Equal(a, b) {
					t.Errorf("%s: two signed builds differ", f)
				}
			}
		})
	}
}
