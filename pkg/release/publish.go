package release

import (
	"cmp"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/manifests/helm"
	"github.com/svcpack/svcpack/pkg/oci"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pkcs11key"
)

// PublishOptions tunes Publish.
type PublishOptions struct {
	// Dist, when set, is the release directory instead of the spec's.
	Dist string
	// Getenv reads the registry credentials (oci.EnvUsername and
	// oci.EnvPassword); nil reads none, leaving the Docker config file's.
	Getenv func(string) string
	// Log receives a line per push; nil prints nothing.
	Log io.Writer
}

// Pushed is one reference Publish pushed the image index to.
type Pushed struct {
	// Reference is as oci.push gives it; Tag is the tag used when it gives
	// none (the version's).
	Reference, Tag string
	// Digest is the image index's digest, which the registry now holds
	// under the reference.
	Digest string
	// Signatures are the tags of the signatures pushed beside it (with
	// oci.sign): the index's first, then each image's.
	Signatures []string
}

// Committed is one file Publish committed to a tap or a bucket.
type Committed struct {
	// Field is the config section (homebrew.tap, scoop.bucket).
	Field string
	// Repository is where it went; Path the file's path there.
	Repository, Path string
	// Commit is the new commit, or "" when the repository already held the
	// file as released.
	Commit string
}

// ErrNothingToPublish is Publish's error for a config that names no
// destination.
var ErrNothingToPublish = errors.New("nothing to publish")

// Published is what Publish did.
type Published struct {
	Images  []Pushed
	Commits []Committed
	// Chart is where the Helm chart went (with helm in formats).
	Chart *Pushed
}

// Publish delivers a release made from the same config: it pushes the
// multi-platform image index to every oci.push reference, and commits the
// Helm chart to helm.push, the Homebrew formula to homebrew.tap, the Scoop
// manifest to scoop.bucket, and the apt and dnf trees (with install.sh) to
// pages. Every file is checked against the SHA-256 artifacts.json records, and
// every destination's settings (a token named by token_env) before the
// first push or commit.
func Publish(ctx context.Context, s *config.Spec, o PublishOptions) (Published, error) {
	var out Published
	image := s.Wants("oci") && len(s.OCI.Push) > 0
	chart := image && s.Wants("helm")
	if !image && !slices.ContainsFunc(gitTargets(s), func(g gitTarget) bool { return g.repo.Repository != "" }) {
		return out, fmt.Errorf("publish: %s: %w: set oci.push (with oci in formats), "+
			"homebrew.tap.repository, scoop.bucket.repository or pages.repository", s.Path, ErrNothingToPublish)
	}
	dist := cmp.Or(o.Dist, s.Dist)
	m, err := ReadManifest(dist)
	if err != nil {
		return out, fmt.Errorf("publish: %w (release first)", err)
	}
	if m.Version != s.Version.String() {
		return out, fmt.Errorf("publish: %s holds version %s, the config resolves to %s: release again first", dist, m.Version, s.Version)
	}
	var steps []func() error
	if image {
		file, err := recorded(dist, m, packager.KindOCIIndex, "oci")
		if err != nil {
			return out, err
		}
		steps = append(steps, func() error { return pushImage(ctx, s, o, file, m.Version, &out) })
	}
	if chart {
		file, err := recorded(dist, m, packager.KindHelm, "helm")
		if err != nil {
			return out, err
		}
		steps = append(steps, func() error { return pushChart(ctx, s, o, file, &out) })
	}
	for _, g := range gitTargets(s) {
		if g.repo.Repository == "" {
			continue
		}
		step, err := commitStep(ctx, s, o, dist, m, g, &out)
		if err != nil {
			return out, err
		}
		steps = append(steps, step)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return out, err
		}
	}
	return out, nil
}

// recorded is the host path of the release's one artifact of kind, checked
// against the SHA-256 the manifest records.
func recorded(dist string, m *Manifest, kind packager.Kind, format string) (string, error) {
	var a *Artifact
	for i := range m.Artifacts {
		if m.Artifacts[i].Kind == kind {
			a = &m.Artifacts[i]
		}
	}
	if a == nil {
		return "", fmt.Errorf("publish: %s records no %s artifact: release with %s in formats first",
			filepath.Join(dist, packager.ManifestName), kind, format)
	}
	return recordedFile(dist, *a)
}

// recordedFile is the host path of artifact a, checked against the SHA-256
// the manifest records.
func recordedFile(dist string, a Artifact) (string, error) {
	file := filepath.Join(dist, filepath.FromSlash(a.Path))
	if sum, _, err := hashFile(file); err != nil || sum != a.SHA256 {
		return "", fmt.Errorf("publish: %s is not the file the release recorded (%v): release again", file, err)
	}
	return file, nil
}

// pushImage pushes the image index to every oci.push reference.
func pushImage(ctx context.Context, s *config.Spec, o PublishOptions, file, version string, out *Published) error {
	tag := oci.Tag(version)
	up, err := oci.NewUpload(file) // read and laid out once for every reference
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	defer up.Close()
	signer, closeKey, err := imageSigner(s.OCI.Sign)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	defer closeKey()
	for _, ref := range s.OCI.Push {
		po := oci.PushOptions{Getenv: o.Getenv, Tag: tag}
		d, err := up.Push(ctx, ref, po)
		if err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		p := Pushed{Reference: ref, Tag: tag, Digest: d}
		logf(o.Log, "svcpack publish: %s -> %s (%s)\n", filepath.Base(file), ref, d)
		if signer != nil {
			if p.Signatures, err = up.Sign(ctx, ref, signer, po); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
			logf(o.Log, "svcpack publish: signed the index and %d images: %s\n", len(p.Signatures)-1,
				strings.Join(p.Signatures, " "))
		}
		out.Images = append(out.Images, p)
	}
	return nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// imageSigner is the key of the image signatures: the PEM file's, the
// token's, or none; close releases a token.
func imageSigner(o config.OCISign) (signer crypto.Signer, close func(), err error) {
	switch {
	case o.PKCS11 != nil:
		key, err := pkcs11key.Open(pkcs11key.Config{Module: o.PKCS11.Module, URI: o.PKCS11.URI, PIN: o.PKCS11.PIN})
		if err != nil {
			return nil, func() {}, err
		}
		return key, func() { key.Close() }, nil
	case o.Key != "":
		key, err := oci.LoadSigningKey(string(o.Key))
		return key, func() {}, err
	}
	return nil, func() {}, nil
}

// pushChart pushes the Helm chart to helm.push (default: the charts folder
// beside the first oci.push's repository), as helm push does.
func pushChart(ctx context.Context, s *config.Spec, o PublishOptions, file string, out *Published) error {
	repo := cmp.Or(s.Helm.Push, helm.DefaultRepository(s.OCI.Push[0]))
	p, err := helm.Push(ctx, file, repo, helm.PushOptions{Getenv: o.Getenv})
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	out.Chart = &Pushed{Reference: p.Reference, Digest: p.Digest}
	logf(o.Log, "svcpack publish: %s -> %s (%s)\n", filepath.Base(file), p.Reference, p.Digest)
	return nil
}
