package pgpsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// FromSigner returns a Signer for a key whose secret half stays on a token.
// publicKey is the key's certificate (gpg --export, armored or binary);
// signer signs with the same key material, for example a key from
// pkg/pkcs11key. The certificate's (sub)key equal to signer.Public() must be
// one that may sign, and it must be RSA (PKCS #1 v1.5 signatures are
// deterministic, so releases stay reproducible). Signatures carry the
// creation time date, as with Load.
func FromSigner(publicKey []byte, signer crypto.Signer, date time.Time) (*Signer, error) {
	s, err := fromSigner(publicKey, signer, date)
	if err != nil {
		return nil, fmt.Errorf("pgpsign: %w", err)
	}
	return s, nil
}

func fromSigner(publicKey []byte, signer crypto.Signer, date time.Time) (*Signer, error) {
	if signer == nil {
		return nil, errors.New("no signer given")
	}
	if err := tokenKeyType(signer.Public()); err != nil {
		return nil, err
	}
	e, err := readEntity(publicKey, "certificate (gpg --export --armor KEYID)")
	if err != nil {
		return nil, fmt.Errorf("the certificate: %w", err)
	}
	pub := matchingKey(e, signer.Public())
	if pub == nil {
		return nil, fmt.Errorf("the token's key is not the signing key of this certificate (fingerprint %X): "+
			"it is none of its keys", e.PrimaryKey.Fingerprint)
	}
	sk, ok := e.SigningKeyById(time.Now(), pub.KeyId)
	if !ok || sk.PublicKey.KeyId != pub.KeyId {
		return nil, fmt.Errorf("the token's key is not the signing key of this certificate (fingerprint %X): "+
			"it is its key %016X, which may not sign (no sign flag, expired or revoked)", e.PrimaryKey.Fingerprint, pub.KeyId)
	}
	rec := &tokenSigner{Signer: signer}
	priv := &packet.PrivateKey{PublicKey: *pub, PrivateKey: rec}
	if pub == e.PrimaryKey {
		e.PrivateKey = priv
	}
	for i := range e.Subkeys {
		if e.Subkeys[i].PublicKey == pub {
			e.Subkeys[i].PrivateKey = priv
		}
	}
	sk.PrivateKey = priv
	out, err := newSigner(e, sk, date)
	if err != nil {
		return nil, err
	}
	out.token = rec
	return out, nil
}

// tokenSigner keeps the error of the token's last failed signature: the
// OpenPGP library replaces it with one of its own ("need to call Sign()
// before Serialize()"), which says nothing of the token.
type tokenSigner struct {
	crypto.Signer
	mu  sync.Mutex
	err error
}

// Sign implements crypto.Signer.
func (t *tokenSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := t.Signer.Sign(rand, digest, opts)
	if err != nil {
		t.mu.Lock()
		t.err = err
		t.mu.Unlock()
	}
	return sig, err
}

// cause is the token's error behind err, when the token failed.
func (t *tokenSigner) cause(err error) error {
	if t == nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		return err
	}
	cause := t.err
	t.err = nil
	return fmt.Errorf("the token did not sign: %w", cause)
}

// tokenKeyType accepts RSA keys only: go-crypto (v1.4.0) signs EdDSA only
// with its own in-memory key types, and ECDSA takes a random nonce.
func tokenKeyType(pub crypto.PublicKey) error {
	const need = "OpenPGP signatures need RSA or Ed25519 for reproducibility"
	switch pub.(type) {
	case *rsa.PublicKey:
		return nil
	case ed25519.PublicKey:
		return errors.New("the token's key is Ed25519: " + need + ", but the OpenPGP library (go-crypto) " +
			"signs Ed25519 only with a key held in memory, so a token's key must be RSA")
	case *ecdsa.PublicKey:
		return errors.New("the token's key is ECDSA, whose signatures take a random nonce: " + need +
			", and a token's key must be RSA")
	}
	return fmt.Errorf("the token's key is a %T: %s, and a token's key must be RSA", pub, need)
}

// matchingKey returns the primary key or subkey of e whose public key is pub.
func matchingKey(e *openpgp.Entity, pub crypto.PublicKey) *packet.PublicKey {
	want, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil
	}
	if want.Equal(e.PrimaryKey.PublicKey) {
		return e.PrimaryKey
	}
	for _, sub := range e.Subkeys {
		if want.Equal(sub.PublicKey.PublicKey) {
			return sub.PublicKey
		}
	}
	return nil
}
