package linuxpkg

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
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

// execWord quotes one word of ExecStart=: systemd splits the line into
// words, unquotes and C-unescapes them, expands % specifiers and $
// variables, and takes a lone ";" as the end of a command. So a word with
// anything but plain characters is written in double quotes with \ and "
// escaped, % doubled and $ doubled, and a lone ";" as \;.
func execWord(s string) string {
	if s == ";" {
		return `\;`
	}
	if s != "" && !strings.ContainsAny(s, " \t\"'\\%$;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$")
	return `"` + r.Replace(s) + `"`
}

// envAssignment quotes one NAME=value of Environment=: unquoted and
// C-unescaped like ExecStart, % specifiers expanded, but no $ variables
// (a $ stays as written).
func envAssignment(k, v string) string {
	a := k + "=" + v
	if !strings.ContainsAny(a, " \t\"'\\%") {
		return a
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%")
	return `"` + r.Replace(a) + `"`
}

// plainValue is a value systemd takes to the end of the line with %
// specifiers expanded (Description=, Documentation=): % is doubled, and a
// trailing backslash, which would join the next line to it, is refused.
func plainValue(field, s string) (string, error) {
	if strings.HasSuffix(s, `\`) {
		return "", fmt.Errorf("linuxpkg: %s %q ends with a backslash, which systemd reads as a line continuation", field, s)
	}
	return strings.ReplaceAll(s, "%", "%%"), nil
}

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	userRE  = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)
	envRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	limitRE = regexp.MustCompile(`^([0-9]+[KMGT]?|[0-9]+%|infinity)?$`)
	quotaRE = regexp.MustCompile(`^([0-9]+%)?$`)
)

// checkUnit refuses what the unit cannot carry as data: names that are not
// file and unit names, a user that is no system user name, values outside
// their directive's grammar, control characters anywhere.
func (o Options) checkUnit() error {
	s := o.Service
	var errs []error
	for field, v := range map[string]string{"name": o.Name, "service name": s.Name} {
		if v != "" && !nameRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("linuxpkg: %s %q: want letters, digits, '.', '_' or '-'", field, v))
		}
	}
	if s.User != "" && !userRE.MatchString(s.User) {
		errs = append(errs, fmt.Errorf("linuxpkg: user %q: want a system user name", s.User))
	}
	if !limitRE.MatchString(s.MemoryMax) || !quotaRE.MatchString(s.CPUQuota) {
		errs = append(errs, fmt.Errorf("linuxpkg: memory_max %q / cpu_quota %q: want 512M and 80%% forms", s.MemoryMax, s.CPUQuota))
	}
	texts := []string{o.Description, o.Homepage, s.Description}
	texts = append(texts, s.Args...)
	for k, v := range s.Env {
		if !envRE.MatchString(k) {
			errs = append(errs, fmt.Errorf("linuxpkg: environment name %q: want letters, digits and '_'", k))
		}
		texts = append(texts, v)
	}
	for _, v := range texts {
		if err := checkText("value", v); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkText refuses what no field of a unit, control file or script may
// hold: control characters (a line break would start a new directive or
// field) and the Unicode line separators.
func checkText(field, s string) error {
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return fmt.Errorf("linuxpkg: %s %q holds the control character %U, which would end the value", field, s, r)
		}
	}
	return nil
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%g", d.Seconds())
}

// Unit renders the systemd unit for o.
func Unit(o Options) ([]byte, error) {
	if err := o.checkUnit(); err != nil {
		return nil, err
	}
	s := o.Service
	if s.Name == "" {
		s.Name = o.Name
	}
	words := []string{"/usr/bin/" + o.Name}
	for _, a := range s.Args {
		words = append(words, execWord(a))
	}
	var env []string
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, envAssignment(k, s.Env[k]))
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
	desc, err := plainValue("description", desc)
	if err != nil {
		return nil, err
	}
	homepage, err := plainValue("homepage", o.Homepage)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(homepage, " \t") {
		return nil, fmt.Errorf("linuxpkg: homepage %q holds a space: Documentation= takes a list of URLs", o.Homepage)
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
		"Name": s.Name, "Description": desc, "Homepage": homepage,
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
