package version

import (
	"fmt"
	"strings"
)

// Package revisions the Linux packages carry after the upstream version
// (pkg/linuxpkg writes release 1).
const (
	// DebRevision follows the upstream version in a deb's Version (-1).
	DebRevision = "1"
	// RPMRelease is an rpm's Release tag.
	RPMRelease = "1"
	// APKRelease follows the version in an apk's pkgver (-r1).
	APKRelease = "r1"
)

// Example is one row of the version table in docs/configuration.md: a kind
// of build and the version it is released as.
type Example struct {
	// Kind says what the row is ("tag", "pre-release", ...).
	Kind string
	// Version is the version as a tag, SVCPACK_VERSION, version: or git
	// describe gives it.
	Version string
}

// Examples are the rows of the version table in docs/configuration.md, in
// ascending order. The tests check each rendering against the formats' own
// tools (dpkg, rpm, apk's documented grammar, Windows Installer in Wine).
func Examples() []Example {
	return []Example{
		{"pre-release", "v1.2.3-rc.1"},
		{"build after a pre-release tag", "v1.2.3-rc.1-2-gabc1234"},
		{"release (tag)", "v1.2.3"},
		{"dirty tree at the tag", "v1.2.3-dirty"},
		{"build after the tag", "v1.2.3-4-gabc1234"},
		{"dirty tree after the tag", "v1.2.3-4-gabc1234-dirty"},
		{"development build toward the next release (Go pseudo-version style)", "1.2.4-0.dev"},
		{"next release", "v1.2.4"},
	}
}

// Table renders the version table of docs/configuration.md from Examples:
// what each build is released as in file names and in each format.
func Table() string {
	var b strings.Builder
	b.WriteString("| build | git describe / version | file names | deb | rpm | apk | MSI ProductVersion |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, ex := range Examples() {
		v, err := Parse(ex.Version)
		if err != nil {
			panic(err) // the examples are constants; a test parses them
		}
		apk, err := v.APK()
		if err == nil {
			apk = "`" + apk + "-" + APKRelease + "`"
		} else {
			apk = "(cannot: check says so)"
		}
		msi, _ := v.MSI()
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | `%s-%s` | `%s-%s` | %s | `%s` |\n",
			ex.Kind, ex.Version, v, v.Deb(), DebRevision, v.RPM(), RPMRelease, apk, msi)
	}
	return b.String()
}
