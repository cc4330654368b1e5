// Package chocolatey writes a Chocolatey package (.nupkg) that installs
// an MSI silently: an Open Packaging Conventions zip holding the nuspec,
// tools/chocolateyinstall.ps1 (Install-ChocolateyPackage with the 32- and
// 64-bit MSIs' URLs and SHA-256 digests), tools/chocolateyuninstall.ps1
// (msiexec /x of the installed product code), [Content_Types].xml, the
// package relationships and core properties. Every value is XML-escaped in
// the XML parts and a single-quoted PowerShell string in the scripts, and
// Validate refuses what the formats cannot carry. The bytes depend only on
// the Package: entries in a fixed order, times from Date.
package chocolatey

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/svcpack/svcpack/pkg/powershell"
)

// Package is what the .nupkg says.
type Package struct {
	// ID is the package id (lower case by Chocolatey's convention).
	ID string
	// Version is the package version, in NuGet's grammar.
	Version string
	// Title, Authors, Description (required), Summary, Copyright and
	// ProjectURL describe it.
	Title, Authors, Description, Summary, Copyright, ProjectURL string
	// License is an SPDX license expression, or "".
	License string
	// Tags are single words.
	Tags []string
	// MSIs are the installers: a 386 one, an amd64 one, or both
	// (Chocolatey chooses by the system's bitness).
	MSIs []MSI
	// Date is the time of every entry.
	Date time.Time
}

// MSI is one installer.
type MSI struct {
	// Arch is its GOARCH: 386 or amd64.
	Arch string
	// URL is where Chocolatey downloads it; SHA256 its hex digest.
	URL, SHA256 string
	// ProductCode is the MSI's ProductCode, which the uninstall script
	// removes.
	ProductCode string
}

// NuspecNamespace is the nuspec's XML namespace (NuGet's 2015/06 schema,
// which Chocolatey's own extends).
const NuspecNamespace = "http://schemas.microsoft.com/packaging/2015/06/nuspec.xsd"

var (
	idRE      = regexp.MustCompile(`^\w+([.-]\w+)*$`)
	versionRE = regexp.MustCompile(`^\d+(\.\d+){1,3}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	urlRE     = regexp.MustCompile(`^https?://[^\s'"<>` + "`" + `]+$`)
	sha256RE  = regexp.MustCompile(`^[A-Fa-f0-9]{64}$`)
	guidRE    = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)
	tagRE     = regexp.MustCompile(`^[^\s]+$`)
)

// CheckID reports why id cannot be a package id, or nil.
func CheckID(id string) error {
	if !idRE.MatchString(id) || len(id) > 100 {
		return fmt.Errorf("chocolatey: package id %q: want letters, digits and '_', in parts joined by '.' or '-', at most 100 characters", id)
	}
	return nil
}

// FileName is the package's file name: <id>.<version>.nupkg.
func (p Package) FileName() string { return p.ID + "." + p.Version + ".nupkg" }

// Validate reports what the nuspec, the scripts or Chocolatey would refuse.
func (p Package) Validate() error {
	if err := CheckID(p.ID); err != nil {
		return err
	}
	if !versionRE.MatchString(p.Version) {
		return fmt.Errorf("chocolatey: version %q: want two to four numbers and an optional -pre-release", p.Version)
	}
	if strings.TrimSpace(p.Authors) == "" || strings.TrimSpace(p.Description) == "" {
		return fmt.Errorf("chocolatey: a package needs authors and a description")
	}
	for _, s := range []string{p.Title, p.Authors, p.Description, p.Summary, p.Copyright, p.ProjectURL, p.License} {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0xfffe || r == 0xffff }) {
			return fmt.Errorf("chocolatey: %q holds a character XML cannot carry", s)
		}
	}
	if p.ProjectURL != "" && !urlRE.MatchString(p.ProjectURL) {
		return fmt.Errorf("chocolatey: project URL %q: want an http(s) URL", p.ProjectURL)
	}
	for _, t := range p.Tags {
		if !tagRE.MatchString(t) {
			return fmt.Errorf("chocolatey: tag %q: want one word", t)
		}
	}
	if len(p.MSIs) == 0 {
		return fmt.Errorf("chocolatey: no MSI: Chocolatey installs a 386 or an amd64 one")
	}
	seen := map[string]bool{}
	for _, m := range p.MSIs {
		switch {
		case m.Arch != "386" && m.Arch != "amd64":
			return fmt.Errorf("chocolatey: an MSI for GOARCH %q: Chocolatey chooses between 386 and amd64 only", m.Arch)
		case seen[m.Arch]:
			return fmt.Errorf("chocolatey: two MSIs for %s", m.Arch)
		case !urlRE.MatchString(m.URL):
			return fmt.Errorf("chocolatey: MSI URL %q: want an http(s) URL", m.URL)
		case !sha256RE.MatchString(m.SHA256):
			return fmt.Errorf("chocolatey: MSI SHA-256 %q: want 64 hex digits", m.SHA256)
		case !guidRE.MatchString(m.ProductCode):
			return fmt.Errorf("chocolatey: MSI ProductCode %q: want a GUID in braces", m.ProductCode)
		}
		seen[m.Arch] = true
	}
	return nil
}

// Write writes the .nupkg.
func Write(w io.Writer, p Package) error {
	if err := p.Validate(); err != nil {
		return err
	}
	nuspec, err := p.nuspec()
	if err != nil {
		return err
	}
	parts := []struct {
		name string
		data []byte
	}{
		{p.ID + ".nuspec", nuspec},
		{"tools/chocolateyinstall.ps1", withBOM(p.installScript())},
		{"tools/chocolateyuninstall.ps1", withBOM(p.uninstallScript())},
	}
	// The core properties part is named by a digest of the rest, as
	// packers name it by a fresh GUID: unique, yet reproducible.
	h := sha256.New()
	for _, pt := range parts {
		h.Write([]byte(pt.name))
		h.Write(pt.data)
	}
	props := "package/services/metadata/core-properties/" + hex.EncodeToString(h.Sum(nil)[:16]) + ".psmdcp"
	core, err := p.coreProperties()
	if err != nil {
		return err
	}
	rels := relationships(h.Sum(nil), p.ID+".nuspec", props)
	all := append([]struct {
		name string
		data []byte
	}{{"_rels/.rels", rels}}, parts...)
	all = append(all, struct {
		name string
		data []byte
	}{props, core})

	zw := zip.NewWriter(w)
	// [Content_Types].xml first, as packers write it.
	entries := append([]struct {
		name string
		data []byte
	}{{"[Content_Types].xml", contentTypes()}}, all...)
	for _, e := range entries {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: p.Date.UTC()})
		if err != nil {
			return fmt.Errorf("chocolatey: %w", err)
		}
		if _, err := f.Write(e.data); err != nil {
			return fmt.Errorf("chocolatey: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("chocolatey: %w", err)
	}
	return nil
}

// ContentTypes maps each part's extension to its content type.
func contentTypes() []byte {
	return []byte(xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="ps1" ContentType="application/octet" />
  <Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />
</Types>
`)
}

// relationships is _rels/.rels: the package's manifest (the nuspec) and
// its core properties, with ids from seed.
func relationships(seed []byte, nuspec, props string) []byte {
	id := func(n byte) string {
		s := sha256.Sum256(append([]byte{n}, seed...))
		return "R" + strings.ToUpper(hex.EncodeToString(s[:8]))
	}
	return []byte(xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/` + nuspec + `" Id="` + id(1) + `" />
  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/` + props + `" Id="` + id(2) + `" />
</Relationships>
`)
}

// nuspec is the package's manifest.
func (p Package) nuspec() ([]byte, error) {
	type license struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	}
	type metadata struct {
		ID                       string   `xml:"id"`
		Version                  string   `xml:"version"`
		Title                    string   `xml:"title,omitempty"`
		Authors                  string   `xml:"authors"`
		ProjectURL               string   `xml:"projectUrl,omitempty"`
		License                  *license `xml:"license"`
		RequireLicenseAcceptance bool     `xml:"requireLicenseAcceptance"`
		Description              string   `xml:"description"`
		Summary                  string   `xml:"summary,omitempty"`
		Copyright                string   `xml:"copyright,omitempty"`
		Tags                     string   `xml:"tags,omitempty"`
	}
	type pkg struct {
		XMLName  xml.Name `xml:"package"`
		Xmlns    string   `xml:"xmlns,attr"`
		Metadata metadata `xml:"metadata"`
	}
	m := metadata{ID: p.ID, Version: p.Version, Title: p.Title, Authors: p.Authors, ProjectURL: p.ProjectURL,
		Description: p.Description, Summary: p.Summary, Copyright: p.Copyright, Tags: strings.Join(p.Tags, " ")}
	if p.License != "" {
		m.License = &license{Type: "expression", Value: p.License}
	}
	b, err := xml.MarshalIndent(pkg{Xmlns: NuspecNamespace, Metadata: m}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("chocolatey: nuspec: %w", err)
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

// coreProperties is the OPC core properties part.
func (p Package) coreProperties() ([]byte, error) {
	type props struct {
		XMLName        xml.Name `xml:"coreProperties"`
		Xmlns          string   `xml:"xmlns,attr"`
		DC             string   `xml:"xmlns:dc,attr"`
		Creator        string   `xml:"dc:creator"`
		Description    string   `xml:"dc:description"`
		Identifier     string   `xml:"dc:identifier"`
		Version        string   `xml:"version"`
		Keywords       string   `xml:"keywords,omitempty"`
		LastModifiedBy string   `xml:"lastModifiedBy"`
	}
	b, err := xml.MarshalIndent(props{
		Xmlns: "http://schemas.openxmlformats.org/package/2006/metadata/core-properties", DC: "http://purl.org/dc/elements/1.1/",
		Creator: p.Authors, Description: p.Description, Identifier: p.ID, Version: p.Version,
		Keywords: strings.Join(p.Tags, " "), LastModifiedBy: "svcpack",
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("chocolatey: core properties: %w", err)
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

// msi returns the MSI of arch, if any.
func (p Package) msi(arch string) (MSI, bool) {
	for _, m := range p.MSIs {
		if m.Arch == arch {
			return m, true
		}
	}
	return MSI{}, false
}

// withBOM prefixes a script with the UTF-8 byte order mark: Windows
// PowerShell 5.1, which Chocolatey runs scripts in, reads a script without
// one in the system's ANSI code page, where the UTF-8 bytes of one
// character can read as a closing quote (U+2019 in cp1252) and end a
// string that powershell.Quote made. With the mark it reads UTF-8.
func withBOM(script []byte) []byte { return append([]byte("\ufeff"), script...) }

// installScript installs the MSI of the system's bitness silently; install
// arguments given to choco (--install-arguments) follow the silent ones,
// so msiexec properties such as PORT=9090 reach the MSI.
func (p Package) installScript() []byte {
	var b strings.Builder
	b.WriteString("# Generated by svcpack: installs the MSI silently, per machine.\n")
	b.WriteString("$ErrorActionPreference = 'Stop'\n\n$packageArgs = @{\n")
	b.WriteString("  packageName    = $env:ChocolateyPackageName\n")
	b.WriteString("  fileType       = 'msi'\n")
	if m, ok := p.msi("386"); ok {
		fmt.Fprintf(&b, "  url            = %s\n  checksum       = %s\n  checksumType   = 'sha256'\n", powershell.Quote(m.URL), powershell.Quote(strings.ToLower(m.SHA256)))
	}
	if m, ok := p.msi("amd64"); ok {
		fmt.Fprintf(&b, "  url64bit       = %s\n  checksum64     = %s\n  checksumType64 = 'sha256'\n", powershell.Quote(m.URL), powershell.Quote(strings.ToLower(m.SHA256)))
	}
	b.WriteString("  silentArgs     = '/qn /norestart'\n")
	b.WriteString("  validExitCodes = @(0, 3010, 1641)\n}\n\nInstall-ChocolateyPackage @packageArgs\n")
	return []byte(b.String())
}

// uninstallScript removes whichever of the package's MSIs is installed
// (Windows lists it under its product code), silently.
func (p Package) uninstallScript() []byte {
	var b strings.Builder
	b.WriteString("# Generated by svcpack: removes the installed MSI silently.\n")
	b.WriteString("$ErrorActionPreference = 'Stop'\n\n$productCodes = @(")
	for i, m := range p.MSIs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(powershell.Quote(m.ProductCode))
	}
	b.WriteString(")\n$removed = $false\nforeach ($code in $productCodes) {\n")
	b.WriteString("  $keys = @(\"HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$code\", \"HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$code\")\n")
	b.WriteString("  if ($keys | Where-Object { Test-Path $_ }) {\n")
	b.WriteString("    Uninstall-ChocolateyPackage -PackageName $env:ChocolateyPackageName -FileType 'msi' -SilentArgs \"$code /qn /norestart\" -ValidExitCodes @(0, 3010, 1605, 1614, 1641)\n")
	b.WriteString("    $removed = $true\n  }\n}\n")
	b.WriteString("if (-not $removed) {\n  Write-Warning \"$($env:ChocolateyPackageName): none of its products ($($productCodes -join ', ')) is installed; nothing to remove\"\n}\n")
	return []byte(b.String())
}
