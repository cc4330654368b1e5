package oci

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Credentials from the environment, for Push: both set, they are used for
// every registry; otherwise the Docker config file's are
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json, with its
// credential helpers), then none.
const (
	EnvUsername = "SVCPACK_REGISTRY_USERNAME"
	EnvPassword = "SVCPACK_REGISTRY_PASSWORD"
)

// CheckReference checks a registry reference (host[:port]/repository, with
// an optional :tag or @sha256:digest) as Push reads it. The registry must be
// named: Docker Hub is not assumed for a bare repository.
func CheckReference(ref string) error {
	if _, err := name.ParseReference(ref, name.WeakValidation); err != nil {
		return fmt.Errorf("oci: reference %q: %w", ref, err)
	}
	host, _, ok := strings.Cut(ref, "/")
	if !ok || !strings.ContainsAny(host, ".:") && host != "localhost" {
		return fmt.Errorf("oci: reference %q names no registry host: want host[:port]/repository[:tag], such as ghcr.io/acme/hello", ref)
	}
	return nil
}

// hasTag reports whether a reference names a tag or digest after its
// repository.
func hasTag(ref string) bool {
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	return strings.ContainsAny(last, ":@")
}

// PushOptions tunes Push.
type PushOptions struct {
	// Getenv reads EnvUsername and EnvPassword; nil reads none.
	Getenv func(string) string
	// Tag is used for a reference that has neither tag nor digest.
	Tag string
}

// An Upload is an image index archive laid out once to be pushed to any
// number of registry references.
type Upload struct {
	dir    string
	index  v1.ImageIndex
	digest v1.Hash
}

// NewUpload reads the layout archive at file, whose index.json must name one
// image index, and lays it out for Push. Close removes the layout.
func NewUpload(file string) (*Upload, error) {
	l, idx, err := Open(file)
	if err != nil {
		return nil, err
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].MediaType != MediaTypeIndex {
		return nil, fmt.Errorf("oci: %s: index.json should name one image index, it names %d entries", file, len(idx.Manifests))
	}
	dir, err := os.MkdirTemp("", "svcpack-oci-push-")
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	u := &Upload{dir: dir}
	if err := u.open(l, idx); err != nil {
		u.Close()
		return nil, err
	}
	return u, nil
}

func (u *Upload) open(l *Layout, idx Index) error {
	if err := l.writeDir(u.dir, idx); err != nil {
		return err
	}
	p, err := layout.FromPath(u.dir)
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	if u.digest, err = v1.NewHash(idx.Manifests[0].Digest); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	if u.index, err = top.ImageIndex(u.digest); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	return nil
}

// Close removes the upload's layout.
func (u *Upload) Close() error { return os.RemoveAll(u.dir) }

// Push sends the image index, with every image and blob it holds, to the
// registry reference ref, and returns the digest the registry then keeps
// under that reference (read back: it must be the index's).
func (u *Upload) Push(ctx context.Context, ref string, o PushOptions) (string, error) {
	if err := CheckReference(ref); err != nil {
		return "", err
	}
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return "", fmt.Errorf("oci: %w", err)
	}
	if !hasTag(ref) && o.Tag != "" {
		// No tag was written (name defaults it to latest): the release's.
		r = r.Context().Tag(o.Tag)
	}
	keys := authn.NewMultiKeychain(envKeychain{o.Getenv}, authn.DefaultKeychain)
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keys)}
	if err := remote.WriteIndex(r, u.index, opts...); err != nil {
		return "", fmt.Errorf("oci: pushing to %s: %w", r, err)
	}
	// What the registry now keeps under ref, asked back, not assumed.
	got, err := remote.Head(r, opts...)
	if err != nil {
		return "", fmt.Errorf("oci: reading back %s: %w", r, err)
	}
	if got.Digest != u.digest {
		return "", fmt.Errorf("oci: %s holds %s after the push, not the index pushed, %s", r, got.Digest, u.digest)
	}
	return got.Digest.String(), nil
}

// envKeychain gives EnvUsername and EnvPassword for every registry.
type envKeychain struct{ getenv func(string) string }

func (k envKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	if k.getenv == nil {
		return authn.Anonymous, nil
	}
	u, p := k.getenv(EnvUsername), k.getenv(EnvPassword)
	switch {
	case u == "" && p == "":
		return authn.Anonymous, nil
	case u == "" || p == "":
		return nil, errors.New("oci: set both " + EnvUsername + " and " + EnvPassword + ", or neither (then the Docker config file's credentials are used)")
	}
	return &authn.Basic{Username: u, Password: p}, nil
}

// writeDir writes the layout's blobs reachable from idx, index.json and
// oci-layout into dir.
func (l *Layout) writeDir(dir string, idx Index) error {
	reach := map[string]bool{}
	for _, d := range idx.Manifests {
		if err := l.walk(d, reach); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	b, err := marshal(idx)
	if err != nil {
		return err
	}
	files := map[string][]byte{"index.json": b, "oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)}
	for d := range reach {
		files[filepath.Join("blobs", "sha256", strings.TrimPrefix(d, "sha256:"))] = l.blobs[d]
	}
	for n, data := range files {
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
			return fmt.Errorf("oci: %w", err)
		}
	}
	return nil
}
