package linuxpkg

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/svcpack/svcpack/templates"
)

// Service describes how systemd runs the program.
type Service struct {
	// Name is the unit name without .service.
	Name string
	// Description is the unit's Description=.
	Description string
	// Args follow the binary in ExecStart=.
	Args []string
	// Env is written as Environment= lines, sorted by name.
	Env map[string]string
	// User runs the service; the package scripts create it as a system
	// user and group. Empty means DynamicUser=yes.
	User string
	// Restart is on-failure (default) or always.
	Restart string
	// RestartDelay is RestartSec=.
	RestartDelay time.Duration
	// StartLimitInterval and StartLimitBurst stop restarting after Burst
	// starts within Interval (defaults: 5 in 10 minutes).
	StartLimitInterval time.Duration
	StartLimitBurst    int
	// Notify selects Type=notify (the program sends READY=1); else Type=exec.
	Notify bool
	// MemoryMax and CPUQuota are set when not empty.
	MemoryMax, CPUQuota string
	// Port is the port the program listens on, when known; below 1024 the
	// unit grants CAP_NET_BIND_SERVICE and nothing else.
	Port int
	// Hardening turns the sandboxing directives on.
	Hardening bool
	// HardeningOff names directives (the part before '=') to leave out.
	HardeningOff []string
}

// hardening is the sandbox: what systemd-analyze security scores, minus what
// a Go network service needs. Each entry is one directive line.
func hardening(s Service) []string {
	caps := ""
	if s.Port > 0 && s.Port < 1024 {
		caps = "CAP_NET_BIND_SERVICE"
	}
	lines := []string{
		"NoNewPrivileges=yes",
		"ProtectSystem=strict",
		"ProtectHome=yes",
		"PrivateTmp=yes",
		"PrivateDevices=yes",
		"DevicePolicy=closed",
		"ProtectKernelTunables=yes",
		"ProtectKernelModules=yes",
		"ProtectKernelLogs=yes",
		"ProtectControlGroups=yes",
		"ProtectClock=yes",
		"ProtectHostname=yes",
		"ProtectProc=invisible",
		"ProcSubset=pid",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"RestrictNamespaces=yes",
		"RestrictRealtime=yes",
		"RestrictSUIDSGID=yes",
		"LockPersonality=yes",
		"MemoryDenyWriteExecute=yes",
		"RemoveIPC=yes",
		"KeyringMode=private",
		"UMask=0077",
		"SystemCallArchitectures=native",
		"SystemCallFilter=@system-service",
		"SystemCallFilter=~@privileged @resources",
		"SystemCallErrorNumber=EPERM",
		"CapabilityBoundingSet=" + caps,
		"AmbientCapabilities=" + caps,
	}
	if caps == "" {
		// Without capabilities a user namespace costs nothing and hides
		// the host's users.
		lines = append(lines, "PrivateUsers=yes")
	}
	off := map[string]bool{}
	for _, d := range s.HardeningOff {
		off[d] = true
	}
	var out []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, "=")
		if !off[name] {
			out = append(out, l)
		}
	}
	return out
}

// HardeningDirectives lists the directive names hardening_off may name.
func HardeningDirectives() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range hardening(Service{}) {
		name, _, _ := strings.Cut(l, "=")
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// systemdQuote quotes one word for ExecStart= or Environment=: double quotes
// with backslash escapes for \ and ", and % doubled (systemd expands %
// specifiers).
func systemdQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\%$;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$")
	return `"` + r.Replace(s) + `"`
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%g", d.Seconds())
}

// Unit renders the systemd unit for o.
func Unit(o Options) ([]byte, error) {
	s := o.Service
	if s.Name == "" {
		s.Name = o.Name
	}
	words := []string{"/usr/bin/" + o.Name}
	for _, a := range s.Args {
		words = append(words, systemdQuote(a))
	}
	var env []string
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, systemdQuote(k+"="+s.Env[k]))
	}
	typ := "exec"
	if s.Notify {
		typ = "notify"
	}
	restart := s.Restart
	if restart == "" {
		restart = "on-failure"
	}
	if restart != "on-failure" && restart != "always" {
		return nil, fmt.Errorf("linuxpkg: restart %q: want on-failure or always", restart)
	}
	interval, burst := s.StartLimitInterval, s.StartLimitBurst
	if interval <= 0 {
		interval = 10 * time.Minute
	}
	if burst <= 0 {
		burst = 5
	}
	desc := s.Description
	if desc == "" {
		desc = o.Description
	}
	if desc == "" {
		desc = o.Name
	}
	var hard []string
	if s.Hardening {
		hard = hardening(s)
	}
	t, err := templates.Parse("systemd.service.tmpl", nil)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = t.Execute(&b, map[string]any{
		"Name": s.Name, "Description": strings.ReplaceAll(desc, "\n", " "), "Homepage": o.Homepage,
		"StartLimitInterval": seconds(interval), "StartLimitBurst": burst,
		"Type": typ, "ExecStart": strings.Join(words, " "), "Restart": restart,
		"RestartSec": seconds(s.RestartDelay), "User": s.User, "Env": env,
		"MemoryMax": s.MemoryMax, "CPUQuota": s.CPUQuota, "Hardening": hard,
	})
	if err != nil {
		return nil, fmt.Errorf("linuxpkg: unit: %w", err)
	}
	return b.Bytes(), nil
}
