package release

import (
	"context"
	"fmt"
	"path"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/manifests/winget"
	"github.com/svcpack/svcpack/pkg/platform"
)

// wingetPackager writes the winget manifests of the release's MSIs, in the
// community repository's layout under winget/: one installer per
// architecture with its download URL, SHA-256, and the ProductCode and
// UpgradeCode read from the MSI itself.
func wingetPackager() *Packager {
	return &Packager{
		Name: "winget", Kind: KindWinget, Once: true,
		Doc: "Windows: winget manifests (schema " + winget.ManifestVersion + ") installing the MSIs per machine, with the ProductCode and UpgradeCode read from each MSI",
		Reads: []string{"name", "version", "commit", "date", "vendor", "license", "description", "homepage",
			"windows.product_name", "windows.copyright", "download_url", "winget"},
		Uses:  []Kind{KindMSI},
		Check: checkWinget,
		Paths: func(s *config.Spec, _ platform.Target) ([]string, error) {
			p := wingetPackage(s)
			var out []string
			for _, n := range p.Names() {
				out = append(out, path.Join("winget", p.Dir(), n))
			}
			return out, nil
		},
		Write: writeWinget,
	}
}

// wingetPackage maps the spec onto the manifests, without installers.
func wingetPackage(s *config.Spec) winget.Package {
	return winget.Package{
		ID: s.Winget.PackageID, Version: s.Version.NuGet(), Publisher: s.Vendor, Name: s.Windows.ProductName,
		License: s.License, ShortDescription: s.Description, PackageURL: s.Homepage, Copyright: s.Windows.Copyright,
		ReleaseDate: s.Date,
	}
}

// windowsMSIs are the Windows targets and their MSIs' names, refusing
// two targets of one architecture (a manifest takes one MSI for each).
func windowsMSIs(s *config.Spec, p *config.Problems, format string) map[platform.Target]string {
	out := map[platform.Target]string{}
	byArch := map[string]platform.Target{}
	for i, t := range s.Targets {
		if t.OS != "windows" {
			continue
		}
		if other, dup := byArch[t.Arch]; dup {
			p.Add(fmt.Sprintf("targets[%d]", i), "%s and %s are both %s: the %s manifests take one MSI per architecture; keep one of them, or leave %s out of formats", other, t, t.Arch, format, format)
			continue
		}
		byArch[t.Arch] = t
		if name, err := archiveName(s, t, ".msi"); err == nil {
			out[t] = name
		}
	}
	return out
}

func checkWinget(s *config.Spec, p *config.Problems) {
	if !s.HasOS("windows") || !s.Wants("msi") {
		p.AddAt("formats", []string{"targets"}, "winget is set, and the winget manifests install the MSIs: add msi to formats and a windows target, or leave winget out")
		return
	}
	if !archiveNamesRender(s) {
		return
	}
	before := p.Len()
	msis := windowsMSIs(s, p, "winget")
	checkDownloadURL(s, p, "winget", msis)
	if s.Winget.PackageID == "" {
		p.AddAt("winget.package_id", []string{"vendor", "formats"}, "is empty, and vendor %q gives none: set it to Publisher.Package, such as Acme.Hello", s.Vendor)
	}
	requireFields(p, "winget", []required{
		{"vendor", s.Vendor, "the manifests name the publisher"},
		{"license", s.License, "the manifests name the licence"},
		{"description", s.Description, "the manifests carry a short description (3 to 256 characters)"},
	})
	if p.Len() > before {
		return
	}
	// The manifests the release would write, with stand-ins for what the
	// MSIs hold: the writer's own validation is the last word.
	pkg := wingetPackage(s)
	pkg.Installers = wingetInstallers(plannedMSIs(s, msis))
	if err := pkg.Validate(); err != nil {
		p.Add("winget", "%v", err)
	}
}

func writeWinget(ctx context.Context, j *Job) error {
	s := j.Spec
	pkg := wingetPackage(s)
	made, err := madeMSIs(j, nil)
	if err != nil {
		return err
	}
	pkg.Installers = wingetInstallers(made)
	files, err := pkg.Manifests()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := j.Create(path.Join("winget", pkg.Dir(), f.Name), writeBytes(f.Data)); err != nil {
			return err
		}
	}
	return nil
}

// wingetInstallers are the manifests' installers for the MSIs.
func wingetInstallers(msis []installerMSI) []winget.Installer {
	var out []winget.Installer
	for _, m := range msis {
		out = append(out, winget.Installer{Arch: m.Arch, URL: m.URL, SHA256: m.SHA256, ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode})
	}
	return out
}
