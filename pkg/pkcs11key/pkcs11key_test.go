//go:build cgo

package pkcs11key_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/svcpack/svcpack/internal/softhsm"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/pkcs11key"
)

// open opens the key the URI names on tk and closes it when the test ends.
func open(t *testing.T, tk *softhsm.Token, uri string) pkcs11key.Key {
	t.Helper()
	k, err := pkcs11key.Open(pkcs11key.Config{Module: tk.Module, URI: uri, PIN: tk.PIN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k.Close(); err != nil {
			t.Error(err)
		}
	})
	return k
}

var digest = sha256.Sum256([]byte("checksums.txt contents\n"))

// TestRSA: a key generated on the token signs PKCS #1 v1.5 SHA-256
// signatures that verify with Public() and are the same bytes every time,
// and PSS signatures that verify; a key imported from Go has exactly Go's
// public key.
func TestRSA(t *testing.T) {
	tk := softhsm.New(t)
	tk.GenRSA(t, "release", "01")
	goKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tk.ImportKey(t, "imported", "02", goKey)

	k := open(t, tk, "pkcs11:token=svcpack-test;object=release;id=%01")
	pub, ok := k.Public().(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("Public() = %T %v", k.Public(), k.Public())
	}
	sig1, err := k.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig1); err != nil {
		t.Errorf("PKCS #1 v1.5 signature does not verify: %v", err)
	}
	sig2, err := k.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil || !bytes.Equal(sig1, sig2) {
		t.Errorf("two PKCS #1 v1.5 signatures of one digest differ (%v)", err)
	}
	pss := &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}
	sig, err := k.Sign(rand.Reader, digest[:], pss)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, pss); err != nil {
		t.Errorf("PSS signature does not verify: %v", err)
	}
	_, err = k.Sign(rand.Reader, digest[:20], crypto.SHA256)
	if err == nil || !strings.Contains(err.Error(), "20 bytes long") {
		t.Errorf("Sign with a short digest: %v", err)
	}

	imported := open(t, tk, tk.URI("imported"))
	if !goKey.PublicKey.Equal(imported.Public()) {
		t.Errorf("the imported key's Public() is not the key imported")
	}
	want, _ := goKey.Sign(rand.Reader, digest[:], crypto.SHA256)
	if got, err := imported.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the token's signature differs from Go's with the same key (%v)", err)
	}
}

// TestECDSA: a P-256 key signs ECDSA signatures, returned
// ASN.1-encoded, that verify with Public().
func TestECDSA(t *testing.T) {
	tk := softhsm.New(t)
	tk.GenEC(t, "ec", "03")
	k := open(t, tk, "pkcs11:object=ec")
	pub, ok := k.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve.Params().Name != "P-256" {
		t.Fatalf("Public() = %T %v", k.Public(), k.Public())
	}
	sig, err := k.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		t.Error("ECDSA signature does not verify")
	}
}

// TestEd25519: SoftHSM 2.6 holds Ed25519 keys (EC:edwards25519 in
// pkcs11-tool); they sign the message itself.
func TestEd25519(t *testing.T) {
	tk := softhsm.New(t)
	tk.GenEd25519(t, "ed", "04")
	k := open(t, tk, "pkcs11:id=%04")
	pub, ok := k.Public().(ed25519.PublicKey)
	if !ok {
		t.Fatalf("Public() = %T", k.Public())
	}
	msg := []byte("InRelease contents\n")
	sig, err := k.Sign(rand.Reader, msg, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(pub, msg, sig) {
		t.Error("Ed25519 signature does not verify")
	}
	_, err = k.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err == nil || !strings.Contains(err.Error(), "pure Ed25519") {
		t.Errorf("Ed25519ph: %v", err)
	}
}

// TestKeysShareModule: two keys open at once share the loaded module and
// the token's login, yet a wrong PIN is still refused while logged in;
// closing one key leaves the other working (from several goroutines at
// once), and a closed key refuses to sign.
func TestKeysShareModule(t *testing.T) {
	tk := softhsm.New(t)
	tk.GenRSA(t, "a", "01")
	tk.GenEC(t, "b", "02")
	a := open(t, tk, tk.URI("a"))
	_, err := pkcs11key.Open(pkcs11key.Config{Module: tk.Module, URI: tk.URI("b"), PIN: "0000-wrong"})
	if err == nil || !strings.Contains(err.Error(), `wrong PIN for token "svcpack-test"`) {
		t.Errorf("Open with a wrong PIN while the token is logged in: %v", err)
	}
	b, err := pkcs11key.Open(pkcs11key.Config{Module: tk.Module, URI: tk.URI("b"), PIN: tk.PIN})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sign(rand.Reader, digest[:], crypto.SHA256); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Sign after Close: %v", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := a.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
				t.Errorf("concurrent Sign after another key was closed: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestOpenErrors: each way of naming the wrong thing gets an error that
// names the module and the URI and says what is wrong.
func TestOpenErrors(t *testing.T) {
	tk := softhsm.New(t)
	tk.GenRSA(t, "release", "01")
	tk.GenRSA(t, "dup", "02")
	tk.GenRSA(t, "dup", "03")
	tk.Gen(t, "EC:secp256k1", "k1", "04")
	notLib := filepath.Join(t.TempDir(), "lib.so")
	os.WriteFile(notLib, []byte("not a library"), 0o644)
	for _, tc := range []struct {
		name, module, uri, pin, want string
	}{
		{"wrong PIN", "", "pkcs11:object=release", "0000-wrong", `wrong PIN for token "svcpack-test"`},
		{"no PIN", "", "pkcs11:object=release", "", `token "svcpack-test" needs its user PIN and none was given`},
		{"no such key", "", "pkcs11:token=svcpack-test;object=nope", tk.PIN,
			`the URI names no key on token "svcpack-test"; its private keys: `},
		{"no key with this id", "", "pkcs11:object=release;id=%02", tk.PIN, "object=release;id=%01"},
		{"unknown token", "", "pkcs11:token=other;object=release", tk.PIN,
			`no token labelled "other"; the module has token=svcpack-test;serial=`},
		{"several keys", "", "pkcs11:object=dup", tk.PIN,
			"2 private keys on token \"svcpack-test\" match the URI (object=dup;id=%02, object=dup;id=%03)"},
		{"unsupported curve", "", "pkcs11:object=k1", tk.PIN,
			"curve 1.3.132.0.10 is not supported; P-256, P-384 and P-521 are"},
		{"missing module", "/nonexistent/libp11.so", "pkcs11:object=release", tk.PIN, "cannot load the module"},
		{"not a module", notLib, "pkcs11:object=release", tk.PIN, "cannot load the module: it is not a PKCS#11 library"},
		{"conflicting module-path", "", "pkcs11:object=release?module-path=/other.so", tk.PIN,
			"is not the configured module"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			module := tk.Module
			if tc.module != "" {
				module = tc.module
			}
			k, err := pkcs11key.Open(pkcs11key.Config{Module: module, URI: tc.uri, PIN: tc.pin})
			if err == nil {
				k.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			for _, want := range []string{tc.want, tc.uri, module} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
		})
	}
	_, err := pkcs11key.Open(pkcs11key.Config{Module: tk.Module, URI: "pkcs11:object=release", PIN: "0000-wrong"})
	if !errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)) {
		t.Errorf("a wrong PIN is not CKR_PIN_INCORRECT to errors.Is: %v", err)
	}
	if _, err := pkcs11key.Open(pkcs11key.Config{URI: "pkcs11:object=release"}); err == nil ||
		!strings.Contains(err.Error(), "no PKCS#11 module given") {
		t.Errorf("Open without a module: %v", err)
	}
	k := open(t, tk, "pkcs11:object=release?module-path="+tk.Module)
	k.Close()
}

// TestUnsupportedKeyType: a DSA key (imported with openssl's help) is named
// as such.
func TestUnsupportedKeyType(t *testing.T) {
	tk := softhsm.New(t)
	openssl := testtool.Need(t, "openssl", "openssl")
	dir := t.TempDir()
	params, key := filepath.Join(dir, "dsap.pem"), filepath.Join(dir, "dsa.pem")
	for _, args := range [][]string{
		{"genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:1024", "-out", params},
		{"genpkey", "-paramfile", params, "-out", key},
	} {
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	pemKey, _ := os.ReadFile(key)
	tk.ImportPEM(t, "dsa", "05", pemKey)
	_, err := pkcs11key.Open(pkcs11key.Config{Module: tk.Module, URI: tk.URI("dsa"), PIN: tk.PIN})
	if err == nil || !strings.Contains(err.Error(), "key type DSA is not supported for signing; RSA, EC") {
		t.Fatalf("Open of a DSA key: %v", err)
	}
	t.Log(err)
}

// TestWrongPINTriedOnce: a PIN the token refused is not tried again in the
// same process (a config naming the token for three signers must not use up
// three of its tries), and the right PIN still opens it.
func TestWrongPINTriedOnce(t *testing.T) {
	tk := softhsm.New(t)
	tk.GenRSA(t, "once", "01")
	c := pkcs11key.Config{Module: tk.Module, URI: "pkcs11:object=once", PIN: "0000-wrong-once"}
	if _, err := pkcs11key.Open(c); err == nil || !strings.Contains(err.Error(), "wrong PIN") ||
		strings.Contains(err.Error(), "refused before") {
		t.Fatalf("first try: %v", err)
	}
	if _, err := pkcs11key.Open(c); err == nil || !strings.Contains(err.Error(), "refused before in this run") {
		t.Errorf("second try: %v", err)
	}
	c.PIN = tk.PIN
	k, err := pkcs11key.Open(c)
	if err != nil {
		t.Fatalf("the right PIN: %v", err)
	}
	k.Close()
}
