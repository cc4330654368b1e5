// Package oci is the format of the container images: an OCI image per
// Linux target, and one image index over them (a release-wide job). Off by
// default: an image is a second way to ship the same program, which a
// project asks for (and the images are built from the same binaries, so
// turning it on costs no build).
package oci

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/container"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	enc "github.com/svcpack/svcpack/pkg/oci"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pkcs11key"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager writes <name>_<version>_linux_<arch>.oci.tar: an OCI image
// layout archive holding the target's image, tagged with the version.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "oci", Kind: packager.KindOCI,
		Doc:     "Linux: an OCI image per target (`*.oci.tar`: the binary, `files:`, TLS roots, optionally time zone data, on scratch or `oci.base`) and one multi-platform image index over them (`<name>_<version>.oci.tar`), which `svcpack publish` pushes",
		Applies: packager.OnOS("linux"),
		Reads: []string{"name", "version", "homepage", "license", "license_file", "description", "commit", "date", "files",
			"service.args", "service.env", "service.linux.bin_dir", "oci.base", "oci.user", "oci.port", "oci.workdir", "oci.ca_certificates", "oci.tzdata", "name_template.archive", "service.linux.writable"},
		Uses:  []packager.Kind{packager.KindBinary},
		Check: check,
		Write: writeImage,
		Paths: packager.ArchivePaths(".oci.tar"),
	}
}

// Index writes <name>_<version>.oci.tar: one image index over
// every Linux target's image (variants as platform variants), with all
// their blobs. It runs when the oci format does.
func Index() *packager.Packager {
	return &packager.Packager{
		Name: "oci-index", Kind: packager.KindOCIIndex, Internal: true, ReleaseWide: true,
		Doc:     "the multi-platform image index over the oci format's images",
		Applies: indexApplies,
		Reads:   []string{"name", "version", "homepage", "license", "description", "commit", "date"},
		Uses:    []packager.Kind{packager.KindOCI},
		Write:   writeIndex,
		Paths:   indexPaths,
	}
}

// indexApplies: the index is made when the images are.
func indexApplies(s *config.Spec, _ platform.Target) bool { return s.Wants("oci") && s.HasOS("linux") }

func indexPaths(s *config.Spec, _ platform.Target) ([]string, error) {
	return []string{ociIndexName(s)}, nil
}

// ociPlatform is the OCI platform of a target: GOOS and GOARCH, and the
// variant where the specification has one (arm v5-v7, amd64 v1-v4, arm64
// v8, v8.1, ...); other variants (GO386, GOMIPS, GOPPC64, GORISCV64) have
// none.
func ociPlatform(t platform.Target) enc.Platform {
	p := enc.Platform{OS: t.OS, Architecture: t.Arch}
	switch t.Arch {
	case "arm":
		if t.Variant != "" {
			p.Variant = "v" + t.Variant
		}
	case "amd64":
		p.Variant = t.Variant
	case "arm64":
		p.Variant = strings.TrimSuffix(t.Variant, ".0")
	}
	return p
}

// linuxTargets are the spec's Linux targets.
func linuxTargets(s *config.Spec) []platform.Target {
	var out []platform.Target
	for _, t := range s.Targets {
		if t.OS == "linux" {
			out = append(out, t)
		}
	}
	return out
}

// check: a Linux target to make images of, one image per platform, a
// base image with an image for each, and references publish can push to.
func check(s *config.Spec, planned []platform.Target, probs *config.Problems) {
	o := s.OCI
	if k := string(o.Sign.Key); k != "" {
		if _, err := os.Stat(k); err == nil { // a missing file is the config's to report
			if _, err := enc.LoadSigningKey(k); err != nil {
				probs.Add("oci.sign.key", "%v", err)
			}
		}
	}
	if t := o.Sign.PKCS11; t != nil && t.PIN != "" {
		key, err := pkcs11key.Open(pkcs11key.Config{Module: t.Module, URI: t.URI, PIN: t.PIN})
		if err != nil {
			probs.Add("oci.sign.pkcs11", "%v", err)
		} else {
			key.Close()
		}
	}
	targets := linuxTargets(s)
	if len(targets) == 0 {
		probs.AddAt("formats", []string{"targets"}, "names oci, which makes images of Linux targets, and targets has none: add linux/amd64 (say), or leave oci out")
	}
	seen := map[string]platform.Target{}
	for _, t := range targets {
		pl := ociPlatform(t).String()
		if u, dup := seen[pl]; dup {
			probs.AddAt("targets", nil, "%s and %s are both the OCI platform %s, and an image index holds one image per platform: leave one out, or leave oci out of formats", u, t, pl)
		}
		seen[pl] = t
	}
	for i, ref := range o.Push {
		if err := enc.CheckReference(ref); err != nil {
			probs.Add("oci.push["+strconv.Itoa(i)+"]", "%v", strings.TrimPrefix(err.Error(), "oci: "))
		}
	}
	if _, _, err := ociUser(o.User); err != nil {
		probs.Add("oci.user", "%q: %v", o.User, err)
	}
	warnLoopback(s, probs)
	// The working directory is the user's: it must not hold any of the
	// image's root-owned files (the program, its configuration, the TLS
	// roots...), which the user could then replace.
	if wd := strings.TrimSuffix(o.WorkDir, "/"); o.WorkDir != "" {
		for _, f := range ociRootFiles(s) {
			if wd == f || strings.HasPrefix(f, wd+"/") {
				probs.Add("oci.workdir", "%q holds %s, which the image's user could then replace: want a folder of its own, such as /var/lib/%s", o.WorkDir, f, s.Service.Name)
				break
			}
		}
	}
	container.CheckPort(s, probs)
	if o.Base != "" && len(targets) > 0 {
		rel := o.Base
		if r, err := filepath.Rel(s.Dir, string(o.Base)); err == nil && filepath.IsLocal(r) {
			rel = config.Path(filepath.ToSlash(r))
		}
		if _, err := os.Stat(string(o.Base)); err != nil {
			probs.Add("oci.base", "%q does not exist (looked for %s): want an OCI image layout directory, or a tar archive of one", rel, o.Base)
			return
		}
		l, idx, err := enc.Open(string(o.Base))
		if err != nil {
			probs.Add("oci.base", "%v: want an OCI image layout (a directory, or a tar of one: skopeo copy docker://debian:12 oci-archive:base.tar)", strings.TrimPrefix(err.Error(), "oci: "))
			return
		}
		imgs, err := l.Images(idx)
		if err != nil {
			probs.Add("oci.base", "%s: %v", rel, strings.TrimPrefix(err.Error(), "oci: "))
			return
		}
		for _, t := range targets {
			if _, err := enc.Select(imgs, ociPlatform(t)); err != nil {
				probs.Add("oci.base", "%s, for target %s: %v", rel, t, strings.TrimPrefix(err.Error(), "oci: "))
			}
		}
	}
}

// ociAnnotations are the image's annotations (and labels): the OCI keys
// from the spec.
func ociAnnotations(s *config.Spec) map[string]string {
	a := map[string]string{
		enc.AnnotationCreated: s.Date.UTC().Format(time.RFC3339),
		enc.AnnotationVersion: s.Version.String(),
		enc.AnnotationTitle:   s.Name,
	}
	for k, v := range map[string]string{
		enc.AnnotationRevision: s.Commit, enc.AnnotationSource: s.Homepage, enc.AnnotationURL: s.Homepage,
		enc.AnnotationLicenses: s.License, enc.AnnotationDescription: s.Description,
	} {
		if v != "" {
			a[k] = v
		}
	}
	return a
}

// placeDir is where the image puts each place: files in /etc/<name>,
// state in the working directory (owned by the image's user), logs in
// /var/log/<name> (made for that user when the config names it).
func placeDir(s *config.Spec) func(config.Place) string {
	return func(p config.Place) string {
		switch p {
		case config.ConfigDir:
			return "/etc/" + s.Name
		case config.StateDir:
			return cmp.Or(s.OCI.WorkDir, "/")
		case config.LogDir:
			return "/var/log/" + s.Name
		}
		return path.Dir(ociProgram(s))
	}
}

// ociRootFiles are the paths of the files ociImage puts in the image,
// owned by root: the program first.
func ociRootFiles(s *config.Spec) []string {
	out := []string{ociProgram(s)}
	for _, f := range s.Files {
		out = append(out, path.Join("/etc", s.Name, f.Dst))
	}
	if s.LicenseFile != "" {
		out = append(out, path.Join("/usr/share/doc", s.Name, "LICENSE"))
	}
	if s.OCI.CACertificatesOn() {
		out = append(out, "/etc/ssl/certs/ca-certificates.crt")
	}
	if s.OCI.TZData {
		out = append(out, "/usr/share/zoneinfo")
	}
	return out
}

// ociProgram is the program's path in the image: where the packages
// install it.
func ociProgram(s *config.Spec) string {
	return path.Join(cmp.Or(s.Service.Linux.BinDir, linuxpkg.DefaultBinDir), s.Name)
}

// maxOCIID is the largest uid or gid: 2^32-1 means "no id" to the kernel.
const maxOCIID = 1<<32 - 2

// ociUser reads uid[:gid] (gid defaults to uid): the one parser of
// oci.user, for check and the image alike, so that no id it cannot read
// becomes 0, root.
func ociUser(u string) (uid, gid int, err error) {
	id := func(s string) (int, error) {
		n, err := strconv.ParseUint(s, 10, 64)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%q is not a number", s)
		case n > maxOCIID:
			return 0, fmt.Errorf("%d is over %d, the largest uid or gid Linux gives a process", n, maxOCIID)
		case n > math.MaxInt:
			return 0, fmt.Errorf("%d is over %d, the largest id this machine's tar writer holds: release on a 64-bit machine", n, math.MaxInt)
		}
		return int(n), nil
	}
	a, b, ok := strings.Cut(u, ":")
	if uid, err = id(a); err != nil {
		return 0, 0, err
	}
	if gid = uid; ok {
		if gid, err = id(b); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

// ociImage maps the spec onto the image of target t, whose binary is bin.
// The layers, bottom first: TLS roots, time zone data (each when on; they
// change least), the files: entries and licence, then the program with its
// working directory. Files go where the Linux packages put them.
func ociImage(ctx context.Context, s *config.Spec, t platform.Target, bin, goTool string) (enc.Image, error) {
	o := s.OCI
	prog := ociProgram(s)
	uid, gid, err := ociUser(o.User)
	if err != nil {
		return enc.Image{}, fmt.Errorf("oci.user: %w", err)
	}
	var layers []enc.Layer
	if o.CACertificatesOn() {
		layers = append(layers, enc.Layer{CreatedBy: "svcpack: TLS root certificates (Mozilla NSS, golang.org/x/crypto/x509roots/fallback)",
			Files: []enc.File{{Name: "etc/ssl/certs/ca-certificates.crt", Mode: 0o644, Data: enc.RootCertificates()}}})
	}
	if o.TZData {
		// The toolchain that built the binary: a new one makes a new binary,
		// which the job's key covers.
		out, err := exec.CommandContext(ctx, goTool, "env", "GOROOT").Output()
		if err != nil {
			return enc.Image{}, fmt.Errorf("time zone data: %s env GOROOT: %w", goTool, err)
		}
		zones, err := enc.ZoneinfoFiles(filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip"), "usr/share/zoneinfo")
		if err != nil {
			return enc.Image{}, err
		}
		layers = append(layers, enc.Layer{CreatedBy: "svcpack: time zone data (the Go toolchain's zoneinfo.zip)", Files: zones})
	}
	var files []enc.File
	for _, f := range s.Files {
		files = append(files, enc.File{Name: path.Join("etc", s.Name, f.Dst), Mode: 0o644, Src: string(f.Src)})
	}
	if s.LicenseFile != "" {
		files = append(files, enc.File{Name: path.Join("usr/share/doc", s.Name, "LICENSE"), Mode: 0o644, Src: string(s.LicenseFile)})
	}
	if len(files) > 0 {
		layers = append(layers, enc.Layer{CreatedBy: "svcpack: files and licence", Files: files})
	}
	app := []enc.File{{Name: strings.TrimPrefix(prog, "/"), Mode: 0o755, Src: bin}}
	if wd := strings.TrimPrefix(o.WorkDir, "/"); wd != "" {
		app = append(app, enc.File{Name: wd, Mode: fs.ModeDir | 0o755, UID: uid, GID: gid})
	}
	dir := placeDir(s)
	owned := []string{o.WorkDir}
	if logs := dir(config.LogDir); s.UsesPlace(config.LogDir) && logs != o.WorkDir {
		app = append(app, enc.File{Name: strings.TrimPrefix(logs, "/"), Mode: fs.ModeDir | 0o755, UID: uid, GID: gid})
		owned = append(owned, logs)
	}
	// The folders the unit opens are the image user's too: a volume mounted
	// there starts as the image's folder (Docker copies its owner).
	for _, w := range s.Service.Linux.Writable {
		if w = path.Clean(w); !slices.Contains(owned, w) {
			app = append(app, enc.File{Name: strings.TrimPrefix(w, "/"), Mode: fs.ModeDir | 0o755, UID: uid, GID: gid})
			owned = append(owned, w)
		}
	}
	layers = append(layers, enc.Layer{CreatedBy: "svcpack: " + s.Name + " " + s.Version.String(), Files: app})

	var env []string
	for _, k := range slices.Sorted(maps.Keys(s.Service.Env)) {
		env = append(env, k+"="+config.PlacesIn(s.Service.Env[k], dir))
	}
	annotations := ociAnnotations(s)
	cfg := enc.Config{
		// uid:gid always: the working directory is the group's too, and a
		// runtime gives a bare uid the group 0.
		User: strconv.Itoa(uid) + ":" + strconv.Itoa(gid), Entrypoint: []string{prog}, Cmd: packager.RenderArgs(s.Service.Args, dir), Env: env, WorkingDir: o.WorkDir,
		Labels: annotations, StopSignal: "SIGTERM",
	}
	if o.Port > 0 {
		cfg.ExposedPorts = map[string]struct{}{strconv.Itoa(o.Port) + "/tcp": {}}
	}
	return enc.Image{Platform: ociPlatform(t), Layers: layers, Config: cfg, Created: s.Date, Annotations: annotations}, nil
}

func writeImage(ctx context.Context, j *packager.Job) error {
	s, t := j.Spec, j.Target
	bin, err := j.MustInput(packager.KindBinary)
	if err != nil {
		return err
	}
	img, err := ociImage(ctx, s, t, bin, j.GoTool())
	if err != nil {
		return err
	}
	l := enc.NewLayout()
	if s.OCI.Base != "" {
		imgs, err := baseImages(j, string(s.OCI.Base))
		if err != nil {
			return fmt.Errorf("oci.base: %w", err)
		}
		if img.Base, err = enc.Select(imgs, img.Platform); err != nil {
			return fmt.Errorf("oci.base: %w", err)
		}
	}
	d, err := l.AddImage(img)
	if err != nil {
		return err
	}
	d.Annotations = map[string]string{enc.AnnotationRefName: enc.Tag(s.Version.String())}
	name, err := packager.ArchiveName(s, t, ".oci.tar")
	if err != nil {
		return err
	}
	return j.Create(name, func(w io.Writer) error { return l.WriteArchive(w, []enc.Descriptor{d}, s.Date) })
}

// baseImages reads the OCI base image layout at path once per run: every
// target's image is built on one of its images, and reading it means
// reading and hashing every blob of every platform it holds.
func baseImages(j *packager.Job, path string) ([]*enc.BaseImage, error) {
	return packager.Shared(j, "oci.base:"+path, func() ([]*enc.BaseImage, error) {
		l, idx, err := enc.Open(path)
		if err != nil {
			return nil, err
		}
		return l.Images(idx)
	})
}

// ociIndexName is the image index archive's name in dist.
func ociIndexName(s *config.Spec) string { return fmt.Sprintf("%s_%s.oci.tar", s.Name, s.Version) }

func writeIndex(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	l := enc.NewLayout()
	var images []enc.Descriptor
	for _, a := range j.Inputs(packager.KindOCI) {
		il, idx, err := enc.Open(j.Path(a))
		if err != nil {
			return err
		}
		if len(idx.Manifests) != 1 {
			return fmt.Errorf("%s: want one image in index.json, found %d", a.Path, len(idx.Manifests))
		}
		d := idx.Manifests[0]
		if err := l.CopyImage(il, d); err != nil {
			return fmt.Errorf("%s: %w", a.Path, err)
		}
		d.Annotations = nil // the tag names the index
		images = append(images, d)
	}
	if len(images) == 0 {
		return nil // this run builds no Linux target (Options.Targets)
	}
	d, err := l.AddIndex(images, ociAnnotations(s))
	if err != nil {
		return err
	}
	d.Annotations = map[string]string{enc.AnnotationRefName: enc.Tag(s.Version.String())}
	return j.Create(ociIndexName(s), func(w io.Writer) error { return l.WriteArchive(w, []enc.Descriptor{d}, s.Date) })
}

// loopbackRE finds a listen address on loopback in an argument or value
// (127.0.0.1:8080, localhost:8080, [::1]:8080).
var loopbackRE = regexp.MustCompile(`(^|[^0-9A-Za-z.])(127\.0\.0\.1|localhost|\[::1\]):[0-9]+`)

// warnLoopback warns about an argument or environment value that listens
// on loopback: in a container it is reached from outside only on every
// interface. (A health URL on loopback is right: it names the container.)
func warnLoopback(s *config.Spec, probs *config.Problems) {
	warn := func(field, v string) {
		if loopbackRE.MatchString(v) {
			probs.Warn(field, "%q is on loopback: in the image the program is reached (docker run -p, a Service, "+
				"Compose's ports) only when it listens on every interface, such as :%d or 0.0.0.0:%[2]d",
				v, cmp.Or(s.OCI.Port, 8080))
		}
	}
	for i, a := range s.Service.Args {
		warn(fmt.Sprintf("service.args[%d]", i), a)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Service.Env)) {
		warn("service.env."+k, s.Service.Env[k])
	}
}
