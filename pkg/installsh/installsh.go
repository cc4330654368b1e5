// Package installsh writes install.sh: one POSIX sh script, published beside
// a release's signed package repositories, that installs the release's
// service on Debian, Ubuntu, Fedora and the RHEL family, and from its
// tarball elsewhere (other Linux systems, macOS):
//
//	curl -fsSL https://example.com/hello/install.sh | sudo sh
//
// The script reads /etc/os-release (ID, ID_LIKE): on the Debian family with
// apt-get it adds the apt repository (the key in /etc/apt/keyrings, a
// deb822 .sources file naming it with Signed-By, and a preferences entry)
// and runs apt-get install; on the Fedora/RHEL family with dnf or yum it
// adds the dnf repository (the key in /etc/pki/rpm-gpg, imported into rpm,
// and a .repo file with gpgcheck and repo_gpgcheck) and runs dnf install;
// anywhere else, or when run with --tarball, it downloads the tarball of
// the machine's OS and architecture, checks it against checksums.txt and
// checks checksums.txt's signature, and installs the program and its
// systemd unit (Linux) or runs the tarball's own install.sh (macOS).
//
// The repositories' public key is embedded in the script, so that nothing
// fetched decides what is trusted: whoever can change a file on the
// download server cannot swap the key with it. The script is as
// trustworthy as the channel it came through (HTTPS), and a reader of it
// sees the fingerprint it trusts; when gpg is installed the script checks
// that the embedded key has that fingerprint, and Write refuses a key
// whose fingerprint is not the one given.
//
// On apt systems our package is pinned (Pin-Priority 990, above the 500
// of every repository without a pin) to the repository's Origin, so a
// package of the same name in the distribution never replaces ours on
// install or upgrade, whatever its version (unless the system pins its own
// release as high, as APT::Default-Release does); it does not downgrade a
// newer one already installed (that takes a priority above 1000). On dnf
// systems Dnf.Priority does the same.
//
// The tarball is the fallback where no repository fits. It is downloaded
// with curl, wget or, on minimal Debian systems which have neither, apt's
// own apt-helper; its SHA-256 must be checksums.txt's, and checksums.txt's
// detached signature is checked with gpgv or gpg against the embedded key
// (the signer's fingerprint must be the key's), or, with neither
// installed, the script says that it was not checked.
//
// Every value of a Script is data: the script holds each one once, as a
// single-quoted shell word in the block of values at its top, and its code,
// which is the same for every release, uses them only in double-quoted
// expansions. Values that a word, a file or a command line could still
// misread are refused: control characters, names that are not plain file
// names, URLs that are not http(s) without spaces, and anything that could
// begin with '-' where a command reads it (commands are given -- before
// operands where they take it). The same Script gives the same bytes.
//
// The code runs from a function called on the script's last line, so a
// download cut short runs nothing; read from a pipe, it reads nothing more
// of it (stdin becomes /dev/null) and apt asks no question.
package installsh

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// Script describes what install.sh installs and from where.
type Script struct {
	// Name is the package that apt-get and dnf install.
	Name string
	// Service is the service's name (systemctl status <Service>); the
	// tarball's unit is installed as <Service>.service. Default: Name.
	Service string
	// Version is the release's version, shown in messages.
	Version string
	// KeyName names the key and repository files:
	// /etc/apt/keyrings/<KeyName>.gpg, /etc/apt/sources.list.d/<KeyName>.sources,
	// /etc/apt/preferences.d/<KeyName>, /etc/pki/rpm-gpg/RPM-GPG-KEY-<KeyName>
	// and /etc/yum.repos.d/<KeyName>.repo. Default: Name.
	KeyName string
	// Key is the repositories' public key, binary OpenPGP (gpg --export),
	// embedded in the script.
	Key []byte
	// Fingerprint is Key's fingerprint, 40 hexadecimal digits.
	Fingerprint string
	// Apt is the apt repository; nil when there is none.
	Apt *Apt
	// Dnf is the dnf repository; nil when there is none.
	Dnf *Dnf
	// Tarballs are the fallback where no repository fits.
	Tarballs []Tarball
	// ChecksumsURL is where the release's checksums.txt is, and
	// SignatureURL its armored detached signature (checksums.txt.asc);
	// both are needed with Tarballs.
	ChecksumsURL, SignatureURL string
}

// Apt is an apt repository as pkg/aptrepo writes it.
type Apt struct {
	// URL is the repository's root, which holds dists/.
	URL string
	// Suite is the folder under dists/ (default "stable").
	Suite string
	// Component is the one component (default "main").
	Component string
	// Origin is Release's Origin, which the pin names.
	Origin string
	// Architectures limits what apt fetches (Debian names: amd64,
	// arm64, armhf); empty fetches the system's.
	Architectures []string
}

// Dnf is a dnf repository as pkg/rpmrepo writes it.
type Dnf struct {
	// URL is the repository's root, which holds repodata/.
	URL string
	// Priority is the .repo file's priority (1 to 99, lower wins over
	// dnf's default 99); 0 writes none.
	Priority int
}

// Tarball is the release's tarball for one platform.
type Tarball struct {
	// OS and Arch are the platform, as GOOS and GOARCH: linux or darwin;
	// 386, amd64, arm (ARMv7), arm64, loong64, ppc64le, riscv64 or s390x.
	OS, Arch string
	// URL is where the tarball is downloaded from.
	URL string
	// File is its name as checksums.txt lists it.
	File string
	// Binary is the program's path inside the tarball (linux; optional
	// for darwin, where the script then checks that the tarball has it).
	Binary string
	// Unit is the systemd unit's path inside the tarball (linux).
	Unit string
	// Installer is the path of the tarball's own install.sh (darwin),
	// which places the program and starts it with launchctl.
	Installer string
	// Files are the other files the tarball holds that the program reads
	// (linux), each installed where the packages install it.
	Files []TarballFile
	// BinPath is where the unit's ExecStart runs the program (linux),
	// such as /usr/bin/hello.
	BinPath string
}

// TarballFile is a file of a Linux tarball that the script installs.
type TarballFile struct {
	// Src is its path inside the tarball; Dst its absolute path on the
	// host (/etc/hello/config.yaml).
	Src, Dst string
	// Config keeps a file already at Dst (an administrator's edit), as
	// the packages keep a configuration file on upgrade.
	Config bool
}

// PinPriority is the apt Pin-Priority of the package from its repository:
// above the 500 of unpinned repositories, below the 1000 that would
// downgrade.
const PinPriority = 990

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9+._-]*$`)
	fileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	aptWordRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+_~-]*$`)
	debArchRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	relPathRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]*(/[A-Za-z0-9_][A-Za-z0-9._+-]*)*$`)
	absPathRE  = regexp.MustCompile(`^(/[A-Za-z0-9_][A-Za-z0-9._+-]*){2,}$`)
	hex40RE    = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)
)

// goarchs are the architectures the script maps uname -m onto.
var goarchs = []string{"386", "amd64", "arm", "arm64", "loong64", "ppc64le", "riscv64", "s390x"}

// withDefaults fills Service, KeyName, Suite and Component.
func (s Script) withDefaults() Script {
	if s.Service == "" {
		s.Service = s.Name
	}
	if s.KeyName == "" {
		s.KeyName = s.Name
	}
	if s.Apt != nil {
		a := *s.Apt
		if a.Suite == "" {
			a.Suite = "stable"
		}
		if a.Component == "" {
			a.Component = "main"
		}
		s.Apt = &a
	}
	return s
}

// Validate reports what Write would refuse.
func (s Script) Validate() error {
	_, err := s.withDefaults().check()
	return err
}

// Write writes install.sh.
func (s Script) Write(w io.Writer) error {
	s = s.withDefaults()
	key, err := s.check()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(header)
	s.writeValues(&b, key)
	b.WriteString(body)
	_, err = w.Write(b.Bytes())
	return err
}

// check validates s (with its defaults) and returns the key, armored.
func (s Script) check() ([]byte, error) {
	errs := []error{
		matches("Name", s.Name, nameRE, "a package name: letters, digits and + . _ -, first a letter or digit"),
		matches("Service", s.Service, fileNameRE, "a service name: letters, digits and . _ -, first a letter or digit"),
		matches("KeyName", s.KeyName, fileNameRE, "a file name: letters, digits and . _ -, first a letter or digit"),
		text("Version", s.Version),
		matches("Fingerprint", s.Fingerprint, hex40RE, "the key's fingerprint: 40 hexadecimal digits"),
		s.checkApt(),
		s.checkDnf(),
		s.checkTarballs(),
	}
	if s.Apt == nil && s.Dnf == nil && len(s.Tarballs) == 0 {
		errs = append(errs, errors.New("installsh: Apt, Dnf, Tarballs: none is set; want a repository or a tarball"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s.checkKey()
}

// matches checks a value against its grammar, which no control character
// or leading '-' fits.
func matches(field, v string, re *regexp.Regexp, want string) error {
	if !re.MatchString(v) {
		return fmt.Errorf("installsh: %s: %q: want %s", field, v, want)
	}
	return nil
}

// text checks a value shown only in messages: any text on one line.
func text(field, v string) error {
	if v == "" {
		return fmt.Errorf("installsh: %s: empty; want text for messages", field)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("installsh: %s: %q is not UTF-8", field, v)
	}
	if i := strings.IndexFunc(v, isControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(v[i:])
		return fmt.Errorf("installsh: %s: %q holds the control character %U; want text on one line", field, v, r)
	}
	return nil
}

// filePath checks a shipped file's path in the tarball (relative) or on
// the host (absolute): any text on one line, passed to install as one
// quoted word after --, but no "." or ".." element, which would leave the
// tarball or the folder it names.
func filePath(field, v string, absolute bool) error {
	if err := text(field, v); err != nil {
		return err
	}
	rel, abs := strings.CutPrefix(v, "/")
	if abs != absolute {
		return fmt.Errorf("installsh: %s: %q: want a path %s", field, v,
			map[bool]string{true: "from / (such as /etc/hello/config.yaml)", false: "inside the tarball, not from /"}[absolute])
	}
	for _, e := range strings.Split(rel, "/") {
		if e == "" || e == "." || e == ".." {
			return fmt.Errorf("installsh: %s: %q: want a clean path, without empty, . or .. elements", field, v)
		}
	}
	return nil
}

// isControl reports C0 and C1 controls, DEL and the Unicode line and
// paragraph separators.
func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r < 0xa0 || r == 0x2028 || r == 0x2029
}

// checkURL accepts http(s) URLs with a host, of printable ASCII without
// spaces (which excludes every control and separator character); dnf
// expands $variables in a .repo file's baseurl, so noDollar refuses them.
func checkURL(field, v string, noDollar bool) error {
	u, err := url.Parse(v)
	ok := err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		!strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' })
	if !ok {
		return fmt.Errorf("installsh: %s: %q: want an http:// or https:// URL of printable ASCII without spaces",
			field, v)
	}
	if noDollar && strings.Contains(v, "$") {
		return fmt.Errorf("installsh: %s: %q: want a URL without '$', which dnf reads as a variable", field, v)
	}
	return nil
}

func (s Script) checkApt() error {
	a := s.Apt
	if a == nil {
		return nil
	}
	const word = "letters, digits and . + _ ~ -, first a letter or digit (as pkg/aptrepo writes it)"
	errs := []error{
		checkURL("Apt.URL", a.URL, false),
		matches("Apt.Suite", a.Suite, aptWordRE, "a suite: "+word),
		matches("Apt.Component", a.Component, aptWordRE, "a component: "+word),
		matches("Apt.Origin", a.Origin, aptWordRE, "Release's Origin: "+word),
	}
	for i, arch := range a.Architectures {
		errs = append(errs, matches(fmt.Sprintf("Apt.Architectures[%d]", i), arch, debArchRE,
			"a Debian architecture such as amd64, arm64 or armhf"))
	}
	return errors.Join(errs...)
}

func (s Script) checkDnf() error {
	d := s.Dnf
	if d == nil {
		return nil
	}
	err := checkURL("Dnf.URL", d.URL, true)
	if d.Priority < 0 || d.Priority > 99 {
		err = errors.Join(err, fmt.Errorf("installsh: Dnf.Priority: %d: want 1 to 99, or 0 for none", d.Priority))
	}
	return err
}

func (s Script) checkTarballs() error {
	if len(s.Tarballs) == 0 {
		return nil
	}
	errs := []error{checkURL("ChecksumsURL", s.ChecksumsURL, false), checkURL("SignatureURL", s.SignatureURL, false)}
	seen := map[string]bool{}
	for i, t := range s.Tarballs {
		errs = append(errs, t.check(fmt.Sprintf("Tarballs[%d]", i)))
		if p := t.OS + "/" + t.Arch; seen[p] {
			errs = append(errs, fmt.Errorf("installsh: Tarballs[%d]: a second tarball for %s; want one per platform",
				i, p))
		}
		seen[t.OS+"/"+t.Arch] = true
	}
	return errors.Join(errs...)
}

func (t Tarball) check(field string) error {
	const inside = "a relative path inside the tarball: letters, digits and . _ + - between slashes, " +
		"no element starting with . or -"
	errs := []error{
		checkURL(field+".URL", t.URL, false),
		matches(field+".File", t.File, relPathRE, "its name in checksums.txt: letters, digits and . _ + - (and /)"),
	}
	if t.OS != "linux" && t.OS != "darwin" {
		errs = append(errs, fmt.Errorf("installsh: %s.OS: %q: want linux or darwin", field, t.OS))
	}
	if !isOneOf(t.Arch, goarchs) {
		errs = append(errs, fmt.Errorf("installsh: %s.Arch: %q: want one of %s",
			field, t.Arch, strings.Join(goarchs, ", ")))
	}
	path := func(name, v string, need bool) {
		switch {
		case v == "" && need:
			errs = append(errs, fmt.Errorf("installsh: %s.%s: empty; want %s, for %s", field, name, inside, t.OS))
		case v != "":
			errs = append(errs, matches(field+"."+name, v, relPathRE, inside))
		}
	}
	linux := t.OS == "linux"
	path("Binary", t.Binary, linux)
	path("Unit", t.Unit, linux)
	path("Installer", t.Installer, !linux)
	if linux {
		if t.Installer != "" {
			errs = append(errs, fmt.Errorf("installsh: %s.Installer: %q: want none for linux, "+
				"where the script installs Binary and Unit itself", field, t.Installer))
		}
		errs = append(errs, matches(field+".BinPath", t.BinPath, absPathRE,
			"the program's absolute path in a folder, such as /usr/bin/hello: "+
				"letters, digits and . _ + - between slashes"))
		for i, f := range t.Files {
			errs = append(errs, filePath(fmt.Sprintf("%s.Files[%d].Src", field, i), f.Src, false),
				filePath(fmt.Sprintf("%s.Files[%d].Dst", field, i), f.Dst, true))
		}
		return errors.Join(errs...)
	}
	if len(t.Files) > 0 {
		errs = append(errs, fmt.Errorf("installsh: %s.Files: want none for %s, whose Installer places them",
			field, t.OS))
	}
	for _, f := range [][2]string{{"Unit", t.Unit}, {"BinPath", t.BinPath}} {
		if f[1] != "" {
			errs = append(errs, fmt.Errorf("installsh: %s.%s: %q: want none for %s, whose Installer places the program",
				field, f[0], f[1], t.OS))
		}
	}
	return errors.Join(errs...)
}

func isOneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// checkKey checks that Key is one public key, without its secret, whose
// fingerprint is Fingerprint, and returns it armored.
func (s Script) checkKey() ([]byte, error) {
	if len(s.Key) == 0 {
		return nil, errors.New("installsh: Key: empty; want the repositories' public key, binary (gpg --export)")
	}
	keys, err := openpgp.ReadKeyRing(bytes.NewReader(s.Key))
	if err != nil {
		return nil, fmt.Errorf("installsh: Key: %v; want the repositories' public key, binary (gpg --export)", err)
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("installsh: Key: %d keys; want the one key that signs the repositories", len(keys))
	}
	if keys[0].PrivateKey != nil {
		return nil, errors.New("installsh: Key: holds a secret key, which must never be published; " +
			"want the public key only (gpg --export)")
	}
	fpr := strings.ToUpper(hex.EncodeToString(keys[0].PrimaryKey.Fingerprint))
	if fpr != strings.ToUpper(s.Fingerprint) {
		return nil, fmt.Errorf("installsh: Fingerprint: %s is not Key's fingerprint, which is %s", s.Fingerprint, fpr)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err == nil {
		_, err = w.Write(s.Key)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("installsh: Key: armoring: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// word is v as one single-quoted POSIX shell word.
func word(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }

// header opens the script; it holds no value.
const header = `#!/bin/sh
# install.sh: installs a service from its release's signed package
# repositories, or from its tarball where none fits. Generated by svcpack.
#
#   curl -fsSL <URL of install.sh> | sudo sh
#   curl -fsSL <URL of install.sh> | sudo sh -s -- --tarball
#   sh install.sh --help
#
# The release's values come first, each a single-quoted shell word; the
# code after them is the same for every release and reads them only as data.
set -eu
`

// body is the script's code, after the values.
//
//go:embed body.sh
var body string

// writeValues writes the block of values: variables, the tarballs as a
// function that sets T_* for a platform, and the armored key as a
// here-document (base64 lines, which never read as its end).
func (s Script) writeValues(b *bytes.Buffer, key []byte) {
	v := func(name, value string) { fmt.Fprintf(b, "%s=%s\n", name, word(value)) }
	v("NAME", s.Name)
	v("SERVICE", s.Service)
	v("VERSION", s.Version)
	v("KEYNAME", s.KeyName)
	v("FINGERPRINT", strings.ToUpper(s.Fingerprint))
	a := Apt{}
	if s.Apt != nil {
		a = *s.Apt
	}
	v("APT_URL", a.URL)
	v("APT_SUITE", a.Suite)
	v("APT_COMPONENT", a.Component)
	v("APT_ORIGIN", a.Origin)
	v("APT_ARCHITECTURES", strings.Join(a.Architectures, " "))
	v("APT_PIN_PRIORITY", fmt.Sprint(PinPriority))
	d := Dnf{}
	if s.Dnf != nil {
		d = *s.Dnf
	}
	v("DNF_URL", d.URL)
	priority := ""
	if d.Priority != 0 {
		priority = fmt.Sprint(d.Priority)
	}
	v("DNF_PRIORITY", priority)
	v("CHECKSUMS_URL", s.ChecksumsURL)
	v("SIGNATURE_URL", s.SignatureURL)
	var platforms []string
	for _, t := range s.Tarballs {
		platforms = append(platforms, t.OS+"/"+t.Arch)
	}
	v("TARBALLS", strings.Join(platforms, " "))
	b.WriteString("\n# tarball OS/ARCH sets T_URL, T_FILE, T_BINARY, T_UNIT, T_INSTALLER and T_BINPATH.\n")
	b.WriteString("tarball() {\n\tcase $1 in\n")
	for _, t := range s.Tarballs {
		fmt.Fprintf(b, "\t%s)\n", word(t.OS+"/"+t.Arch))
		for _, f := range [][2]string{{"URL", t.URL}, {"FILE", t.File}, {"BINARY", t.Binary}, {"UNIT", t.Unit},
			{"INSTALLER", t.Installer}, {"BINPATH", t.BinPath}} {
			fmt.Fprintf(b, "\t\tT_%s=%s\n", f[0], word(f[1]))
		}
		b.WriteString("\t\t;;\n")
	}
	b.WriteString("\t*) return 1 ;;\n\tesac\n}\n")
	b.WriteString("\n# tarball_files OS/ARCH calls ship SRC DST KEEP for each other file it installs.\n")
	b.WriteString("tarball_files() {\n\tcase $1 in\n")
	for _, t := range s.Tarballs {
		if len(t.Files) == 0 {
			continue
		}
		fmt.Fprintf(b, "\t%s)\n", word(t.OS+"/"+t.Arch))
		for _, f := range t.Files {
			keep := ""
			if f.Config {
				keep = "keep"
			}
			fmt.Fprintf(b, "\t\tship %s %s %s\n", word(f.Src), word(f.Dst), word(keep))
		}
		b.WriteString("\t\t;;\n")
	}
	b.WriteString("\tesac\n}\n")
	b.WriteString("\n# The repositories' public key, armored.\nkey_armored() {\n\tcat <<'END_OF_KEY'\n")
	b.Write(key)
	b.WriteString("END_OF_KEY\n}\n")
}
