package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/version"
)

// nameRE: what SCM, systemd, launchd and the package managers all accept.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidName reports whether s is a name svcpack.yaml's name and
// service.name take: one every service manager and package format accepts.
func ValidName(s string) bool { return nameRE.MatchString(s) && len(s) <= maxNameLen }

// maxNameLen bounds names; systemd allows 255 bytes per unit name and the SCM
// 256 characters, a package name far less in practice.
const maxNameLen = 64

// Problems collects validation errors, each prefixed with the config
// file and the line of its field.
type Problems struct {
	s     *Spec
	errs  []error
	adds  int // calls to Add, duplicates included
	warns []string
}

// Warn records a warning with field: something that releases but is likely
// not what the user meant, said with its fix. Load keeps the warnings in
// Spec.Warnings; `svcpack check` and the release print them.
func (p *Problems) Warn(field, format string, args ...any) {
	w := fmt.Sprintf("%s: %s: warning: %s", p.s.where(field), field, fmt.Sprintf(format, args...))
	if !slices.Contains(p.warns, w) {
		p.warns = append(p.warns, w)
	}
}

// Add records a problem with field (a path such as "service.name" or
// "files[0].dst"): its message is formatted from format and args and
// should name the bad value and what would be valid.
func (p *Problems) Add(field, format string, args ...any) {
	p.AddAt(field, nil, format, args...)
}

// AddAt is Add for a field that may not be in the file (a default that
// does not do): the message points at the line of the first of anchors that
// is there (the field it was derived from, the section that needs it), else
// at line 1.
func (p *Problems) AddAt(field string, anchors []string, format string, args ...any) {
	loc := p.s.where(field)
	for _, a := range anchors {
		if loc != p.s.Path {
			break
		}
		loc = p.s.where(a)
	}
	if loc == p.s.Path {
		loc += ":1"
	}
	p.adds++
	err := fmt.Errorf("%s: %s: %s", loc, field, fmt.Sprintf(format, args...))
	for _, e := range p.errs {
		if e.Error() == err.Error() {
			return // two formats with the same rule say it once
		}
	}
	p.errs = append(p.errs, err)
}

// Len is the number of problems reported so far, counting each time a
// rule reports one (two formats with the same rule count twice, though the
// message is kept once): a check compares it before and after its rules.
func (p *Problems) Len() int { return p.adds }

// Err returns every problem joined, or nil.
func (p *Problems) Err() error { return errors.Join(p.errs...) }

// where is "file:line" for a field, the line of the nearest enclosing field
// that has one, or the file alone.
func (s *Spec) where(field string) string {
	for f := field; f != ""; {
		if line := s.lines[f]; line > 0 {
			return fmt.Sprintf("%s:%d", s.Path, line)
		}
		j := strings.LastIndexAny(f, ".[")
		if j <= 0 {
			break
		}
		f = f[:j]
	}
	return s.Path
}

func (c *Spec) validate(p *Problems, formats []Format, known func() (map[string]bool, error)) {
	c.checkText(p)
	c.checkName(p, "name", c.Name)
	c.checkName(p, "service.name", c.Service.Name)
	if _, err := version.Parse(c.Version.raw); err != nil {
		p.Add(c.Version.Field(), "%v", err)
	}
	c.checkVersionTags(p)
	c.checkMain(p)
	c.checkTargets(p, known)
	c.checkFormats(p, formats)
	// The ldflags templates are run by the binary format's check and the
	// icon decoded by the exe format's, where the encoders are.
	if c.Windows.Icon != "" {
		c.checkFile(p, "windows.icon", c.Windows.Icon)
	}
	if c.LicenseFile != "" {
		c.checkFile(p, "license_file", c.LicenseFile)
	}
	c.checkService(p)
	c.checkFiles(p)
	c.checkPlaces(p)
	c.checkSign(p)
	c.checkGPG(p)
	c.checkGrowth(p)
	c.checkDependencies(p)
	c.checkLogs(p)
	c.checkOCISign(p)
	c.checkGitRepos(p)
}

// DefaultKeep is apt.keep's and dnf.keep's default: the versions of each
// package and architecture a repository keeps.
const DefaultKeep = 5

// checkGrowth checks the fields of the repositories that grow: keep counts
// versions, and previous is an existing folder. Previous may lie outside
// the project folder: it is read, never written, and what the release takes
// from it is what the configured key signed (the formats check that).
func (c *Spec) checkGrowth(p *Problems) {
	for _, r := range []struct {
		format   string
		previous Path
		keep     int
	}{{"apt", c.Apt.Previous, c.Apt.Keep}, {"dnf", c.Dnf.Previous, c.Dnf.Keep}} {
		if r.keep < 1 {
			p.Add(r.format+".keep", "%d is below 1: want how many versions of each package and architecture the "+
				"repository keeps, such as %d (the default)", r.keep, DefaultKeep)
		}
		if r.previous == "" {
			continue
		}
		abs := c.Abs(string(r.previous))
		st, err := os.Stat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			// The first release: the served tree has no such folder yet.
			p.Warn(r.format+".previous", "%s does not exist yet: this release starts the %s tree "+
				"(on the next one, it must hold the tree as served)", abs, r.format)
			continue
		}
		if err != nil || !st.IsDir() {
			p.Add(r.format+".previous", "%q is not a folder (looked for %s): want the previous release's %s tree, "+
				"such as a checkout of the branch that serves it, relative to %s (an empty folder starts one)",
				r.previous, abs, r.format, filepath.Base(c.Path))
		}
	}
}

// checkDependencies refuses a service that depends on itself or names a
// dependency twice, warns about a systemd-only unit (a .target, a .socket)
// that Windows cannot wait for, and says once which services the hosts must
// provide: svcpack cannot see them.
func (c *Spec) checkDependencies(p *Problems) {
	var unknown []string
	for _, d := range c.Service.DependsOn {
		if !systemService(d.Name) {
			unknown = append(unknown, d.Name)
		}
	}
	if len(unknown) > 0 {
		p.Warn("service.depends_on", "%s: this release does not make them, so the hosts must have them; "+
			"Windows does not start the service without them, systemd only with require: true "+
			"(start order: docs/configuration.md)", strings.Join(unknown, ", "))
	}
	seen := map[string]int{}
	for i, d := range c.Service.DependsOn {
		field := fmt.Sprintf("service.depends_on[%d].name", i)
		name := strings.TrimSuffix(d.Name, ".service")
		switch {
		case d.Name == "":
			p.Add(field, "is empty: name the service this one waits for")
		case strings.EqualFold(name, c.Service.Name):
			p.Add(field, "%q is this service itself: a service cannot wait for itself", d.Name)
		}
		if j, dup := seen[strings.ToLower(name)]; dup && d.Name != "" {
			p.Add(field, "%q is also service.depends_on[%d]: name each dependency once", d.Name, j)
		}
		seen[strings.ToLower(name)] = i
		switch {
		case d.OS == "" && c.HasOS("windows") && strings.Contains(name, ".") && !strings.Contains(name, "@"):
			p.Warn(field, "%q is a systemd unit, not a Windows service: the Windows installers leave it out "+
				"(os: linux says so)", d.Name)
		case d.OS == "" && c.HasOS("linux") && windowsService(name):
			p.Warn(field, "%q is a Windows service: the systemd unit would wait for %s.service, which Linux hosts "+
				"do not have; add os: windows", d.Name, name)
		case d.OS != "" && !c.HasOS(d.OS):
			p.Warn(fmt.Sprintf("service.depends_on[%d].os", i), "%s: no %[1]s target is planned, so nothing waits "+
				"for %q", d.OS, d.Name)
		}
	}
}

// systemService reports whether name is a part of the operating system
// that every host has: a systemd target or one of systemd's own units, or
// a service Windows itself runs.
func systemService(name string) bool {
	unit := strings.TrimSuffix(name, ".service")
	switch {
	case strings.HasSuffix(name, ".target"), strings.HasPrefix(unit, "systemd-"), unit == "dbus":
		return true
	}
	return windowsService(name)
}

// windowsService reports whether name is one of the services Windows
// itself runs that another service commonly waits for.
func windowsService(name string) bool {
	return slices.ContainsFunc([]string{"RpcSs", "RpcEptMapper", "Tcpip", "Dnscache", "nsi", "Dhcp", "NlaSvc",
		"LanmanServer", "LanmanWorkstation", "EventLog", "W32Time", "Winmgmt", "CryptSvc", "HTTP", "Netman"},
		func(s string) bool { return strings.EqualFold(s, name) })
}

// checkLogs checks the wrapper's log rotation can be met: a size above
// zero, an age no shorter than the time rotation's period.
func (c *Spec) checkLogs(p *Problems) {
	l := c.Service.Wrapper.Logs // keep and max_size are the wrapper's rules (checkWrapper)
	period := map[string]time.Duration{"hourly": time.Hour, "daily": 24 * time.Hour}[l.Rotate]
	if age := l.MaxAge.Std(); age < 0 || age > 0 && age < period {
		p.Add("service.wrapper.logs.max_age", "%s is shorter than the %s rotation: a file would expire before "+
			"it is rotated; want at least %s", age, l.Rotate, period)
	} else if age > 0 && age < time.Minute {
		p.Add("service.wrapper.logs.max_age", "%s is below a minute: want the age of the oldest rotated file "+
			"to keep, such as 168h", age)
	}
}

// checkGitRepos checks the tap, the bucket and the pages `svcpack publish`
// commits to: each needs its formats and an author. The repository itself is
// looked at by publish (a release does not need it).
func (c *Spec) checkGitRepos(p *Problems) {
	for _, g := range []struct {
		field, format string
		repo          GitRepo
	}{{"homebrew.tap", "homebrew", c.Homebrew.Tap}, {"scoop.bucket", "scoop", c.Scoop.Bucket}, {"pages", "", c.Pages}} {
		if g.repo.Repository == "" {
			for _, sub := range []string{"branch", "folder", "token_env", "author"} {
				if c.lines[g.field+"."+sub] != 0 {
					p.Add(g.field+"."+sub, "is set, and %s.repository is not: set the repository to commit to, "+
						"or leave %s out", g.field, g.field)
				}
			}
			continue
		}
		if g.format == "" && !slices.Contains(c.Formats, "apt") && !slices.Contains(c.Formats, "dnf") {
			p.AddAt(g.field+".repository", []string{"formats"}, "is set, and formats has neither apt nor dnf, "+
				"whose trees publish commits there: add them to formats, or leave %s out", g.field)
		}
		if g.format != "" && !slices.Contains(c.Formats, g.format) {
			p.AddAt(g.field+".repository", []string{"formats"}, "is set, and formats has no %s, whose file "+
				"publish commits there: add %s to formats, or leave %s out", g.format, g.format, g.field)
		}
		if g.repo.Author == "" {
			p.Add(g.field+".author", "is empty, and the maintainer is not \"Name <email>\": set the commit's author, "+
				"such as \"Release Bot <bot@example.com>\"")
		}
	}
}

// checkName reports a required name left empty (its grammar is a text rule).
func (c *Spec) checkName(p *Problems, field, v string) {
	if v == "" {
		p.Add(field, "is empty: want a name of letters, digits, '.', '_' or '-'")
	}
}

func (c *Spec) checkMain(p *Problems) {
	if c.Main == "" {
		p.Add("main", "is empty: want the main package's directory, such as ./cmd/%s", c.Name)
		return
	}
	dir := c.Abs(c.Main)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		p.Add("main", "%q does not exist (looked for directory %s): want the main package's directory, relative to %s", c.Main, dir, filepath.Base(c.Path))
		return
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	if len(matches) == 0 {
		p.Add("main", "%q holds no .go files: want the main package's directory", c.Main)
	}
}

func (c *Spec) checkTargets(p *Problems, list func() (map[string]bool, error)) {
	known, err := list()
	if err != nil {
		p.Add("targets", "cannot list valid targets: %v", err)
	}
	seen := map[platform.Target]int{}
	for i, t := range c.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		if known != nil && !known[t.OS+"/"+t.Arch] {
			p.Add(field, "%q is not a target `go tool dist list` knows: %s", t, suggest(t, known))
			continue
		}
		if j, dup := seen[t]; dup {
			p.Add(field, "%q duplicates targets[%d]: list each target once", t, j)
			continue
		}
		seen[t] = i
	}
	if len(c.Targets) == 0 {
		p.Add("targets", "is empty: want at least one GOOS/GOARCH")
	}
}

// suggest lists the valid arches for the target's OS, or the valid OSes.
func suggest(t platform.Target, known map[string]bool) string {
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

// startDistList runs `go tool dist list` in the background; the function
// it returns waits for the targets the toolchain supports.
func startDistList(goTool string) func() (map[string]bool, error) {
	var known map[string]bool
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		known, err = distList(goTool)
	}()
	return func() (map[string]bool, error) {
		<-done
		return known, err
	}
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

func (c *Spec) checkFormats(p *Problems, formats []Format) {
	var valid []string
	for _, f := range formats {
		if !f.Internal {
			valid = append(valid, f.Name)
		}
	}
	seen := map[string]int{}
	for i, f := range c.Formats {
		field := fmt.Sprintf("formats[%d]", i)
		if !slices.Contains(valid, f) {
			p.Add(field, "%q is not a format: want one of %s", f, strings.Join(valid, ", "))
		} else if j, dup := seen[f]; dup {
			p.Add(field, "%q duplicates formats[%d]: list each format once", f, j)
		}
		seen[f] = i
	}
}

// checkFile reports a Path that is not an existing regular file, and
// whether it is one.
func (c *Spec) checkFile(p *Problems, field string, rel Path) bool {
	abs := c.Abs(string(rel))
	st, err := os.Stat(abs)
	if err != nil {
		p.Add(field, "%q does not exist (looked for %s)", rel, abs)
		return false
	}
	if !st.Mode().IsRegular() {
		p.Add(field, "%q is not a regular file: want a file", rel)
		return false
	}
	return true
}

func (c *Spec) checkService(p *Problems) {
	s := c.Service
	if v, ok := strings.CutPrefix(s.Account, `NT SERVICE\`); ok && v != s.Name {
		p.Add("service.account", "%q names a virtual account for %q, but the service is %q: want `NT SERVICE\\%s`", s.Account, v, s.Name, s.Name)
	}
	if s.Restart.Delay < 0 {
		p.Add("service.restart.delay", "%v is negative: want a duration such as 5s", s.Restart.Delay.Std())
	}
	if s.Restart.ResetAfter < 0 {
		p.Add("service.restart.reset_after", "%v is negative: want a duration such as 24h", s.Restart.ResetAfter.Std())
	}
	c.checkFailureCommand(p)
}

func (c *Spec) checkFiles(p *Problems) {
	seen := map[string]int{}
	for i, f := range c.Files {
		field := fmt.Sprintf("files[%d]", i)
		if f.Src == "" {
			p.Add(field+".src", "is empty: want a path relative to %s", filepath.Base(c.Path))
		} else {
			c.checkFile(p, field+".src", f.Src)
		}
		clean := strings.ToLower(path.Clean(f.Dst))
		if j, dup := seen[clean]; dup && f.Dst != "" {
			p.Add(field+".dst", "%q is also the destination of files[%d] (Windows file names ignore case): each destination once", f.Dst, j)
		}
		seen[clean] = i
	}
}

func (c *Spec) checkSign(p *Problems) {
	sg := c.Windows.Sign
	if sg == nil {
		return
	}
	switch {
	case sg.PKCS11 != nil && (sg.PKCS12 != "" || sg.Key != "" || len(sg.Command) > 0):
		p.Add("windows.sign.pkcs11.uri", "names a token key, and pkcs12, key or command is set too: sign with one of them")
	case sg.PKCS11 != nil && sg.Cert == "":
		p.Add("windows.sign.cert", "is empty, and a token's key signs with its certificate: give the PEM certificate "+
			"chain of the key on the token")
	case sg.PKCS11 != nil:
		c.checkPKCS11(p, "windows.sign.pkcs11", sg.PKCS11)
	case len(sg.Command) > 0 && (sg.PKCS12 != "" || sg.Cert != "" || sg.Key != ""):
		p.Add("windows.sign.command", "is set, and so is a key (pkcs12, cert or key): sign with one of them")
	case len(sg.Command) > 0:
		c.checkSignCommand(p, sg)
	case sg.PKCS12 != "" && (sg.Cert != "" || sg.Key != ""):
		p.Add("windows.sign", "both pkcs12 and cert/key are set: give one of them")
	case sg.PKCS12 == "" && (sg.Cert == "" || sg.Key == ""):
		p.Add("windows.sign", "needs pkcs12, or both cert and key (PEM), or a signing command")
	}
	for _, f := range []struct {
		field string
		path  Path
	}{{"windows.sign.pkcs12", sg.PKCS12}, {"windows.sign.cert", sg.Cert}, {"windows.sign.key", sg.Key}} {
		if f.path != "" {
			c.checkFile(p, f.field, f.path)
		}
	}
}

// checkPKCS11 checks a token's settings: its library exists, and pin_env
// names the variable of its PIN (resolveSecrets reads it). Whether the URI
// names a key the PIN unlocks is the release core's check, which opens it.
func (c *Spec) checkPKCS11(p *Problems, field string, t *PKCS11) {
	if st, err := os.Stat(t.Module); t.Module != "" && (err != nil || st.IsDir()) {
		p.Add(field+".module", "%q is not a file: install the token's PKCS#11 library (SoftHSM2: the softhsm2 "+
			"package, /usr/lib/softhsm/libsofthsm2.so) or name where it is", t.Module)
	}
	if t.Module == "" {
		p.Add(field+".module", "is empty: name the token's PKCS#11 library, such as /usr/lib/softhsm/libsofthsm2.so")
	}
	if t.URI == "" {
		p.Add(field+".uri", "is empty: name the token and key, such as pkcs11:token=release;object=signing")
	}
	if t.PINEnv == "" {
		p.Add(field+".pin_env", "is empty: name the environment variable that holds the token's PIN")
	}
}

// checkSignCommand checks the signing command: its templates render with
// the file to sign and the signed file's place, and its program is a file
// of the project (resolved into Program) or one on the PATH.
func (c *Spec) checkSignCommand(p *Problems, sg *Sign) {
	joined := strings.Join(sg.Command, " ")
	for _, v := range []string{"{{.In}}", "{{.Out}}"} {
		if !strings.Contains(joined, v) {
			p.Add("windows.sign.command", "does not name %s: the command gets the file to sign as {{.In}} and "+
				"writes the signed file to {{.Out}}, such as [scripts/sign.sh, \"{{.In}}\", \"{{.Out}}\"]", v)
		}
	}
	for i, arg := range sg.Command {
		if _, err := SignCommandArg(arg, "in", "out", "file"); err != nil {
			p.Add(fmt.Sprintf("windows.sign.command[%d]", i), "%q: %v", arg, err)
		}
	}
	prog := sg.Command[0]
	switch {
	case strings.Contains(prog, "{{"):
		p.Add("windows.sign.command[0]", "%q: the program is a name, not a template", prog)
	case strings.ContainsRune(prog, '/') || strings.ContainsRune(prog, '\\'):
		abs := c.Abs(prog)
		if st, err := os.Stat(abs); err != nil || st.IsDir() {
			p.Add("windows.sign.command[0]", "%q is not a file (looked for %s): name the signing program by a "+
				"path relative to %s, or by its name on the PATH", prog, abs, filepath.Base(c.Path))
			return
		}
		sg.Program = Path(abs)
	default:
		if _, err := exec.LookPath(prog); err != nil {
			p.Add("windows.sign.command[0]", "%q is not on the PATH: install it, or name it by a path relative "+
				"to %s", prog, filepath.Base(c.Path))
		}
	}
}

// SignCommandArg renders one argument of windows.sign.command for the file
// to sign (in), the signed file's place (out) and the artifact's name.
func SignCommandArg(arg, in, out, file string) (string, error) {
	t, err := template.New("arg").Option("missingkey=error").Parse(arg)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, struct{ In, Out, File string }{in, out, file}); err != nil {
		return "", fmt.Errorf("want only {{.In}}, {{.Out}} and {{.File}}: %w", err)
	}
	return b.String(), nil
}

// checkOCISign checks the image signatures' key file: it exists, and is
// only used with images that are pushed.
func (c *Spec) checkOCISign(p *Problems) {
	k, tok := c.OCI.Sign.Key, c.OCI.Sign.PKCS11
	switch {
	case k == "" && tok == nil:
		return
	case k != "" && tok != nil:
		p.Add("oci.sign.pkcs11.uri", "names a token key, and oci.sign.key is set too: the key is on the token or in "+
			"the file, not both")
	case tok != nil:
		c.checkPKCS11(p, "oci.sign.pkcs11", tok)
	default:
		c.checkFile(p, "oci.sign.key", k)
	}
	if len(c.OCI.Push) == 0 {
		p.AddAt("oci.sign.key", []string{"oci.push"}, "is set, and oci.push is empty: svcpack publish signs the "+
			"images it pushes; name where to push them, or leave oci.sign out")
	}
}

func (c *Spec) checkGPG(p *Problems) {
	g := c.GPG
	if g == nil {
		return
	}
	switch {
	case g.PKCS11 != nil && g.KeyFile != "":
		p.Add("gpg.pkcs11.uri", "names a token key, and gpg.key_file is set too: the key is on the token or in the "+
			"file, not both")
	case g.PKCS11 != nil && g.PublicKey == "":
		p.Add("gpg.public_key", "is empty, and the token holds only the secret key: give the key's certificate "+
			"(gpg --export --armor KEYID > release.pub.asc)")
	case g.PKCS11 != nil:
		c.checkFile(p, "gpg.public_key", g.PublicKey)
		c.checkPKCS11(p, "gpg.pkcs11", g.PKCS11)
	case g.KeyFile == "":
		p.Add("gpg.key_file", "is empty: give the secret key file (gpg --export-secret-keys --armor KEYID > release.asc), "+
			"or a token (gpg.pkcs11 with gpg.public_key), or remove the gpg section")
	default:
		c.checkFile(p, "gpg.key_file", g.KeyFile)
	}
}

// resolveSecrets reads the signing password and the OpenPGP passphrase
// from the environment.
func (c *Spec) resolveSecrets(p *Problems, env Env) {
	if sg := c.Windows.Sign; sg != nil && sg.PasswordEnv != "" && envName(sg.PasswordEnv) == "" {
		if sg.Password = env.getenv(sg.PasswordEnv); sg.Password == "" {
			p.Add("windows.sign.password_env", "%s is not set or empty: export the signing key's password in it", sg.PasswordEnv)
		}
	}
	for _, t := range []struct {
		field string
		tok   *PKCS11
	}{{"windows.sign.pkcs11", c.signToken()}, {"gpg.pkcs11", c.gpgToken()}, {"oci.sign.pkcs11", c.OCI.Sign.PKCS11}} {
		if t.tok != nil && t.tok.PINEnv != "" && envName(t.tok.PINEnv) == "" {
			if t.tok.PIN = env.getenv(t.tok.PINEnv); t.tok.PIN == "" {
				p.Add(t.field+".pin_env", "%s is not set or empty: export the token's PIN in it", t.tok.PINEnv)
			}
		}
	}
	g := c.GPG
	if g == nil {
		return
	}
	if g.PassphraseEnv != "" {
		if envName(g.PassphraseEnv) != "" {
			return // the name is refused; the key cannot be tried without it
		}
		if g.Passphrase = env.getenv(g.PassphraseEnv); g.Passphrase == "" {
			p.Add("gpg.passphrase_env", "%s is not set or empty: export the key's passphrase in it", g.PassphraseEnv)
			return
		}
	}
	// Whether the key opens with it is the release core's check (gpg),
	// which loads the key with the OpenPGP encoder.
}

func (c *Spec) signToken() *PKCS11 {
	if c.Windows.Sign == nil {
		return nil
	}
	return c.Windows.Sign.PKCS11
}

func (c *Spec) gpgToken() *PKCS11 {
	if c.GPG == nil {
		return nil
	}
	return c.GPG.PKCS11
}
