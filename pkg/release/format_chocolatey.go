package release

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/manifests/chocolatey"
	"github.com/svcpack/svcpack/pkg/platform"
)

// chocolateyPackager writes chocolatey/<id>.<version>.nupkg, a Chocolatey
// package whose install script installs the 386 or amd64 MSI silently
// (downloaded from download_url, its SHA-256 checked) and whose uninstall
// script removes it by the ProductCode read from the MSI. Chocolatey knows
// no arm64 installer: Windows on arm64 runs the amd64 one.
func chocolateyPackager() *Packager {
	return &Packager{
		Name: "chocolatey", Kind: KindChocolatey, Once: true,
		Doc: "Windows: a Chocolatey package (.nupkg) that installs the 386 or amd64 MSI silently and removes it by its ProductCode",
		Reads: []string{"name", "version", "commit", "date", "vendor", "description", "homepage", "license",
			"windows.product_name", "windows.copyright", "download_url", "chocolatey"},
		Uses:  []Kind{KindMSI},
		Check: checkChocolatey,
		Paths: func(s *config.Spec, _ platform.Target) ([]string, error) {
			return []string{"chocolatey/" + chocolateyPackage(s).FileName()}, nil
		},
		Write: writeChocolatey,
	}
}

// chocolateyPackage maps the spec onto the package, without MSIs.
func chocolateyPackage(s *config.Spec) chocolatey.Package {
	return chocolatey.Package{
		ID: s.Chocolatey.ID, Version: s.Version.NuGet(), Title: s.Windows.ProductName, Authors: s.Vendor,
		Description: s.Description, Copyright: s.Windows.Copyright, ProjectURL: s.Homepage, License: s.License,
		Tags: []string{strings.ToLower(s.Name), "service"}, Date: s.Date,
	}
}

// chocolateyArch reports whether Chocolatey installs MSIs of goarch.
func chocolateyArch(goarch string) bool { return goarch == "386" || goarch == "amd64" }

func checkChocolatey(s *config.Spec, p *config.Problems) {
	if !s.Wants("msi") {
		p.AddAt("formats", []string{"targets"}, "chocolatey is set, and the Chocolatey package installs the MSIs: add msi to formats, or leave chocolatey out")
		return
	}
	if !archiveNamesRender(s) {
		return
	}
	before := p.Len()
	msis := map[platform.Target]string{}
	for t, name := range windowsMSIs(s, p, "chocolatey") {
		if chocolateyArch(t.Arch) {
			msis[t] = name
		}
	}
	if len(msis) == 0 && p.Len() == before {
		p.AddAt("targets", []string{"formats"}, "has no windows/386 or windows/amd64: Chocolatey installs one of those MSIs (Windows on arm64 runs the amd64 one); add windows/amd64, or leave chocolatey out of formats")
	}
	checkDownloadURL(s, p, "chocolatey", msis)
	if s.Chocolatey.ID == "" {
		p.AddAt("chocolatey.id", []string{"name", "formats"}, "is empty, and name %q in lower case is no package id: set it, such as hello-server", s.Name)
	}
	requireFields(p, "chocolatey", []required{
		{"vendor", s.Vendor, "a Chocolatey package names its authors"},
		{"description", s.Description, "a Chocolatey package carries a description"},
	})
	if p.Len() > before {
		return
	}
	pkg := chocolateyPackage(s)
	pkg.MSIs = chocolateyMSIs(plannedMSIs(s, msis))
	if err := pkg.Validate(); err != nil {
		p.Add("chocolatey", "%v", err)
	}
}

func writeChocolatey(ctx context.Context, j *Job) error {
	s := j.Spec
	pkg := chocolateyPackage(s)
	made, err := madeMSIs(j, chocolateyArch)
	if err != nil {
		return err
	}
	pkg.MSIs = chocolateyMSIs(made)
	if len(pkg.MSIs) == 0 {
		return fmt.Errorf("no windows/386 or windows/amd64 MSI was made: Chocolatey installs one of those")
	}
	return j.Create("chocolatey/"+pkg.FileName(), func(w io.Writer) error { return chocolatey.Write(w, pkg) })
}

// chocolateyMSIs are the package's MSIs.
func chocolateyMSIs(msis []installerMSI) []chocolatey.MSI {
	var out []chocolatey.MSI
	for _, m := range msis {
		out = append(out, chocolatey.MSI{Arch: m.Arch, URL: m.URL, SHA256: m.SHA256, ProductCode: m.ProductCode})
	}
	return out
}
