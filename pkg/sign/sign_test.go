package sign

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
)

// selfSigned makes a code-signing certificate and key with openssl, and a
// PKCS#12 bundle protected by password.
func selfSigned(t *testing.T, password string) (dir string) {
	t.Helper()
	openssl := testtool.Need(t, "openssl", "openssl")
	dir = t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "3650",
		"-subj", "/CN=svcpack test signer/O=Acme Corp", "-addext", "extendedKeyUsage=codeSigning")
	run("pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "code.p12", "-passout", "pass:"+password)
	return dir
}

func buildExe(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"signed and running\") }\n"), 0o644)
	exe := filepath.Join(dir, "app.exe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", exe, filepath.Join(dir, "main.go"))
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

func TestSignVerifyRunDeterministic(t *testing.T) {
	tool := testtool.Need(t, "osslsigncode", "osslsigncode")
	keys := selfSigned(t, "s3cret")
	a := &Authenticode{PKCS12: filepath.Join(keys, "code.p12"), Password: "s3cret", Description: "Hello Service",
		URL: "https://example.com", Time: time.Unix(1700000000, 0)}
	if err := a.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	exe := buildExe(t)
	copyExe := filepath.Join(t.TempDir(), "app.exe")
	data, _ := os.ReadFile(exe)
	os.WriteFile(copyExe, data, 0o755)
	for _, f := range []string{exe, copyExe} {
		if err := a.Sign(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(tool, "verify", "-CAfile", filepath.Join(keys, "cert.pem"), "-in", exe).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
		t.Fatalf("osslsigncode verify: %v\n%s", err, out)
	}
	a2, _ := os.ReadFile(exe)
	b2, _ := os.ReadFile(copyExe)
	if !bytes.Equal(a2, b2) {
		t.Error("signing the same exe twice gives different bytes")
	}
	// PEM cert and key work too.
	pem := &Authenticode{Cert: filepath.Join(keys, "cert.pem"), Key: filepath.Join(keys, "key.pem"), Time: time.Unix(1700000000, 0)}
	if err := pem.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := pem.Sign(context.Background(), buildExe(t)); err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		t.Skip("signed and verified; running the signed exe under Wine is skipped in -short mode")
	}
	p := winetest.New(t)
	if got := p.MustRun(time.Minute, exe); !strings.Contains(got, "signed and running") {
		t.Errorf("signed exe under Wine printed %q", got)
	}
}

func TestCheckErrors(t *testing.T) {
	testtool.Need(t, "osslsigncode", "osslsigncode")
	keys := selfSigned(t, "right")
	p12 := filepath.Join(keys, "code.p12")
	for _, tc := range []struct {
		name string
		a    Authenticode
		want string
	}{
		{"bad password", Authenticode{PKCS12: p12, Password: "wrong"}, "password does not open it"},
		{"missing file", Authenticode{PKCS12: filepath.Join(keys, "nope.p12")}, "nope.p12"},
		{"both", Authenticode{PKCS12: p12, Cert: "c", Key: "k"}, "not both"},
		{"no tool", Authenticode{PKCS12: p12, Tool: "osslsigncode-missing"}, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Check(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
