// Package compose writes a Compose file (compose.yaml) that runs one
// container image as one service: image, restart policy, port,
// environment, user, a read-only root file system without capabilities,
// configuration files bind-mounted read-only from beside the file, named
// volumes for the folders the program writes, and resource limits. The
// file says version 3.8, which docker-compose 1.x needs and Compose v2
// ignores.
//
// Every value is data, written by a YAML encoder. Compose interpolates
// $VAR and ${VAR} in every value (not in keys), so every $ in a value is
// written $$, which Compose reads as one $.
package compose

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is what the Compose file says.
type File struct {
	// Service is the service's name, the key under services:.
	Service string
	// Image is the image reference (repository@sha256:...).
	Image string
	// Restart is no, always, on-failure or unless-stopped.
	Restart string
	// Port is the TCP port published on the host's, 0 for none.
	Port int
	// Env is the container's environment.
	Env map[string]string
	// User is uid:gid.
	User string
	// Binds are files beside the Compose file, mounted read-only.
	Binds []Bind
	// Volumes are named volumes, for the folders the program writes.
	Volumes []Volume
	// Tmpfs are folders in memory (/tmp).
	Tmpfs []string
	// CPUs (0.8) and Memory (512M) are the container's limits, or "".
	CPUs, Memory string
	// Comment heads the file; NoHealthcheck, when set, says why the
	// service has no healthcheck (a comment in the service).
	Comment, NoHealthcheck string
}

// Bind is a file beside the Compose file that the container sees at
// Target.
type Bind struct {
	// Source is relative to the Compose file, with / separators.
	Source string
	// Target is absolute.
	Target string
}

// Volume is a named volume at Target; Docker fills a new one from the
// image's folder there, owner included.
type Volume struct {
	Name, Target string
}

var (
	serviceRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	volumeRE  = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	restarts  = []string{"no", "always", "on-failure", "unless-stopped"}
)

func (f *File) check() error {
	switch {
	case !serviceRE.MatchString(f.Service):
		return fmt.Errorf("compose: service name %q: want letters, digits, '.', '_' and '-'", f.Service)
	case f.Image == "":
		return fmt.Errorf("compose: no image")
	case !strings.Contains(" "+strings.Join(restarts, " ")+" ", " "+f.Restart+" "):
		return fmt.Errorf("compose: restart %q: want one of %s", f.Restart, strings.Join(restarts, ", "))
	case f.Port < 0 || f.Port > 65535:
		return fmt.Errorf("compose: port %d: want 1 to 65535, or 0 for none", f.Port)
	}
	for k := range f.Env {
		if k == "" || strings.ContainsAny(k, "=") || strings.ContainsFunc(k, isControl) {
			return fmt.Errorf("compose: environment variable name %q: want a name without '=' or control characters", k)
		}
	}
	var targets []string
	for _, b := range f.Binds {
		if !path.IsAbs(b.Source) && path.Clean(b.Source) == b.Source && !strings.HasPrefix(b.Source, "../") && b.Source != ".." && b.Source != "." {
			targets = append(targets, b.Target)
			continue
		}
		return fmt.Errorf("compose: bind source %q: want a clean path below the Compose file's folder", b.Source)
	}
	for _, v := range f.Volumes {
		if !volumeRE.MatchString(v.Name) {
			return fmt.Errorf("compose: volume name %q: want letters, digits, '.', '_' and '-'", v.Name)
		}
		targets = append(targets, v.Target)
	}
	for _, t := range append(targets, f.Tmpfs...) {
		if !path.IsAbs(t) || path.Clean(t) != t || t == "/" || strings.ContainsFunc(t, isControl) || strings.Contains(t, ":") {
			return fmt.Errorf("compose: mount target %q: want a clean absolute path below / without ':'", t)
		}
	}
	return nil
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u2028' || r == '\u2029'
}

// The file's shape: Compose's own keys.
type (
	document struct {
		Version  string              `yaml:"version"`
		Services map[string]service  `yaml:"services"`
		Volumes  map[string]struct{} `yaml:"volumes,omitempty"`
	}
	service struct {
		Image       string            `yaml:"image"`
		Restart     string            `yaml:"restart"`
		User        string            `yaml:"user,omitempty"`
		ReadOnly    bool              `yaml:"read_only"`
		CapDrop     []string          `yaml:"cap_drop"`
		SecurityOpt []string          `yaml:"security_opt"`
		Ports       []port            `yaml:"ports,omitempty"`
		Environment map[string]string `yaml:"environment,omitempty"`
		Tmpfs       []string          `yaml:"tmpfs,omitempty"`
		Volumes     []mount           `yaml:"volumes,omitempty"`
		Deploy      *deploy           `yaml:"deploy,omitempty"`
	}
	port struct {
		Target    int    `yaml:"target"`
		Published int    `yaml:"published"`
		Protocol  string `yaml:"protocol"`
	}
	mount struct {
		Type     string `yaml:"type"`
		Source   string `yaml:"source"`
		Target   string `yaml:"target"`
		ReadOnly bool   `yaml:"read_only,omitempty"`
	}
	deploy struct {
		Resources struct {
			Limits map[string]string `yaml:"limits"`
		} `yaml:"resources"`
	}
)

// YAML returns the Compose file.
func (f *File) YAML() ([]byte, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	svc := service{
		Image: f.Image, Restart: f.Restart, User: f.User, ReadOnly: true, CapDrop: []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges:true"}, Environment: f.Env, Tmpfs: f.Tmpfs,
	}
	if f.Port > 0 {
		svc.Ports = []port{{Target: f.Port, Published: f.Port, Protocol: "tcp"}}
	}
	doc := document{Version: "3.8", Services: map[string]service{f.Service: svc}}
	for _, b := range f.Binds {
		svc.Volumes = append(svc.Volumes, mount{Type: "bind", Source: "./" + b.Source, Target: b.Target, ReadOnly: true})
	}
	for _, v := range f.Volumes {
		svc.Volumes = append(svc.Volumes, mount{Type: "volume", Source: v.Name, Target: v.Target})
		if doc.Volumes == nil {
			doc.Volumes = map[string]struct{}{}
		}
		doc.Volumes[v.Name] = struct{}{}
	}
	if f.CPUs != "" || f.Memory != "" {
		svc.Deploy = &deploy{}
		svc.Deploy.Resources.Limits = map[string]string{}
		for k, v := range map[string]string{"cpus": f.CPUs, "memory": f.Memory} {
			if v != "" {
				svc.Deploy.Resources.Limits[k] = v
			}
		}
	}
	doc.Services[f.Service] = svc
	var n yaml.Node
	if err := n.Encode(doc); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	escapeValues(&n)
	n.HeadComment = comment(f.Comment)
	if f.NoHealthcheck != "" {
		svc := valueOf(valueOf(&n, "services"), f.Service)
		svc.Content[0].HeadComment = comment(f.NoHealthcheck)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return b.Bytes(), enc.Close()
}

// valueOf is the value of key in the mapping m.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	panic("compose: no " + key) // the document's own shape
}

// escapeValues writes every $ of a scalar value as $$ (Compose's escape);
// mapping keys, which Compose does not interpolate, stay.
func escapeValues(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		n.Value = strings.ReplaceAll(n.Value, "$", "$$")
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			escapeValues(n.Content[i])
		}
	default:
		for _, c := range n.Content {
			escapeValues(c)
		}
	}
}

// comment is text as YAML comment lines, each line starting "# " (a
// comment cannot hold a line break of its own).
func comment(text string) string {
	if text == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+strings.Map(func(r rune) rune {
			if isControl(r) {
				return ' '
			}
			return r
		}, l), " ")
	}
	return strings.Join(lines, "\n")
}
