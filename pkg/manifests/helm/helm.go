// Package helm writes a Helm chart (apiVersion v2) that runs one container
// image as a Kubernetes Deployment, with a Service for its port, a
// ConfigMap for its configuration files and NOTES.txt, packaged as the
// .tgz `helm package` makes; and Push sends such a chart to an OCI registry
// as `helm push` does.
//
// Everything the chart says of the program is in values.yaml, which a YAML
// encoder writes from typed values, and in Chart.yaml, written the same
// way. The templates are this package's own fixed text: they reach the
// values only through .Values and render each one through toJson or toYaml,
// so a value is always YAML data, never YAML or template text. Helm does
// not evaluate templates in values (only the tpl function would, and the
// templates do not call it), so a value holding "{{" reaches Kubernetes as
// written.
//
// The archive is reproducible: entries sorted, one modification time,
// owner root, and no name or time in the gzip header (package archive).
package helm

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/svcpack/svcpack/pkg/archive"
	"go.yaml.in/yaml/v3"
)

//go:embed all:templates
var templates embed.FS

// Chart is what the chart says: its metadata and how the program runs.
type Chart struct {
	// Name is the chart's name, and its container's (CheckName).
	Name string
	// Version is the chart's version (SemVer 2); AppVersion the program's.
	Version, AppVersion string
	// Description and Home (a URL) describe it; both may be empty.
	Description, Home string
	// Replicas is the Deployment's replica count (at least 1).
	Replicas int
	// Image is the container image.
	Image Image
	// Port is the TCP port the program listens on (0: none), which the
	// Service exposes.
	Port int
	// Env is the container's environment.
	Env map[string]string
	// UID and GID run the program (0 is root: then runAsNonRoot is off).
	UID, GID int
	// Check, when set, is the health check of the startup, liveness and
	// readiness probes.
	Check *Check
	// CPU and Memory are the container's limits as Kubernetes quantities
	// (800m, 512Mi), or "" for none.
	CPU, Memory string
	// Files are the configuration files, from a ConfigMap, each mounted
	// on its own path.
	Files []File
	// Writable are the folders the program writes to, each an empty
	// volume (the root file system is read-only).
	Writable []string
	// Created is the archive's modification time.
	Created time.Time
}

// Image names the container image: Repository (host/path) with a Tag, and
// the Digest (sha256:...) the chart runs when set.
type Image struct {
	Repository, Tag, Digest string
}

// Check is an HTTP GET (Path set) or a TCP connection to Port of the pod.
type Check struct {
	// Path is the HTTP request's path (with its query), or "" for a TCP
	// check.
	Path string
	// Port is the port checked; HTTPS checks over TLS.
	Port  int
	HTTPS bool
	// Interval between checks, Timeout of one, and Failures in a row that
	// restart the container.
	Interval, Timeout time.Duration
	Failures          int
}

// File is a configuration file: its content and where the container sees
// it.
type File struct {
	// Path is absolute, as the container sees it.
	Path string
	// Data is its content.
	Data []byte
}

// FileName is the chart archive's name, as helm package names it.
func (c *Chart) FileName() string { return c.Name + "-" + c.Version + ".tgz" }

// nameRE is a chart name as Helm's documentation asks for (lower-case
// letters and digits, words separated by dashes), which is also a DNS
// label: the name of the container and a label value.
var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// semverRE is semver.org's regular expression for a version.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// keyRE is what a ConfigMap key cannot hold.
var keyRE = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

// CheckName reports whether name is a chart name: lower-case letters,
// digits and single dashes between them, at most 63 characters (a DNS
// label, since the container and the labels carry it).
func CheckName(name string) error {
	if !nameRE.MatchString(name) || len(name) > 63 {
		return fmt.Errorf("helm: chart name %q: want lower-case letters and digits, words separated by single dashes, "+
			"at most 63 characters (hello, my-service)", name)
	}
	return nil
}

// check refuses what the chart cannot say, so that the package never
// writes a chart Helm or Kubernetes would refuse.
func (c *Chart) check() error {
	if err := CheckName(c.Name); err != nil {
		return err
	}
	if !semverRE.MatchString(c.Version) {
		return fmt.Errorf("helm: version %q is not a SemVer 2 version", c.Version)
	}
	if c.Replicas < 1 {
		return fmt.Errorf("helm: %d replicas: want at least 1", c.Replicas)
	}
	if c.Image.Repository == "" || c.Image.Tag == "" && c.Image.Digest == "" {
		return fmt.Errorf("helm: image %+v: want a repository with a tag or digest", c.Image)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("helm: port %d: want 1 to 65535, or 0 for none", c.Port)
	}
	if c.Check != nil {
		if err := c.Check.check(); err != nil {
			return err
		}
	}
	size := 0
	for _, f := range c.Files {
		if size += len(f.Data); !utf8.Valid(f.Data) {
			size += base64.StdEncoding.EncodedLen(len(f.Data)) - len(f.Data)
		}
	}
	if size > maxConfigMap {
		return fmt.Errorf("helm: the configuration files come to %d bytes in the ConfigMap, over the %d Kubernetes stores in one", size, maxConfigMap)
	}
	for _, p := range append(filePaths(c.Files), c.Writable...) {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" || strings.ContainsFunc(p, isControl) {
			return fmt.Errorf("helm: %q is not a clean absolute path below /", p)
		}
	}
	return nil
}

// maxConfigMap is what the ConfigMap's files may come to: Kubernetes
// stores at most 1 MiB in one object, the metadata included.
const maxConfigMap = 1<<20 - 16<<10

func filePaths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// maxSeconds bounds a probe's timings, int32 fields in Kubernetes.
const maxSeconds = 1<<31 - 1

func (k *Check) check() error {
	if k.Port < 1 || k.Port > 65535 {
		return fmt.Errorf("helm: health check port %d: want 1 to 65535", k.Port)
	}
	if k.Path != "" && (!strings.HasPrefix(k.Path, "/") || strings.ContainsFunc(k.Path, func(r rune) bool { return r <= ' ' || r >= 0x7f })) {
		return fmt.Errorf("helm: health check path %q: want an absolute URL path of printable ASCII without spaces", k.Path)
	}
	if k.Failures < 1 {
		return fmt.Errorf("helm: health check failures %d: want at least 1", k.Failures)
	}
	if k.Interval <= 0 || k.Timeout <= 0 || int64(seconds(k.Interval))*int64(k.Failures) > maxSeconds || seconds(k.Timeout) > maxSeconds {
		return fmt.Errorf("helm: health check interval %s, timeout %s, %d failures: want positive durations, "+
			"the interval times the failures under %d s", k.Interval, k.Timeout, k.Failures, maxSeconds)
	}
	return nil
}

// seconds is d in whole seconds, rounded up: Kubernetes counts probe
// timings in seconds, from 1.
func seconds(d time.Duration) int {
	return int(min((d+time.Second-1)/time.Second, maxSeconds))
}

// Write writes the chart archive: <name>/Chart.yaml, values.yaml and the
// templates.
func (c *Chart) Write(w io.Writer) error {
	if err := c.check(); err != nil {
		return err
	}
	meta, err := encodeYAML(chartFile{
		APIVersion: "v2", Name: c.Name, Description: c.Description, Type: "application",
		Version: c.Version, AppVersion: c.AppVersion, Home: c.Home,
	})
	if err != nil {
		return err
	}
	values, err := encodeYAML(c.values())
	if err != nil {
		return err
	}
	files := []archive.File{
		{Name: c.Name + "/Chart.yaml", Data: meta},
		{Name: c.Name + "/values.yaml", Data: append([]byte(valuesHeader), values...)},
	}
	err = fs.WalkDir(templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := templates.ReadFile(p)
		files = append(files, archive.File{Name: c.Name + "/" + p, Data: data})
		return err
	})
	if err != nil {
		return fmt.Errorf("helm: %w", err)
	}
	return archive.WriteTarGz(w, files, c.Created)
}

const valuesHeader = "# Written by svcpack: the values of the templates, each one data (the templates\n" +
	"# never evaluate them). image.digest, when set, wins over image.tag.\n"

// encodeYAML encodes v as YAML with two-space indentation.
func encodeYAML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("helm: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("helm: %w", err)
	}
	return b.Bytes(), nil
}

// chartFile is Chart.yaml.
type chartFile struct {
	APIVersion  string `yaml:"apiVersion"`
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	Type        string `yaml:"type"`
	Version     string `yaml:"version"`
	AppVersion  string `yaml:"appVersion,omitempty"`
	Home        string `yaml:"home,omitempty"`
}

// values is values.yaml: Kubernetes' own field names below the chart's.
type values struct {
	ReplicaCount       int               `yaml:"replicaCount"`
	Image              imageValues       `yaml:"image"`
	Service            serviceValues     `yaml:"service"`
	Env                map[string]string `yaml:"env"`
	Resources          resources         `yaml:"resources"`
	PodSecurityContext podSecurity       `yaml:"podSecurityContext"`
	SecurityContext    security          `yaml:"securityContext"`
	Probes             probes            `yaml:"probes"`
	ConfigFiles        []configFile      `yaml:"configFiles"`
	Writable           []string          `yaml:"writable"`
	// Volumes replaces the empty volume of a writable folder, by its path:
	// {/var/lib/hello: {persistentVolumeClaim: {claimName: hello-data}}}.
	Volumes map[string]any `yaml:"volumes"`
}

type imageValues struct {
	Repository string `yaml:"repository"`
	Tag        string `yaml:"tag"`
	Digest     string `yaml:"digest"`
	PullPolicy string `yaml:"pullPolicy"`
}

type serviceValues struct {
	Type string `yaml:"type"`
	Port int    `yaml:"port"`
}

type resources struct {
	Limits map[string]string `yaml:"limits,omitempty"`
}

type podSecurity struct {
	FSGroup int `yaml:"fsGroup"`
}

type security struct {
	RunAsNonRoot             bool         `yaml:"runAsNonRoot"`
	RunAsUser                int          `yaml:"runAsUser"`
	RunAsGroup               int          `yaml:"runAsGroup"`
	ReadOnlyRootFilesystem   bool         `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation bool         `yaml:"allowPrivilegeEscalation"`
	Capabilities             capabilities `yaml:"capabilities"`
	SeccompProfile           seccomp      `yaml:"seccompProfile"`
}

type capabilities struct {
	Drop []string `yaml:"drop"`
}

type seccomp struct {
	Type string `yaml:"type"`
}

type probes struct {
	Startup   *probe `yaml:"startup,omitempty"`
	Liveness  *probe `yaml:"liveness,omitempty"`
	Readiness *probe `yaml:"readiness,omitempty"`
}

type probe struct {
	HTTPGet          *httpGet   `yaml:"httpGet,omitempty"`
	TCPSocket        *tcpSocket `yaml:"tcpSocket,omitempty"`
	PeriodSeconds    int        `yaml:"periodSeconds"`
	TimeoutSeconds   int        `yaml:"timeoutSeconds"`
	FailureThreshold int        `yaml:"failureThreshold"`
}

type httpGet struct {
	Path   string `yaml:"path"`
	Port   int    `yaml:"port"`
	Scheme string `yaml:"scheme"`
}

type tcpSocket struct {
	Port int `yaml:"port"`
}

// configFile is one ConfigMap entry: text in content, other bytes in
// base64 (binaryData).
type configFile struct {
	Key       string  `yaml:"key"`
	MountPath string  `yaml:"mountPath"`
	Content   *string `yaml:"content,omitempty"`
	Base64    string  `yaml:"base64,omitempty"`
}

func (c *Chart) values() values {
	v := values{
		ReplicaCount:       c.Replicas,
		Image:              imageValues{Repository: c.Image.Repository, Tag: c.Image.Tag, Digest: c.Image.Digest, PullPolicy: "IfNotPresent"},
		Service:            serviceValues{Type: "ClusterIP", Port: c.Port},
		Env:                c.Env,
		PodSecurityContext: podSecurity{FSGroup: c.GID},
		SecurityContext: security{
			RunAsNonRoot: c.UID != 0, RunAsUser: c.UID, RunAsGroup: c.GID, ReadOnlyRootFilesystem: true,
			Capabilities: capabilities{Drop: []string{"ALL"}}, SeccompProfile: seccomp{Type: "RuntimeDefault"},
		},
		Writable:    c.Writable,
		Volumes:     map[string]any{},
		ConfigFiles: configFiles(c.Files),
	}
	if v.Env == nil {
		v.Env = map[string]string{}
	}
	if c.CPU != "" || c.Memory != "" {
		v.Resources.Limits = map[string]string{}
		for k, q := range map[string]string{"cpu": c.CPU, "memory": c.Memory} {
			if q != "" {
				v.Resources.Limits[k] = q
			}
		}
	}
	if k := c.Check; k != nil {
		v.Probes = k.probes()
	}
	return v
}

// probes: the liveness probe restarts the container after Failures
// failed checks, one every Interval; the readiness probe takes the pod out
// of the Service at the first failure; the startup probe, which holds both
// back until it passes, checks every second for as long as the liveness
// probe gives a program that stopped answering (Interval x Failures).
func (k *Check) probes() probes {
	var get *httpGet
	var tcp *tcpSocket
	if k.Path != "" {
		get = &httpGet{Path: k.Path, Port: k.Port, Scheme: "HTTP"}
		if k.HTTPS {
			get.Scheme = "HTTPS"
		}
	} else {
		tcp = &tcpSocket{Port: k.Port}
	}
	every, timeout := seconds(k.Interval), seconds(k.Timeout)
	p := func(period, failures int) *probe {
		return &probe{HTTPGet: get, TCPSocket: tcp, PeriodSeconds: period, TimeoutSeconds: timeout, FailureThreshold: failures}
	}
	return probes{Startup: p(1, every*k.Failures), Liveness: p(every, k.Failures), Readiness: p(every, 1)}
}

// maxKey bounds a ConfigMap key's base (Kubernetes: 253 characters).
const maxKey = 200

// configFiles keys the files for the ConfigMap: the path's base name with
// what a key cannot hold as _, numbered on a clash.
func configFiles(files []File) []configFile {
	var out []configFile
	seen := map[string]bool{}
	for _, f := range files {
		key := keyRE.ReplaceAllString(path.Base(f.Path), "_")
		if len(key) > maxKey {
			key = key[:maxKey]
		}
		if key == "." || key == ".." {
			key = "_" + key
		}
		for n, base := 2, key; seen[key]; n++ {
			key = fmt.Sprintf("%s-%d", base, n)
		}
		seen[key] = true
		cf := configFile{Key: key, MountPath: f.Path}
		if utf8.Valid(f.Data) {
			text := string(f.Data)
			cf.Content = &text
		} else {
			cf.Base64 = base64.StdEncoding.EncodeToString(f.Data)
		}
		out = append(out, cf)
	}
	slices.SortFunc(out, func(a, b configFile) int { return strings.Compare(a.MountPath, b.MountPath) })
	return out
}
