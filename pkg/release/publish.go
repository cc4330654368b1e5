package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/oci"
	"github.com/svcpack/svcpack/pkg/packager"
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
}

// Publish pushes the release's multi-platform image index (the oci-index
// artifact that artifacts.json in dist records, checked against its
// SHA-256) to every oci.push reference. It releases nothing: run it after
// a release of the same config.
func Publish(ctx context.Context, s *config.Spec, o PublishOptions) ([]Pushed, error) {
	if !s.Wants("oci") {
		return nil, errors.New("publish: formats does not name oci, so the release has no image to push")
	}
	if len(s.OCI.Push) == 0 {
		return nil, fmt.Errorf("publish: %s: oci.push is empty: list the references to push to, such as ghcr.io/acme/%s", s.Path, s.Name)
	}
	dist := cmp.Or(o.Dist, s.Dist)
	m, err := ReadManifest(dist)
	if err != nil {
		return nil, fmt.Errorf("publish: %w (release first)", err)
	}
	if m.Version != s.Version.String() {
		return nil, fmt.Errorf("publish: %s holds version %s, the config resolves to %s: release again first", dist, m.Version, s.Version)
	}
	var index *Artifact
	for i, a := range m.Artifacts {
		if a.Kind == packager.KindOCIIndex {
			index = &m.Artifacts[i]
		}
	}
	if index == nil {
		return nil, fmt.Errorf("publish: %s records no %s artifact: release with oci in formats first", filepath.Join(dist, packager.ManifestName), packager.KindOCIIndex)
	}
	file := filepath.Join(dist, filepath.FromSlash(index.Path))
	if sum, _, err := hashFile(file); err != nil || sum != index.SHA256 {
		return nil, fmt.Errorf("publish: %s is not the file the release recorded (%v): release again", file, err)
	}
	tag := oci.Tag(m.Version)
	up, err := oci.NewUpload(file) // read and laid out once for every reference
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	defer up.Close()
	var out []Pushed
	for _, ref := range s.OCI.Push {
		d, err := up.Push(ctx, ref, oci.PushOptions{Getenv: o.Getenv, Tag: tag})
		if err != nil {
			return out, fmt.Errorf("publish: %w", err)
		}
		out = append(out, Pushed{Reference: ref, Tag: tag, Digest: d})
		if o.Log != nil {
			fmt.Fprintf(o.Log, "svcpack publish: %s -> %s (%s)\n", index.Path, ref, d)
		}
	}
	return out, nil
}
