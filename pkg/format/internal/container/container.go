// Package container maps the spec onto what the formats that run the oci
// format's image share (helm, compose): the image (oci.push[0]'s
// repository, pinned to the digest of the image index the release made),
// how it runs, read from that index's image so that it is what the image
// says (user, environment, working directory), where the image has the
// configuration files and which folders the program writes, and the
// health check and limits of the service section.
package container

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/oci"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Reads are the spec fields the mapping reads; the chart's probes also
// read service.health (HealthReads), the Compose file's none.
func Reads() []string {
	return []string{"name", "version", "date", "files", "service.name", "service.args", "service.env",
		"service.linux.memory_max", "service.linux.cpu_quota", "service.linux.writable", "oci.push", "oci.port"}
}

// HealthReads are the fields the probes read.
var HealthReads = []string{"service.health", "service.wrapper.health"}

// Applies: made where the image index is, once for the release.
func Applies(s *config.Spec, _ platform.Target) bool { return s.Wants("oci") && s.HasOS("linux") }

// The wrapper's health check defaults (config.WrapperHealth), which a
// check of the port alone takes too.
const (
	DefaultInterval = 10 * time.Second
	DefaultTimeout  = 5 * time.Second
	DefaultFailures = 3
)

// Check adds the rules format (helm, compose) shares with the other: the
// image it runs (the oci format, with oci.push), a health URL on the
// container itself, and limits the format can say.
func Check(s *config.Spec, format string, probs *config.Problems) {
	if !s.Wants("oci") {
		probs.AddAt("formats", []string{"oci"}, "names %s, which runs the image the oci format makes: "+
			"add oci to formats, or leave %s out", format, format)
	}
	if len(s.OCI.Push) == 0 {
		probs.AddAt("oci.push", []string{"oci", "formats"}, "is empty, and %s runs the image from oci.push[0]'s repository: "+
			"name it (oci.push: [ghcr.io/acme/%s])", format, s.Name)
	}
	CheckPort(s, probs)
	var fe *FieldError
	if _, err := HealthCheck(s); errors.As(err, &fe) {
		probs.Add(fe.Field, "%s", fe.Msg)
	}
	if _, err := ParseLimits(s.Service.Linux); errors.As(err, &fe) {
		probs.Add(fe.Field, "%s", fe.Msg)
	}
	if m := s.Service.Linux.MemoryMax; strings.HasSuffix(m, "%") {
		probs.Warn("service.linux.memory_max", "%q is a share of the machine's memory, which a container limit cannot say: "+
			"%s sets no memory limit", m, format)
	}
}

// CheckPort is the rule of oci.port, which the oci format and the formats
// running its image each apply: said once, and counted by each check, which
// then tries no encoder with it.
func CheckPort(s *config.Spec, probs *config.Problems) {
	if p := s.OCI.Port; p < 0 || p > 65535 {
		probs.Add("oci.port", "%d is not a TCP port: want 1 to 65535, or leave it out", p)
	}
}

// Image is the container image and how it runs.
type Image struct {
	// Repository is oci.push[0] without tag or digest; Tag its tag, else
	// the version's; Digest the image index's.
	Repository, Tag, Digest string
	// UID and GID run the program (the image's User, uid:gid).
	UID, GID int
	// Env holds service.env's variables as the image sets them (places
	// rendered where the image has them).
	Env map[string]string
	// WorkDir is the image's working directory; Program its entry point.
	WorkDir, Program string
}

// StandIn is the image as check sees it, before there is one: the digest
// zero, the spec's user, environment and working directory.
func StandIn(s *config.Spec) Image {
	img := Image{Digest: "sha256:" + strings.Repeat("0", 64), Env: s.Service.Env, WorkDir: s.OCI.WorkDir}
	img.Repository, img.Tag = Reference(s)
	img.UID, img.GID, _ = ids(s.OCI.User) // oci's check reports a bad one
	return img
}

// ReadImage reads the image index the release made (KindOCIIndex, which
// the packager must use): its digest, and its first image's configuration
// (the images of the index differ in platform only). ok is false when the
// run made no index (no Linux target in it).
func ReadImage(j *packager.Job) (img Image, ok bool, err error) {
	s := j.Spec
	arts := j.Inputs(packager.KindOCIIndex)
	if len(arts) == 0 {
		return Image{}, false, nil
	}
	l, idx, err := oci.Open(j.Path(arts[0]))
	if err != nil {
		return Image{}, false, err
	}
	if len(idx.Manifests) != 1 {
		return Image{}, false, fmt.Errorf("%s: want one image index in index.json, found %d", arts[0].Path, len(idx.Manifests))
	}
	imgs, err := l.Images(idx)
	if err != nil || len(imgs) == 0 {
		return Image{}, false, fmt.Errorf("%s: no image in the index (%v)", arts[0].Path, err)
	}
	cfg := imgs[0].Config.Config
	img = Image{Digest: idx.Manifests[0].Digest, WorkDir: cfg.WorkingDir, Env: map[string]string{}}
	if len(cfg.Entrypoint) > 0 {
		img.Program = cfg.Entrypoint[0]
	}
	img.Repository, img.Tag = Reference(s)
	if img.UID, img.GID, err = ids(cfg.User); err != nil {
		return Image{}, false, fmt.Errorf("%s: %w", arts[0].Path, err)
	}
	for _, kv := range cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := s.Service.Env[k]; ok {
			img.Env[k] = v
		}
	}
	return img, true, nil
}

// ids reads a numeric uid[:gid] (a uid alone is uid:uid, as oci.user
// says), as the image's User always is.
func ids(user string) (uid, gid int, err error) {
	a, b, ok := strings.Cut(user, ":")
	if uid, err = strconv.Atoi(a); err == nil && ok {
		gid, err = strconv.Atoi(b)
	} else {
		gid = uid
	}
	if err != nil || uid < 0 || gid < 0 {
		return 0, 0, fmt.Errorf("the image's user %q is not uid:gid", user)
	}
	return uid, gid, nil
}

// Reference is oci.push[0]'s repository and its tag, else the tag of the
// version (as publish pushes it).
func Reference(s *config.Spec) (repo, tag string) {
	if len(s.OCI.Push) == 0 {
		return "", ""
	}
	repo, _, _ = strings.Cut(s.OCI.Push[0], "@")
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		return repo[:i], repo[i+1:]
	}
	return repo, oci.Tag(s.Version.String())
}

// File is a configuration file (files: with config: true) and where the
// image has it.
type File struct {
	// Src is the host file; Dst its files: destination.
	Src, Dst string
	// Path is its absolute path in the image.
	Path string
}

// ConfigFiles are the configuration files, where the image has them:
// /etc/<name>/<dst> (the oci format's layout).
func ConfigFiles(s *config.Spec) []File {
	var out []File
	for _, f := range s.Files {
		if f.Config {
			out = append(out, File{Src: string(f.Src), Dst: f.Dst, Path: path.Join("/etc", s.Name, f.Dst)})
		}
	}
	return out
}

// Writable are the folders the program writes to, which a read-only root
// file system must leave writable: the working directory (the state
// place), /var/log/<name> when the service names the log place (the oci
// format's layout), the folders service.linux.writable opens in the
// systemd unit, and /tmp.
func Writable(s *config.Spec, img Image) []string {
	var out []string
	add := func(dir string) {
		if !slices.Contains(out, dir) {
			out = append(out, dir)
		}
	}
	if img.WorkDir != "" && img.WorkDir != "/" {
		add(img.WorkDir)
	}
	if s.UsesPlace(config.LogDir) {
		add("/var/log/" + s.Name)
	}
	for _, dir := range s.Service.Linux.Writable {
		add(path.Clean(dir))
	}
	add("/tmp")
	return out
}

// FieldError is a field's value that a container cannot say.
type FieldError struct{ Field, Msg string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldError(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Health is service.health as a check of the container: an HTTP
// GET of Path (with its query) on Port.
type Health struct {
	Path              string
	Port              int
	HTTPS             bool
	Interval, Timeout time.Duration
	Failures          int
}

// maxSeconds bounds a check's timings: Kubernetes holds seconds in int32.
const maxSeconds = math.MaxInt32

// HealthCheck reads service.health, else service.wrapper.health (nil when
// neither is set), with the
// wrapper's defaults. Its URL must name the container itself (loopback or
// any address): the check runs against the container, not a host.
func HealthCheck(s *config.Spec) (*Health, error) {
	h, from := s.Service.HealthCheck()
	if h == nil {
		return nil, nil
	}
	field := from + ".url"
	u, err := url.Parse(h.URL)
	if err != nil {
		return nil, fieldError(field, "%q: %v", h.URL, err)
	}
	switch host := u.Hostname(); {
	case host == "localhost", net.ParseIP(host) != nil && (net.ParseIP(host).IsLoopback() || net.ParseIP(host).IsUnspecified()):
	default:
		return nil, fieldError(field, "%q names the host %q, and a container's health is checked on the container itself: "+
			"want 127.0.0.1, localhost or [::1] (http://127.0.0.1:8080/healthz)", h.URL, host)
	}
	k := &Health{Path: u.RequestURI(), HTTPS: u.Scheme == "https", Interval: h.Interval.Std(), Timeout: h.Timeout.Std(), Failures: h.Failures}
	k.Port = map[bool]int{false: 80, true: 443}[k.HTTPS]
	if p := u.Port(); p != "" {
		if k.Port, err = strconv.Atoi(p); err != nil || k.Port < 1 || k.Port > 65535 {
			return nil, fieldError(field, "%q: port %s is out of range: want 1 to 65535", h.URL, p)
		}
	}
	if k.Interval == 0 {
		k.Interval = DefaultInterval
	}
	if k.Timeout == 0 {
		k.Timeout = DefaultTimeout
	}
	if k.Failures == 0 {
		k.Failures = DefaultFailures
	}
	if k.Interval < 0 || k.Timeout < 0 || k.Failures < 0 ||
		k.Interval.Seconds()*float64(k.Failures) > maxSeconds || k.Timeout.Seconds() > maxSeconds {
		return nil, fieldError(from, "interval %s, timeout %s and %d failures are out of range: "+
			"want positive values, the interval times the failures under %d seconds",
			k.Interval, k.Timeout, k.Failures, maxSeconds)
	}
	return k, nil
}

// Limits are service.linux's memory_max and cpu_quota as a container
// limit says them.
type Limits struct {
	// Memory is a number of bytes or of MemoryUnit (K, M, G or T,
	// 1024-based, as systemd reads them); 0 is none.
	Memory     uint64
	MemoryUnit string
	// CPUPercent is the CPU time in hundredths of a CPU (200: two CPUs);
	// 0 is none.
	CPUPercent uint64
}

// ParseLimits reads memory_max and cpu_quota; a percentage of memory and
// infinity are no limit.
func ParseLimits(l config.Linux) (Limits, error) {
	var out Limits
	m := l.MemoryMax
	if m != "" && m != "infinity" && !strings.HasSuffix(m, "%") {
		digits := strings.TrimRight(m, "KMGT")
		out.MemoryUnit = m[len(digits):]
		n, err := strconv.ParseUint(digits, 10, 64)
		shift := 0 // bits of the unit: K is 10
		if out.MemoryUnit != "" {
			shift = 10 * (strings.Index("KMGT", out.MemoryUnit) + 1)
		}
		if err != nil || n == 0 || len(out.MemoryUnit) > 1 || n > math.MaxInt64>>shift {
			return Limits{}, fieldError("service.linux.memory_max", "%q is not a container memory limit: "+
				"want bytes with an optional K, M, G or T suffix, more than 0 and less than 8E (512M)", m)
		}
		out.Memory = n
	}
	if c := l.CPUQuota; c != "" {
		n, err := strconv.ParseUint(strings.TrimSuffix(c, "%"), 10, 64)
		if err != nil || n == 0 || n > math.MaxUint64/10 {
			return Limits{}, fieldError("service.linux.cpu_quota", "%q is not a container CPU limit: "+
				"want a percentage over 0%% (80%%, 200%% for two CPUs)", c)
		}
		out.CPUPercent = n
	}
	return out, nil
}
