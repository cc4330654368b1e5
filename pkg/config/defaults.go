package config

import (
	"cmp"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/svcpack/svcpack/pkg/platform"
)

// DefaultTargets returns the default build matrix.
func DefaultTargets() []platform.Target {
	return []platform.Target{
		{OS: "windows", Arch: "386"}, {OS: "windows", Arch: "amd64"}, {OS: "windows", Arch: "arm64"},
		{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"},
		{OS: "darwin", Arch: "amd64"}, {OS: "darwin", Arch: "arm64"},
	}
}

// DefaultFormats returns the formats made when formats: is not given.
func DefaultFormats(formats []Format) []string {
	var out []string
	for _, f := range formats {
		if f.Default && !f.Internal {
			out = append(out, f.Name)
		}
	}
	return out
}

// gpgTargets are the things gpg.sign may name.
func gpgTargets() []string { return []string{"deb", "rpm", "checksums"} }

func (c *Spec) applyDefaults(formats []Format) {
	if len(c.Targets) == 0 {
		c.Targets = DefaultTargets()
	}
	if c.Ldflags == nil {
		c.Ldflags = []string{"-s", "-w", "-X main.version={{.Version}}"}
	}
	if c.Dist == "" {
		c.Dist = "dist"
	}
	if c.Formats == nil {
		c.Formats = DefaultFormats(formats)
	}
	if c.Maintainer == "" && nameEmail(c.Vendor) == "" {
		c.Maintainer = c.Vendor // a vendor given as "Name <email>" maintains too
	}
	if c.LicenseFile == "" {
		if _, err := os.Stat(filepath.Join(c.Dir, "LICENSE")); err == nil {
			c.LicenseFile = "LICENSE"
		}
	}
	for i := range c.Files {
		if c.Files[i].Dst == "" && c.Files[i].Src != "" {
			c.Files[i].Dst = path.Base(filepath.ToSlash(string(c.Files[i].Src)))
		}
		c.Files[i].Dst = DstPath(c.Files[i].Dst) // {{.ConfigDir}}/x is x
	}
	nt := &c.NameTemplate
	if nt.Archive == "" {
		nt.Archive = DefaultArchiveName
	}
	if nt.Package == "" {
		nt.Package = DefaultPackageName
	}
	if nt.BinaryDir == "" {
		nt.BinaryDir = DefaultBinaryDir
	}
	if nt.Release == "" {
		nt.Release = DefaultReleaseName
	}
	if c.Winget.PackageID == "" {
		c.Winget.PackageID = defaultWingetID(c.Vendor, c.Name)
	}
	if c.Chocolatey.ID == "" && nugetIDRE.MatchString(strings.ToLower(c.Name)) {
		c.Chocolatey.ID = strings.ToLower(c.Name)
	}
	if c.GPG != nil && len(c.GPG.Sign) == 0 {
		c.GPG.Sign = gpgTargets()
	}
	s := &c.Service
	if s.Name == "" {
		s.Name = c.Name
	}
	if s.DisplayName == "" {
		s.DisplayName = s.Name
	}
	if c.Description == "" {
		c.Description = s.Description
	}
	if s.Description == "" {
		s.Description = c.Description
	}
	if s.Start == "" {
		s.Start = "auto"
	}
	if s.Account == "" {
		s.Account = "LocalSystem"
	}
	if s.Darwin.User == "" {
		s.Darwin.User = "nobody"
	}
	if s.Restart.Policy == "" {
		s.Restart.Policy = "on-failure"
	}
	if s.Restart.Delay == 0 {
		s.Restart.Delay = Duration(5 * time.Second)
	}
	if s.Restart.ResetAfter == 0 {
		s.Restart.ResetAfter = Duration(24 * time.Hour)
	}
	if s.Restart.CommandAfter == 0 && c.lines["service.restart.command_after"] == 0 {
		s.Restart.CommandAfter = DefaultCommandAfter
	}
	if c.Apt.Suite == "" {
		c.Apt.Suite = "stable"
	}
	if c.Apt.Component == "" {
		c.Apt.Component = "main"
	}
	if c.Apt.Origin == "" && nameRE.MatchString(c.Name) { // a bad name is reported as itself
		c.Apt.Origin = c.Name
	}
	if c.Apt.Keep == 0 && c.lines["apt.keep"] == 0 { // keep: 0 written is refused
		c.Apt.Keep = DefaultKeep
	}
	if c.Dnf.Keep == 0 && c.lines["dnf.keep"] == 0 {
		c.Dnf.Keep = DefaultKeep
	}
	c.dropEmptyTokens()
	c.Homebrew.Tap.defaults("Formula", c.Maintainer)
	c.Scoop.Bucket.defaults("bucket", c.Maintainer)
	if c.Pages.Repository != "" && c.Pages.Branch == "" {
		c.Pages.Branch = "gh-pages"
	}
	c.Pages.defaults(".", c.Maintainer)
	o := &c.OCI
	if o.User == "" {
		o.User = "65532:65532"
	}
	if o.WorkDir == "" && nameRE.MatchString(s.Name) { // a bad name is reported as itself
		o.WorkDir = "/var/lib/" + s.Name
	}
	if o.Port == 0 {
		if p, err := strconv.Atoi(s.Env["PORT"]); err == nil && p > 0 && p < 65536 {
			o.Port = p
		}
	}
	w := &c.Windows
	if w.ProductName == "" {
		w.ProductName = s.DisplayName
	}
	if w.Manifest.ExecutionLevel == "" {
		w.Manifest.ExecutionLevel = "asInvoker"
	}
	if w.MSI.InstallDir == "" {
		if c.Vendor != "" {
			w.MSI.InstallDir = c.Vendor + `\` + w.ProductName
		} else {
			w.MSI.InstallDir = w.ProductName
		}
	}
}

// defaultWingetID is vendor.name with the vendor's characters that an
// identifier part cannot hold left out, or "" when that is no valid
// identifier (the winget packager's check then asks for one).
func defaultWingetID(vendor, name string) string {
	var b strings.Builder
	for _, r := range vendor {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_+", r)) {
			b.WriteRune(r)
		}
	}
	id := b.String() + "." + name
	if wingetIDRE.MatchString(id) {
		return id
	}
	return ""
}

// Abs resolves a path from the config against the config's directory.
func (c *Spec) Abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, filepath.FromSlash(p))
}

// Rel is Abs undone: p relative to the config file's directory, with
// forward slashes, as svcpack.yaml names it (p itself when it cannot be
// made relative).
func (c *Spec) Rel(p string) string {
	rel, err := filepath.Rel(c.Dir, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// defaults fills a git repository's branch, folder and author when it is
// set.
func (g *GitRepo) defaults(folder, maintainer string) {
	if g.Repository == "" {
		return
	}
	g.Branch = cmp.Or(g.Branch, "main")
	g.Folder = cmp.Or(g.Folder, folder)
	g.Author = cmp.Or(g.Author, maintainer)
}

// dropEmptyTokens makes a pkcs11 section with nothing in it (pkcs11: {},
// or every field null) what leaving it out is: no token.
func (c *Spec) dropEmptyTokens() {
	var tokens []**PKCS11
	if c.Windows.Sign != nil {
		tokens = append(tokens, &c.Windows.Sign.PKCS11)
	}
	if c.GPG != nil {
		tokens = append(tokens, &c.GPG.PKCS11)
	}
	for _, t := range append(tokens, &c.OCI.Sign.PKCS11) {
		if *t != nil && **t == (PKCS11{}) {
			*t = nil
		}
	}
}
