package pkcs11key_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/pkcs11key"
)

// TestParseURI reads the attributes RFC 7512 gives, percent-decoding values
// (id is bytes, object may hold spaces).
func TestParseURI(t *testing.T) {
	u, err := pkcs11key.ParseURI("pkcs11:token=Release%20HSM;manufacturer=SoftHSM%20project;serial=9f3c;" +
		"model=SoftHSM%20v2;slot-id=7;object=code%20signing;id=%01%A2;type=private?module-path=/usr/lib/p11.so")
	if err != nil {
		t.Fatal(err)
	}
	if u.Token != "Release HSM" || u.Manufacturer != "SoftHSM project" || u.Serial != "9f3c" ||
		u.Model != "SoftHSM v2" || u.SlotID == nil || *u.SlotID != 7 || u.Object != "code signing" ||
		!bytes.Equal(u.ID, []byte{0x01, 0xA2}) || u.ModulePath != "/usr/lib/p11.so" {
		t.Errorf("ParseURI = %+v", u)
	}
	u, err = pkcs11key.ParseURI("PKCS11:object=a&b=c")
	if err != nil || u.Object != "a&b=c" || u.ID != nil || u.SlotID != nil {
		t.Errorf("ParseURI: %+v, %v", u, err)
	}
	if u, err := pkcs11key.ParseURI("pkcs11:"); err != nil || u.String() != "pkcs11:" {
		t.Errorf("the empty URI (any key): %+v, %v", u, err)
	}
}

// TestParseURIRejects: every mistake is refused with a message saying what
// would be valid; the PIN never comes from the URI.
func TestParseURIRejects(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"token=ci;object=rel", `does not start with "pkcs11:"`},
		{"pkcs11:token=a;token=b", "token is given twice"},
		{"pkcs11:label=rel",
			`unknown attribute "label"; valid here: id, manufacturer, model, object, serial, slot-id, token, type`},
		{"pkcs11:object=my key", `character ' ' at offset 2 must be percent-encoded`},
		{"pkcs11:object=a/b", `character '/' at offset 1 must be percent-encoded`},
		{"pkcs11:id=%zz", "bad percent-encoding"},
		{"pkcs11:id=%0", "bad percent-encoding"},
		{"pkcs11:object=a?pin-value=1234", "the PIN is never read from the URI"},
		{"pkcs11:object=a?pin-source=file:/pin", "the PIN is never read from the URI"},
		{"pkcs11:object=a?module-name=softhsm2", "module-name needs p11-kit"},
		{"pkcs11:object=a?foo=1", `unknown attribute "foo"; valid here: module-name, module-path, pin-source, pin-value`},
		{"pkcs11:type=cert", "type=cert: a signing key is a private key"},
		{"pkcs11:token=", "token= has an empty value"},
		{"pkcs11:token=" + strings.Repeat("x", 33), "33 bytes long; PKCS#11 holds at most 32"},
		{"pkcs11:slot-id=first", "slot-id=first is not a decimal number"},
		{"pkcs11:object=a;;id=%01", "empty attribute"},
		{"pkcs11:object", `"object" is not name=value`},
	} {
		_, err := pkcs11key.ParseURI(tc.uri)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.uri) {
			t.Errorf("ParseURI(%q) = %v, want an error naming the URI and containing %q", tc.uri, err, tc.want)
		}
	}
}

// TestOpenChecksURIFirst: a bad URI is reported as such, with or without
// cgo, before any module is loaded.
func TestOpenChecksURIFirst(t *testing.T) {
	_, err := pkcs11key.Open(pkcs11key.Config{Module: "/nonexistent/lib.so", URI: "pkcs11:label=x"})
	if err == nil || !strings.Contains(err.Error(), `unknown attribute "label"`) || errors.Is(err, pkcs11key.ErrNoCgo) {
		t.Errorf("Open with a bad URI: %v", err)
	}
}
