//go:build cgo

package pkcs11key

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

// PKCS#11 3.0 names that github.com/miekg/pkcs11 v1.1.2 predates.
const (
	ckkECEdwards    = 0x40
	ckkECMontgomery = 0x41
	ckmEdDSA        = 0x1057
)

// key is a private key object in an open, logged-in session.
type key struct {
	mod     *module
	mu      sync.Mutex // a session runs one operation at a time
	session pkcs11.SessionHandle
	handle  pkcs11.ObjectHandle
	pub     crypto.PublicKey
	name    string // the URI, for messages
	closed  bool
}

// find sets k.handle to the one private key matching u, and k.pub to its
// public key.
func (k *key) find(u URI, token string, loggedIn bool) error {
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)}
	if u.Object != "" {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_LABEL, u.Object))
	}
	if u.ID != nil {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, u.ID))
	}
	found, err := k.findObjects(tmpl)
	if err != nil {
		return fmt.Errorf("token %q: searching for the key: %w", token, err)
	}
	switch len(found) {
	case 0:
		all, _ := k.findObjects(tmpl[:1])
		if len(all) == 0 && !loggedIn {
			return fmt.Errorf("the URI names no key on token %q, which shows no private key without a login; "+
				"give the PIN", token)
		}
		return fmt.Errorf("the URI names no key on token %q; its private keys: %s", token, k.describe(all))
	case 1:
	default:
		return fmt.Errorf("%d private keys on token %q match the URI (%s); add id= or object= to choose one",
			len(found), token, k.describe(found))
	}
	k.handle = found[0]
	if err := k.loadPublic(); err != nil {
		return fmt.Errorf("token %q, key %s: %w", token, k.describe(found), err)
	}
	return nil
}

func (k *key) findObjects(tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	ctx := k.mod.ctx
	if err := ctx.FindObjectsInit(k.session, tmpl); err != nil {
		return nil, err
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := ctx.FindObjects(k.session, 64)
		if err != nil {
			ctx.FindObjectsFinal(k.session)
			return nil, err
		}
		if len(hs) == 0 {
			return all, ctx.FindObjectsFinal(k.session)
		}
		all = append(all, hs...)
	}
}

// describe names objects as URI attributes, object=...;id=%..., for messages.
func (k *key) describe(hs []pkcs11.ObjectHandle) string {
	if len(hs) == 0 {
		return "none"
	}
	var d []string
	for _, h := range hs {
		attrs, err := k.attrs(h, pkcs11.CKA_LABEL, pkcs11.CKA_ID)
		if err != nil {
			d = append(d, fmt.Sprintf("(object %d: %v)", h, err))
			continue
		}
		var id strings.Builder
		for _, c := range attrs[1] {
			fmt.Fprintf(&id, "%%%02X", c)
		}
		d = append(d, fmt.Sprintf("object=%s;id=%s", escape(string(attrs[0])), id.String()))
	}
	slices.Sort(d)
	return strings.Join(d, ", ")
}

func (k *key) attrs(h pkcs11.ObjectHandle, types ...uint) ([][]byte, error) {
	tmpl := make([]*pkcs11.Attribute, len(types))
	for i, t := range types {
		tmpl[i] = pkcs11.NewAttribute(t, nil)
	}
	got, err := k.mod.ctx.GetAttributeValue(k.session, h, tmpl)
	if err != nil {
		return nil, err
	}
	vals := make([][]byte, len(types))
	for i, a := range got {
		vals[i] = a.Value
	}
	return vals, nil
}

// loadPublic reads the key's type and public key, from the private key
// object when the token shows them there and else from the public key object
// with the same CKA_ID.
func (k *key) loadPublic() error {
	a, err := k.attrs(k.handle, pkcs11.CKA_KEY_TYPE, pkcs11.CKA_SIGN)
	if err != nil {
		return fmt.Errorf("reading its attributes: %w", err)
	}
	if len(a[1]) == 1 && a[1][0] == 0 {
		return errors.New("the token does not allow this key to sign (CKA_SIGN is false)")
	}
	switch t := ulong(a[0]); t {
	case pkcs11.CKK_RSA:
		v, err := k.publicAttrs(pkcs11.CKA_MODULUS, pkcs11.CKA_PUBLIC_EXPONENT)
		if err != nil {
			return err
		}
		k.pub, err = rsaPublic(v[0], v[1])
		return err
	case pkcs11.CKK_EC, ckkECEdwards:
		v, err := k.publicAttrs(pkcs11.CKA_EC_PARAMS, pkcs11.CKA_EC_POINT)
		if err != nil {
			return err
		}
		k.pub, err = ecPublic(t == ckkECEdwards, v[0], v[1])
		return err
	default:
		return fmt.Errorf("key type %s is not supported for signing; RSA, EC (P-256, P-384, P-521) and Ed25519 are",
			keyTypeName(t))
	}
}

func (k *key) publicAttrs(types ...uint) ([][]byte, error) {
	if v, err := k.attrs(k.handle, types...); err == nil && len(v[0]) > 0 && len(v[1]) > 0 {
		return v, nil
	}
	ids, err := k.attrs(k.handle, pkcs11.CKA_ID, pkcs11.CKA_LABEL)
	if err != nil {
		return nil, fmt.Errorf("reading its id: %w", err)
	}
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY)}
	if len(ids[0]) > 0 {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, ids[0]))
	} else {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_LABEL, ids[1]))
	}
	pubs, err := k.findObjects(tmpl)
	if err != nil {
		return nil, fmt.Errorf("searching for its public key: %w", err)
	}
	if len(pubs) != 1 {
		return nil, fmt.Errorf("the token shows its public key neither on the private key object "+
			"nor as exactly one public key object with the same id (found %d); import the public key with the same id",
			len(pubs))
	}
	v, err := k.attrs(pubs[0], types...)
	if err != nil {
		return nil, fmt.Errorf("reading its public key: %w", err)
	}
	return v, nil
}

func rsaPublic(n, e []byte) (*rsa.PublicKey, error) {
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() > 1<<31-1 || exp.Int64() < 3 {
		return nil, fmt.Errorf("RSA public exponent %v is not usable", exp)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
}

var (
	curves = map[string]elliptic.Curve{
		"1.2.840.10045.3.1.7": elliptic.P256(),
		"1.3.132.0.34":        elliptic.P384(),
		"1.3.132.0.35":        elliptic.P521(),
	}
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// ecPublic decodes CKA_EC_PARAMS (a named curve's OID, or for Edwards keys
// the PrintableString "edwards25519") and CKA_EC_POINT (the point in a DER
// OCTET STRING; some tokens give it bare).
func ecPublic(edwards bool, params, point []byte) (crypto.PublicKey, error) {
	var inner []byte
	if rest, err := asn1.Unmarshal(point, &inner); err == nil && len(rest) == 0 {
		point = inner
	}
	var oid asn1.ObjectIdentifier
	var name string
	if _, err := asn1.Unmarshal(params, &oid); err != nil {
		if _, err := asn1.Unmarshal(params, &name); err != nil {
			return nil, fmt.Errorf("cannot read its curve (CKA_EC_PARAMS %X)", params)
		}
	}
	if edwards {
		if name != "edwards25519" && !oid.Equal(oidEd25519) {
			return nil, fmt.Errorf("Edwards curve %s%s is not supported; Ed25519 is", name, oid)
		}
		if len(point) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 public key is %d bytes, not %d", len(point), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(point), nil
	}
	curve := curves[oid.String()]
	if curve == nil {
		return nil, fmt.Errorf("curve %s%s is not supported; P-256, P-384 and P-521 are", name, oid)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("its public key: %w", err)
	}
	return pub, nil
}

// ulong decodes a CK_ULONG attribute value (native byte order and width).
func ulong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return ^uint(0)
}

func keyTypeName(t uint) string {
	switch t {
	case pkcs11.CKK_DSA:
		return "DSA"
	case pkcs11.CKK_DH:
		return "DH"
	case ckkECMontgomery:
		return "EC_MONTGOMERY (X25519/X448, for key agreement)"
	case pkcs11.CKK_GOSTR3410:
		return "GOST R 34.10"
	}
	return fmt.Sprintf("0x%X", t)
}

// Public returns the key's public key.
func (k *key) Public() crypto.PublicKey { return k.pub }

// Sign signs digest on the token: RSA PKCS #1 v1.5 (opts a crypto.Hash, or 0
// for data already DigestInfo-encoded) or PSS (opts *rsa.PSSOptions; an
// automatic salt length is the hash's size), ECDSA (ASN.1 result), or pure
// Ed25519 over the message itself (opts.HashFunc() 0). rand is not used:
// the token draws its own randomness.
func (k *key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	mech, input, err := k.mechanism(digest, opts)
	if err != nil {
		return nil, fmt.Errorf("pkcs11key: %s: %w", k.name, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, fmt.Errorf("pkcs11key: %s: the key was closed", k.name)
	}
	ctx := k.mod.ctx
	if err := ctx.SignInit(k.session, []*pkcs11.Mechanism{mech}, k.handle); err != nil {
		return nil, fmt.Errorf("pkcs11key: %s: starting to sign: %w", k.name, err)
	}
	sig, err := ctx.Sign(k.session, input)
	if err != nil {
		return nil, fmt.Errorf("pkcs11key: %s: signing: %w", k.name, err)
	}
	if _, ok := k.pub.(*ecdsa.PublicKey); ok {
		return ecdsaASN1(sig)
	}
	return sig, nil
}

func (k *key) mechanism(digest []byte, opts crypto.SignerOpts) (*pkcs11.Mechanism, []byte, error) {
	h := opts.HashFunc()
	if _, ok := k.pub.(ed25519.PublicKey); ok {
		if o, ok := opts.(*ed25519.Options); h != 0 || ok && o.Context != "" {
			return nil, nil, errors.New("the token signs pure Ed25519 only (no hash, no context)")
		}
		return pkcs11.NewMechanism(ckmEdDSA, nil), digest, nil
	}
	if h != 0 && len(digest) != h.Size() {
		return nil, nil, fmt.Errorf("the digest is %d bytes long; %v gives %d", len(digest), h, h.Size())
	}
	if _, ok := k.pub.(*ecdsa.PublicKey); ok {
		return pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil), digest, nil
	}
	if pss, ok := opts.(*rsa.PSSOptions); ok {
		return pssMechanism(h, pss.SaltLength, digest)
	}
	if h == 0 {
		return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil), digest, nil
	}
	d, ok := hashes[h]
	if !ok {
		return nil, nil, fmt.Errorf("hash %v is not supported; SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512 are", h)
	}
	info, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}{pkix.AlgorithmIdentifier{Algorithm: d.oid, Parameters: asn1.NullRawValue}, digest})
	if err != nil {
		return nil, nil, err
	}
	return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil), info, nil
}

// hashes maps a hash to its DigestInfo OID (RFC 8017) and its PKCS#11 hash
// and MGF1 mechanisms (for PSS).
var hashes = map[crypto.Hash]struct {
	oid       asn1.ObjectIdentifier
	mech, mgf uint
}{
	crypto.SHA1:   {asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1},
	crypto.SHA224: {asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, pkcs11.CKM_SHA224, pkcs11.CKG_MGF1_SHA224},
	crypto.SHA256: {asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256},
	crypto.SHA384: {asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384},
	crypto.SHA512: {asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512},
}

func pssMechanism(h crypto.Hash, salt int, digest []byte) (*pkcs11.Mechanism, []byte, error) {
	d, ok := hashes[h]
	if !ok {
		return nil, nil, fmt.Errorf("RSA-PSS with hash %v is not supported; SHA-1 and SHA-2 are", h)
	}
	if salt == rsa.PSSSaltLengthAuto || salt == rsa.PSSSaltLengthEqualsHash {
		salt = h.Size()
	}
	if salt < 0 {
		return nil, nil, fmt.Errorf("RSA-PSS salt length %d is not valid", salt)
	}
	return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(d.mech, d.mgf, uint(salt))), digest, nil
}

// ecdsaASN1 turns PKCS#11's r||s into the ASN.1 SEQUENCE crypto.Signer
// returns.
func ecdsaASN1(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, fmt.Errorf("pkcs11key: the token returned a %d-byte ECDSA signature", len(sig))
	}
	n := len(sig) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
}

// Close ends the key's session, and unloads the module when no other key
// uses it. Closing twice is harmless.
func (k *key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	err := k.mod.ctx.CloseSession(k.session)
	if rerr := k.mod.release(); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("pkcs11key: closing %s: %w", k.name, err)
	}
	return nil
}
