// Package linuxpkg builds deb, rpm and apk packages of a Go service with
// github.com/goreleaser/nfpm/v2 as a library: the binary in /usr/bin, a
// hardened systemd unit in /usr/lib/systemd/system, configuration files in
// /etc/<name> that upgrades do not overwrite, copyright and changelog under
// /usr/share/doc/<name>, and POSIX maintainer scripts that create the system
// user and enable, start, restart, stop and disable the service, tolerating
// systems where systemd is not running. The deb's scripts do it as
// debhelper's dh_installsystemd does, through deb-systemd-helper and
// deb-systemd-invoke (init-system-helpers), so an administrator's disable
// survives upgrades and policy-rc.d is asked before a start.
//
// Everything is deterministic: one modification time (Options.Date, from
// SOURCE_DATE_EPOCH) for every file and the changelog, sorted contents.
package linuxpkg

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/apk"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"

	"github.com/svcpack/svcpack/templates"
)

// File is an extra file to package.
type File struct {
	// Src is the host path.
	Src string
	// Dst is relative to /etc/<name> (or absolute).
	Dst string
	// Config marks a configuration file upgrades keep.
	Config bool
}

// Options describes one package.
type Options struct {
	// Name is the package and binary name.
	Name string
	// Version is the package version in the format's own grammar, without
	// the release number (deb 1.2.3~rc.1, rpm 1.2.3~rc.1, apk 1.2.3_rc1):
	// the caller renders it (package version does), Package writes it as
	// given, followed by the release (Release): deb 1.2.3~rc.1-1, rpm
	// Release 1, apk 1.2.3_rc1-r1. The changelog entry names the same.
	Version string
	// Arch is the GOARCH; each format maps it to its own name.
	Arch string
	// Variant is the GOARCH variant (GOARM 5/6/7, GOAMD64 v3, ...). ARM
	// variants map to each format's own architecture (deb armel/armhf, rpm
	// armv5tel/armv6hl/armv7hl, apk armhf/armv7); the others have no
	// architecture of their own, so the file name carries them instead.
	Variant string
	// Maintainer is "Name <email>".
	Maintainer string
	// Vendor, Homepage, License and Description describe the package.
	Vendor, Homepage, License, Description string
	// Binary is the host path of the linux binary.
	Binary string
	// BinDir is the directory the binary is installed in (default
	// DefaultBinDir, /usr/bin); the unit runs it from there.
	BinDir string
	// Files are extra files, usually configuration.
	Files []File
	// LicenseFile is the license text for the copyright file (optional).
	LicenseFile string
	// Service is the systemd service.
	Service Service
	// Date is every file's modification time and the changelog date.
	Date time.Time
	// Signer, when set, signs the deb (a _gpgorigin member, as debsign
	// does) and the rpm (an OpenPGP header signature). The apk is not
	// signed: apk signatures take an RSA key in PEM form, not OpenPGP.
	Signer Signer
}

// Signer makes OpenPGP detached signatures; pgpsign.Signer is one.
type Signer interface {
	// Sign returns a binary detached signature.
	Sign(r io.Reader) ([]byte, error)
	// SignArmored returns an ASCII-armored detached signature.
	SignArmored(r io.Reader) ([]byte, error)
	// RSA reports whether the key is RSA (rpm files RSA and other
	// signatures under different tags).
	RSA() bool
}

// Formats lists the package formats Package writes.
func Formats() []string { return []string{"deb", "rpm", "apk"} }

func packager(format string) (nfpm.Packager, error) {
	switch format {
	case "deb":
		return deb.Default, nil
	case "rpm":
		return rpm.DefaultRPM, nil
	case "apk":
		return apk.Default, nil
	}
	return nil, fmt.Errorf("linuxpkg: format %q: want deb, rpm or apk", format)
}

// versionRE is what the three formats' version fields all accept.
var versionRE = regexp.MustCompile(`^[0-9][0-9A-Za-z.~_^+]*$`)

// Validate reports what Package would reject in o for format, without
// touching any file: the format, the version, the maintainer, the unit.
func (o Options) Validate(format string) error {
	if _, err := packager(format); err != nil {
		return err
	}
	if !versionRE.MatchString(o.Version) {
		return fmt.Errorf("linuxpkg: version %q: want digits first, then letters, digits and . ~ _ ^ +", o.Version)
	}
	if !strings.Contains(o.Maintainer, "@") {
		return fmt.Errorf("linuxpkg: maintainer %q: packages need \"Name <email>\"", o.Maintainer)
	}
	// Control files (deb, apk) are lines of "Field: value": a line break in
	// a value would start a field of its own.
	for field, v := range map[string]string{"maintainer": o.Maintainer, "vendor": o.Vendor, "homepage": o.Homepage, "license": o.License, "description": o.Description} {
		if err := checkText(field, v); err != nil {
			return err
		}
	}
	_, err := Unit(o)
	return err
}

// info builds the nfpm description; generated files go to dir.
func (o Options) info(dir string, format string) (*nfpm.Info, error) {
	if err := o.Validate(format); err != nil {
		return nil, err
	}
	if o.Binary == "" {
		return nil, fmt.Errorf("linuxpkg: %s: no binary given", o.Name)
	}
	if _, err := os.Stat(o.Binary); err != nil {
		return nil, fmt.Errorf("linuxpkg: binary: %w", err)
	}
	maintainer := o.Maintainer
	// Generated files get the release date as mtime too: nfpm copies some
	// (the apk's scripts) with their on-disk times.
	write := func(name string, data []byte) (string, error) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", err
		}
		return p, os.Chtimes(p, o.Date, o.Date)
	}
	unit, err := Unit(o)
	if err != nil {
		return nil, err
	}
	unitPath, err := write("unit", unit)
	if err != nil {
		return nil, err
	}
	copyright, err := o.copyright()
	if err != nil {
		return nil, err
	}
	copyPath, err := write("copyright", copyright)
	if err != nil {
		return nil, err
	}
	changelogPath, err := write("changelog.yaml", o.changelog(maintainer))
	if err != nil {
		return nil, err
	}
	scripts := nfpm.Scripts{}
	for script, dst := range map[string]*string{"postinst": &scripts.PostInstall, "prerm": &scripts.PreRemove, "postrm": &scripts.PostRemove} {
		body, err := Script(o, format, script)
		if err != nil {
			return nil, err
		}
		if *dst, err = write(script, body); err != nil {
			return nil, err
		}
	}
	fi := func(mode os.FileMode) *files.ContentFileInfo {
		return &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: o.Date}
	}
	// Go binaries are static by design; Debian's Go packages override
	// lintian's statically-linked-binary the same way.
	override, err := write("lintian-overrides", []byte(o.Name+": statically-linked-binary ["+strings.TrimPrefix(o.binPath(), "/")+"]\n"))
	if err != nil {
		return nil, err
	}
	doc := "/usr/share/doc/" + o.Name + "/copyright"
	contents := files.Contents{
		{Source: o.Binary, Destination: o.binPath(), FileInfo: fi(0o755)},
		{Source: unitPath, Destination: "/usr/lib/systemd/system/" + o.serviceName() + ".service", FileInfo: fi(0o644)},
		{Source: copyPath, Destination: doc, FileInfo: fi(0o644), Packager: "deb"},
		{Source: copyPath, Destination: doc, FileInfo: fi(0o644), Packager: "apk"},
		{Source: copyPath, Destination: doc, FileInfo: fi(0o644), Packager: "rpm", Type: files.TypeRPMDoc},
		{Source: override, Destination: "/usr/share/lintian/overrides/" + o.Name, FileInfo: fi(0o644), Packager: "deb"},
	}
	for _, f := range o.Files {
		dst := f.Dst
		if !path.IsAbs(dst) {
			dst = path.Join("/etc", o.Name, dst)
		}
		c := &files.Content{Source: f.Src, Destination: dst, FileInfo: fi(0o644)}
		if f.Config {
			c.Type = files.TypeConfigNoReplace
		}
		contents = append(contents, c)
	}
	info := &nfpm.Info{
		Name:          o.Name,
		Arch:          o.nfpmArch(),
		Platform:      "linux",
		Version:       o.Version,
		VersionSchema: "none",
		Release:       Release,
		Section:       "net",
		Priority:      "optional",
		Maintainer:    maintainer,
		Description:   o.description(),
		Vendor:        o.Vendor,
		Homepage:      o.Homepage,
		License:       o.License,
		Changelog:     changelogPath,
		MTime:         o.Date,
		Overridables: nfpm.Overridables{
			Contents: contents,
			Scripts:  scripts,
			// nfpm stores the deb's data.tar and the rpm's payload; each is
			// compressed once, here (compressDebData, relativePayload, which
			// rewrites the payload anyway), with github.com/klauspost/compress
			// at archive.Level (archive.NewGzip), faster than the compression
			// it replaced for slightly more bytes (docs/benchmarks.md).
			Deb: nfpm.Deb{Fields: map[string]string{}, Compression: "none"},
			// A fixed build host, as Fedora's reproducible builds name it:
			// nfpm would record this machine's name, and the rpm's bytes
			// would then depend on where it was made.
			RPM: nfpm.RPM{Group: "System Environment/Daemons", Compression: "gzip:0", BuildHost: "reproducible"},
			APK: nfpm.APK{Scripts: nfpm.APKScripts{PostUpgrade: scripts.PostInstall}},
		},
	}
	return info, nil
}

func (o Options) serviceName() string {
	if o.Service.Name != "" {
		return o.Service.Name
	}
	return o.Name
}

// description is a synopsis line, then the long text (deb wants both).
func (o Options) description() string {
	d := strings.TrimSpace(o.Description)
	if d == "" {
		d = o.Name + " service"
	}
	return d + "\n" + "The " + o.Name + " service, run by systemd as " + o.serviceName() + ".service."
}

// commonLicense is a licence whose text Debian ships in
// /usr/share/common-licenses: its DEP-5 short name, the file, and its name
// for the sentence that points there.
type commonLicense struct{ short, file, title string }

// debianLicenses maps SPDX identifiers to Debian's short names; those with
// a file are in /usr/share/common-licenses, where the copyright file must
// point instead of holding the text (lintian's errors otherwise).
var debianLicenses = map[string]commonLicense{
	"Apache-2.0":        {"Apache-2.0", "Apache-2.0", "the Apache License, Version 2.0"},
	"GPL-2.0":           {"GPL-2", "GPL-2", "the GNU General Public License version 2"},
	"GPL-2.0-only":      {"GPL-2", "GPL-2", "the GNU General Public License version 2"},
	"GPL-2.0+":          {"GPL-2+", "GPL-2", "the GNU General Public License version 2"},
	"GPL-2.0-or-later":  {"GPL-2+", "GPL-2", "the GNU General Public License version 2"},
	"GPL-3.0":           {"GPL-3", "GPL-3", "the GNU General Public License version 3"},
	"GPL-3.0-only":      {"GPL-3", "GPL-3", "the GNU General Public License version 3"},
	"GPL-3.0+":          {"GPL-3+", "GPL-3", "the GNU General Public License version 3"},
	"GPL-3.0-or-later":  {"GPL-3+", "GPL-3", "the GNU General Public License version 3"},
	"LGPL-2.0-only":     {"LGPL-2", "LGPL-2", "the GNU Library General Public License version 2"},
	"LGPL-2.0-or-later": {"LGPL-2+", "LGPL-2", "the GNU Library General Public License version 2"},
	"LGPL-2.1":          {"LGPL-2.1", "LGPL-2.1", "the GNU Lesser General Public License version 2.1"},
	"LGPL-2.1-only":     {"LGPL-2.1", "LGPL-2.1", "the GNU Lesser General Public License version 2.1"},
	"LGPL-2.1-or-later": {"LGPL-2.1+", "LGPL-2.1", "the GNU Lesser General Public License version 2.1"},
	"LGPL-3.0":          {"LGPL-3", "LGPL-3", "the GNU Lesser General Public License version 3"},
	"LGPL-3.0-only":     {"LGPL-3", "LGPL-3", "the GNU Lesser General Public License version 3"},
	"LGPL-3.0-or-later": {"LGPL-3+", "LGPL-3", "the GNU Lesser General Public License version 3"},
	"MPL-1.1":           {"MPL-1.1", "MPL-1.1", "the Mozilla Public License, Version 1.1"},
	"MPL-2.0":           {"MPL-2.0", "MPL-2.0", "the Mozilla Public License, Version 2.0"},
	"CC0-1.0":           {"CC0-1.0", "CC0-1.0", "the Creative Commons CC0 1.0 Universal dedication"},
	"GFDL-1.2-only":     {"GFDL-1.2", "GFDL-1.2", "the GNU Free Documentation License version 1.2"},
	"GFDL-1.3-only":     {"GFDL-1.3", "GFDL-1.3", "the GNU Free Documentation License version 1.3"},
	// Short names only: the text comes from the licence file.
	"MIT":          {"Expat", "", ""},
	"BSD-2-Clause": {"BSD-2-clause", "", ""},
	"BSD-3-Clause": {"BSD-3-clause", "", ""},
}

// dep5License turns an SPDX expression into DEP-5 syntax (Debian's short
// names, lower-case operators) and returns the common licences it names.
func dep5License(expr string) (string, []commonLicense) {
	var words []string
	var common []commonLicense
	for _, tok := range strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(expr)) {
		switch tok {
		case "AND", "OR", "WITH":
			words = append(words, strings.ToLower(tok))
			continue
		}
		l, ok := debianLicenses[tok]
		if !ok {
			words = append(words, tok)
			continue
		}
		words = append(words, l.short)
		if l.file != "" && !slices.Contains(common, l) {
			common = append(common, l)
		}
	}
	return strings.Join(words, " "), common
}

// copyright is a machine-readable Debian copyright file. A licence Debian
// ships in /usr/share/common-licenses is referred to there; any other's
// text comes from the licence file.
func (o Options) copyright() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: %s\n", o.Name)
	if o.Homepage != "" {
		fmt.Fprintf(&b, "Source: %s\n", o.Homepage)
	}
	license, common := dep5License(o.License)
	if license == "" {
		license = "custom"
	}
	holder := o.Vendor
	if holder == "" {
		holder = o.Maintainer
	}
	fmt.Fprintf(&b, "\nFiles: *\nCopyright: %d %s\nLicense: %s\n", o.Date.Year(), holder, license)
	single := len(common) == 1 && common[0].short == license
	switch {
	case single:
		refer(&b, common[0])
	case o.LicenseFile != "":
		text, err := os.ReadFile(o.LicenseFile)
		if err != nil {
			return nil, fmt.Errorf("linuxpkg: license file: %w", err)
		}
		for _, line := range strings.Split(strings.TrimRight(string(text), "\n"), "\n") {
			if strings.TrimSpace(line) == "" {
				b.WriteString(" .\n")
			} else {
				b.WriteString(" " + line + "\n")
			}
		}
	}
	if !single {
		for _, l := range common {
			fmt.Fprintf(&b, "\nLicense: %s\n", l.short)
			refer(&b, l)
		}
	}
	return b.Bytes(), nil
}

// refer writes the text of a License field that points to Debian's copy.
func refer(b *bytes.Buffer, l commonLicense) {
	fmt.Fprintf(b, " On Debian systems, the complete text of %s can be\n found in \"/usr/share/common-licenses/%s\".\n", l.title, l.file)
}

// Release is the package release (revision) every package carries after
// its version: deb "-1", rpm Release 1, apk "-r1".
const Release = "1"

// changelog is a one-entry chglog file naming the package's own version
// (upstream-release, as dpkg and rpm print it), with the distribution and
// urgency a Debian changelog's first line needs (Debian Policy 4.4).
func (o Options) changelog(maintainer string) []byte {
	v := o.Version + "-" + Release
	return []byte(fmt.Sprintf("- semver: %s\n  date: %s\n  packager: %q\n  deb:\n    urgency: medium\n    distributions: [unstable]\n  changes:\n    - commit: \"\"\n      note: %q\n",
		v, o.Date.UTC().Format(time.RFC3339), maintainer, "Release "+v+"."))
}

// Scripts are the maintainer scripts Script renders: Debian's names for
// what nfpm calls post-install, pre-remove and post-remove.
func Scripts() []string { return []string{"postinst", "prerm", "postrm"} }

// scriptTemplates are the templates of each format's scripts, in the order
// of Scripts. The deb's follow debhelper's dh_installsystemd
// (deb-systemd-helper, deb-systemd-invoke); the rpm's and apk's call
// systemctl where it exists, as the rpm's %systemd macros do.
var scriptTemplates = map[string][]string{
	"deb": {"deb-postinst.sh.tmpl", "deb-prerm.sh.tmpl", "deb-postrm.sh.tmpl"},
	"rpm": {"linux-postinstall.sh.tmpl", "linux-preremove.sh.tmpl", "linux-postremove.sh.tmpl"},
	"apk": {"linux-postinstall.sh.tmpl", "linux-preremove.sh.tmpl", "linux-postremove.sh.tmpl"},
}

// Script renders the format's maintainer script named script, one of
// Scripts (the apk runs its postinst after an upgrade too). Every value is
// written as a single-quoted shell word (ShellQuote), and the names are
// checked first.
func Script(o Options, format, script string) ([]byte, error) {
	i := slices.Index(Scripts(), script)
	names, ok := scriptTemplates[format]
	if i < 0 || !ok {
		return nil, fmt.Errorf("linuxpkg: no %s script %q: want deb, rpm or apk, and one of %s", format, script, strings.Join(Scripts(), ", "))
	}
	if err := o.checkUnit(); err != nil {
		return nil, err
	}
	name := names[i]
	t, err := templates.Parse(name, template.FuncMap{"sh": ShellQuote}, "linux-user.sh.tmpl")
	if err != nil {
		return nil, err
	}
	svc := o.serviceName()
	var b bytes.Buffer
	if err := t.Execute(&b, map[string]any{"Name": svc, "Unit": svc + ".service", "User": o.Service.User, "Comment": svc + " service",
		"Manual": o.Service.Manual, "Busybox": format != "deb"}); err != nil {
		return nil, fmt.Errorf("linuxpkg: %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// ShellQuote returns s as one POSIX shell word in single quotes, each '
// written as '\” (nothing inside single quotes is special).
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Package writes the package in the given format ("deb", "rpm", "apk").
func Package(o Options, format string, w io.Writer) error {
	p, err := packager(format)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "svcpack-linuxpkg-")
	if err != nil {
		return fmt.Errorf("linuxpkg: %w", err)
	}
	defer os.RemoveAll(dir)
	info, err := o.info(dir, format)
	if err != nil {
		return err
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return fmt.Errorf("linuxpkg: %s %s: %w", o.Name, format, err)
	}
	if format == "apk" {
		if err := p.Package(info, w); err != nil {
			return fmt.Errorf("linuxpkg: %s %s: %w", o.Name, format, err)
		}
		return nil
	}
	var b bytes.Buffer
	if err := p.Package(info, &b); err != nil {
		return fmt.Errorf("linuxpkg: %s %s: %w", o.Name, format, err)
	}
	if format == "deb" {
		// Signed last too: the signature covers the compressed data.tar.gz.
		var sign func([]byte) ([]byte, error)
		if o.Signer != nil {
			sign = func(b []byte) ([]byte, error) { return o.Signer.SignArmored(bytes.NewReader(b)) }
		}
		deb, err := compressDebData(b.Bytes(), sign)
		if err != nil {
			return fmt.Errorf("linuxpkg: %s deb: %w", o.Name, err)
		}
		_, err = w.Write(deb)
		return err
	}
	fixed, err := relativePayload(b.Bytes())
	if err != nil {
		return fmt.Errorf("linuxpkg: %s rpm: %w", o.Name, err)
	}
	// Signed last: the payload rewrite changes the header the signature
	// covers.
	if o.Signer != nil {
		fixed, err = signRPM(fixed, o.Signer.RSA(), func(h []byte) ([]byte, error) {
			return o.Signer.Sign(bytes.NewReader(h))
		})
		if err != nil {
			return fmt.Errorf("linuxpkg: %s rpm: signing: %w", o.Name, err)
		}
	}
	_, err = w.Write(fixed)
	return err
}

// nfpmArch is the architecture name nfpm maps per format: GOARCH, with the
// GOARM version for arm (Go's default is 7).
func (o Options) nfpmArch() string {
	if o.Arch != "arm" {
		return o.Arch
	}
	if o.Variant == "" {
		return "arm7"
	}
	return "arm" + o.Variant
}

// FileName is the format's conventional file name for the package, from
// its name, version and architecture (no binary is needed). A variant that
// the format's architecture cannot express is appended to the architecture
// ("hello_1.2.3-1_amd64_v3.deb", "hello-1.2.3-1.x86_64_v3.rpm") so that
// variants of one architecture do not overwrite each other.
func FileName(o Options, format string) (string, error) {
	p, err := packager(format)
	if err != nil {
		return "", err
	}
	if !versionRE.MatchString(o.Version) {
		return "", fmt.Errorf("linuxpkg: version %q: want digits first, then letters, digits and . ~ _ ^ +", o.Version)
	}
	info := &nfpm.Info{Name: o.Name, Arch: o.nfpmArch(), Platform: "linux", Version: o.Version, VersionSchema: "none", Release: Release}
	name := p.ConventionalFileName(nfpm.WithDefaults(info))
	if o.Variant != "" && o.Arch != "arm" {
		ext := "." + format
		name = strings.TrimSuffix(name, ext) + "_" + o.Variant + ext
	}
	return name, nil
}

// debArches are the Debian architectures of nfpm's architecture names
// that differ from them (as nfpm's deb packager maps them).
var debArches = map[string]string{
	"386": "i386", "arm5": "armel", "arm6": "armhf", "arm7": "armhf", "mips64le": "mips64el", "mipsle": "mipsel",
	"ppc64le": "ppc64el",
}

// DebArch is the Architecture field of o's deb (amd64, arm64, armhf,
// i386, ...), which an apt repository files it under.
func DebArch(o Options) string {
	a := o.nfpmArch()
	if d, ok := debArches[a]; ok {
		return d
	}
	return a
}
