// Package pgpsign makes reproducible OpenPGP detached signatures for release
// artifacts: the deb's _gpgorigin member, the rpm's header signature and
// checksums.txt.asc.
//
// A signature is reproducible when it depends only on the key, the data and
// a pinned creation time: RSA (PKCS #1 v1.5) and EdDSA signatures are, when
// no random salt notation is added; DSA and ECDSA signatures take a random
// nonce, and v6 signatures a random salt, so those keys are refused with an
// error that says so. The creation time is the release date
// (SOURCE_DATE_EPOCH or the commit time), never the clock.
//
// The secret key comes from a file (Load, Parse) or stays on a token:
// FromSigner pairs the key's certificate (gpg --export) with a
// crypto.Signer, such as a PKCS#11 key from pkg/pkcs11key, for the same key
// material. A token's key must be RSA: go-crypto signs EdDSA only with its
// own in-memory key type, and ECDSA is not reproducible.
package pgpsign

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Signer signs with one OpenPGP secret key at a fixed creation time.
type Signer struct {
	entity *openpgp.Entity
	key    *packet.PrivateKey // the signing (sub)key, decrypted
	config *packet.Config
	token  *tokenSigner // FromSigner's key, nil for a key in memory
}

// Load reads an OpenPGP secret key (ASCII-armored or binary, as written by
// `gpg --export-secret-keys`) from path, decrypts it with passphrase when it
// is protected, and returns a Signer whose signatures carry the creation
// time date.
func Load(path, passphrase string, date time.Time) (*Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pgpsign: %w", err)
	}
	s, err := Parse(data, passphrase, date)
	if err != nil {
		return nil, fmt.Errorf("pgpsign: %s: %w", path, err)
	}
	return s, nil
}

// Parse is Load over the key's bytes.
func Parse(data []byte, passphrase string, date time.Time) (*Signer, error) {
	e, err := readEntity(data, "secret key (gpg --export-secret-keys --armor KEYID)")
	if err != nil {
		return nil, err
	}
	if e.PrivateKey == nil {
		return nil, errors.New("holds a public key only; export the secret key (gpg --export-secret-keys --armor KEYID)")
	}
	sk, ok := e.SigningKey(time.Now())
	if !ok {
		return nil, errors.New("has no valid signing key (expired, revoked, or no key with the sign flag)")
	}
	if sk.PrivateKey == nil {
		return nil, errors.New("its signing subkey has no secret part (a stub exported from a smart card?)")
	}
	if sk.PrivateKey.Encrypted {
		if passphrase == "" {
			return nil, errors.New("the key is passphrase-protected and no passphrase was given (set the variable named by gpg.passphrase_env)")
		}
		if err := sk.PrivateKey.Decrypt([]byte(passphrase)); err != nil {
			return nil, fmt.Errorf("wrong passphrase: %w", err)
		}
	}
	return newSigner(e, sk, date)
}

// readEntity reads exactly one key (armored or binary) from data; what
// names the export to ask for.
func readEntity(data []byte, what string) (*openpgp.Entity, error) {
	var entities openpgp.EntityList
	var err error
	if bytes.Contains(data, []byte("-----BEGIN PGP")) {
		entities, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		entities, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("not an OpenPGP key: %w", err)
	}
	if len(entities) != 1 {
		return nil, fmt.Errorf("holds %d keys; export exactly one %s", len(entities), what)
	}
	return entities[0], nil
}

// newSigner checks that the signing key sk of e, its secret part usable,
// gives reproducible signatures, and pins the signature time.
func newSigner(e *openpgp.Entity, sk openpgp.Key, date time.Time) (*Signer, error) {
	if date.IsZero() {
		date = time.Unix(315532800, 0) // 1980-01-01, as the rest of the release
	}
	switch sk.PublicKey.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519:
	default:
		return nil, fmt.Errorf("signing key algorithm %d gives a different signature on every run (random nonce); use an RSA or Ed25519 key so releases stay reproducible", sk.PublicKey.PubKeyAlgo)
	}
	if sk.PublicKey.Version != 4 {
		return nil, fmt.Errorf("v%d keys salt every signature at random; use a v4 RSA or Ed25519 key so releases stay reproducible", sk.PublicKey.Version)
	}
	// A signature older than its key fails verification (gpg: "key is
	// newer than the signature"), and a new key often signs an old commit:
	// stamp signatures with the release date, or with the key's own latest
	// self-signature time when that is later. Both are fixed, so the
	// signature stays reproducible.
	primarySig, _ := e.PrimarySelfSignature()
	for _, t := range []time.Time{sk.PublicKey.CreationTime, e.PrimaryKey.CreationTime, selfSigTime(sk.SelfSignature), selfSigTime(primarySig)} {
		if t.After(date) {
			date = t
		}
	}
	no := false
	cfg := &packet.Config{
		DefaultHash:                           crypto.SHA256,
		Time:                                  func() time.Time { return date },
		NonDeterministicSignaturesViaNotation: &no,
		SigningKeyId:                          sk.PublicKey.KeyId,
	}
	return &Signer{entity: e, key: sk.PrivateKey, config: cfg}, nil
}

func selfSigTime(sig *packet.Signature) time.Time {
	if sig == nil {
		return time.Time{}
	}
	return sig.CreationTime
}

// Fingerprint returns the primary key's fingerprint in upper-case hex (40
// digits for a v4 key), as gpg --fingerprint names the key users trust.
func (s *Signer) Fingerprint() string { return fmt.Sprintf("%X", s.entity.PrimaryKey.Fingerprint) }

// KeyID returns the signing key's ID in hex, as gpg prints it.
func (s *Signer) KeyID() string { return fmt.Sprintf("%016X", s.key.KeyId) }

// RSA reports whether the signing key is an RSA key (rpm files RSA
// signatures under a different header tag than EdDSA ones).
func (s *Signer) RSA() bool {
	a := s.key.PubKeyAlgo
	return a == packet.PubKeyAlgoRSA || a == packet.PubKeyAlgoRSASignOnly
}

// Sign returns a binary detached signature of r.
func (s *Signer) Sign(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	if err := openpgp.DetachSign(&b, s.entity, r, s.config); err != nil {
		return nil, fmt.Errorf("pgpsign: %w", s.token.cause(err))
	}
	return b.Bytes(), nil
}

// SignArmored returns an ASCII-armored detached signature of r.
func (s *Signer) SignArmored(r io.Reader) ([]byte, error) {
	sig, err := s.Sign(r)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, "PGP SIGNATURE", nil)
	if err != nil {
		return nil, fmt.Errorf("pgpsign: %w", err)
	}
	w.Write(sig)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("pgpsign: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// PublicKey returns the ASCII-armored public key, for users to import
// (gpg --import, rpm --import).
func (s *Signer) PublicKey() ([]byte, error) {
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	if err := s.entity.Serialize(w); err != nil {
		return nil, fmt.Errorf("pgpsign: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// SignCleartext returns data clear-signed (RFC 4880, section 7): the text,
// dash-escaped, under a "BEGIN PGP SIGNED MESSAGE" header naming the hash,
// followed by the armored signature, as apt's InRelease files are. Trailing
// spaces and tabs on a line are not covered by the signature, so text that
// has them should not be signed this way.
func (s *Signer) SignCleartext(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := clearsign.Encode(&b, s.key, s.config)
	if err != nil {
		return nil, fmt.Errorf("pgpsign: clear-signing: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("pgpsign: clear-signing: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("pgpsign: clear-signing: %w", s.token.cause(err))
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// PublicKeyBinary returns the public key unarmored, as a keyring file that
// apt's Signed-By and gpgv --keyring read.
func (s *Signer) PublicKeyBinary() ([]byte, error) {
	var b bytes.Buffer
	if err := s.entity.Serialize(&b); err != nil {
		return nil, fmt.Errorf("pgpsign: %w", err)
	}
	return b.Bytes(), nil
}
