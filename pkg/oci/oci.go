// Package oci writes OCI container images without a container engine, and
// reproducibly: layers are tar streams with fixed times, numeric owners and
// sorted entries, compressed by a deterministic gzip; every JSON document is
// encoded compactly with sorted keys, so the same files and settings give
// the same digests on every machine. Images are collected in a Layout (a
// content-addressed set of blobs) and written as an OCI image layout archive
// (the tar form of the layout that `skopeo copy oci-archive:` and `podman
// load` read).
//
// A Layout can also be opened from a layout directory or archive on disk,
// to build on a base image (its layers are kept byte for byte) or to gather
// single-platform images into a multi-platform image index. Push sends an
// archive's image index to a registry.
//
// The package knows nothing of svcpack.yaml: callers map their settings onto
// Image and Config.
package oci

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Media types of the OCI image specification.
const (
	MediaTypeIndex     = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest  = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig    = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// Annotation keys of the OCI image specification that this package sets or
// reads.
const (
	AnnotationRefName     = "org.opencontainers.image.ref.name"
	AnnotationCreated     = "org.opencontainers.image.created"
	AnnotationVersion     = "org.opencontainers.image.version"
	AnnotationSource      = "org.opencontainers.image.source"
	AnnotationRevision    = "org.opencontainers.image.revision"
	AnnotationLicenses    = "org.opencontainers.image.licenses"
	AnnotationTitle       = "org.opencontainers.image.title"
	AnnotationDescription = "org.opencontainers.image.description"
	AnnotationURL         = "org.opencontainers.image.url"
	AnnotationBaseDigest  = "org.opencontainers.image.base.digest"
)

// Descriptor points at a blob: its media type, digest and size, and for
// images in an index their platform.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *Platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Platform is the system an image runs on: GOOS and GOARCH values, and a
// variant such as v7 (32-bit ARM) or v3 (amd64 microarchitecture level).
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

// String is os/architecture[/variant].
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Manifest is an image manifest: its configuration and layers.
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Index is an image index: the images of several platforms (or, as a
// layout's index.json, the layout's entry points).
type Index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	Manifests     []Descriptor      `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// ConfigFile is an image's configuration blob.
type ConfigFile struct {
	Created      string    `json:"created,omitempty"`
	Architecture string    `json:"architecture"`
	OS           string    `json:"os"`
	Variant      string    `json:"variant,omitempty"`
	Config       Config    `json:"config"`
	RootFS       RootFS    `json:"rootfs"`
	History      []History `json:"history,omitempty"`
}

// Config is how a container of the image runs. Field names are those of
// the specification (which keeps Docker's capitalisation).
type Config struct {
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Volumes      map[string]struct{} `json:"Volumes,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

// RootFS lists the layers' uncompressed digests (diff IDs), bottom first.
type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// History describes how a layer was made.
type History struct {
	Created    string `json:"created,omitempty"`
	CreatedBy  string `json:"created_by,omitempty"`
	Comment    string `json:"comment,omitempty"`
	EmptyLayer bool   `json:"empty_layer,omitempty"`
}

// merge returns base with c laid over it: Env entries by name (c's win),
// Labels (less the base's OCI ones) and ExposedPorts and Volumes by key,
// every other field c's when set.
func (c Config) merge(base Config) Config {
	out := base
	if c.User != "" {
		out.User = c.User
	}
	if c.Entrypoint != nil {
		out.Entrypoint = c.Entrypoint
		out.Cmd = nil // a new entrypoint does not take the base's arguments
	}
	if c.Cmd != nil {
		out.Cmd = c.Cmd
	}
	if c.WorkingDir != "" {
		out.WorkingDir = c.WorkingDir
	}
	if c.StopSignal != "" {
		out.StopSignal = c.StopSignal
	}
	out.Env = mergeEnv(base.Env, c.Env)
	// The base's org.opencontainers.image.* labels describe the base (its
	// source, licence, revision): the image keeps only its own.
	baseLabels := maps.Clone(base.Labels)
	maps.DeleteFunc(baseLabels, func(k, _ string) bool { return strings.HasPrefix(k, "org.opencontainers.image.") })
	out.Labels = mergeMap(baseLabels, c.Labels)
	out.ExposedPorts = mergeMap(base.ExposedPorts, c.ExposedPorts)
	out.Volumes = mergeMap(base.Volumes, c.Volumes)
	return out
}

// check refuses what a container runtime cannot carry to the program:
// a NUL in an argument or variable (execve ends strings there), a variable
// without a name, or one whose name holds "=" (the separator).
func (c Config) check() error {
	for _, a := range append(slices.Clone(c.Entrypoint), c.Cmd...) {
		if strings.ContainsRune(a, 0) {
			return fmt.Errorf("oci: argument %q holds NUL, which no program can receive", a)
		}
	}
	for _, kv := range c.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsRune(kv, 0) {
			return fmt.Errorf("oci: environment entry %q: want NAME=value without NUL", kv)
		}
	}
	return nil
}

func mergeMap[V any](a, b map[string]V) map[string]V {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]V{}
	}
	maps.Copy(out, b)
	return out
}

// mergeEnv keeps base's variables in order, replacing those over sets, and
// appends over's others in order.
func mergeEnv(base, over []string) []string {
	name := func(kv string) string { k, _, _ := strings.Cut(kv, "="); return k }
	var out []string
	for _, kv := range base {
		if !slices.ContainsFunc(over, func(o string) bool { return name(o) == name(kv) }) {
			out = append(out, kv)
		}
	}
	return append(out, over...)
}

// digestOf is the sha256 digest of data in the specification's form.
func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// marshal encodes a document compactly (encoding/json sorts map keys), so
// that its digest depends on its content only.
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	return b, nil
}

// tagRE is the grammar of a tag (distribution's reference grammar).
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Tag makes a tag of a version: characters a tag cannot hold ("+" of
// semver build metadata, say) become "_", and it is cut at 128 characters.
func Tag(version string) string {
	var b strings.Builder
	for i, r := range version {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case (r == '.' || r == '-') && i > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() == 128 {
			break
		}
	}
	return b.String()
}

// ValidTag reports whether s is a valid tag.
func ValidTag(s string) bool { return tagRE.MatchString(s) }
