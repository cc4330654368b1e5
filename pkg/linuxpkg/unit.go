package linuxpkg

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/svcpack/svcpack/templates"
)

// Service describes how systemd runs the program.
type Service struct {
	// Name is the unit name without .service.
	Name string
	// Dependencies are the units it starts after (After=), and wants,
	// requires or is bound to.
	Dependencies []Dependency
	// NoNetworkWait leaves out After= and Wants= network-online.target,
	// which a unit has by default.
	NoNetworkWait bool
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
	// Manual leaves the unit disabled and stopped after a first install
	// (the administrator runs systemctl enable --now); otherwise the
	// package enables and starts it.
	Manual bool
	// MemoryMax and CPUQuota are set when not empty.
	MemoryMax, CPUQuota string
	// Port is the port the program listens on, when known; below 1024 the
	// unit grants CAP_NET_BIND_SERVICE and nothing else.
	Port int
	// Hardening turns the sandboxing directives on.
	Hardening bool
	// HardeningOff names directives (the part before '=') to leave out.
	HardeningOff []string
	// Writable lists folders the service may write outside its own
	// (ReadWritePaths=): absolute, clean paths of plain names, not / and
	// nothing under /proc, /sys or /dev (CheckWritable). Each must exist
	// when the service starts, and its permissions still apply.
	Writable []string
	// Capabilities are granted to the service's user, beside the
	// CAP_NET_BIND_SERVICE a Port below 1024 gets: added to
	// CapabilityBoundingSet= and AmbientCapabilities=, which drops
	// PrivateUsers= (capabilities inside a user namespace are not the
	// host's). Names as capabilities(7) writes them (CheckCapability).
	Capabilities []string
	// Groups are supplementary groups of the service (SupplementaryGroups=),
	// system group names (CheckGroup) that must exist when it starts.
	Groups []string
	// RunPrograms leaves out the hardening lines RunProgramsDrops lists,
	// which break programs the service runs as children.
	RunPrograms bool
	// Overrides replaces directives of the [Service] section by name: each
	// value is written as one Directive=value line in place of the lines
	// svcpack writes for that directive (or after them when it writes none
	// in this configuration). Only the directives Overridable lists may be
	// named; a value is data: % is written as %%, and control characters and
	// a trailing backslash are refused.
	Overrides map[string]string
}

// DefaultBinDir is where the packages install the program unless
// Options.BinDir says otherwise.
const DefaultBinDir = "/usr/bin"

// hardening is the sandbox: what systemd-analyze security scores, minus what
// a Go network service needs. Each entry is one directive line.
func hardening(s Service) []string {
	caps := strings.Join(s.capabilities(), " ")
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
		// AF_NETLINK: net.Interfaces and net.InterfaceAddrs read the
		// interfaces through a netlink route socket.
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
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
	var out []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, "=")
		if !slices.Contains(s.HardeningOff, name) && !(s.RunPrograms && slices.Contains(RunProgramsDrops, l)) {
			out = append(out, l)
		}
	}
	return out
}

// sandboxDirectives are the directives outside the hardening list that a
// unit override may replace: where the service may write, and where it
// starts.
var sandboxDirectives = []string{"StateDirectory", "CacheDirectory", "LogsDirectory", "WorkingDirectory"}

// ownedDirectives are directives svcpack writes from other settings: an
// override of one is refused with the setting to use instead.
var ownedDirectives = map[string]string{
	"Type": "notify", "ExecStart": "the program's path and arguments", "Restart": "the restart policy", "RestartSec": "the restart delay",
	"User": "the user", "Group": "the user", "DynamicUser": "the user", "Environment": "the environment",
	"MemoryMax": "memory_max", "CPUQuota": "cpu_quota",
	"ReadWritePaths": "writable", "SupplementaryGroups": "groups",
}

// OwnedDirective reports the setting that a directive svcpack writes from
// other settings comes from ("Type": "notify"), or "" for any other.
func OwnedDirective(name string) string { return ownedDirectives[name] }

// Overridable lists the directive names Service.Overrides may replace: the
// hardening directives and the writable directories, sorted.
func Overridable() []string {
	out := append(HardeningDirectives(), sandboxDirectives...)
	sort.Strings(out)
	return out
}

// unitValueOK refuses what a directive's value cannot carry: control
// characters (a line break would start a directive of its own) and a
// trailing backslash (it would join the next line).
func unitValueOK(name, v string) error {
	if err := checkText("unit override "+name, v); err != nil {
		return err
	}
	if strings.HasSuffix(v, `\`) {
		return fmt.Errorf("linuxpkg: unit override %s=%q ends with a backslash, which systemd reads as a line continuation", name, v)
	}
	return nil
}

// CheckOverride reports what Unit would refuse in the override
// name=value: a directive svcpack does not write, or writes from another
// setting, or a value a unit line cannot carry.
func CheckOverride(name, value string) error {
	_, _, err := applyOverrides(nil, nil, map[string]string{name: value})
	return err
}

// applyOverrides replaces each overridden directive's lines, in the
// sandbox or the hardening lines, by one line with the override's value (%
// doubled: a value is data, not specifiers) in place of the first; a
// directive neither holds is added to the list it belongs to.
func applyOverrides(sandbox, hard []string, overrides map[string]string) ([]string, []string, error) {
	valid := Overridable()
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		if owner := ownedDirectives[k]; owner != "" {
			return nil, nil, fmt.Errorf("linuxpkg: unit override %s: svcpack writes it from %s; set that instead", k, owner)
		}
		if !slices.Contains(valid, k) {
			return nil, nil, fmt.Errorf("linuxpkg: unit override %s: not a directive svcpack writes that may be overridden; valid: %s", k, strings.Join(valid, ", "))
		}
		if err := unitValueOK(k, overrides[k]); err != nil {
			return nil, nil, err
		}
		line := k + "=" + strings.ReplaceAll(overrides[k], "%", "%%")
		var placed bool
		sandbox, placed = replaceDirective(sandbox, k, line)
		if !placed {
			hard, placed = replaceDirective(hard, k, line)
		}
		switch {
		case placed:
		case slices.Contains(sandboxDirectives, k):
			sandbox = append(sandbox, line)
		default:
			hard = append(hard, line)
		}
	}
	return sandbox, hard, nil
}

// replaceDirective replaces the lines of directive name by line, at the
// first one's place, and reports whether there was one.
func replaceDirective(lines []string, name, line string) ([]string, bool) {
	var out []string
	placed := false
	for _, l := range lines {
		if n, _, _ := strings.Cut(l, "="); n == name {
			if !placed {
				out = append(out, line)
				placed = true
			}
			continue
		}
		out = append(out, l)
	}
	return out, placed
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
	// binDirRE is an absolute directory under /usr or /opt of plain names
	// (not /usr/local, which belongs to the administrator, not to packages).
	binDirRE = regexp.MustCompile(`^/(usr|opt)(/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$`)
)

// CheckBinDir reports a directory the packages cannot install the program
// into: relative, with . or .. or odd characters, outside /usr and /opt, or
// under /usr/local.
func CheckBinDir(dir string) error {
	if !binDirRE.MatchString(dir) || path.Clean(dir) != dir || strings.Contains(dir, "/..") || dir == "/usr/local" || strings.HasPrefix(dir, "/usr/local/") {
		return fmt.Errorf("linuxpkg: bin_dir %q: want an absolute directory under /usr or /opt (not /usr/local, which is the administrator's), such as /usr/bin or /usr/lib/<package>", dir)
	}
	return nil
}

// binPath is where the program is installed.
func (o Options) binPath() string {
	dir := o.BinDir
	if dir == "" {
		dir = DefaultBinDir
	}
	return path.Join(dir, o.Name)
}

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
	if o.BinDir != "" {
		if err := CheckBinDir(o.BinDir); err != nil {
			errs = append(errs, err)
		}
	}
	if !limitRE.MatchString(s.MemoryMax) || !quotaRE.MatchString(s.CPUQuota) {
		errs = append(errs, fmt.Errorf("linuxpkg: memory_max %q / cpu_quota %q: want 512M and 80%% forms", s.MemoryMax, s.CPUQuota))
	}
	if err := s.checkOpenings(); err != nil {
		errs = append(errs, err)
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
	words := []string{o.binPath()}
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
	// The sandbox's writable places: StateDirectory (the working
	// directory), CacheDirectory and LogsDirectory, each
	// /var/{lib,cache,log}/<name>, owned by the service's user.
	sandbox := []string{
		"StateDirectory=" + s.Name, "CacheDirectory=" + s.Name, "LogsDirectory=" + s.Name,
		"WorkingDirectory=/var/lib/" + s.Name,
	}
	sandbox = append(sandbox, s.openingLines()...)
	var hard []string
	if s.Hardening {
		hard = hardening(s)
	}
	if sandbox, hard, err = applyOverrides(sandbox, hard, s.Overrides); err != nil {
		return nil, err
	}
	deps, err := s.dependencyLines()
	if err != nil {
		return nil, err
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
		"MemoryMax": s.MemoryMax, "CPUQuota": s.CPUQuota, "Sandbox": sandbox, "Hardening": hard,
		"Dependencies": deps,
	})
	if err != nil {
		return nil, fmt.Errorf("linuxpkg: unit: %w", err)
	}
	return b.Bytes(), nil
}

// Dependency is a unit the service starts after.
type Dependency struct {
	// Name is a unit name; one without a unit type gets .service.
	Name string
	// Require writes Requires= (the service fails when it cannot start)
	// instead of Wants=; Bind writes BindsTo= (it also stops with it).
	Require, Bind bool
}

// unitNameRE is a unit name systemd accepts, never an option.
var unitNameRE = regexp.MustCompile(`^[A-Za-z0-9_:][A-Za-z0-9_.@:-]*$`)

// unitTypes are the suffixes that make a name a full unit name.
var unitTypes = []string{".service", ".socket", ".target", ".mount", ".device", ".path", ".timer", ".slice", ".scope",
	".swap", ".automount"}

// relations are the [Unit] settings a dependency may take, weakest first.
var relations = []string{"Wants", "Requires", "BindsTo"}

// dependencyLines are the [Unit] lines of the network wait and the
// dependencies: for each unit, in the order first named, one After= and one
// relation, the strongest asked for (a dependency on network-online.target
// or a unit named twice gives no second pair of lines).
func (s Service) dependencyLines() ([]string, error) {
	var units []string
	strength := map[string]int{}
	add := func(unit string, rel int) {
		if _, seen := strength[unit]; !seen {
			units = append(units, unit)
		}
		strength[unit] = max(strength[unit], rel)
	}
	if !s.NoNetworkWait {
		add("network-online.target", 0)
	}
	for _, d := range s.Dependencies {
		if !unitNameRE.MatchString(d.Name) || len(d.Name) > 255 {
			return nil, fmt.Errorf("linuxpkg: dependency %q is not a unit name: want letters, digits and _ . @ : -", d.Name)
		}
		unit := d.Name
		if !slices.ContainsFunc(unitTypes, func(t string) bool { return strings.HasSuffix(unit, t) }) {
			unit += ".service"
		}
		if unit == s.Name+".service" {
			return nil, fmt.Errorf("linuxpkg: dependency %q is the service itself", d.Name)
		}
		switch {
		case d.Bind:
			add(unit, 2)
		case d.Require:
			add(unit, 1)
		default:
			add(unit, 0)
		}
	}
	var out []string
	for _, unit := range units {
		out = append(out, "After="+unit, relations[strength[unit]]+"="+unit)
	}
	return out, nil
}
