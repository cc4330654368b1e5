// Package config holds the svcpack.yaml schema: strict decoding (an unknown
// key is an error naming file:line), defaults, validation whose every message
// names the field, the bad value and what would be valid, and resolution of
// the release version, commit and build date.
package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// FileName is the conventional name of the config file.
const FileName = "svcpack.yaml"

// Config is a release configuration, as read from svcpack.yaml and completed
// by Load.
type Config struct {
	// Name is the artifact and binary base name.
	Name string `yaml:"name"`
	// Main is the main package, relative to the config file's directory.
	Main string `yaml:"main"`
	// Version is the release version (semver, with or without a leading v).
	// Empty means: SVCPACK_VERSION, git describe, or 0.0.0-dev.
	Version string `yaml:"version"`
	// Targets lists GOOS/GOARCH pairs to build.
	Targets []string `yaml:"targets"`
	// Ldflags are passed to go build, each a text/template over BuildInfo.
	Ldflags []string `yaml:"ldflags"`
	// Tags are build tags passed to go build.
	Tags []string `yaml:"tags"`
	// Dist is the output directory, relative to the config file.
	Dist string `yaml:"dist"`
	// Formats lists the artifact kinds to produce besides binaries.
	Formats []string `yaml:"formats"`
	// Vendor is the company, maintainer and manufacturer.
	Vendor string `yaml:"vendor"`
	// Maintainer is the package maintainer ("Name <email>"); defaults to Vendor.
	Maintainer string `yaml:"maintainer"`
	// Homepage is the project URL.
	Homepage string `yaml:"homepage"`
	// License is the license name (SPDX identifier).
	License string `yaml:"license"`
	// LicenseFile is a path to the license text shipped in every package;
	// defaults to LICENSE beside the config when that file exists.
	LicenseFile string `yaml:"license_file"`
	// Description is the package description; defaults to the service's.
	Description string `yaml:"description"`
	// Windows holds Windows resource and installer settings.
	Windows Windows `yaml:"windows"`
	// Service describes how the program runs as a service.
	Service Service `yaml:"service"`
	// Files are extra files shipped in every package.
	Files []File `yaml:"files"`
	// GPG, when set, signs the debs, rpms and checksums.txt with an
	// OpenPGP key.
	GPG *GPG `yaml:"gpg"`

	// Dir is the directory of the config file; relative paths are resolved
	// against it.
	Dir string `yaml:"-"`
	// Path is the config file path as given to Load (for messages).
	Path string `yaml:"-"`
	// Commit is the git commit of Dir, when known.
	Commit string `yaml:"-"`
	// Date is the build date: SOURCE_DATE_EPOCH, else the commit time.
	Date time.Time `yaml:"-"`
	// VersionSource says where Version came from.
	VersionSource string `yaml:"-"`

	lines map[string]int // field path -> line, for messages
}

// Windows holds Windows-specific settings.
type Windows struct {
	// Icon is a .png or .ico path for the exe and installer.
	Icon string `yaml:"icon"`
	// ProductName is shown in file properties and the installer.
	ProductName string `yaml:"product_name"`
	// Copyright is the LegalCopyright string.
	Copyright string `yaml:"copyright"`
	// Manifest sets the application manifest.
	Manifest Manifest `yaml:"manifest"`
	// MSI sets the Windows Installer package.
	MSI MSI `yaml:"msi"`
	// Sign, when set, signs the exes and MSIs with Authenticode.
	Sign *Sign `yaml:"sign"`
}

// Sign configures Authenticode signing.
type Sign struct {
	// PKCS12 is a .p12/.pfx file; or give Cert and Key (PEM).
	PKCS12 string `yaml:"pkcs12"`
	Cert   string `yaml:"cert"`
	Key    string `yaml:"key"`
	// PasswordEnv names the environment variable holding the password
	// (passwords are never written in the config).
	PasswordEnv string `yaml:"password_env"`
	// TimestampURL is an RFC 3161 time-stamping server (optional).
	TimestampURL string `yaml:"timestamp_url"`
	// Password is read from PasswordEnv by Load.
	Password string `yaml:"-"`
}

// GPG configures OpenPGP signing of Linux packages and checksums.txt.
type GPG struct {
	// KeyFile is the secret key, as `gpg --export-secret-keys --armor`
	// writes it (one key; RSA or Ed25519, so signatures are reproducible).
	KeyFile string `yaml:"key_file"`
	// PassphraseEnv names the environment variable holding the key's
	// passphrase (passphrases are never written in the config).
	PassphraseEnv string `yaml:"passphrase_env"`
	// Sign lists what to sign: deb, rpm, checksums (default: all three).
	Sign []string `yaml:"sign"`
	// Passphrase is read from PassphraseEnv by Load.
	Passphrase string `yaml:"-"`
}

// GPGSigns reports whether the config signs what ("deb", "rpm",
// "checksums") with its OpenPGP key.
func (c *Config) GPGSigns(what string) bool {
	if c.GPG == nil {
		return false
	}
	for _, s := range c.GPG.Sign {
		if s == what {
			return true
		}
	}
	return false
}

// Manifest holds application manifest options.
type Manifest struct {
	// ExecutionLevel is asInvoker, highestAvailable or requireAdministrator.
	ExecutionLevel string `yaml:"execution_level"`
	// LongPathAware opts in to paths over MAX_PATH.
	LongPathAware bool `yaml:"long_path_aware"`
	// UTF8 sets the active code page to UTF-8.
	UTF8 bool `yaml:"utf8"`
}

// MSI holds Windows Installer settings.
type MSI struct {
	// UpgradeCode identifies the product across versions; fixed forever.
	UpgradeCode string `yaml:"upgrade_code"`
	// InstallDir is the folder under Program Files.
	InstallDir string `yaml:"install_dir"`
}

// Service describes the service the program runs as.
type Service struct {
	// Name is the SCM, systemd and launchd name.
	Name string `yaml:"name"`
	// DisplayName is the name shown in services.msc.
	DisplayName string `yaml:"display_name"`
	// Description is shown by the service managers.
	Description string `yaml:"description"`
	// Args are passed by the service manager to the program.
	Args []string `yaml:"args"`
	// Start is auto, delayed, manual or disabled.
	Start string `yaml:"start"`
	// Account is the Windows account: LocalSystem, LocalService,
	// NetworkService or a virtual account NT SERVICE\<name>.
	Account string `yaml:"account"`
	// Env is the service environment.
	Env map[string]string `yaml:"env"`
	// Restart sets the restart-on-failure policy.
	Restart Restart `yaml:"restart"`
	// Linux holds systemd-specific settings.
	Linux Linux `yaml:"linux"`
	// Wrap runs the program under svcpack's service wrapper on Windows
	// (cmd/svcwrap), for programs that do not speak to the SCM: the
	// packages then register svcwrap.exe as the service, and the wrapper
	// runs the program with Args and Env from the install folder.
	Wrap bool `yaml:"wrap"`
	// Wrapper tunes the wrapper; it needs Wrap.
	Wrapper Wrapper `yaml:"wrapper"`
}

// Wrapper holds the service wrapper's settings; empty fields take the
// wrapper's defaults. The first restart delay is Service.Restart.Delay.
type Wrapper struct {
	// StopTimeout bounds a graceful stop before the program's process tree
	// is ended (default 10s).
	StopTimeout Duration `yaml:"stop_timeout"`
	// Restart sets the backoff and the restart limit.
	Restart WrapperRestart `yaml:"restart"`
	// Logs sets the log folder and rotation.
	Logs WrapperLogs `yaml:"logs"`
	// Health, when set, is an HTTP health check.
	Health *WrapperHealth `yaml:"health"`
}

// WrapperRestart is the wrapper's restart backoff and limit.
type WrapperRestart struct {
	// Factor multiplies the delay after each consecutive restart (default 2).
	Factor float64 `yaml:"factor"`
	// MaxDelay caps the delay (default 1m).
	MaxDelay Duration `yaml:"max_delay"`
	// MaxRestarts within Window make the wrapper stop with a failure exit
	// code, so the SCM's recovery actions apply (default 5 in 5m).
	MaxRestarts int      `yaml:"max_restarts"`
	Window      Duration `yaml:"window"`
}

// WrapperLogs sets where the program's output and the wrapper's events go.
type WrapperLogs struct {
	// Dir is relative to the install folder or absolute (default logs).
	Dir string `yaml:"dir"`
	// MaxSize rotates a file at this size: bytes, or with a K, M or G
	// suffix (default 10M).
	MaxSize string `yaml:"max_size"`
	// Keep is the number of rotated files kept (default 5).
	Keep int `yaml:"keep"`
}

// WrapperHealth is an HTTP health check run by the wrapper.
type WrapperHealth struct {
	// URL answers 2xx when the program is healthy.
	URL string `yaml:"url"`
	// Interval between checks (default 10s); Timeout of one (default 5s).
	Interval Duration `yaml:"interval"`
	Timeout  Duration `yaml:"timeout"`
	// Failures in a row that restart the program (default 3).
	Failures int `yaml:"failures"`
}

// Restart is the restart-on-failure policy.
type Restart struct {
	// Policy is on-failure (default) or always.
	Policy string `yaml:"policy"`
	// Delay is the wait before a restart.
	Delay Duration `yaml:"delay"`
	// ResetAfter is the period after which the failure count resets.
	ResetAfter Duration `yaml:"reset_after"`
}

// Linux holds systemd unit settings.
type Linux struct {
	// User runs the service; created by the package scripts when set.
	User string `yaml:"user"`
	// MemoryMax is the systemd MemoryMax= value, e.g. 512M.
	MemoryMax string `yaml:"memory_max"`
	// CPUQuota is the systemd CPUQuota= value, e.g. 80%.
	CPUQuota string `yaml:"cpu_quota"`
	// Hardening turns the sandboxing directives on (default true).
	Hardening *bool `yaml:"hardening"`
	// HardeningOff names individual hardening directives to leave out.
	HardeningOff []string `yaml:"hardening_off"`
	// Notify selects Type=notify (the program sends READY=1).
	Notify *bool `yaml:"notify"`
}

// File is an extra file shipped in every package.
type File struct {
	// Src is the host path, relative to the config file.
	Src string `yaml:"src"`
	// Dst is the path inside the package, relative to the install folder
	// (Windows, archives) or /etc/<name> (Linux).
	Dst string `yaml:"dst"`
	// Config marks a configuration file that upgrades do not overwrite.
	Config bool `yaml:"config"`
}

// Duration is a time.Duration written as a Go duration string ("5s", "24h").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("bad duration %q: want a Go duration such as 5s, 2m or 24h", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Target is one GOOS/GOARCH pair, optionally with a variant: the value of
// the architecture's Go setting (GOARM, GOAMD64, GO386, GOARM64, ...), as in
// linux/arm/7 or linux/amd64/v3.
type Target struct {
	// OS is the GOOS value.
	OS string
	// Arch is the GOARCH value.
	Arch string
	// Variant is the value of the architecture's variant variable (GOARM,
	// GOAMD64, ...; see Env); empty means Go's default.
	Variant string
}

// String returns "os/arch" or "os/arch/variant".
func (t Target) String() string {
	if t.Variant != "" {
		return t.OS + "/" + t.Arch + "/" + t.Variant
	}
	return t.OS + "/" + t.Arch
}

// ArchName is the architecture as artifact names show it: the GOARCH, with
// the variant appended the way release tools name them ("armv7",
// "amd64_v3", "386_softfloat", "arm64_v8.2").
func (t Target) ArchName() string {
	switch {
	case t.Variant == "":
		return t.Arch
	case t.Arch == "arm":
		return "armv" + t.Variant
	}
	return t.Arch + "_" + t.Variant
}

// Slug is "os_archname", the target part of artifact names.
func (t Target) Slug() string { return t.OS + "_" + t.ArchName() }

// variants maps each GOARCH that has variants to its variable and values.
var variants = map[string]struct {
	env    string
	values []string
}{
	"arm":      {"GOARM", []string{"5", "6", "7"}},
	"amd64":    {"GOAMD64", []string{"v1", "v2", "v3", "v4"}},
	"386":      {"GO386", []string{"sse2", "softfloat"}},
	"arm64":    {"GOARM64", []string{"v8.0", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9.0", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"}},
	"mips":     {"GOMIPS", []string{"hardfloat", "softfloat"}},
	"mipsle":   {"GOMIPS", []string{"hardfloat", "softfloat"}},
	"mips64":   {"GOMIPS64", []string{"hardfloat", "softfloat"}},
	"mips64le": {"GOMIPS64", []string{"hardfloat", "softfloat"}},
	"ppc64":    {"GOPPC64", []string{"power8", "power9", "power10"}},
	"ppc64le":  {"GOPPC64", []string{"power8", "power9", "power10"}},
	"riscv64":  {"GORISCV64", []string{"rva20u64", "rva22u64", "rva23u64"}},
}

// VariantVars lists every variant variable, so that builds can clear the
// ones inherited from the environment.
func VariantVars() []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range variants {
		if !seen[v.env] {
			seen[v.env] = true
			out = append(out, v.env)
		}
	}
	sort.Strings(out)
	return out
}

// Env returns the variant's environment setting ("GOARM=7"), or nil.
func (t Target) Env() []string {
	if t.Variant == "" {
		return nil
	}
	return []string{variants[t.Arch].env + "=" + t.Variant}
}

// ParseTarget splits "os/arch" or "os/arch/variant" and checks the variant
// against the architecture's valid values.
func ParseTarget(s string) (Target, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return Target{}, fmt.Errorf("bad target %q: want GOOS/GOARCH such as linux/amd64, or GOOS/GOARCH/VARIANT such as linux/arm/7", s)
	}
	t := Target{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		t.Variant = parts[2]
		v, ok := variants[t.Arch]
		if !ok {
			return Target{}, fmt.Errorf("bad target %q: %s has no variants (variants exist for %s)", s, t.Arch, strings.Join(variantArches(), ", "))
		}
		if !slices.Contains(v.values, t.Variant) {
			return Target{}, fmt.Errorf("bad target %q: %q is not a valid %s variant (%s): valid are %s", s, t.Variant, t.Arch, v.env, strings.Join(v.values, ", "))
		}
	}
	return t, nil
}

func variantArches() []string {
	var out []string
	for a := range variants {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// ParsedTargets returns the configured targets; Load has validated them.
func (c *Config) ParsedTargets() []Target {
	out := make([]Target, 0, len(c.Targets))
	for _, s := range c.Targets {
		if t, err := ParseTarget(s); err == nil {
			out = append(out, t)
		}
	}
	return out
}

// Line returns the line of a field path such as "service.name" in the config
// file, or 0 when unknown.
func (c *Config) Line(field string) int { return c.lines[field] }

// Wants reports whether the artifact format is enabled.
func (c *Config) Wants(format string) bool {
	for _, f := range c.Formats {
		if f == format {
			return true
		}
	}
	return false
}

// HardeningOn reports whether systemd hardening is enabled.
func (l Linux) HardeningOn() bool { return l.Hardening == nil || *l.Hardening }

// NotifyOn reports whether the unit uses Type=notify.
func (l Linux) NotifyOn() bool { return l.Notify == nil || *l.Notify }
