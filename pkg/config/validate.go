package config

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
)

var (
	// nameRE: what SCM, systemd, launchd and the package managers all accept.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	guidRE = regexp.MustCompile(`^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$`)
	envRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	userRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)
)

// maxNameLen bounds names; systemd allows 255 bytes per unit name and the SCM
// 256 characters, a package name far less in practice.
const maxNameLen = 64

// problem collects validation errors with file:line prefixes.
type problem struct {
	c    *Config
	errs []error
}

func (p *problem) add(field, format string, args ...any) {
	loc := p.c.Path
	if line := p.c.lines[field]; line > 0 {
		loc = fmt.Sprintf("%s:%d", p.c.Path, line)
	} else if i := strings.LastIndexAny(field, ".["); i > 0 {
		// Fall back to the nearest enclosing field with a line.
		for f := field[:i]; f != ""; {
			if line := p.c.lines[f]; line > 0 {
				loc = fmt.Sprintf("%s:%d", p.c.Path, line)
				break
			}
			j := strings.LastIndexAny(f, ".[")
			if j <= 0 {
				break
			}
			f = f[:j]
		}
	}
	p.errs = append(p.errs, fmt.Errorf("%s: %s: %s", loc, field, fmt.Sprintf(format, args...)))
}

func (c *Config) validate(env Env) error {
	p := &problem{c: c}
	c.checkName(p, "name", c.Name)
	c.checkName(p, "service.name", c.Service.Name)
	if _, err := ParseSemver(c.Version); err != nil {
		field := "version"
		if c.VersionSource != "config" {
			field = "version (from " + c.VersionSource + ")"
		}
		p.add(field, "%v", err)
	}
	c.checkMain(p)
	c.checkTargets(p, env)
	c.checkFormats(p)
	for i, f := range c.Ldflags {
		if _, err := template.New("ldflags").Option("missingkey=error").Parse(f); err != nil {
			p.add(fmt.Sprintf("ldflags[%d]", i), "bad template %q: %v; fields are {{.Version}}, {{.Commit}}, {{.Date}}, {{.Name}}, {{.Os}}, {{.Arch}}", f, err)
		}
	}
	if c.Windows.Icon != "" {
		c.checkFile(p, "windows.icon", c.Windows.Icon)
		if ext := strings.ToLower(filepath.Ext(c.Windows.Icon)); ext != ".png" && ext != ".ico" {
			p.add("windows.icon", "%q has extension %q: want a .png or .ico file", c.Windows.Icon, ext)
		}
	}
	if c.LicenseFile != "" {
		c.checkFile(p, "license_file", c.LicenseFile)
	}
	switch c.Windows.Manifest.ExecutionLevel {
	case "asInvoker", "highestAvailable", "requireAdministrator":
	default:
		p.add("windows.manifest.execution_level", "%q is not valid: want asInvoker, highestAvailable or requireAdministrator", c.Windows.Manifest.ExecutionLevel)
	}
	if u := c.Windows.MSI.UpgradeCode; u != "" && !guidRE.MatchString(u) {
		p.add("windows.msi.upgrade_code", "%q is not a GUID: want the form 6B2A1E7C-1D3F-4A5B-9C8D-0E1F2A3B4C5D (`svcpack init` generates one)", u)
	}
	c.checkService(p)
	c.checkWrapper(p)
	c.checkFiles(p)
	c.checkSign(p, env)
	c.checkGPG(p, env)
	return errors.Join(p.errs...)
}

func (c *Config) checkName(p *problem, field, v string) {
	switch {
	case v == "":
		p.add(field, "is empty: want a name of letters, digits, '.', '_' or '-'")
	case len(v) > maxNameLen:
		p.add(field, "%q is %d characters long: want at most %d", v, len(v), maxNameLen)
	case !nameRE.MatchString(v):
		p.add(field, "%q has characters the Windows SCM or systemd reject: want letters, digits, '.', '_' or '-', starting with a letter or digit", v)
	}
}

func (c *Config) checkMain(p *problem) {
	if c.Main == "" {
		p.add("main", "is empty: want the main package's directory, such as ./cmd/%s", c.Name)
		return
	}
	dir := c.Abs(c.Main)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		p.add("main", "%q does not exist (looked for directory %s): want the main package's directory, relative to %s", c.Main, dir, filepath.Base(c.Path))
		return
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	if len(matches) == 0 {
		p.add("main", "%q holds no .go files: want the main package's directory", c.Main)
	}
}

func (c *Config) checkTargets(p *problem, env Env) {
	known, err := distList(env.GoTool)
	if err != nil {
		p.add("targets", "cannot list valid targets: %v", err)
	}
	seen := map[string]int{}
	for i, s := range c.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		t, err := ParseTarget(s)
		if err != nil {
			p.add(field, "%v", err)
			continue
		}
		if known != nil && !known[t.OS+"/"+t.Arch] {
			p.add(field, "%q is not a target `go tool dist list` knows: %s", s, suggest(t, known))
			continue
		}
		if j, dup := seen[t.String()]; dup {
			p.add(field, "%q duplicates targets[%d]: list each target once", s, j)
			continue
		}
		seen[t.String()] = i
	}
	if len(c.Targets) == 0 {
		p.add("targets", "is empty: want at least one GOOS/GOARCH")
	}
}

// suggest lists the valid arches for the target's OS, or the valid OSes.
func suggest(t Target, known map[string]bool) string {
	var arches, oses []string
	seenOS := map[string]bool{}
	for k := range known {
		os, arch, _ := strings.Cut(k, "/")
		if os == t.OS {
			arches = append(arches, arch)
		}
		if !seenOS[os] {
			seenOS[os] = true
			oses = append(oses, os)
		}
	}
	sort.Strings(arches)
	sort.Strings(oses)
	if len(arches) > 0 {
		return fmt.Sprintf("valid architectures for %s are %s", t.OS, strings.Join(arches, ", "))
	}
	return fmt.Sprintf("valid operating systems are %s", strings.Join(oses, ", "))
}

// distList runs `go tool dist list` for the targets the toolchain supports.
func distList(goTool string) (map[string]bool, error) {
	if goTool == "" {
		goTool = "go"
	}
	out, err := exec.Command(goTool, "tool", "dist", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s tool dist list: %w", goTool, err)
	}
	known := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		known[l] = true
	}
	return known, nil
}

func (c *Config) checkFormats(p *problem) {
	valid := Formats()
	for i, f := range c.Formats {
		ok := false
		for _, v := range valid {
			ok = ok || f == v
		}
		if !ok {
			p.add(fmt.Sprintf("formats[%d]", i), "%q is not a format: want one of %s", f, strings.Join(valid, ", "))
		}
	}
}

func (c *Config) checkFile(p *problem, field, rel string) {
	st, err := os.Stat(c.Abs(rel))
	if err != nil {
		p.add(field, "%q does not exist (looked for %s)", rel, c.Abs(rel))
		return
	}
	if st.IsDir() {
		p.add(field, "%q is a directory: want a file", rel)
	}
}

func (c *Config) checkService(p *problem) {
	s := c.Service
	switch s.Start {
	case "auto", "delayed", "manual", "disabled":
	default:
		p.add("service.start", "%q is not valid: want auto, delayed, manual or disabled", s.Start)
	}
	switch {
	case s.Account == "LocalSystem", s.Account == "LocalService", s.Account == "NetworkService":
	case strings.HasPrefix(s.Account, `NT SERVICE\`):
		if v := strings.TrimPrefix(s.Account, `NT SERVICE\`); v != s.Name {
			p.add("service.account", "%q names a virtual account for %q, but the service is %q: want `NT SERVICE\\%s`", s.Account, v, s.Name, s.Name)
		}
	default:
		p.add("service.account", "%q is not an account svcpack can express: want LocalSystem, LocalService, NetworkService or `NT SERVICE\\%s`", s.Account, s.Name)
	}
	switch s.Restart.Policy {
	case "on-failure", "always":
	default:
		p.add("service.restart.policy", "%q is not valid: want on-failure or always", s.Restart.Policy)
	}
	if s.Restart.Delay < 0 {
		p.add("service.restart.delay", "%v is negative: want a duration such as 5s", s.Restart.Delay.Std())
	}
	if s.Restart.ResetAfter < 0 {
		p.add("service.restart.reset_after", "%v is negative: want a duration such as 24h", s.Restart.ResetAfter.Std())
	}
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	noQuote := func(field, v string) {
		if strings.Contains(v, `"`) {
			p.add(field, "%q holds a double quote, which the Windows install scripts (cmd.exe, sc.exe) cannot carry safely; remove it", v)
		}
	}
	noQuote("service.display_name", s.DisplayName)
	noQuote("service.description", s.Description)
	for _, k := range keys {
		noQuote("service.env."+k, s.Env[k])
		if strings.Contains(s.Env[k], `\0`) {
			p.add("service.env."+k, `value %q holds \0, which reg.exe reads as the separator of the Environment value's entries`, s.Env[k])
		}
		if !envRE.MatchString(k) {
			p.add("service.env."+k, "%q is not a valid variable name: want letters, digits and '_', not starting with a digit", k)
		}
		if strings.ContainsAny(s.Env[k], "\x00\r\n") {
			p.add("service.env."+k, "value %q holds a NUL or line break, which no service manager can carry", s.Env[k])
		}
	}
	for i, a := range s.Args {
		noQuote(fmt.Sprintf("service.args[%d]", i), a)
		if strings.ContainsAny(a, "\x00\r\n") {
			p.add(fmt.Sprintf("service.args[%d]", i), "%q holds a NUL or line break, which no service manager can carry", a)
		}
	}
	if u := s.Linux.User; u != "" && !userRE.MatchString(u) {
		p.add("service.linux.user", "%q is not a valid system user name: want lowercase letters, digits, '_' or '-', starting with a letter or '_', at most 31 characters", u)
	}
	if m := s.Linux.MemoryMax; m != "" && !regexp.MustCompile(`^([0-9]+[KMGT]?|[0-9]+%|infinity)$`).MatchString(m) {
		p.add("service.linux.memory_max", "%q is not valid: want bytes with an optional K, M, G or T suffix (512M), a percentage (50%%) or infinity", m)
	}
	if q := s.Linux.CPUQuota; q != "" && !regexp.MustCompile(`^[0-9]+%$`).MatchString(q) {
		p.add("service.linux.cpu_quota", "%q is not valid: want a percentage such as 80%% (200%% = two cores)", q)
	}
}

func (c *Config) checkFiles(p *problem) {
	seen := map[string]int{}
	for i, f := range c.Files {
		field := fmt.Sprintf("files[%d]", i)
		if f.Src == "" {
			p.add(field+".src", "is empty: want a path relative to %s", filepath.Base(c.Path))
		} else {
			c.checkFile(p, field+".src", f.Src)
		}
		dst := f.Dst
		if dst == "" {
			dst = path.Base(filepath.ToSlash(f.Src))
		}
		clean := path.Clean(filepath.ToSlash(dst))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsAny(dst, `\:*?"<>|`) {
			p.add(field+".dst", "%q is not a relative path inside the package: want a path such as config.yaml or conf/app.yaml, without .., \\ or any of :*?\"<>|", f.Dst)
			continue
		}
		if j, dup := seen[clean]; dup {
			p.add(field+".dst", "%q is also the destination of files[%d]: each destination once", dst, j)
		}
		seen[clean] = i
	}
}

func (c *Config) checkSign(p *problem, env Env) {
	sg := c.Windows.Sign
	if sg == nil {
		return
	}
	switch {
	case sg.PKCS12 != "" && (sg.Cert != "" || sg.Key != ""):
		p.add("windows.sign", "both pkcs12 and cert/key are set: give one of them")
	case sg.PKCS12 == "" && (sg.Cert == "" || sg.Key == ""):
		p.add("windows.sign", "needs pkcs12, or both cert and key (PEM)")
	}
	for field, f := range map[string]string{"windows.sign.pkcs12": sg.PKCS12, "windows.sign.cert": sg.Cert, "windows.sign.key": sg.Key} {
		if f != "" {
			c.checkFile(p, field, f)
		}
	}
	if sg.PasswordEnv != "" {
		if !envRE.MatchString(sg.PasswordEnv) {
			p.add("windows.sign.password_env", "%q is not an environment variable name", sg.PasswordEnv)
		} else if sg.Password = env.getenv(sg.PasswordEnv); sg.Password == "" {
			p.add("windows.sign.password_env", "%s is not set or empty: export the signing key's password in it", sg.PasswordEnv)
		}
	}
}

// gpgTargets are the things gpg.sign may name.
var gpgTargets = []string{"deb", "rpm", "checksums"}

func (c *Config) checkGPG(p *problem, env Env) {
	g := c.GPG
	if g == nil {
		return
	}
	if g.KeyFile == "" {
		p.add("gpg.key_file", "is empty: give the secret key file (gpg --export-secret-keys --armor KEYID > release.asc), or remove the gpg section")
	} else {
		c.checkFile(p, "gpg.key_file", g.KeyFile)
	}
	if len(g.Sign) == 0 {
		g.Sign = append([]string(nil), gpgTargets...)
	}
	for i, s := range g.Sign {
		if !slices.Contains(gpgTargets, s) {
			p.add(fmt.Sprintf("gpg.sign[%d]", i), "%q cannot be signed: want %s", s, strings.Join(gpgTargets, ", "))
		}
	}
	if g.PassphraseEnv != "" {
		if !envRE.MatchString(g.PassphraseEnv) {
			p.add("gpg.passphrase_env", "%q is not an environment variable name", g.PassphraseEnv)
		} else if g.Passphrase = env.getenv(g.PassphraseEnv); g.Passphrase == "" {
			p.add("gpg.passphrase_env", "%s is not set or empty: export the key's passphrase in it", g.PassphraseEnv)
		}
	}
}
