// Package softhsm makes PKCS#11 tokens for tests with SoftHSM2 (Debian
// package softhsm2) and fills them with keys using pkcs11-tool (Debian
// package opensc) and softhsm2-util: the token and its key generation come
// from tools nobody here wrote. A test is skipped when a tool is missing (or
// fails under SVCPACK_REQUIRE_TOOLS=1, see internal/testtool), and when the
// test binary was built without cgo, which loading a PKCS#11 module needs.
//
// SoftHSM reads SOFTHSM2_CONF, which names its token directory, when the
// module is initialized; New sets it for the test with t.Setenv (so the test
// cannot be parallel), and every key opened from one token must be closed
// before a test makes the next, so that the module is initialized afresh.
package softhsm

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// modules are where SoftHSM2's PKCS#11 library is installed (Debian first).
var modules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// Token is an initialized SoftHSM2 token in a directory of the test's own.
type Token struct {
	Module string // the PKCS#11 library to load
	Label  string // the token's label (token= in a PKCS#11 URI)
	PIN    string // the user PIN
	SOPIN  string // the security officer's PIN
	Conf   string // the SOFTHSM2_CONF file naming the token directory
	tool   string // pkcs11-tool
	util   string // softhsm2-util
}

// New initializes a token labelled "svcpack-test" in a temporary directory
// and points SOFTHSM2_CONF at it for the rest of the test.
func New(t testing.TB) *Token {
	t.Helper()
	if !cgoEnabled {
		t.Skip("skipping: this test binary was built without cgo, which loading a PKCS#11 module needs")
	}
	tk := &Token{Label: "svcpack-test", PIN: "1234-user", SOPIN: "5678-so",
		util: testtool.Need(t, "softhsm2-util", "softhsm2"), tool: testtool.Need(t, "pkcs11-tool", "opensc")}
	for _, m := range modules {
		if _, err := os.Stat(m); err == nil {
			tk.Module = m
			break
		}
	}
	if tk.Module == "" {
		testtool.Missing(t, "libsofthsm2.so (Debian package softhsm2)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	tk.Conf = filepath.Join(dir, "softhsm2.conf")
	conf := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n"
	if err := os.WriteFile(tk.Conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", tk.Conf)
	tk.run(t, tk.util, "--init-token", "--free", "--label", tk.Label, "--so-pin", tk.SOPIN, "--pin", tk.PIN)
	return tk
}

// Env returns the environment entries a child process needs to see the
// token (New has already set them for the test process itself).
func (tk *Token) Env() []string { return []string{"SOFTHSM2_CONF=" + tk.Conf} }

// URI returns the PKCS#11 URI of the key labelled object on this token.
func (tk *Token) URI(object string) string {
	return "pkcs11:token=" + tk.Label + ";object=" + object
}

// GenRSA generates an RSA 2048 key pair on the token with the given label
// and id (hex, as pkcs11-tool --id takes it: "01" is id=%01 in a URI).
func (tk *Token) GenRSA(t testing.TB, label, id string) { tk.Gen(t, "rsa:2048", label, id) }

// GenEC generates an ECDSA P-256 key pair on the token.
func (tk *Token) GenEC(t testing.TB, label, id string) { tk.Gen(t, "EC:prime256v1", label, id) }

// GenEd25519 generates an Ed25519 key pair on the token (SoftHSM 2.6 and
// pkcs11-tool 0.23 support it as EC:edwards25519).
func (tk *Token) GenEd25519(t testing.TB, label, id string) { tk.Gen(t, "EC:edwards25519", label, id) }

// Gen generates a key pair of a pkcs11-tool --key-type (rsa:3072,
// EC:secp384r1, ...) on the token.
func (tk *Token) Gen(t testing.TB, keyType, label, id string) {
	t.Helper()
	tk.run(t, tk.tool, "--module", tk.Module, "--token-label", tk.Label, "--login", "--pin", tk.PIN,
		"--keypairgen", "--key-type", keyType, "--label", label, "--id", id)
}

// ImportPEM imports a PKCS#8 PEM private key ("BEGIN PRIVATE KEY") and its
// public key into the token with softhsm2-util --import.
func (tk *Token) ImportPEM(t testing.TB, label, id string, pkcs8PEM []byte) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(file, pkcs8PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tk.run(t, tk.util, "--import", file, "--token", tk.Label, "--pin", tk.PIN, "--label", label, "--id", id)
}

// ImportKey imports a Go private key (*rsa.PrivateKey, *ecdsa.PrivateKey)
// into the token, as ImportPEM.
func (tk *Token) ImportKey(t testing.TB, label, id string, key crypto.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	tk.ImportPEM(t, label, id, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func (tk *Token) run(t testing.TB, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), tk.Env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(prog), strings.Join(args, " "), err, out)
	}
}
