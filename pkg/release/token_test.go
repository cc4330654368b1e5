package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/softhsm"
	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/packager"
)

// tokenYAML signs everything from one SoftHSM2 token: the exes and MSIs
// (its "code" key, with the certificate %[1]q), the deb, the rpm and
// checksums.txt (its "openpgp" key, the certificate gpg exported %[2]q);
// the module %[3]q, the token's URI prefix %[4]s.
const tokenYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Ops <ops@example.com>
formats: [zip, msi, deb, rpm]
windows:
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}
  sign: {cert: %[1]q, pkcs11: {module: %[3]q, uri: "%[4]s;object=code", pin_env: TOKEN_PIN}}
gpg:
  public_key: %[2]q
  pkcs11: {module: %[3]q, uri: "%[4]s;object=openpgp", pin_env: TOKEN_PIN}
  sign: [deb, rpm, checksums]
service:
  args: [run]
`

// TestTokenSignedRelease: with every key on a SoftHSM2 token (made by the
// test with softhsm2-util), the exe and the MSI verify with osslsigncode
// against the certificate, checksums.txt.asc and the deb's _gpgorigin with
// gpg, the rpm with rpm -K; two releases are byte-identical (RSA); a wrong
// PIN and a URI that names no key fail check, naming the token and key.
func TestTokenSignedRelease(t *testing.T) {
	ossl := testtool.Need(t, "osslsigncode", "osslsigncode")
	rpmTool := testtool.Need(t, "rpm", "rpm")
	testtool.Need(t, "ar", "binutils")
	tk := softhsm.New(t)
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so"); err != nil {
		testtool.Missing(t, "OpenSSL's PKCS#11 engine (Debian package libengine-pkcs11-openssl)")
	}
	k := testgpg.New(t, "rsa2048", "")
	tk.ImportKey(t, "openpgp", "01", testgpg.RSAKeys(t, k.SecretFile, "")[0])
	_, cert := testKeys(t, "unused")
	key, err := os.ReadFile(filepath.Join(filepath.Dir(cert), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tk.ImportPEM(t, "code", "02", key)
	base := tk.URI("")
	base = strings.TrimSuffix(base, ";object=")
	project := func(pin, object string) (string, map[string]string) {
		yaml := fmt.Sprintf(tokenYAML, cert, k.PublicFile, tk.Module, base)
		return strings.Replace(yaml, "object=openpgp", "object="+object, 1), map[string]string{"TOKEN_PIN": pin}
	}
	yaml, env := project(tk.PIN, "openpgp")
	c := helloProjectEnv(t, yaml, env, "windows/amd64", "linux/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(res.Dist, "hello_windows_amd64", "hello.exe"),
		filepath.Join(res.Dist, "hello_1.4.2_windows_amd64.msi")} {
		out, err := exec.Command(ossl, "verify", "-CAfile", cert, "-in", f).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
			t.Errorf("osslsigncode verify %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
	sums := filepath.Join(res.Dist, packager.ChecksumsName)
	k.Verify(t, sums+".asc", sums)
	debs, _ := filepath.Glob(filepath.Join(res.Dist, "*.deb"))
	rpms, _ := filepath.Glob(filepath.Join(res.Dist, "*.rpm"))
	if len(debs) != 1 || len(rpms) != 1 {
		t.Fatalf("debs %v, rpms %v", debs, rpms)
	}
	verifyDebOrigin(t, k, debs[0])
	db := t.TempDir()
	if out, err := exec.Command(rpmTool, "--dbpath", db, "--import", k.PublicFile).CombinedOutput(); err != nil {
		t.Fatalf("rpm --import: %v\n%s", err, out)
	}
	if out, err := exec.Command(rpmTool, "--dbpath", db, "-K", "-v", rpms[0]).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "Header V4 RSA/SHA256 Signature") {
		t.Errorf("rpm -K: %v\n%s", err, out)
	}
	if diffs, err := Verify(context.Background(), c, Options{}); err != nil || len(diffs) > 0 {
		t.Errorf("two releases signed by the token differ: %v\n%s", err, FormatDifferences(diffs))
	}

	// A certificate of another key fails check, not the signing after
	// the build.
	_, otherCert := testKeys(t, "unused")
	yaml, env = project(tk.PIN, "openpgp")
	if _, err := helloLoad(t, strings.Replace(yaml, cert, otherCert, 1), env); err == nil ||
		!strings.Contains(err.Error(), "is not the token key's") {
		t.Errorf("check with a certificate of another key: %v", err)
	}
	for _, tc := range []struct{ pin, object, want string }{
		{"0000", "openpgp", "wrong PIN"},
		{tk.PIN, "nothing", "names no key"},
	} {
		yaml, env := project(tc.pin, tc.object)
		if _, err := helloLoad(t, yaml, env); err == nil || !strings.Contains(err.Error(), tc.want) ||
			!strings.Contains(err.Error(), "gpg.pkcs11") {
			t.Errorf("check with PIN %s and object %s: %v", tc.pin, tc.object, err)
		}
	}
}

// verifyDebOrigin checks the deb's _gpgorigin member with gpg: the detached
// signature of debian-binary, control.tar.* and data.tar.* in that order.
func verifyDebOrigin(t *testing.T, k *testgpg.Key, deb string) {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("ar", "t", deb).Output()
	if err != nil {
		t.Fatal(err)
	}
	var signed []byte
	for _, m := range strings.Fields(string(out)) {
		b, err := exec.Command("ar", "p", deb, m).Output()
		if err != nil {
			t.Fatal(err)
		}
		if m == "_gpgorigin" {
			os.WriteFile(filepath.Join(dir, "origin.asc"), b, 0o644)
			continue
		}
		signed = append(signed, b...)
	}
	os.WriteFile(filepath.Join(dir, "signed"), signed, 0o644)
	k.Verify(t, filepath.Join(dir, "origin.asc"), filepath.Join(dir, "signed"))
}
