// Package compose is the format of the Compose file:
// compose/<name>/compose.yaml, which runs the image the oci format made,
// pinned to the digest of the release's image index, as one service, and
// beside it the configuration files (files: with config: true) under
// config/, bind-mounted read-only where the image has them, for the user to
// edit. One release-wide job makes them, after the image index (at merge,
// for a split release).
//
// The restart policy follows service.restart.policy and service.start:
// always is always; on-failure (the default) is unless-stopped for a
// service that starts at boot (start auto or delayed), since Compose's
// on-failure does not start the container again when Docker starts, and
// on-failure for one started by hand. The service has no healthcheck:
// Docker runs one inside the container, and the image holds the program
// alone, without a shell or an HTTP client (the helm format's probes check
// service.wrapper.health from outside); a comment in the file says so.
package compose

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/container"
	enc "github.com/svcpack/svcpack/pkg/manifests/compose"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/naming"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager writes the Compose file of the release and its config files.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "compose", Kind: packager.KindCompose, ReleaseWide: true,
		Doc: "Docker Compose: `compose/<name>/compose.yaml` running the oci format's image by digest (read-only, no capabilities, " +
			"limits, named volumes), with the config files beside it in `config/`, bind-mounted",
		Applies: container.Applies,
		Reads:   append(container.Reads(), "service.restart", "service.start", "name_template.release"),
		Uses:    []packager.Kind{packager.KindOCIIndex},
		Check:   check,
		Write:   write,
		Paths:   paths,
	}
}

// dir is the Compose file's folder: compose/ and name_template.release.
func dir(s *config.Spec) (string, error) {
	name, err := packager.ReleaseName(s, "compose", s.Name)
	if err != nil {
		return "", err
	}
	return "compose/" + name, nil
}

func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	d, err := dir(s)
	if err != nil {
		return nil, err
	}
	out := []string{d + "/compose.yaml"}
	for _, f := range container.ConfigFiles(s) {
		out = append(out, path.Join(d, "config", f.Dst))
	}
	return out, nil
}

// restart is Compose's restart policy for the service (package doc).
func restart(s *config.Spec) string {
	switch {
	case s.Service.Restart.Policy == "always":
		return "always"
	case s.Service.StartsByHand():
		return "on-failure"
	}
	return "unless-stopped"
}

func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	before := probs.Len()
	container.Check(s, "compose", probs)
	if probs.Len() > before {
		return
	}
	warnProjectName(s, probs)
	f, err := file(s, container.StandIn(s)) // what Write makes: the encoder's own rules
	if err == nil {
		_, err = f.YAML()
	}
	if err != nil {
		probs.Add("compose", "%v", err)
	}
}

// file maps the spec and the image onto the Compose file.
func file(s *config.Spec, img container.Image) (*enc.File, error) {
	limits, err := container.ParseLimits(s.Service.Linux)
	if err != nil {
		return nil, err
	}
	f := &enc.File{
		Service: s.Service.Name, Image: img.Repository + "@" + img.Digest, Restart: restart(s), Port: s.OCI.Port, Env: img.Env,
		User: strconv.Itoa(img.UID) + ":" + strconv.Itoa(img.GID),
		Comment: fmt.Sprintf("%s %s, written by svcpack. From this folder: docker compose up -d\n"+
			"(docker-compose 1.x applies deploy.resources.limits with --compatibility).", s.Name, s.Version),
		NoHealthcheck: "No healthcheck: Docker runs one inside the container, and the image holds the program alone\n" +
			"(no shell, no curl). If the program has a check mode, add one:\n" +
			"healthcheck: {test: [CMD, " + cmp.Or(img.Program, "<program>") + ", <args>]}",
	}
	if limits.Memory > 0 {
		n, unit := limits.Memory, limits.MemoryUnit
		if unit == "T" { // Compose's units stop at g
			n, unit = n*1024, "G"
		}
		f.Memory = strconv.FormatUint(n, 10) + unit
	}
	if c := limits.CPUPercent; c > 0 {
		f.CPUs = strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%d.%02d", c/100, c%100), "0"), ".")
	}
	for _, cf := range container.ConfigFiles(s) {
		f.Binds = append(f.Binds, enc.Bind{Source: path.Join("config", cf.Dst), Target: cf.Path})
	}
	for _, w := range container.Writable(s, img) {
		switch w {
		case "/tmp":
			f.Tmpfs = append(f.Tmpfs, w)
		case img.WorkDir:
			f.Volumes = append(f.Volumes, enc.Volume{Name: "state", Target: w})
		case "/var/log/" + s.Name:
			f.Volumes = append(f.Volumes, enc.Volume{Name: "logs", Target: w})
		default: // service.linux.writable: named after the folder
			f.Volumes = append(f.Volumes, enc.Volume{Name: volumeName(w, f.Volumes), Target: w})
		}
	}
	return f, nil
}

// volumeName names the volume of folder dir (/srv/www: srv-www), unlike
// the volumes before it.
func volumeName(dir string, before []enc.Volume) string {
	base := strings.Map(func(r rune) rune {
		if r == '/' || r == '@' || r == '+' {
			return '-'
		}
		return r
	}, strings.TrimPrefix(dir, "/"))
	if c := base[0]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
		base = "data" + base // /.cache: data.cache
	}
	name := base
	for i := 2; slices.ContainsFunc(before, func(v enc.Volume) bool { return v.Name == name }); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	img, ok, err := container.ReadImage(j)
	if err != nil || !ok {
		return err // no index: this run builds no Linux target
	}
	f, err := file(s, img)
	if err != nil {
		return err
	}
	data, err := f.YAML()
	if err != nil {
		return err
	}
	d, err := dir(s)
	if err != nil {
		return err
	}
	if err := j.Create(d+"/compose.yaml", packager.WriteBytes(data)); err != nil {
		return err
	}
	for _, cf := range container.ConfigFiles(s) {
		if err := j.Create(path.Join(d, "config", cf.Dst), packager.WriteFrom(cf.Src)); err != nil {
			return err
		}
	}
	return nil
}

// warnProjectName warns when the Compose folder's name changes from release
// to release: Compose names the project after the folder, so each release
// would be a new project, with new volumes, beside the old one.
func warnProjectName(s *config.Spec, probs *config.Problems) {
	name := func(version, commit, date string) string {
		d := naming.Data{TemplateData: matrix.TemplateData{Name: s.Name, Version: version, Commit: commit, Date: date},
			Format: "compose", Conventional: s.Name}
		n, _ := naming.Name(s.NameTemplate.Release, d) // a template that does not render is reported as such
		return n
	}
	if name("1.0.0", "aaaaaaa", "2024-01-01T00:00:00Z") != name("2.0.0", "bbbbbbb", "2025-01-01T00:00:00Z") {
		probs.Warn("name_template.release", "%q names the Compose folder after the release, and Compose names the "+
			"project after its folder: each release would be a new project with new volumes; keep {{.Version}}, "+
			"{{.Commit}} and {{.Date}} out of it (use {{if eq .Format \"helm\"}}...{{end}} for the chart's name)",
			s.NameTemplate.Release)
	}
}
