// Package winget writes the manifests of a winget package for MSI
// installers, in the multi-file form the community repository
// (microsoft/winget-pkgs) takes: a version manifest, a default locale
// manifest and an installer manifest, schema ManifestVersion, each a YAML
// document. Every value is written as a double-quoted YAML scalar (JSON
// string syntax, which YAML reads as it is), so no text can become
// structure; Validate refuses what the schema would.
package winget

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ManifestVersion is the manifest schema written: 1.10, which winget
// clients since 1.10 (2025) and the community repository accept; the
// newer schemas (1.12, 1.28) add nothing an MSI needs, and a client older
// than the schema refuses the manifest.
const ManifestVersion = "1.10.0"

// Locale is the default locale of the package's texts.
const Locale = "en-US"

// Package is one version of a winget package.
type Package struct {
	// ID is the PackageIdentifier: Publisher.Package, 2 to 8 parts.
	ID string
	// Version is the PackageVersion.
	Version string
	// Publisher, Name, License and ShortDescription are the required
	// texts of the default locale.
	Publisher, Name, License, ShortDescription string
	// PackageURL (the home page) and Copyright are optional.
	PackageURL, Copyright string
	// ReleaseDate is the installers' release date; zero leaves it out.
	ReleaseDate time.Time
	// Installers are the MSIs, one per architecture.
	Installers []Installer
}

// Installer is one MSI.
type Installer struct {
	// Arch is the GOARCH the MSI installs: 386, amd64, arm64 or arm.
	Arch string
	// URL is where winget downloads it (https).
	URL string
	// SHA256 is the hex SHA-256 of the file.
	SHA256 string
	// ProductCode and UpgradeCode are the MSI's own (its Property table),
	// which winget matches against Add/Remove Programs.
	ProductCode, UpgradeCode string
}

// File is one manifest file.
type File struct {
	// Name is the file name (<ID>.installer.yaml, ...).
	Name string
	// Data is its content.
	Data []byte
}

// Arch maps a GOARCH onto winget's architecture names.
func Arch(goarch string) (string, error) {
	switch goarch {
	case "386":
		return "x86", nil
	case "amd64":
		return "x64", nil
	case "arm64":
		return "arm64", nil
	case "arm":
		return "arm", nil
	}
	return "", fmt.Errorf("winget: no winget architecture for GOARCH %q (want 386, amd64, arm64 or arm)", goarch)
}

// The schema's patterns and limits, as far as this writer's fields go.
var (
	idRE      = regexp.MustCompile(`^[^.\s\\/:*?"<>|\x01-\x1f]{1,32}(\.[^.\s\\/:*?"<>|\x01-\x1f]{1,32}){1,7}$`)
	versionRE = regexp.MustCompile(`^[^\\/:*?"<>|\x01-\x1f]+$`)
	urlRE     = regexp.MustCompile(`^[Hh][Tt][Tt][Pp][Ss]?://.+$`)
	sha256RE  = regexp.MustCompile(`^[A-Fa-f0-9]{64}$`)
)

// CheckID reports why id cannot be a PackageIdentifier, or nil.
func CheckID(id string) error {
	if !idRE.MatchString(id) || len(id) > 128 {
		return fmt.Errorf("winget: package identifier %q: want Publisher.Package, 2 to 8 parts of 1 to 32 characters separated by dots, without spaces or \\ / : * ? \" < > |", id)
	}
	return nil
}

// Validate reports what the manifests' schema would refuse.
func (p Package) Validate() error {
	if err := CheckID(p.ID); err != nil {
		return err
	}
	if !versionRE.MatchString(p.Version) || len(p.Version) > 128 {
		return fmt.Errorf("winget: package version %q: want at most 128 characters without \\ / : * ? \" < > |", p.Version)
	}
	for _, f := range []struct {
		name, v  string
		min, max int
		optional bool
	}{
		{"Publisher", p.Publisher, 2, 256, false},
		{"PackageName", p.Name, 2, 256, false},
		{"License", p.License, 3, 512, false},
		{"ShortDescription", p.ShortDescription, 3, 256, false},
		{"Copyright", p.Copyright, 3, 512, true},
	} {
		n := utf8.RuneCountInString(f.v)
		if f.optional && n == 0 {
			continue
		}
		if n < f.min || n > f.max {
			return fmt.Errorf("winget: %s %q: want %d to %d characters", f.name, f.v, f.min, f.max)
		}
	}
	if p.PackageURL != "" && (!urlRE.MatchString(p.PackageURL) || len(p.PackageURL) > 2048) {
		return fmt.Errorf("winget: PackageUrl %q: want an http(s) URL", p.PackageURL)
	}
	if len(p.Installers) == 0 {
		return fmt.Errorf("winget: no installers")
	}
	seen := map[string]bool{}
	for _, in := range p.Installers {
		a, err := Arch(in.Arch)
		if err != nil {
			return err
		}
		if seen[a] {
			return fmt.Errorf("winget: two installers for architecture %s: a manifest takes one MSI per architecture", a)
		}
		seen[a] = true
		switch {
		case !urlRE.MatchString(in.URL) || len(in.URL) > 2048:
			return fmt.Errorf("winget: installer URL %q: want an http(s) URL", in.URL)
		case !sha256RE.MatchString(in.SHA256):
			return fmt.Errorf("winget: installer SHA-256 %q: want 64 hex digits", in.SHA256)
		case in.ProductCode == "" || len(in.ProductCode) > 255:
			return fmt.Errorf("winget: installer for %s: ProductCode %q: want 1 to 255 characters", a, in.ProductCode)
		case len(in.UpgradeCode) > 255:
			return fmt.Errorf("winget: installer for %s: UpgradeCode %q: want at most 255 characters", a, in.UpgradeCode)
		}
	}
	return nil
}

// Dir is the folder of the manifests in the community repository's
// layout: manifests/<first letter of the ID, lower case>/<ID's parts>/<version>.
// It is only meaningful for an ID CheckID accepts.
func (p Package) Dir() string {
	first := ""
	if p.ID != "" {
		first = strings.ToLower(p.ID[:1])
	}
	parts := append([]string{"manifests", first}, strings.Split(p.ID, ".")...)
	return path.Join(append(parts, p.Version)...)
}

// Names are the file names of the three manifests, in the order
// Manifests returns them.
func (p Package) Names() []string {
	return []string{p.ID + ".yaml", p.ID + ".locale." + Locale + ".yaml", p.ID + ".installer.yaml"}
}

// Manifests returns the three manifest files, in the order version,
// default locale, installer.
func (p Package) Manifests() ([]File, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	head := func(kind string) *doc {
		d := &doc{}
		d.comment("Created by svcpack")
		d.comment("yaml-language-server: $schema=https://aka.ms/winget-manifest." + kind + "." + ManifestVersion + ".schema.json")
		d.blank()
		d.field(0, "PackageIdentifier", p.ID)
		d.field(0, "PackageVersion", p.Version)
		return d
	}
	version := head("version")
	version.field(0, "DefaultLocale", Locale)
	version.field(0, "ManifestType", "version")
	version.field(0, "ManifestVersion", ManifestVersion)

	locale := head("defaultLocale")
	locale.field(0, "PackageLocale", Locale)
	locale.field(0, "Publisher", p.Publisher)
	locale.field(0, "PackageName", p.Name)
	if p.PackageURL != "" {
		locale.field(0, "PackageUrl", p.PackageURL)
	}
	locale.field(0, "License", p.License)
	if p.Copyright != "" {
		locale.field(0, "Copyright", p.Copyright)
	}
	locale.field(0, "ShortDescription", p.ShortDescription)
	locale.field(0, "ManifestType", "defaultLocale")
	locale.field(0, "ManifestVersion", ManifestVersion)

	inst := head("installer")
	inst.field(0, "InstallerType", "msi")
	inst.field(0, "Scope", "machine")
	if !p.ReleaseDate.IsZero() {
		inst.field(0, "ReleaseDate", p.ReleaseDate.UTC().Format(time.DateOnly))
	}
	inst.key(0, "Installers")
	for _, in := range p.Installers {
		a, _ := Arch(in.Arch) // checked by Validate
		inst.item(1, "Architecture", a)
		inst.field(2, "InstallerUrl", in.URL)
		inst.field(2, "InstallerSha256", strings.ToUpper(in.SHA256))
		inst.field(2, "ProductCode", in.ProductCode)
		if in.UpgradeCode != "" {
			inst.key(2, "AppsAndFeaturesEntries")
			inst.item(3, "ProductCode", in.ProductCode)
			inst.field(4, "UpgradeCode", in.UpgradeCode)
		}
	}
	inst.field(0, "ManifestType", "installer")
	inst.field(0, "ManifestVersion", ManifestVersion)

	names := p.Names()
	return []File{
		{Name: names[0], Data: version.b.Bytes()},
		{Name: names[1], Data: locale.b.Bytes()},
		{Name: names[2], Data: inst.b.Bytes()},
	}, nil
}

// doc writes a YAML document: mappings at two spaces per level, list
// items as "- " at their level, every scalar double-quoted.
type doc struct{ b bytes.Buffer }

func (d *doc) comment(s string) { fmt.Fprintf(&d.b, "# %s\n", s) }

func (d *doc) blank() { d.b.WriteString("\n") }

// key starts a nested block.
func (d *doc) key(level int, k string) {
	fmt.Fprintf(&d.b, "%s%s:\n", strings.Repeat("  ", level), k)
}

// field writes k: "v" at level.
func (d *doc) field(level int, k, v string) {
	fmt.Fprintf(&d.b, "%s%s: %s\n", strings.Repeat("  ", level), k, quote(v))
}

// item starts a list item at level (whose further fields are at level+1)
// with k: "v".
func (d *doc) item(level int, k, v string) {
	fmt.Fprintf(&d.b, "%s- %s: %s\n", strings.Repeat("  ", level), k, quote(v))
}

// quote is v as a double-quoted scalar: JSON's string syntax, which YAML's
// double-quoted style reads the same (\", \\, \n, \uXXXX).
func quote(v string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
