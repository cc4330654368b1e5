package helm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/svcpack/svcpack/pkg/oci"
	"go.yaml.in/yaml/v3"
)

// Helm's media types for a chart in an OCI registry: the manifest's config
// (the chart's metadata as JSON) and its one layer (the chart archive).
const (
	ConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	ChartMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// repositoryRE is an OCI chart repository as helm push takes it:
// oci://host[:port]/path, in lower case.
var repositoryRE = regexp.MustCompile(`^oci://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+$`)

// CheckRepository reports whether repo is an OCI chart repository Push
// takes: oci://host[:port]/path in lower case.
func CheckRepository(repo string) error {
	if !repositoryRE.MatchString(repo) {
		return fmt.Errorf("helm: %q is not an OCI chart repository: want oci://host[:port]/path in lower case, "+
			"such as oci://ghcr.io/acme/charts", repo)
	}
	return nil
}

// DefaultRepository is the chart repository beside an image reference
// (host[:port]/path/name[:tag|@digest]): its registry and the path above
// the image's name, with /charts (ghcr.io/acme/hello:1.0 gives
// oci://ghcr.io/acme/charts, where the chart named hello is
// ghcr.io/acme/charts/hello).
func DefaultRepository(image string) string {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	host, rest, _ := strings.Cut(repo, "/")
	dir := path.Dir(rest)
	if dir == "." {
		dir = ""
	}
	return "oci://" + strings.ToLower(path.Join(host, dir, "charts"))
}

// PushOptions tunes Push.
type PushOptions struct {
	// Getenv reads the registry credentials, oci.EnvUsername and
	// oci.EnvPassword, as the image push does; nil reads none. Without
	// them, the Docker config file's are used, then none.
	Getenv func(string) string
}

// Pushed is where Push put a chart.
type Pushed struct {
	// Reference is host/path/name:tag, the tag being the chart's version
	// with + as _, as helm push tags it (helm pull oci://host/path/name
	// --version <version> fetches it).
	Reference string
	// Digest is the manifest's, which the registry holds under Reference.
	Digest string
}

// Push sends the chart archive file to the OCI chart repository repo
// (oci://host[:port]/path) as helm push does: a manifest whose config is
// the chart's metadata as JSON (ConfigMediaType) and whose one layer is the
// archive as it is (ChartMediaType), tagged with the chart's version under
// repo/<name>, with the OCI annotations helm push writes (title, version,
// description, url, and created: the time of the archive's Chart.yaml, so
// that pushing one archive twice gives one manifest). It returns the
// reference and the digest the registry then holds under it (read back).
// A registry on loopback is spoken to over plain HTTP.
func Push(ctx context.Context, file, repo string, o PushOptions) (Pushed, error) {
	if err := CheckRepository(repo); err != nil {
		return Pushed{}, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Pushed{}, fmt.Errorf("helm: %w", err)
	}
	meta, created, err := readMetadata(data)
	if err != nil {
		return Pushed{}, fmt.Errorf("helm: %s: %w", file, err)
	}
	ref, err := name.NewTag(strings.TrimPrefix(repo, "oci://")+"/"+meta.Name+":"+strings.ReplaceAll(meta.Version, "+", "_"), name.StrictValidation)
	if err != nil {
		return Pushed{}, fmt.Errorf("helm: chart %s %s: %w", meta.Name, meta.Version, err)
	}
	config, err := json.Marshal(meta)
	if err != nil {
		return Pushed{}, fmt.Errorf("helm: %w", err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.NewMultiKeychain(envKeychain{o.Getenv}, authn.DefaultKeychain))}
	var descs []descriptor
	for _, blob := range []struct {
		mt   string
		data []byte
	}{{ConfigMediaType, config}, {ChartMediaType, data}} {
		layer := static.NewLayer(blob.data, types.MediaType(blob.mt))
		if err := remote.WriteLayer(ref.Context(), layer, opts...); err != nil {
			return Pushed{}, fmt.Errorf("helm: pushing to %s: %w", ref.Context(), err)
		}
		d, _ := layer.Digest() // a static layer's digest cannot fail
		descs = append(descs, descriptor{MediaType: blob.mt, Digest: d.String(), Size: int64(len(blob.data))})
	}
	m := manifest{SchemaVersion: 2, MediaType: string(types.OCIManifestSchema1), Config: descs[0], Layers: descs[1:],
		Annotations: annotations(meta, created)}
	raw, err := json.Marshal(m)
	if err != nil {
		return Pushed{}, fmt.Errorf("helm: %w", err)
	}
	if err := remote.Put(ref, rawManifest(raw), opts...); err != nil {
		return Pushed{}, fmt.Errorf("helm: pushing to %s: %w", ref, err)
	}
	want, _, _ := v1.SHA256(bytes.NewReader(raw))
	got, err := remote.Head(ref, opts...)
	if err != nil {
		return Pushed{}, fmt.Errorf("helm: reading back %s: %w", ref, err)
	}
	if got.Digest != want {
		return Pushed{}, fmt.Errorf("helm: %s holds %s after the push, not the manifest pushed, %s", ref, got.Digest, want)
	}
	return Pushed{Reference: ref.String(), Digest: want.String()}, nil
}

// metadata is Chart.yaml as helm push puts it in the config blob: Helm's
// Metadata, in its order, with its JSON names.
type metadata struct {
	Name         string            `yaml:"name" json:"name,omitempty"`
	Home         string            `yaml:"home" json:"home,omitempty"`
	Sources      []string          `yaml:"sources" json:"sources,omitempty"`
	Version      string            `yaml:"version" json:"version,omitempty"`
	Description  string            `yaml:"description" json:"description,omitempty"`
	Keywords     []string          `yaml:"keywords" json:"keywords,omitempty"`
	Maintainers  []maintainer      `yaml:"maintainers" json:"maintainers,omitempty"`
	Icon         string            `yaml:"icon" json:"icon,omitempty"`
	APIVersion   string            `yaml:"apiVersion" json:"apiVersion,omitempty"`
	Condition    string            `yaml:"condition" json:"condition,omitempty"`
	Tags         string            `yaml:"tags" json:"tags,omitempty"`
	AppVersion   string            `yaml:"appVersion" json:"appVersion,omitempty"`
	Deprecated   bool              `yaml:"deprecated" json:"deprecated,omitempty"`
	Annotations  map[string]string `yaml:"annotations" json:"annotations,omitempty"`
	KubeVersion  string            `yaml:"kubeVersion" json:"kubeVersion,omitempty"`
	Dependencies []map[string]any  `yaml:"dependencies" json:"dependencies,omitempty"`
	Type         string            `yaml:"type" json:"type,omitempty"`
}

type maintainer struct {
	Name  string `yaml:"name" json:"name,omitempty"`
	Email string `yaml:"email" json:"email,omitempty"`
	URL   string `yaml:"url" json:"url,omitempty"`
}

// readMetadata reads <chart>/Chart.yaml from a chart archive, and its
// modification time.
func readMetadata(archive []byte) (metadata, time.Time, error) {
	var m metadata
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return m, time.Time{}, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return m, time.Time{}, errors.New("no Chart.yaml in the chart's folder: not a chart archive")
		}
		if err != nil {
			return m, time.Time{}, err
		}
		if dir, file := path.Split(h.Name); file != "Chart.yaml" || strings.Count(dir, "/") != 1 {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return m, time.Time{}, err
		}
		if err := yaml.Unmarshal(b, &m); err != nil {
			return m, time.Time{}, fmt.Errorf("%s: %w", h.Name, err)
		}
		if m.Name == "" || m.Version == "" {
			return m, time.Time{}, fmt.Errorf("%s names no chart name or version", h.Name)
		}
		return m, h.ModTime, nil
	}
}

// annotations are the OCI annotations helm push gives the manifest.
func annotations(m metadata, created time.Time) map[string]string {
	a := map[string]string{
		oci.AnnotationTitle: m.Name, oci.AnnotationVersion: m.Version,
		oci.AnnotationCreated: created.UTC().Format(time.RFC3339),
	}
	for k, v := range map[string]string{oci.AnnotationDescription: m.Description, oci.AnnotationURL: m.Home} {
		if strings.TrimSpace(v) != "" {
			a[k] = v
		}
	}
	if len(m.Sources) > 0 {
		a[oci.AnnotationSource] = m.Sources[0]
	}
	return a
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        descriptor        `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// rawManifest is an OCI image manifest's bytes, as remote.Put takes them.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error) { return m, nil }

func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// envKeychain gives oci.EnvUsername and oci.EnvPassword for every
// registry, as the image push reads them.
type envKeychain struct{ getenv func(string) string }

func (k envKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	if k.getenv == nil {
		return authn.Anonymous, nil
	}
	u, p := k.getenv(oci.EnvUsername), k.getenv(oci.EnvPassword)
	switch {
	case u == "" && p == "":
		return authn.Anonymous, nil
	case u == "" || p == "":
		return nil, errors.New("helm: set both " + oci.EnvUsername + " and " + oci.EnvPassword +
			", or neither (then the Docker config file's credentials are used)")
	}
	return &authn.Basic{Username: u, Password: p}, nil
}
