package pgpsign_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// TestCryptoSigner: the key of an RSA and of an Ed25519 OpenPGP key signs
// as a crypto.Signer, and the signature verifies with its public key.
func TestCryptoSigner(t *testing.T) {
	for _, algo := range []string{"rsa2048", "ed25519"} {
		k := testgpg.New(t, algo, "")
		s, err := pgpsign.Load(k.SecretFile, "", releaseDate)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := s.CryptoSigner()
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		msg := []byte("payload")
		switch pub := cs.Public().(type) {
		case *rsa.PublicKey:
			sum := sha256.Sum256(msg)
			sig, err := cs.Sign(nil, sum[:], crypto.SHA256)
			if err != nil || rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
				t.Errorf("%s: RSA signature: %v", algo, err)
			}
		case ed25519.PublicKey:
			sig, err := cs.Sign(nil, msg, crypto.Hash(0))
			if err != nil || !ed25519.Verify(pub, msg, sig) {
				t.Errorf("%s: Ed25519 signature: %v", algo, err)
			}
		default:
			t.Errorf("%s: a %T key", algo, pub)
		}
	}
}
