package provenance

import (
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
	"errors"
	"fmt"
	"strconv"
)

// PayloadType is the DSSE payload type of an in-toto Statement.
const PayloadType = "application/vnd.in-toto+json"

// Signer makes a raw signature over the DSSE pre-authentication encoding of a
// payload (see [PAE]).
type Signer interface {
	// KeyID names the key for the envelope's keyid: a hint for verifiers,
	// never trusted.
	KeyID() string
	// Sign returns the signature over pae.
	Sign(pae []byte) ([]byte, error)
}

// The envelope's JSON shape.
type (
	dsseEnvelope struct {
		PayloadType string          `json:"payloadType"`
		Payload     string          `json:"payload"`
		Signatures  []dsseSignature `json:"signatures"`
	}
	dsseSignature struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}
)

// PAE returns the DSSE v1 pre-authentication encoding of a payload, the bytes
// a signature covers: "DSSEv1", the type's length, the type, the payload's
// length and the payload, separated by single spaces, lengths in decimal.
func PAE(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, 64+len(payloadType)+len(payload))
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// Envelope signs statement (the output of [Build.Statement], or another
// in-toto Statement v1) with s and returns the DSSE envelope as one line of
// JSON ending in "\n": payloadType [PayloadType], payload the statement in
// standard base64, and one signature with s's key id.
func Envelope(statement []byte, s Signer) ([]byte, error) {
	if s == nil {
		return nil, errors.New("provenance: signer: nil; want a Signer such as NewSigner returns")
	}
	if err := checkStatementType("statement", statement); err != nil {
		return nil, err
	}
	keyID := s.KeyID()
	if err := checkText("KeyID", keyID); err != nil {
		return nil, err
	}
	sig, err := s.Sign(PAE(PayloadType, statement))
	if err != nil {
		return nil, fmt.Errorf("provenance: signing with key %s: %w", keyID, err)
	}
	if len(sig) == 0 {
		return nil, fmt.Errorf("provenance: signing with key %s: the signer returned no signature", keyID)
	}
	env := dsseEnvelope{
		PayloadType: PayloadType,
		Payload:     base64.StdEncoding.EncodeToString(statement),
		Signatures:  []dsseSignature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
	line, err := marshal(env)
	if err != nil {
		return nil, err
	}
	return append(line, '\n'), nil
}

// Verify checks that some signature of the DSSE envelope verifies with pub
// (an ed25519.PublicKey, an *rsa.PublicKey of 2048 bits or more for PKCS#1
// v1.5 with SHA-256, or an *ecdsa.PublicKey on P-256 for ASN.1 DER signatures
// over SHA-256), that the payload type is [PayloadType] and that the payload
// is an in-toto Statement v1, and returns the payload. Standard and URL-safe
// base64, padded or not, are accepted as DSSE allows; key ids are ignored.
func Verify(envelope []byte, pub crypto.PublicKey) (statement []byte, err error) {
	if err := checkKey(pub); err != nil {
		return nil, err
	}
	var env dsseEnvelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil, fmt.Errorf("provenance: reading the envelope: %w", err)
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("provenance: envelope: payload type %q; want %q", env.PayloadType, PayloadType)
	}
	payload, err := decodeBase64(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("provenance: envelope: payload: %w", err)
	}
	if len(env.Signatures) == 0 {
		return nil, errors.New("provenance: envelope: no signatures; want at least one")
	}
	pae := PAE(env.PayloadType, payload)
	for _, s := range env.Signatures {
		sig, err := decodeBase64(s.Sig)
		if err == nil && verifySignature(pub, pae, sig) == nil {
			if err := checkStatementType("envelope: payload", payload); err != nil {
				return nil, err
			}
			return payload, nil
		}
	}
	return nil, fmt.Errorf("provenance: envelope: none of its %d signatures verifies with the key %s",
		len(env.Signatures), keyIDOrType(pub))
}

// checkStatementType requires a JSON object whose _type is StatementType.
func checkStatementType(field string, statement []byte) error {
	var head struct {
		Type string `json:"_type"`
	}
	if err := json.Unmarshal(statement, &head); err != nil {
		return fmt.Errorf("provenance: %s: not an in-toto Statement (%w); want the output of Build.Statement",
			field, err)
	}
	if head.Type != StatementType {
		return fmt.Errorf("provenance: %s: _type %q; want %q", field, head.Type, StatementType)
	}
	return nil
}

// decodeBase64 accepts the four base64 alphabets and paddings DSSE allows.
func decodeBase64(s string) ([]byte, error) {
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding,
		base64.RawStdEncoding, base64.RawURLEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64: %w", err)
}

// NewSigner returns a Signer over key, which may live in a hardware token,
// holding an Ed25519 key (deterministic signatures), an RSA key of 2048 bits
// or more (PKCS#1 v1.5 with SHA-256, deterministic) or an ECDSA P-256 key
// (ASN.1 DER over SHA-256; randomized, so the envelope is not reproducible).
// Its key id is the hex SHA-256 of the public key's PKIX DER encoding. Every
// signature is verified before it is returned, so a key that signs with
// another scheme (RSA-PSS) fails instead of writing a useless envelope.
func NewSigner(key crypto.Signer) (Signer, error) {
	if key == nil {
		return nil, errors.New("provenance: signing key: nil; want an Ed25519, RSA or ECDSA P-256 crypto.Signer")
	}
	pub := key.Public()
	if err := checkKey(pub); err != nil {
		return nil, err
	}
	id, err := keyID(pub)
	if err != nil {
		return nil, err
	}
	return keySigner{key: key, pub: pub, id: id}, nil
}

// keySigner signs with a crypto.Signer.
type keySigner struct {
	key crypto.Signer
	pub crypto.PublicKey
	id  string
}

// KeyID returns the hex SHA-256 of the public key's PKIX DER encoding.
func (s keySigner) KeyID() string { return s.id }

// Sign signs pae as NewSigner describes and verifies the result.
func (s keySigner) Sign(pae []byte) ([]byte, error) {
	var sig []byte
	var err error
	if _, ok := s.pub.(ed25519.PublicKey); ok {
		sig, err = s.key.Sign(rand.Reader, pae, crypto.Hash(0))
	} else {
		d := sha256.Sum256(pae)
		sig, err = s.key.Sign(rand.Reader, d[:], crypto.SHA256)
	}
	if err != nil {
		return nil, err
	}
	if err := verifySignature(s.pub, pae, sig); err != nil {
		return nil, fmt.Errorf("the key's own signature does not verify (is it signing with another scheme?): %w", err)
	}
	return sig, nil
}

// checkKey accepts the public keys this package signs and verifies with.
func checkKey(pub crypto.PublicKey) error {
	const want = "want an Ed25519, RSA (2048 bits or more) or ECDSA P-256 key"
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("provenance: key: Ed25519 key of %d bytes; %s", len(k), want)
		}
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < 2048 {
			return fmt.Errorf("provenance: key: RSA key too short; %s", want)
		}
	case *ecdsa.PublicKey:
		if k == nil || k.Curve != elliptic.P256() {
			return fmt.Errorf("provenance: key: ECDSA key not on P-256; %s", want)
		}
	default:
		return fmt.Errorf("provenance: key: unsupported type %T; %s", pub, want)
	}
	return nil
}

// verifySignature checks sig over msg with a key checkKey accepted.
func verifySignature(pub crypto.PublicKey, msg, sig []byte) error {
	bad := errors.New("signature does not verify")
	d := sha256.Sum256(msg)
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if !ed25519.Verify(k, msg, sig) {
			return bad
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig); err != nil {
			return bad
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, d[:], sig) {
			return bad
		}
	default:
		return fmt.Errorf("unsupported key type %T", pub)
	}
	return nil
}

// keyID is the hex SHA-256 of the public key's PKIX DER encoding.
func keyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("provenance: key: encoding the public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// keyIDOrType names a key in an error message.
func keyIDOrType(pub crypto.PublicKey) string {
	if id, err := keyID(pub); err == nil {
		return id
	}
	return fmt.Sprintf("%T", pub)
}
