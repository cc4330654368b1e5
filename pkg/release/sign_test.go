package release

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
)

// testKeys makes a self-signed code-signing PKCS#12 with openssl.
func testKeys(t *testing.T, password string) (p12, cert string) {
	t.Helper()
	openssl := testtool.Need(t, "openssl", "openssl")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "3650",
			"-subj", "/CN=svcpack release test/O=Acme Corp", "-addext", "extendedKeyUsage=codeSigning"},
		{"pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "code.p12", "-passout", "pass:" + password},
	} {
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
	}
	return filepath.Join(dir, "code.p12"), filepath.Join(dir, "cert.pem")
}

const signedYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
formats: [zip, msi]
windows:
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}
  sign: {pkcs12: %q, password_env: TEST_SIGN_PASSWORD}
service:
  args: [run, -addr, "127.0.0.1:%d"]
  account: LocalService
`

func TestSignedReleaseVerifiesAndInstalls(t *testing.T) {
	tool := testtool.Need(t, "osslsigncode", "osslsigncode")
	p12, cert := testKeys(t, "pw-123")
	port := testtool.FreePort(t)
	c := helloProjectEnv(t, fmt.Sprintf(signedYAML, p12, port), map[string]string{"TEST_SIGN_PASSWORD": "pw-123"}, "windows/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	msiPath := filepath.Join(res.Dist, "hello_1.4.2_windows_amd64.msi")
	for _, f := range []string{filepath.Join(res.Dist, "hello_windows_amd64", "hello.exe"), msiPath} {
		out, err := exec.Command(tool, "verify", "-CAfile", cert, "-in", f).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
			t.Errorf("osslsigncode verify %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
	if testing.Short() {
		t.Skip("signed and verified; installing the signed MSI under Wine is skipped in -short mode")
	}
	p := winetest.New(t)
	if out, err := p.Run(3*time.Minute, "msiexec", "/i", msiPath, "/qn"); err != nil {
		t.Fatalf("signed MSI does not install: %v\n%s", err, out)
	}
	p.WaitServiceState("hello", "RUNNING", time.Minute)
	winetest.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", port), 30*time.Second)
}

func TestWrongPasswordFailsCheck(t *testing.T) {
	testtool.Need(t, "osslsigncode", "osslsigncode")
	p12, _ := testKeys(t, "right")
	_, err := helloLoad(t, fmt.Sprintf(signedYAML, p12, 8080), map[string]string{"TEST_SIGN_PASSWORD": "wrong"})
	if err == nil || !regexp.MustCompile(`svcpack\.yaml:\d+: windows\.sign: .*password does not open it`).MatchString(err.Error()) || !strings.Contains(err.Error(), "code.p12") {
		t.Fatalf("err = %v", err)
	}
}

// TestSignCommand signs with a command (testdata/sign/sign-with-pem.sh,
// osslsigncode over a PEM key, as a cloud signing tool would): the exe and
// the MSI verify against the certificate; a command that fails fails the
// release with its message and the artifact's name, and leaves dist/ as it
// was.
func TestSignCommand(t *testing.T) {
	tool := testtool.Need(t, "osslsigncode", "osslsigncode")
	_, cert := testKeys(t, "unused")
	t.Setenv("SIGN_CERT", cert)
	t.Setenv("SIGN_KEY", filepath.Join(filepath.Dir(cert), "key.pem"))
	script, err := filepath.Abs("../../testdata/sign/sign-with-pem.sh")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(signedYAML, `sign: {pkcs12: %q, password_env: TEST_SIGN_PASSWORD}`,
		`sign: {command: [%q, "{{.In}}", "{{.Out}}"]}`, 1)
	c := helloProjectEnv(t, fmt.Sprintf(yaml, script, testtool.FreePort(t)), nil, "windows/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(res.Dist, "hello_windows_amd64", "hello.exe"),
		filepath.Join(res.Dist, "hello_1.4.2_windows_amd64.msi")} {
		out, err := exec.Command(tool, "verify", "-CAfile", cert, "-in", f).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
			t.Errorf("osslsigncode verify %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
	t.Setenv("SIGN_FAIL", "the token is locked")
	_, err = Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist"), Force: true})
	if err == nil || !strings.Contains(err.Error(), "signing service: the token is locked") ||
		!strings.Contains(err.Error(), "hello.exe") {
		t.Errorf("a failing signing command: %v", err)
	}
	// A command that returns the file unsigned (cp) is refused.
	yaml = strings.Replace(signedYAML, `sign: {pkcs12: %q, password_env: TEST_SIGN_PASSWORD}`,
		`sign: {command: [cp, %q, "{{.Out}}"]}`, 1)
	c = helloProjectEnv(t, fmt.Sprintf(yaml, "{{.In}}", testtool.FreePort(t)), nil, "windows/amd64")
	_, err = Release(context.Background(), c, Options{Dist: filepath.Join(t.TempDir(), "dist")})
	if err == nil || !strings.Contains(err.Error(), "returned a file without an Authenticode signature") {
		t.Errorf("a command that does not sign: %v", err)
	}
}
