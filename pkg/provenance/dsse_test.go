package provenance

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestPAE checks the pre-authentication encoding against the DSSE
// specification's definition, including the empty case.
func TestPAE(t *testing.T) {
	tests := []struct{ typ, body, want string }{
		{"http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"", "", "DSSEv1 0  0 "},
		{PayloadType, "{}", "DSSEv1 28 application/vnd.in-toto+json 2 {}"},
	}
	for _, tt := range tests {
		if got := PAE(tt.typ, []byte(tt.body)); string(got) != tt.want {
			t.Errorf("PAE(%q, %q) = %q, want %q", tt.typ, tt.body, got, tt.want)
		}
	}
}

// edit decodes an envelope, lets change alter it and encodes it again.
func edit(t *testing.T, env []byte, change func(*dsseEnvelope)) []byte {
	t.Helper()
	var e dsseEnvelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	change(&e)
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flip changes one byte in the middle of a base64 field's decoded value.
func flip(t *testing.T, field *string) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(*field)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	*field = base64.StdEncoding.EncodeToString(b)
}

// TestVerify checks that Verify accepts the envelope and equivalent forms of
// it (another key id, URL-safe base64, unknown fields) and rejects a changed
// payload byte, a changed signature, a wrong key, a changed payload type, a
// missing signature and a payload that is not a Statement.
func TestVerify(t *testing.T) {
	env := seal(t, example(), edKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	old := []byte(`{"_type":"https://in-toto.io/Statement/v0.1"}`)
	oldSig := ed25519.Sign(edKey, PAE(PayloadType, old))
	notStatement, err := json.Marshal(dsseEnvelope{PayloadType: PayloadType,
		Payload:    base64.StdEncoding.EncodeToString(old),
		Signatures: []dsseSignature{{Sig: base64.StdEncoding.EncodeToString(oldSig)}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     []byte
		key     crypto.PublicKey
		wantErr string // "" for success
	}{
		{"as written", env, edKey.Public(), ""},
		{"other key id", edit(t, env, func(e *dsseEnvelope) { e.Signatures[0].KeyID = "someone" }), edKey.Public(), ""},
		{"url-safe base64", edit(t, env, func(e *dsseEnvelope) {
			b, _ := base64.StdEncoding.DecodeString(e.Payload)
			e.Payload = base64.RawURLEncoding.EncodeToString(b)
		}), edKey.Public(), ""},
		{"unknown field", bytes.Replace(env, []byte(`{`), []byte(`{"x_note":1,`), 1), edKey.Public(), ""},
		{"second signature valid", edit(t, env, func(e *dsseEnvelope) {
			e.Signatures = append([]dsseSignature{{Sig: "AAAA"}}, e.Signatures...)
		}), edKey.Public(), ""},
		{"changed payload byte", edit(t, env, func(e *dsseEnvelope) { flip(t, &e.Payload) }), edKey.Public(),
			"verifies"},
		{"changed signature", edit(t, env, func(e *dsseEnvelope) { flip(t, &e.Signatures[0].Sig) }), edKey.Public(),
			"verifies"},
		{"wrong key", env, other.Public(), "verifies"},
		{"wrong key kind", env, &rsaKey().PublicKey, "verifies"},
		{"changed payload type", edit(t, env, func(e *dsseEnvelope) { e.PayloadType = "application/json" }),
			edKey.Public(), "payload type"},
		{"no signatures", edit(t, env, func(e *dsseEnvelope) { e.Signatures = nil }), edKey.Public(), "no signatures"},
		{"not base64", edit(t, env, func(e *dsseEnvelope) { e.Payload = "%%" }), edKey.Public(), "base64"},
		{"not JSON", []byte("{"), edKey.Public(), "reading the envelope"},
		{"not a Statement v1", notStatement, edKey.Public(), "_type"},
		{"unsupported key", env, "key", "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Verify(tt.env, tt.key)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tt.wantErr == "" && !json.Valid(st):
				t.Fatalf("Verify returned %q", st)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Verify error %v, want one saying %q", err, tt.wantErr)
			case tt.wantErr != "" && st != nil:
				t.Fatalf("Verify failed but returned a statement")
			}
		})
	}
}

func mustSigner(t *testing.T, key crypto.Signer) Signer {
	t.Helper()
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyKinds signs with each supported kind of key, checks the key id is
// the hex SHA-256 of the PKIX public key, that the envelope verifies with
// that key and with no key of another kind.
func TestKeyKinds(t *testing.T) {
	for _, k := range keys() {
		t.Run(k.name, func(t *testing.T) {
			s := mustSigner(t, k.key)
			der, err := x509.MarshalPKIXPublicKey(k.key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(der); s.KeyID() != hex.EncodeToString(sum[:]) {
				t.Errorf("KeyID %s, want the PKIX SHA-256 %x", s.KeyID(), sum)
			}
			env := seal(t, example(), k.key)
			if !bytes.HasSuffix(env, []byte("\n")) || bytes.Count(env, []byte("\n")) != 1 {
				t.Errorf("envelope is not one line: %q", env)
			}
			if _, err := Verify(env, k.key.Public()); err != nil {
				t.Errorf("Verify: %v", err)
			}
			for _, o := range keys() {
				if o.name != k.name {
					if _, err := Verify(env, o.key.Public()); err == nil {
						t.Errorf("Verify accepted a %s key", o.name)
					}
				}
			}
		})
	}
}

// pssSigner is a crypto.Signer (like a token configured for RSA-PSS) that
// ignores the requested PKCS#1 v1.5 padding.
type pssSigner struct{ *rsa.PrivateKey }

func (p pssSigner) Sign(r io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	return rsa.SignPSS(r, p.PrivateKey, crypto.SHA256, digest, nil)
}

// TestSignerRejects checks that NewSigner refuses short RSA keys, other
// curves and no key, that a key signing with another scheme is caught before
// an envelope is written, and that Envelope refuses a nil signer and a
// payload that is not an in-toto Statement v1.
func TestSignerRejects(t *testing.T) {
	short, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []crypto.Signer{short, p384, nil} {
		if _, err := NewSigner(key); err == nil || !strings.Contains(err.Error(), "want an Ed25519, RSA") {
			t.Errorf("NewSigner(%T): %v, want an error saying which keys are valid", key, err)
		}
	}
	st, err := example().Statement()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Envelope(st, mustSigner(t, pssSigner{rsaKey()})); err == nil ||
		!strings.Contains(err.Error(), "does not verify") {
		t.Errorf("Envelope with an RSA-PSS signer: %v, want a verification error", err)
	}
	if _, err := Envelope(st, nil); err == nil || !strings.Contains(err.Error(), "provenance: signer: ") {
		t.Errorf("Envelope(nil signer): %v", err)
	}
	for _, bad := range []string{"not json", `{"_type":"link"}`} {
		if _, err := Envelope([]byte(bad), mustSigner(t, edKey)); err == nil ||
			!strings.Contains(err.Error(), "provenance: statement: ") {
			t.Errorf("Envelope(%s): %v, want an error naming the statement", bad, err)
		}
	}
}
