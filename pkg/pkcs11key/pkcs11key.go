// Package pkcs11key signs with a private key that never leaves a PKCS#11
// token (a hardware security module, a smart card, a cloud HSM's PKCS#11
// library, or SoftHSM2 in tests). Publicly trusted code-signing keys must be
// held in hardware; this package gives svcpack's signers a crypto.Signer over
// such a key (pkg/pgpsign's FromSigner takes one).
//
// A key is named by the token's PKCS#11 module (a shared library) and a
// PKCS#11 URI (RFC 7512), for example
//
//	pkcs11:token=release;object=signing;id=%01
//
// The path attributes token, manufacturer, serial and model choose the
// token, slot-id the slot, object (CKA_LABEL) and id (CKA_ID, percent-encoded
// bytes) the key, and type may only be "private". The query attribute
// module-path may name the module when the configuration does not. Every
// other attribute is refused with an error listing the valid ones, so a typo
// never widens the match. pin-value and pin-source are refused too: the PIN
// comes only from the caller (svcpack reads it from an environment
// variable), never from a URI that ends up in config files and logs.
//
// Open finds exactly one initialized token and exactly one private key
// matching the URI; none or several is an error that lists what the module
// and the token hold, in URI syntax. RSA keys sign PKCS #1 v1.5
// (deterministic, hence reproducible) or PSS, EC keys on P-256, P-384 and
// P-521 sign ECDSA (returned ASN.1-encoded, as crypto.Signer requires), and
// Ed25519 keys (CKK_EC_EDWARDS) sign pure Ed25519. The public key is read
// from the private key object or else from the public key object with the
// same CKA_ID. PKCS#11 logs an application in per token, not per session,
// and does not check the PIN of a second login; Open compares it with the
// PIN this process logged in with instead.
//
// The package talks to the module through github.com/miekg/pkcs11, a thin
// cgo binding with no dependencies of its own, rather than crypto11 on top
// of it: the lookup, login and error mapping are done here, where each
// message can name the module, the URI and the token, and where several
// matching keys are an error rather than the first one found. Loading a
// shared library needs cgo: the files that do are built only with cgo, and a
// build without it (CGO_ENABLED=0, or `go run` with no C compiler) still
// compiles, with an Open that returns ErrNoCgo. ParseURI is pure Go and
// works in both. C_Initialize is per process, so keys opened from one module
// share it, and the last Close finalizes and unloads it.
package pkcs11key

import (
	"crypto"
	"errors"
)

// ErrNoCgo is what Open returns in a build without cgo.
var ErrNoCgo = errors.New("pkcs11key: this svcpack was built without cgo (no C compiler): a PKCS#11 token needs it; " +
	"build svcpack with CGO_ENABLED=1 and a C compiler")

// Config names a key on a token.
type Config struct {
	// Module is the path of the token's PKCS#11 library, e.g.
	// /usr/lib/softhsm/libsofthsm2.so. It may be left empty when the URI
	// carries a module-path query attribute.
	Module string
	// URI names the token and the key (RFC 7512).
	URI string
	// PIN is the token's user PIN, given by the caller; "" when the token
	// needs no login.
	PIN string
}

// Key is a private key held by a token. Its Public method returns the
// matching public key (*rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey). Close ends the session; a Key must not be used after.
type Key interface {
	crypto.Signer
	Close() error
}
