// Package version parses a release version (a semantic version, with or
// without a leading v, or what `git describe --tags --dirty` prints) and
// renders it for every format that carries one: file names, deb, rpm and apk
// package versions, the MSI ProductVersion and the four numbers of a Windows
// VERSIONINFO. It is the one place versions are parsed; everything else
// receives the rendered strings.
//
// One order holds in every format (docs/configuration.md, "Versions"): a
// pre-release sorts before its release, a build after a tag (git describe:
// 1.2.3-4-gabc1234) after the tag and before the next release, a build from a
// dirty tree after the commit it was made from. Windows Installer compares
// major.minor.build only; the MSI keeps builds apart by a product code per
// full version (String) and upgrades between builds sharing a
// ProductVersion.
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

// describeRE is the suffix git describe adds after the tag: the number of
// commits since the tag and the abbreviated commit hash (git abbreviates
// to at least 4 lower-case hex digits).
var describeRE = regexp.MustCompile(`-(0|[1-9]\d*)-g([0-9a-f]{4,40})$`)

// Version is a parsed version.
type Version struct {
	Major, Minor, Patch uint64
	// Pre is the pre-release part without the dash ("rc.1"), or "".
	Pre string
	// Build is the build metadata without the plus, or "".
	Build string
	// Commits is the number of commits after the tag that git describe
	// counted (0 for a tag or a configured version).
	Commits uint64
	// Hash is the abbreviated commit hash git describe named, without its
	// "g" ("abc1234"), or "".
	Hash string
	// Dirty marks a build from a working tree with uncommitted changes
	// (git describe --dirty).
	Dirty bool
}

// Parse parses a semantic version, with or without a leading v, followed
// by what git describe --dirty adds after a tag: -<commits>-g<hash> and
// -dirty.
func Parse(s string) (Version, error) {
	const want = "want MAJOR.MINOR.PATCH with optional -prerelease and +build, such as 1.4.2 or 2.0.0-rc.1, or what git describe --tags --dirty prints for such a tag (v1.4.2-3-gabc1234-dirty)"
	var v Version
	rest := strings.TrimPrefix(s, "v")
	if r, ok := strings.CutSuffix(rest, "-dirty"); ok {
		rest, v.Dirty = r, true
	}
	if m := describeRE.FindStringSubmatch(rest); m != nil {
		n, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			return Version{}, fmt.Errorf("%q: commit count %s is too large", s, m[1])
		}
		v.Commits, v.Hash = n, m[2]
		rest = strings.TrimSuffix(rest, m[0])
	}
	m := semverRE.FindStringSubmatch(rest)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a semantic version: %s", s, want)
	}
	var err error
	for i, dst := range []*uint64{&v.Major, &v.Minor, &v.Patch} {
		if *dst, err = strconv.ParseUint(m[i+1], 10, 64); err != nil {
			return Version{}, fmt.Errorf("%q: number %s is too large", s, m[i+1])
		}
	}
	v.Pre, v.Build = m[4], m[5]
	return v, nil
}

// String formats the version as Parse reads it, without a leading v: the
// tag's version, then git describe's additions. File names carry it.
func (v Version) String() string {
	s := v.core()
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	if v.Hash != "" {
		s += fmt.Sprintf("-%d-g%s", v.Commits, v.Hash)
	}
	if v.Dirty {
		s += "-dirty"
	}
	return s
}

func (v Version) core() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// IsPostRelease reports whether the version is a build after its tag: git
// describe counted commits, or the tree was dirty.
func (v Version) IsPostRelease() bool { return v.Commits > 0 || v.Dirty }

// post is the part that makes a build after a tag sort after it: the
// commit count, the commit hash and the dirty mark, joined by dots
// ("4.gabc1234.dirty", "0.dirty"), or "".
func (v Version) post() string {
	if !v.IsPostRelease() {
		return ""
	}
	s := strconv.FormatUint(v.Commits, 10)
	if v.Hash != "" && v.Commits > 0 {
		s += ".g" + v.Hash
	}
	if v.Dirty {
		s += ".dirty"
	}
	return s
}

// NuGet is the version in NuGet's grammar (SemVer 2 with an optional
// fourth number), as Chocolatey packages carry it and as winget and Scoop
// order versions too (numbers first, a -pre-release before its release):
// 1.2.3, 1.2.3-rc.1, and for a build after the tag the commit count as one
// more number, after the release (1.2.3.4) or after the pre-release's own
// identifiers (1.2.3-rc.1.4). Neither the commit hash nor build metadata
// orders anything there, and a dirty tree cannot be told from its commit:
// they are left out, so two such builds carry one version (the one
// installed last wins, as for MSIs sharing a ProductVersion).
func (v Version) NuGet() string {
	s := v.core()
	switch {
	case v.Pre != "" && v.Commits > 0:
		return fmt.Sprintf("%s-%s.%d", s, v.Pre, v.Commits)
	case v.Pre != "":
		return s + "-" + v.Pre
	case v.Commits > 0:
		return fmt.Sprintf("%s.%d", s, v.Commits)
	}
	return s
}

// Deb is the upstream part of a Debian package version (the "-1" revision
// follows): "~" before a pre-release sorts it before its release, "+"
// before build metadata and before a build after the tag sorts them after
// it (1.2.3~rc.1, 1.2.3+4.gabc1234).
func (v Version) Deb() string {
	s := v.core()
	if v.Pre != "" {
		s += "~" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	if p := v.post(); p != "" {
		s += "+" + p
	}
	return s
}

// RPM is an RPM Version tag (the "-1" release follows): "~" before a
// pre-release sorts it before its release, "^" before a build after the
// tag sorts it after the tag and before anything greater (rpm 4.15 and
// later). rpm forbids "-", which becomes "_". rpm sorts a numeric segment
// after an alphabetic one, unlike semver; a pre-release starting with a
// number (a Go-style 1.2.4-0.dev) therefore gets "~~", which sorts before
// every "~" of the same release.
func (v Version) RPM() string {
	s := v.core()
	if v.Pre != "" {
		tilde := "~"
		if first, _, _ := strings.Cut(v.Pre, "."); isNumeric(first) {
			tilde = "~~"
		}
		s += tilde + strings.ReplaceAll(v.Pre, "-", "_")
	}
	if v.Build != "" {
		s += "+" + strings.ReplaceAll(v.Build, "-", "_")
	}
	if p := v.post(); p != "" {
		s += "^" + p
	}
	return s
}

// apkWords are the pre-release words apk knows, each with its apk suffix:
// alpha, beta, pre and rc sort before the release in this order, as in
// semver; dev, which semver sorts after beta and before pre, becomes
// _pre_alpha, which apk sorts there too.
var apkWords = map[string]string{"alpha": "alpha", "beta": "beta", "dev": "pre_alpha", "pre": "pre", "rc": "rc"}

// apkPreRE is a pre-release apk can express: a word with an optional
// number, attached (rc1) or as the next identifier (rc.1).
var apkPreRE = regexp.MustCompile(`^(alpha|beta|dev|pre|rc)(?:(0|[1-9]\d*)|\.(0|[1-9]\d*))?$`)

// APK is the version part of an apk pkgver (the "-r1" release follows), in
// apk's grammar number{.number}{_suffix{number}}...{~hash}: a pre-release
// becomes a suffix that sorts before the release (1.2.3_rc1), a build
// after the tag _p<commits> with the commit hash (1.2.3_p4~abc1234), a
// dirty tree one more _p0. Build metadata has no place in apk and is left
// out. apk's pre-release suffixes are alpha, beta, pre and rc: other
// pre-releases (but dev) are an error.
func (v Version) APK() (string, error) {
	s := v.core()
	if v.Pre != "" {
		m := apkPreRE.FindStringSubmatch(v.Pre)
		if m == nil {
			return "", fmt.Errorf("%s: apk cannot express the pre-release %q: apk knows alpha, beta, pre and rc (and svcpack maps dev), each with an optional number, such as 1.2.3-rc.1 or 1.2.3-beta2", v, v.Pre)
		}
		s += "_" + apkWords[m[1]] + m[2] + m[3]
	}
	if v.Commits > 0 {
		s += "_p" + strconv.FormatUint(v.Commits, 10)
	}
	if v.Dirty {
		s += "_p0"
	}
	if v.Commits > 0 && v.Hash != "" {
		s += "~" + v.Hash
	}
	return s, nil
}

// MSI is the ProductVersion: major.minor.build within 255.255.65535, which
// is all Windows Installer compares. Builds that share it (1.2.3-rc.1,
// 1.2.3, 1.2.3-4-gabc1234) differ in their product code, derived from
// String, and upgrade one another in place.
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

func isNumeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
