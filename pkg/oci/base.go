package oci

import (
	"fmt"
	"slices"
	"strings"
)

// BaseImage is an image read from a layout, to build on.
type BaseImage struct {
	// Digest is its manifest's digest.
	Digest string
	// Platform is the platform it is for (from its index entry, else its
	// configuration).
	Platform Platform
	// Manifest and Config are its manifest and configuration.
	Manifest Manifest
	Config   ConfigFile

	layout *Layout
}

// Images lists every image reachable from the index (through nested
// indexes), each with its platform.
func (l *Layout) Images(idx Index) ([]*BaseImage, error) {
	var out []*BaseImage
	seen := map[string]bool{}
	var visit func(ds []Descriptor, depth int) error
	visit = func(ds []Descriptor, depth int) error {
		if depth > 8 {
			return fmt.Errorf("oci: image indexes nested more than 8 deep")
		}
		for _, d := range ds {
			if seen[d.Digest] {
				continue // an index may name a child many times: read it once
			}
			seen[d.Digest] = true
			switch d.MediaType {
			case MediaTypeIndex:
				var child Index
				if err := l.decode(d, &child); err != nil {
					return err
				}
				if err := visit(child.Manifests, depth+1); err != nil {
					return err
				}
			case MediaTypeManifest:
				img := &BaseImage{Digest: d.Digest, layout: l}
				if err := l.decode(d, &img.Manifest); err != nil {
					return err
				}
				if img.Manifest.Config.MediaType != MediaTypeConfig {
					// Not an image to run (a build attestation, a signature:
					// skopeo copy --all brings them along): nothing to
					// build on, so it is passed over.
					continue
				}
				if err := l.decode(img.Manifest.Config, &img.Config); err != nil {
					return err
				}
				for _, ly := range img.Manifest.Layers {
					if _, err := l.Blob(ly); err != nil {
						return fmt.Errorf("oci: image %s: %w", d.Digest, err)
					}
				}
				img.Platform = Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}
				if d.Platform != nil {
					img.Platform = *d.Platform
				}
				out = append(out, img)
			default:
				return fmt.Errorf("oci: %s has media type %q: want an OCI image manifest or index (convert Docker images with skopeo copy --format oci)", d.Digest, d.MediaType)
			}
		}
		return nil
	}
	if err := visit(idx.Manifests, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// Select picks the image for platform p: the one with p's OS, architecture
// and variant, else the one for p's OS and architecture where either has
// no variant (arm64 bases often say v8, which a plain arm64 target is). An image without a platform match, or two
// equally good ones, is an error naming the platforms there are.
func Select(imgs []*BaseImage, p Platform) (*BaseImage, error) {
	for _, exact := range []bool{true, false} {
		var found []*BaseImage
		for _, img := range imgs {
			q := img.Platform
			if q.OS == p.OS && q.Architecture == p.Architecture && (q.Variant == p.Variant || !exact && (q.Variant == "" || p.Variant == "")) {
				found = append(found, img)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			return nil, fmt.Errorf("oci: %d images for %s: keep one per platform in the base layout", len(found), p)
		}
	}
	var have []string
	for _, img := range imgs {
		have = append(have, img.Platform.String())
	}
	slices.Sort(have)
	return nil, fmt.Errorf("oci: no image for %s (it has %s)", p, strings.Join(have, ", "))
}
