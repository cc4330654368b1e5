package oci

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image signatures, as cosign signs with a key: for an image (or index)
// digest, a "simple signing" payload naming the repository and the digest,
// signed with the key, is the one layer of an OCI image pushed to the same
// repository under the tag sha256-<hex>.sig, the signature in the layer's
// annotation dev.cosignproject.cosign/signature. `cosign verify --key
// <public key>` finds it there (with --insecure-ignore-tlog: nothing is
// recorded in a transparency log). ECDSA signatures differ on every run;
// they are made at publish time and never land in dist/.

// Media type and annotation of a cosign signature layer.
const (
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	AnnotationSignature    = "dev.cosignproject.cosign/signature"
)

// LoadSigningKey reads a PKCS#8 PEM private key (openssl genpkey: ECDSA
// P-256, RSA or Ed25519) for image signatures.
func LoadSigningKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("oci: %s: not a PKCS#8 PEM private key (BEGIN PRIVATE KEY): make one with openssl "+
			"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 (an encrypted or cosign-format key is not read)", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("oci: %s: %w", path, err)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey:
		return k.(crypto.Signer), nil
	}
	return nil, fmt.Errorf("oci: %s: a %T key: want ECDSA P-256, RSA or Ed25519", path, key)
}

// simpleSigning is cosign's payload for a container image signature.
type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// signPayload signs the payload as cosign's verifiers check it: ECDSA and
// RSA (PKCS#1 v1.5) over its SHA-256, Ed25519 over the payload itself.
func signPayload(signer crypto.Signer, payload []byte) ([]byte, error) {
	if _, ok := signer.Public().(ed25519.PublicKey); ok {
		return signer.Sign(rand.Reader, payload, crypto.Hash(0))
	}
	sum := sha256.Sum256(payload)
	return signer.Sign(rand.Reader, sum[:], crypto.SHA256)
}

// SignatureTag is the tag a digest's signature is pushed under.
func SignatureTag(digest string) string { return strings.Replace(digest, ":", "-", 1) + ".sig" }

// Sign pushes a signature of the pushed index and of each image it lists
// to ref's repository, and returns the tags it pushed.
func (u *Upload) Sign(ctx context.Context, ref string, signer crypto.Signer, o PushOptions) ([]string, error) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	repo := r.Context()
	digests := []v1.Hash{u.digest}
	m, err := u.index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	for _, d := range m.Manifests {
		digests = append(digests, d.Digest)
	}
	keys := authn.NewMultiKeychain(envKeychain{o.Getenv}, authn.DefaultKeychain)
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keys)}
	var tags []string
	for _, d := range digests {
		img, err := signatureImage(repo.Name(), d.String(), signer)
		if err != nil {
			return tags, err
		}
		tag := repo.Tag(SignatureTag(d.String()))
		if err := remote.Write(tag, img, opts...); err != nil {
			return tags, fmt.Errorf("oci: pushing the signature of %s to %s: %w", d, tag, err)
		}
		tags = append(tags, tag.String())
	}
	return tags, nil
}

// signatureImage is the OCI image holding the signature of digest in repo.
func signatureImage(repo, digest string, signer crypto.Signer) (v1.Image, error) {
	var p simpleSigning
	p.Critical.Identity.DockerReference = repo
	p.Critical.Image.DockerManifestDigest = digest
	p.Critical.Type = "cosign container image signature"
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	sig, err := signPayload(signer, payload)
	if err != nil {
		return nil, fmt.Errorf("oci: signing %s: %w", digest, err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(payload, MediaTypeSimpleSigning),
		Annotations: map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		return nil, errors.Join(errors.New("oci: the signature image"), err)
	}
	return img, nil
}
