// Package winget is the format that writes the winget manifests of the
// release's MSIs, in the community repository's layout under winget/: one
// installer per architecture with its download URL, SHA-256, and the
// ProductCode and UpgradeCode read from the MSI itself.
package winget

import (
	"context"
	"path"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/windows"
	enc "github.com/svcpack/svcpack/pkg/manifests/winget"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager writes the winget manifests of the release.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "winget", Kind: packager.KindWinget, ReleaseWide: true,
		Doc: "Windows: winget manifests (schema " + enc.ManifestVersion + ") installing the MSIs per machine, with the ProductCode and UpgradeCode read from each MSI",
		Reads: []string{"name", "version", "commit", "date", "vendor", "license", "description", "homepage",
			"windows.product_name", "windows.copyright", "download_url", "winget"},
		Uses:  []packager.Kind{packager.KindMSI},
		Check: check,
		Paths: paths,
		Write: write,
	}
}

// wingetPackage maps the spec onto the manifests, without installers.
func wingetPackage(s *config.Spec) enc.Package {
	return enc.Package{
		ID: s.Winget.PackageID, Version: s.Version.NuGet(), Publisher: s.Vendor, Name: s.Windows.ProductName,
		License: s.License, ShortDescription: s.Description, PackageURL: s.Homepage, Copyright: s.Windows.Copyright,
		ReleaseDate: s.Date,
	}
}

func check(s *config.Spec, planned []platform.Target, probs *config.Problems) {
	if !s.HasOS("windows") || !s.Wants("msi") {
		probs.AddAt("formats", []string{"targets"}, "winget is set, and the winget manifests install the MSIs: add msi to formats and a windows target, or leave winget out")
		return
	}
	if !packager.ArchiveNamesRender(s, planned) {
		return
	}
	before := probs.Len()
	msis := windows.MSIs(s, probs, "winget")
	packager.CheckDownloadURL(s, probs, "winget", msis)
	if s.Winget.PackageID == "" {
		probs.AddAt("winget.package_id", []string{"vendor", "formats"}, "is empty, and vendor %q gives none: set it to Publisher.Package, such as Acme.Hello", s.Vendor)
	}
	packager.RequireFields(probs, "winget", []packager.Required{
		{Field: "vendor", Value: s.Vendor, Why: "the manifests name the publisher"},
		{Field: "license", Value: s.License, Why: "the manifests name the licence"},
		{Field: "description", Value: s.Description, Why: "the manifests carry a short description (3 to 256 characters)"},
	})
	if probs.Len() > before {
		return
	}
	// The manifests the release would write, with stand-ins for what the
	// MSIs hold: the writer's own validation is the last word.
	pkg := wingetPackage(s)
	pkg.Installers = wingetInstallers(windows.PlannedMSIs(s, msis))
	if err := pkg.Validate(); err != nil {
		probs.Add("winget", "%v", err)
	}
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	pkg := wingetPackage(s)
	made, err := windows.MadeMSIs(j, nil)
	if err != nil {
		return err
	}
	pkg.Installers = wingetInstallers(made)
	files, err := pkg.Manifests()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := j.Create(path.Join("winget", pkg.Dir(), f.Name), packager.WriteBytes(f.Data)); err != nil {
			return err
		}
	}
	return nil
}

// wingetInstallers are the manifests' installers for the MSIs.
func wingetInstallers(msis []windows.InstallerMSI) []enc.Installer {
	var out []enc.Installer
	for _, m := range msis {
		out = append(out, enc.Installer{Arch: m.Arch, URL: m.URL, SHA256: m.SHA256, ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode})
	}
	return out
}

func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	p := wingetPackage(s)
	var out []string
	for _, n := range p.Names() {
		out = append(out, path.Join("winget", p.Dir(), n))
	}
	return out, nil
}
