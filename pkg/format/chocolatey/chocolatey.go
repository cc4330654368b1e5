// Package chocolatey is the format that writes
// chocolatey/<id>.<version>.nupkg, a Chocolatey package whose install script
// installs the 386 or amd64 MSI silently (downloaded from download_url, its
// SHA-256 checked) and whose uninstall script removes it by the ProductCode
// read from the MSI. Chocolatey knows no arm64 installer: Windows on arm64
// runs the amd64 one.
package chocolatey

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/windows"
	enc "github.com/svcpack/svcpack/pkg/manifests/chocolatey"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager writes the Chocolatey package of the release.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "chocolatey", Kind: packager.KindChocolatey, ReleaseWide: true,
		Doc: "Windows: a Chocolatey package (.nupkg) that installs the 386 or amd64 MSI silently and removes it by its ProductCode",
		Reads: []string{"name", "version", "commit", "date", "vendor", "description", "homepage", "license",
			"windows.product_name", "windows.copyright", "download_url", "chocolatey"},
		Uses:  []packager.Kind{packager.KindMSI},
		Check: check,
		Paths: paths,
		Write: write,
	}
}

// chocolateyPackage maps the spec onto the package, without MSIs.
func chocolateyPackage(s *config.Spec) enc.Package {
	return enc.Package{
		ID: s.Chocolatey.ID, Version: s.Version.NuGet(), Title: s.Windows.ProductName, Authors: s.Vendor,
		Description: s.Description, Copyright: s.Windows.Copyright, ProjectURL: s.Homepage, License: s.License,
		Tags: []string{strings.ToLower(s.Name), "service"}, Date: s.Date,
	}
}

// chocolateyArch reports whether Chocolatey installs MSIs of goarch.
func chocolateyArch(goarch string) bool { return goarch == "386" || goarch == "amd64" }

func check(s *config.Spec, planned []platform.Target, probs *config.Problems) {
	if !s.Wants("msi") {
		probs.AddAt("formats", []string{"targets"}, "chocolatey is set, and the Chocolatey package installs the MSIs: add msi to formats, or leave chocolatey out")
		return
	}
	if !packager.ArchiveNamesRender(s, planned) {
		return
	}
	before := probs.Len()
	msis := map[platform.Target]string{}
	for t, name := range windows.MSIs(s, probs, "chocolatey") {
		if chocolateyArch(t.Arch) {
			msis[t] = name
		}
	}
	if len(msis) == 0 && probs.Len() == before {
		probs.AddAt("targets", []string{"formats"}, "has no windows/386 or windows/amd64: Chocolatey installs one of those MSIs (Windows on arm64 runs the amd64 one); add windows/amd64, or leave chocolatey out of formats")
	}
	packager.CheckDownloadURL(s, probs, "chocolatey", msis)
	if s.Chocolatey.ID == "" {
		probs.AddAt("chocolatey.id", []string{"name", "formats"}, "is empty, and name %q in lower case is no package id: set it, such as hello-server", s.Name)
	}
	packager.RequireFields(probs, "chocolatey", []packager.Required{
		{Field: "vendor", Value: s.Vendor, Why: "a Chocolatey package names its authors"},
		{Field: "description", Value: s.Description, Why: "a Chocolatey package carries a description"},
	})
	if probs.Len() > before {
		return
	}
	pkg := chocolateyPackage(s)
	pkg.MSIs = chocolateyMSIs(windows.PlannedMSIs(s, msis))
	if err := pkg.Validate(); err != nil {
		probs.Add("chocolatey", "%v", err)
	}
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	pkg := chocolateyPackage(s)
	made, err := windows.MadeMSIs(j, chocolateyArch)
	if err != nil {
		return err
	}
	pkg.MSIs = chocolateyMSIs(made)
	if len(pkg.MSIs) == 0 {
		return fmt.Errorf("no windows/386 or windows/amd64 MSI was made: Chocolatey installs one of those")
	}
	return j.Create("chocolatey/"+pkg.FileName(), func(w io.Writer) error { return enc.Write(w, pkg) })
}

// chocolateyMSIs are the package's MSIs.
func chocolateyMSIs(msis []windows.InstallerMSI) []enc.MSI {
	var out []enc.MSI
	for _, m := range msis {
		out = append(out, enc.MSI{Arch: m.Arch, URL: m.URL, SHA256: m.SHA256, ProductCode: m.ProductCode})
	}
	return out
}

func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	return []string{"chocolatey/" + chocolateyPackage(s).FileName()}, nil
}
