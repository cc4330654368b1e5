package pgpsign

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"

	goed25519 "github.com/ProtonMail/go-crypto/openpgp/ed25519"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
)

// CryptoSigner returns the signing key as a Go crypto.Signer, for
// signatures that are not OpenPGP ones (the DSSE envelope of the
// provenance): an RSA key as itself, an Ed25519 key as ed25519.PrivateKey,
// a token's key as the token's signer.
func (s *Signer) CryptoSigner() (crypto.Signer, error) {
	switch k := s.key.PrivateKey.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *eddsa.PrivateKey:
		if len(k.D) != ed25519.SeedSize {
			return nil, fmt.Errorf("pgpsign: key %s: an EdDSA key of %d bytes, not Ed25519", s.KeyID(), len(k.D))
		}
		key := ed25519.NewKeyFromSeed(k.D)
		if !bytes.Equal(key.Public().(ed25519.PublicKey), k.X) {
			return nil, fmt.Errorf("pgpsign: key %s: its seed does not give its public key", s.KeyID())
		}
		return key, nil
	case *goed25519.PrivateKey:
		if len(k.Key) < ed25519.SeedSize {
			return nil, fmt.Errorf("pgpsign: key %s: a short Ed25519 key", s.KeyID())
		}
		return ed25519.NewKeyFromSeed(k.Key[:ed25519.SeedSize]), nil
	case crypto.Signer:
		return k, nil
	}
	return nil, fmt.Errorf("pgpsign: key %s: a %T key has no crypto.Signer", s.KeyID(), s.key.PrivateKey)
}
