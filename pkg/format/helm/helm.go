// Package helm is the format of the Helm chart: helm/<name>-<version>.tgz,
// a chart (apiVersion v2) that runs the image the oci format made as a
// Kubernetes Deployment, pinned to the digest of the release's image index,
// with a Service for oci.port and the configuration files in a ConfigMap
// mounted where the image has them. One release-wide job makes it, after
// the image index (at merge, for a split release).
//
// The chart is named after service.name. Its version is the release
// version in SemVer 2, ordered as svcpack orders versions everywhere: a
// build after a tag becomes a pre-release of the next patch, as Go's
// pseudo-versions do (1.2.3-4-gabc1234 is 1.2.4-0.4.gabc1234, after 1.2.3
// and before 1.2.4; after a pre-release tag, rc.1.0.4.gabc1234); its
// appVersion is the version as released. The probes check
// service.wrapper.health's URL (path and port) on the pod, else connect to
// oci.port; the container runs as the image's user, non-root, with a
// read-only root file system, no capabilities and the runtime's seccomp
// profile, with empty volumes for the folders it writes.
package helm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/container"
	enc "github.com/svcpack/svcpack/pkg/manifests/helm"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/version"
)

// Packager writes the Helm chart of the release.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "helm", Kind: packager.KindHelm, ReleaseWide: true,
		Doc: "Kubernetes: a Helm chart (`helm/<name>-<version>.tgz`) running the oci format's image by digest as a Deployment " +
			"(probes, limits, a restricted security context, the config files in a ConfigMap), which `svcpack publish` pushes to an OCI registry",
		Applies: container.Applies,
		Reads: append(append(container.Reads(), container.HealthReads...), "description", "homepage", "helm.replicas",
			"name_template.release"),
		Uses:  []packager.Kind{packager.KindOCIIndex},
		Check: check,
		Write: write,
		Paths: paths,
	}
}

// chartVersion is the release version in SemVer 2, in svcpack's order: a
// build after a tag is a pre-release of the next patch (or, after a
// pre-release tag, of that pre-release), numbered by its commits, as Go's
// pseudo-versions are; build metadata stays.
func chartVersion(v version.Version) (string, error) {
	core, pre := [3]uint64{v.Major, v.Minor, v.Patch}, v.Pre
	if v.IsPostRelease() {
		post := strconv.FormatUint(v.Commits, 10)
		if v.Hash != "" && v.Commits > 0 {
			post += ".g" + v.Hash
		}
		if v.Dirty {
			post += ".dirty"
		}
		if pre != "" {
			pre += ".0." + post
		} else if core[2]++; core[2] == 0 {
			return "", fmt.Errorf("%s: the patch number has no next one", v)
		} else {
			pre = "0." + post
		}
	}
	s := fmt.Sprintf("%d.%d.%d", core[0], core[1], core[2])
	if pre != "" {
		s += "-" + pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s, nil
}

func chartPath(s *config.Spec) (string, error) {
	v, err := chartVersion(s.Version.Version)
	if err != nil {
		return "", err
	}
	conv := strings.TrimSuffix((&enc.Chart{Name: s.Service.Name, Version: v}).FileName(), ".tgz")
	name, err := packager.ReleaseName(s, "helm", conv)
	if err != nil {
		return "", err
	}
	return "helm/" + name + ".tgz", nil
}

func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	p, err := chartPath(s)
	if err != nil {
		return nil, err
	}
	return []string{p}, nil
}

func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	before := probs.Len()
	container.Check(s, "helm", probs)
	if enc.CheckName(s.Service.Name) != nil {
		probs.AddAt("service.name", []string{"name"}, "%q names the Helm chart, and Helm and Kubernetes refuse it: "+
			"want lower-case letters and digits, words separated by single dashes, at most 63 characters "+
			"(set service.name, or leave helm out of formats)", s.Service.Name)
	}
	if _, err := chartVersion(s.Version.Version); err != nil {
		probs.AddAt(s.Version.Field(), nil, "%v", err)
	}
	if r := s.Helm.Replicas; r < 0 || r == 0 && s.Line("helm.replicas") > 0 {
		probs.Add("helm.replicas", "%d: want 1 or more (the default is 1; scale to 0 with kubectl scale)", r)
	}
	if s.Helm.Push == "" && len(s.OCI.Push) > 0 {
		if repo := enc.DefaultRepository(s.OCI.Push[0]); enc.CheckRepository(repo) != nil {
			probs.AddAt("helm.push", []string{"oci.push"}, "is not set, and the chart repository beside oci.push[0], %s, is not one: "+
				"set helm.push (oci://host/path, such as oci://ghcr.io/acme/charts)", repo)
		}
	}
	if probs.Len() > before {
		return
	}
	// What Write makes, with a stand-in image: the encoder's own rules.
	c, err := chart(s, container.StandIn(s))
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return // a file the config's own rules report
	}
	if err == nil {
		err = c.Write(io.Discard)
	}
	if err != nil {
		probs.Add("helm", "%v", err)
	}
}

// chart maps the spec and the image onto the chart.
func chart(s *config.Spec, img container.Image) (*enc.Chart, error) {
	v, err := chartVersion(s.Version.Version)
	if err != nil {
		return nil, err
	}
	limits, err := container.ParseLimits(s.Service.Linux)
	if err != nil {
		return nil, err
	}
	c := &enc.Chart{
		Name: s.Service.Name, Version: v, AppVersion: s.Version.String(), Description: s.Description, Home: s.Homepage,
		Replicas: max(s.Helm.Replicas, 1), Image: enc.Image{Repository: img.Repository, Tag: img.Tag, Digest: img.Digest},
		Port: s.OCI.Port, Env: img.Env, UID: img.UID, GID: img.GID, Writable: container.Writable(s, img), Created: s.Date,
	}
	if limits.Memory > 0 {
		c.Memory = strconv.FormatUint(limits.Memory, 10) + map[string]string{"K": "Ki", "M": "Mi", "G": "Gi", "T": "Ti"}[limits.MemoryUnit]
	}
	if limits.CPUPercent > 0 {
		c.CPU = strconv.FormatUint(limits.CPUPercent*10, 10) + "m"
	}
	h, err := container.HealthCheck(s)
	switch {
	case err != nil:
		return nil, err
	case h != nil:
		c.Check = &enc.Check{Path: h.Path, Port: h.Port, HTTPS: h.HTTPS, Interval: h.Interval, Timeout: h.Timeout, Failures: h.Failures}
	case s.OCI.Port > 0:
		c.Check = &enc.Check{Port: s.OCI.Port, Interval: container.DefaultInterval, Timeout: container.DefaultTimeout,
			Failures: container.DefaultFailures}
	}
	for _, f := range container.ConfigFiles(s) {
		data, err := os.ReadFile(f.Src)
		if err != nil {
			return nil, err
		}
		c.Files = append(c.Files, enc.File{Path: f.Path, Data: data})
	}
	return c, nil
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	img, ok, err := container.ReadImage(j)
	if err != nil || !ok {
		return err // no index: this run builds no Linux target
	}
	c, err := chart(s, img)
	if err != nil {
		return err
	}
	p, err := chartPath(s)
	if err != nil {
		return err
	}
	return j.Create(p, c.Write)
}
