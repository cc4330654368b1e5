// Package version parses a release version (a semantic version, with or
// without a leading v) and renders it for every format that carries one:
// file names, deb, rpm and apk package versions, the MSI ProductVersion and
// the four numbers of a Windows VERSIONINFO. It is the one place versions
// are parsed; everything else receives the rendered strings.
package version

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Dev is the version used when nothing else names one.
const Dev = "0.0.0-dev"

// semverRE is the regular expression semver.org gives for a full version
// (MAJOR.MINOR.PATCH, optional pre-release and build metadata).
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch uint64
	// Pre is the pre-release part without the dash ("rc.1"), or "".
	Pre string
	// Build is the build metadata without the plus, or "".
	Build string
}

// Parse parses a full semantic version, with or without a leading v.
func Parse(s string) (Version, error) {
	m := semverRE.FindStringSubmatch(strings.TrimPrefix(s, "v"))
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a semantic version: want MAJOR.MINOR.PATCH with optional -prerelease and +build, such as 1.4.2 or 2.0.0-rc.1", s)
	}
	var v Version
	var err error
	for i, dst := range []*uint64{&v.Major, &v.Minor, &v.Patch} {
		if *dst, err = strconv.ParseUint(m[i+1], 10, 64); err != nil {
			return Version{}, fmt.Errorf("%q: number %s is too large", s, m[i+1])
		}
	}
	v.Pre, v.Build = m[4], m[5]
	return v, nil
}

// String formats the version without a leading v.
func (v Version) String() string {
	s := v.core()
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

func (v Version) core() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Deb is the upstream part of a Debian package version: a pre-release
// sorts before its release with "~", build metadata follows "+".
func (v Version) Deb() string {
	s := v.core()
	if v.Pre != "" {
		s += "~" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// RPM is an RPM Version tag: "~" before a pre-release (whose dashes rpm
// does not allow become "_"), "+" before build metadata.
func (v Version) RPM() string {
	s := v.core()
	if v.Pre != "" {
		s += "~" + strings.ReplaceAll(v.Pre, "-", "_")
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// APK is the version part of an apk pkgver (the "-rN" release follows).
func (v Version) APK() string {
	s := v.core()
	if v.Pre != "" {
		s += "_" + v.Pre
	}
	return s
}

// MSI is the ProductVersion: major.minor.build within 255.255.65535, which
// is all Windows Installer compares (pre-release and build metadata cannot
// be expressed there).
func (v Version) MSI() (string, error) {
	if v.Major > 255 || v.Minor > 255 || v.Patch > 65535 {
		return "", fmt.Errorf("%s does not fit an MSI ProductVersion, which holds at most 255.255.65535 (major and minor at most 255, patch at most 65535)", v)
	}
	return v.core(), nil
}

// Fixed is the four 16-bit numbers of a Windows VERSIONINFO
// (major, minor, patch, 0).
func (v Version) Fixed() ([4]uint16, error) {
	for _, n := range []uint64{v.Major, v.Minor, v.Patch} {
		if n > 65535 {
			return [4]uint16{}, fmt.Errorf("%s does not fit a Windows VERSIONINFO: major, minor and patch must each be at most 65535", v)
		}
	}
	return [4]uint16{uint16(v.Major), uint16(v.Minor), uint16(v.Patch), 0}, nil
}
