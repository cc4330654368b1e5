// Package format is svcpack's registry of formats: the one list of
// packagers, in pipeline order (a packager comes after every packager
// whose kind it uses). Each format is a package of its own below this one
// (pkg/format/<name>); the release core reaches them only through All.
// Adding a format is its package, its line here and its config field.
package format

import (
	"github.com/svcpack/svcpack/pkg/format/apt"
	"github.com/svcpack/svcpack/pkg/format/binary"
	"github.com/svcpack/svcpack/pkg/format/chocolatey"
	"github.com/svcpack/svcpack/pkg/format/compose"
	"github.com/svcpack/svcpack/pkg/format/dnf"
	"github.com/svcpack/svcpack/pkg/format/helm"
	"github.com/svcpack/svcpack/pkg/format/homebrew"
	"github.com/svcpack/svcpack/pkg/format/install"
	"github.com/svcpack/svcpack/pkg/format/linuxpkg"
	"github.com/svcpack/svcpack/pkg/format/msi"
	"github.com/svcpack/svcpack/pkg/format/oci"
	"github.com/svcpack/svcpack/pkg/format/sbom"
	"github.com/svcpack/svcpack/pkg/format/scoop"
	"github.com/svcpack/svcpack/pkg/format/svcwrap"
	"github.com/svcpack/svcpack/pkg/format/targz"
	"github.com/svcpack/svcpack/pkg/format/universal"
	"github.com/svcpack/svcpack/pkg/format/winget"
	"github.com/svcpack/svcpack/pkg/format/zip"
	"github.com/svcpack/svcpack/pkg/packager"
)

// All returns every packager, new for each call, in pipeline order.
func All() []*packager.Packager {
	return []*packager.Packager{
		binary.Binary(),
		binary.Exe(),
		svcwrap.Packager(),
		universal.Packager(),
		zip.Packager(),
		msi.Packager(),
		linuxpkg.Deb(),
		linuxpkg.RPM(),
		linuxpkg.APK(),
		dnf.Packager(),
		apt.Packager(),
		targz.Packager(),
		install.Packager(),
		sbom.Packager(),
		winget.Packager(),
		scoop.Packager(),
		chocolatey.Packager(),
		homebrew.Packager(),
		oci.Packager(),
		oci.Index(),
		helm.Packager(),
		compose.Packager(),
	}
}
