package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/openpgp/armor"

	"github.com/svcpack/svcpack/internal/brewtest"
	"github.com/svcpack/svcpack/internal/nupkgtest"
	"github.com/svcpack/svcpack/internal/softhsm"
	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/textread"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/manifests/chocolatey"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/naming"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// The three tests in this file are driven by one table, fieldRows: a row per
// field of svcpack.yaml's schema (config.Fields), with the value the base
// config sets, an alternative value, and how the base value is read back
// from the artifacts by tools nobody in this repository wrote. A schema
// field without a row fails every one of them by name, so a field added
// later cannot be forgotten.
//
//   - TestFieldsReachArtifacts: every value reaches every artifact that
//     must carry it.
//   - TestCacheKeysFollowReads: changing one field redoes exactly the jobs
//     whose packager reads it (or whose inputs changed), and the incremental
//     result equals a forced release.
//   - TestWritersReadOnlyDeclaredFields: every writer makes the same bytes
//     from its projection of the spec as from the whole spec.

// Secrets of the fields project; the variables naming them are fields.
const (
	fieldsSignPass = "sign-pass-7"
	fieldsGPGPass  = "gpg pass 7"
)

// fieldsProject is the throwaway module the tests release, the keys its
// config names, the environment it is loaded with, and the local
// time-stamping server windows.sign.timestamp_url points at.
type fieldsProject struct {
	dir string
	env map[string]string
	// signCert and tsaCert are the certificates (PEM) that verify the
	// Authenticode signatures and their time stamps.
	signCert, tsaCert string
	tsa               *testTSA
	gpg, gpgAlt       *testgpg.Key
	rows              []fieldRow
	// t is the test the project was made for; token is the SoftHSM2
	// token of the pkcs11 rows, made by the first of them (tokenOnce).
	t     *testing.T
	token *softhsm.Token
}

// fieldsProgram is the program: it prints what the fields shaping the build
// put into it (main package, stamped version, an ldflags marker, the build
// tag), and serves nothing.
func fieldsProgram(main string) string {
	return `package main

import "fmt"

var (
	version = "dev"
	marker  = "none"
	tag     = "untagged"
)

func main() { fmt.Printf("main=` + main + ` version=%s marker=%s tag=%s\n", version, marker, tag) }
`
}

func fieldsTagFile(tag string) string {
	return "//go:build " + tag + "\n\npackage main\n\nfunc init() { tag = \"" + tag + "\" }\n"
}

// newFieldsProject writes the module, its icons, license texts and
// configuration files, makes the Authenticode and OpenPGP keys, and starts
// the time-stamping server.
func newFieldsProject(t *testing.T) *fieldsProject {
	t.Helper()
	for _, tool := range []struct{ name, pkg string }{{"openssl", "openssl"}, {"osslsigncode", "osslsigncode"}} {
		testtool.Need(t, tool.name, tool.pkg)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The project requires svcpack through a replace directive, with
	// svcpack's go.sum, which holds every sum its module graph needs: go
	// resolves it read-only, so releases can run side by side.
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir, "go.sum"), sums)
	files := map[string]string{
		"go.mod": "module example.com/fieldsvc\n\ngo 1.26\n\nrequire github.com/svcpack/svcpack v0.0.0\n\nreplace github.com/svcpack/svcpack => " + root + "\n",
		// The import makes the requirement real, as //mage:import does.
		"tools.go":                  "//go:build tools\n\npackage main\n\nimport _ \"github.com/svcpack/svcpack/pkg/svcwrap\"\n",
		"cmd/fieldsvc/main.go":      fieldsProgram("fieldsvc"),
		"cmd/fieldsvc/tag_field.go": fieldsTagFile("fieldtag"),
		"cmd/fieldsvc/tag_other.go": fieldsTagFile("othertag"),
		"cmd/fieldalt/main.go":      fieldsProgram("fieldalt"),
		"cmd/fieldalt/tag_field.go": fieldsTagFile("fieldtag"),
		"cmd/fieldalt/tag_other.go": fieldsTagFile("othertag"),
		// A LICENSE that license_file does not name: the default must not
		// win over the field.
		"LICENSE":                  "Decoy: license_file names another file.\n",
		"legal/FIELDS-LICENSE.txt": "Fields license text.\n\nSecond paragraph of the fields license.\n",
		"legal/OTHER-LICENSE.txt":  "Other license text.\n",
		"conf/fields.conf":         "fields = true\n",
		"conf/other.conf":          "other = true\n",
		// An empty checkout of what will serve the apt tree.
		"site/apt/README.md": "The apt repository.\n",
		// windows.sign.command's program: osslsigncode over the PEM key,
		// run in the project's folder (the password from a file: the
		// project's environment is the config's, not the process's).
		"sign/sign.sh": "#!/bin/sh\nset -eu\nexec osslsigncode sign -h sha256 -certs keys/cert.pem -key keys/key.pem " +
			"-readpass sign/pass -time 1700000000 -in \"$1\" -out \"$2\" >/dev/null\n",
		"sign/pass":          fieldsSignPass,
		"site/dnf/README.md": "The dnf repository.\n",
	}
	for name, content := range files {
		writeTestFile(t, filepath.Join(dir, name), []byte(content))
	}
	if err := os.Chmod(filepath.Join(dir, "sign/sign.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	fieldsBases(t, dir)
	writeTestFile(t, filepath.Join(dir, "art/fields.png"), fieldsIcon(t, 0))
	writeTestFile(t, filepath.Join(dir, "art/other.png"), fieldsIcon(t, 1))

	p := &fieldsProject{dir: dir, t: t}
	keys := filepath.Join(dir, "keys")
	ca := t.TempDir() // the time-stamping authority's key stays out of the project
	if err := os.MkdirAll(keys, 0o755); err != nil {
		t.Fatal(err)
	}
	openssl := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	pass := "pass:" + fieldsSignPass
	openssl(keys, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-128-cbc", "-pass", pass, "-out", "key.pem")
	// The same key encrypted again (a new salt): another file, the same key.
	openssl(keys, "pkey", "-in", "key.pem", "-passin", pass, "-aes-256-cbc", "-passout", pass, "-out", "key-alt.pem")
	openssl(keys, "req", "-x509", "-key", "key.pem", "-passin", pass, "-out", "cert.pem", "-days", "3650",
		"-subj", "/CN=svcpack fields test/O=Fieldwork Vendor Ltd", "-addext", "extendedKeyUsage=codeSigning")
	// Another certificate for the same key.
	openssl(keys, "req", "-x509", "-key", "key.pem", "-passin", pass, "-out", "cert-alt.pem", "-days", "3650",
		"-subj", "/CN=svcpack fields test alt/O=Otherwork Vendor Ltd", "-addext", "extendedKeyUsage=codeSigning")
	openssl(keys, "pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-passin", pass, "-out", "code.p12", "-passout", pass)
	openssl(ca, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa-key.pem", "-out", "tsa-cert.pem", "-days", "3650",
		"-subj", "/CN=svcpack fields test TSA", "-addext", "extendedKeyUsage=critical,timeStamping")
	p.signCert = filepath.Join(keys, "cert.pem")
	p.tsaCert = filepath.Join(ca, "tsa-cert.pem")
	p.tsa = newTestTSA(t, filepath.Join(ca, "tsa-key.pem"), p.tsaCert)

	for _, name := range []string{"image.pem", "image-alt.pem"} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		writeTestFile(t, filepath.Join(keys, name), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	p.gpg = testgpg.New(t, "rsa2048", fieldsGPGPass)
	p.gpgAlt = testgpg.New(t, "ed25519", fieldsGPGPass)
	p.env = map[string]string{
		"SOURCE_DATE_EPOCH":  "1700000000",
		"FIELDS_SIGN_PASS":   fieldsSignPass,
		"FIELDS_SIGN_PASS_2": fieldsSignPass,
		"FIELDS_GPG_PASS":    fieldsGPGPass,
		"FIELDS_GPG_PASS_2":  fieldsGPGPass,
		"FIELDS_TOKEN_PIN":   tokenPIN,
		"FIELDS_TOKEN_PIN_2": tokenPIN,
		"SVCPACK_VERSION":    "", // the version field decides
	}
	p.rows = fieldRows(p)
	checkFieldRows(t, p.rows)
	return p
}

func writeTestFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fieldsIcon draws a 256x256 PNG whose every pixel depends on its position
// and on variant, so that a resampled or swapped icon shows.
func fieldsIcon(t *testing.T, variant int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: uint8(x^y) + uint8(97*variant), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fieldRow is one field of the schema: the base value, an alternative, and
// the check that reads the base value back from the release.
type fieldRow struct {
	// path is the field path, as config.Fields names it.
	path string
	// base is the value the base config sets (as YAML); nil leaves the
	// field unset, for the reason in unset.
	base  any
	unset string
	// alt is the alternative value. edit, when set, makes the change
	// instead, for a field that cannot change alone; it returns the other
	// field paths it changed.
	alt  any
	edit func(cfg map[string]any) []string
	// check reads the base value (want) back from the base release; none
	// says why no artifact carries it, when nothing can be observed.
	check func(t *testing.T, r *fieldsRelease, want any)
	none  string
	// checkAlt checks a release of the alternative, for a field the base
	// leaves unset.
	checkAlt func(t *testing.T, r *fieldsRelease)
	// late puts the row after the others in TestCacheKeysFollowReads,
	// which changes the fields one after another: its alternative removes
	// what other rows change (a target, a format, the wrapper section, the
	// PEM cert and key).
	late bool
}

// checkFieldRows fails for every schema field without a row, and for rows
// that name no field or can check nothing.
func checkFieldRows(t *testing.T, rows []fieldRow) {
	t.Helper()
	byPath := map[string]fieldRow{}
	for _, r := range rows {
		if _, dup := byPath[r.path]; dup {
			t.Errorf("fieldRows: two rows for field %s", r.path)
		}
		byPath[r.path] = r
	}
	known := map[string]bool{}
	for _, f := range config.Fields() {
		known[f.Path] = true
		r, ok := byPath[f.Path]
		switch {
		case !ok:
			t.Errorf("fieldRows: add a row for field %s (a %s): its base value, an alternative and how the base value is read back from the artifacts", f.Path, f.Type)
		case r.base == nil && r.unset == "":
			t.Errorf("fieldRows: field %s: set a base value, or say in unset why the base leaves it unset", f.Path)
		case r.alt == nil && r.edit == nil:
			t.Errorf("fieldRows: field %s has no alternative value", f.Path)
		case r.base != nil && r.check == nil && r.none == "":
			t.Errorf("fieldRows: field %s: give a check, or say in none why no artifact can show it", f.Path)
		case r.base == nil && r.checkAlt == nil:
			t.Errorf("fieldRows: field %s is unset in the base: give checkAlt to check its alternative release", f.Path)
		}
	}
	for _, r := range rows {
		if !known[r.path] {
			t.Errorf("fieldRows: row %s names no field of config.Fields", r.path)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// Values of the base config that checks compute with.
const (
	fieldsName      = "fieldsvc"
	fieldsService   = "fieldd"
	fieldsVersion   = "4.7.19"
	fieldsHomepage  = "https://fields.example.org/svc"
	fieldsLabel     = "org.example.fields." + fieldsService
	fieldsConfDst   = "settings/fields.conf"
	fieldsInstall   = `Fields Co\Field Svc Dir`
	fieldsLinuxConf = "/etc/" + fieldsName + "/" + fieldsConfDst
)

// fieldRows is the table: the base config sets every field to a
// distinctive valid value that is not its default.
func fieldRows(p *fieldsProject) []fieldRow {
	tsaURL := p.tsa.URL + "/tsa/"
	return []fieldRow{
		{path: "name", base: fieldsName, alt: "fieldsvc2", check: checkName},
		{path: "main", base: "./cmd/fieldsvc", alt: "./cmd/fieldalt", check: checkMain},
		{path: "version", base: fieldsVersion, alt: "4.8.2", check: checkVersion},
		{path: "tag_prefix", base: "fields/", alt: "other/",
			none: "the base sets version, so no tag is read (pkg/config's TestTagVersions releases from tags under a prefix)"},
		{path: "targets", base: []string{"windows/amd64", "linux/amd64", "darwin/arm64"}, alt: []string{"windows/amd64", "linux/amd64"}, check: checkTargets, late: true},
		{path: "ldflags", base: []string{"-s", "-w", "-X main.version={{.Version}}", "-X main.marker=ld-{{.Os}}-{{.Arch}}-{{.Name}}"},
			alt: []string{"-s", "-w", "-X main.version={{.Version}}", "-X main.marker=alt-{{.Os}}"}, check: checkLdflags},
		{path: "tags", base: []string{"fieldtag"}, alt: []string{"othertag"}, check: checkTags},
		{path: "dist", base: "out/fieldsdist", alt: "out/otherdist", check: checkDist},
		// Every format, in an order of our own (the default set, the package
		// managers and oci; the order is what makes the value not the default).
		{path: "formats", base: []string{"sbom", "tar.gz", "apk", "rpm", "deb", "msi", "zip", "winget", "scoop", "chocolatey", "homebrew", "oci", "dnf", "apt", "install.sh", "helm", "compose"}, alt: []string{"sbom", "tar.gz", "rpm", "deb", "msi", "zip", "winget", "scoop", "chocolatey", "homebrew", "oci", "dnf", "apt", "install.sh", "helm", "compose"}, check: checkFormats, late: true},
		{path: "vendor", base: "Fieldwork Vendor Ltd", alt: "Otherwork Vendor Ltd", check: checkVendor},
		{path: "maintainer", base: "Fiona Field <fiona@fields.example.org>", alt: "Oscar Other <oscar@fields.example.org>", check: checkMaintainer},
		{path: "homepage", base: fieldsHomepage, alt: "https://other.example.net/svc", check: checkHomepage},
		// A licence of the project's own: Debian has no copy of it, so the
		// copyright file carries license_file's text.
		{path: "license", base: "LicenseRef-Fields-1", alt: "LicenseRef-Other-2", check: checkLicense},
		{path: "license_file", base: "legal/FIELDS-LICENSE.txt", alt: "legal/OTHER-LICENSE.txt", check: checkLicenseFile},
		{path: "description", base: "Fields package description", alt: "Other package description", check: checkDescription},
		{path: "windows.icon", base: "art/fields.png", alt: "art/other.png", check: checkIcon},
		{path: "windows.product_name", base: "Fields Product Name", alt: "Other Product Name", check: checkProductName},
		{path: "windows.copyright", base: "(c) 2023 Fieldwork Vendor", alt: "(c) 2024 Otherwork", check: checkCopyright},
		{path: "windows.manifest.execution_level", base: "highestAvailable", alt: "requireAdministrator", check: checkExecutionLevel},
		{path: "windows.manifest.long_path_aware", base: true, alt: false, check: checkLongPathAware},
		{path: "windows.manifest.utf8", base: true, alt: false, check: checkUTF8},
		{path: "windows.msi.upgrade_code", base: "{1F2E3D4C-5B6A-4978-8695-A4B3C2D1E0F9}", alt: "{2A3B4C5D-6E7F-4081-9213-A4B5C6D7E8F9}", check: checkUpgradeCode},
		{path: "windows.msi.install_dir", base: fieldsInstall, alt: `Other Co\Other Dir`, check: checkInstallDir},
		{path: "windows.sign.pkcs12", unset: "windows.sign takes a PKCS#12 file or a PEM cert and key, not both, and the base sets cert and key",
			edit: func(cfg map[string]any) []string {
				sg := cfg["windows"].(map[string]any)["sign"].(map[string]any)
				delete(sg, "cert")
				delete(sg, "key")
				sg["pkcs12"] = "keys/code.p12"
				return []string{"windows.sign.cert", "windows.sign.key"}
			},
			checkAlt: func(t *testing.T, r *fieldsRelease) { r.checkSigned(t, p.signCert) }, late: true},
		{path: "windows.sign.command", unset: "windows.sign takes a key or a command, and the base sets cert and key",
			edit: func(cfg map[string]any) []string {
				sg := cfg["windows"].(map[string]any)["sign"].(map[string]any)
				changed := deleteFields(sg, "windows.sign", "cert", "key", "pkcs12", "timestamp_url")
				sg["command"] = []string{"sign/sign.sh", "{{.In}}", "{{.Out}}"}
				return append(changed, "windows.sign.program")
			},
			checkAlt: func(t *testing.T, r *fieldsRelease) { r.checkSigned(t, p.signCert) }, late: true},
		// The keys on a token (late, after windows.sign.command): each
		// switch row moves one signer onto it, the next rows change its
		// fields one by one (another module path to the same library,
		// another object holding the same key, another variable with the
		// same PIN, the certificate binary instead of armored).
		{path: "windows.sign.pkcs11.module", unset: tokenUnset, edit: p.signOnToken,
			checkAlt: func(t *testing.T, r *fieldsRelease) { r.checkSigned(t, p.signCert) }, late: true},
		{path: "windows.sign.pkcs11.uri", unset: tokenUnset, alt: tokenURI("code2"),
			checkAlt: func(t *testing.T, r *fieldsRelease) { r.checkSigned(t, p.signCert) }, late: true},
		{path: "windows.sign.pkcs11.pin_env", unset: tokenUnset, alt: "FIELDS_TOKEN_PIN_2",
			checkAlt: func(t *testing.T, r *fieldsRelease) { r.checkSigned(t, p.signCert) }, late: true},
		{path: "gpg.pkcs11.module", unset: tokenUnset, edit: p.gpgOnToken, checkAlt: p.checkTokenGPG, late: true},
		{path: "gpg.pkcs11.uri", unset: tokenUnset, alt: tokenURI("openpgp2"), checkAlt: p.checkTokenGPG, late: true},
		{path: "gpg.pkcs11.pin_env", unset: tokenUnset, alt: "FIELDS_TOKEN_PIN_2", checkAlt: p.checkTokenGPG, late: true},
		{path: "gpg.public_key", unset: tokenUnset, alt: "keys/release.pub", checkAlt: p.checkTokenGPG, late: true},
		{path: "oci.sign.pkcs11.module", unset: tokenUnset, edit: p.imageOnToken, checkAlt: imageOnly, late: true},
		{path: "oci.sign.pkcs11.uri", unset: tokenUnset, alt: tokenURI("image2"), checkAlt: imageOnly, late: true},
		{path: "oci.sign.pkcs11.pin_env", unset: tokenUnset, alt: "FIELDS_TOKEN_PIN_2", checkAlt: imageOnly, late: true},
		{path: "windows.sign.cert", base: "keys/cert.pem", alt: "keys/cert-alt.pem", check: checkSignCert},
		{path: "windows.sign.key", base: "keys/key.pem", alt: "keys/key-alt.pem", check: checkSignKey},
		{path: "windows.sign.password_env", base: "FIELDS_SIGN_PASS", alt: "FIELDS_SIGN_PASS_2", check: checkPasswordEnv},
		{path: "windows.sign.timestamp_url", base: tsaURL + "fields", alt: tsaURL + "other", check: checkTimestampURL},
		{path: "service.name", base: fieldsService, alt: "fieldd2", check: checkServiceName},
		{path: "service.display_name", base: "Fields Display Name", alt: "Other Display Name", check: checkDisplayName},
		{path: "service.description", base: "Fields service description", alt: "Other service description", check: checkServiceDescription},
		{path: "service.args", base: []string{"serve", "--listen", "127.0.0.1:18080", "--label", "two words"}, alt: []string{"serve", "--other"}, check: checkArgs},
		{path: "service.start", base: "delayed", alt: "manual", check: checkStart},
		{path: "service.account", base: "NetworkService", alt: "LocalService", check: checkAccount},
		{path: "service.env", base: map[string]string{"FIELDS_ONE": "alpha beta", "FIELDS_TWO": "2"}, alt: map[string]string{"FIELDS_ONE": "gamma"}, check: checkEnv},
		{path: "service.restart.policy", base: "always", alt: "on-failure", check: checkRestartPolicy},
		{path: "service.restart.delay", base: "9s", alt: "4s", check: checkRestartDelay},
		{path: "service.restart.reset_after", base: "36h", alt: "2h", check: checkResetAfter},
		{path: "service.restart.command", base: []string{"{{.InstallDir}}/notify.exe", "--state", "{{.StateDir}}/last failure", `a "b" & 100%`},
			alt: []string{"cmd.exe", "/c", "echo failed"}, check: checkFailureCommand},
		{path: "service.restart.command_after", base: 1, alt: 3, check: checkCommandAfter},
		{path: "service.linux.user", base: "fieldsuser", alt: "otheruser", check: checkUser},
		{path: "service.linux.memory_max", base: "384M", alt: "1G", check: unitLine("MemoryMax")},
		{path: "service.linux.cpu_quota", base: "55%", alt: "150%", check: unitLine("CPUQuota")},
		// true is the default; false would hide hardening_off, whose
		// directives are then all absent. The alternative turns it off.
		{path: "service.linux.hardening", base: true, alt: false, check: checkHardening},
		{path: "service.linux.hardening_off", base: []string{"ProtectClock", "ProcSubset"}, alt: []string{"PrivateUsers"}, check: checkHardeningOff},
		{path: "service.linux.notify", base: false, alt: true, check: checkNotify},
		{path: "service.linux.bin_dir", base: "/usr/lib/fieldsvc", alt: "/opt/fields/bin", check: checkBinDir},
		{path: "service.linux.unit", base: map[string]string{"ProtectHome": "read-only", "CacheDirectory": "fields-cache"},
			alt: map[string]string{"ProtectHome": "tmpfs"}, check: checkUnitOverrides},
		{path: "service.depends_on.name", base: "fields-db", alt: "other-db", check: checkDependsOn},
		{path: "service.depends_on.require", base: true, alt: false, check: checkDependsOnKind("Requires")},
		{path: "service.depends_on.bind", base: false, alt: true, check: checkDependsOnKind("BindsTo")},
		{path: "service.depends_on.os", unset: "the base waits for fields-db on every platform (the name's row)",
			alt: "windows", checkAlt: dependsOnWindowsOnly},
		{path: "service.linux.wait_network", base: false, alt: true, check: checkWaitNetwork},
		{path: "service.linux.writable", base: []string{"/srv/fields"}, alt: []string{"/srv/other", "/var/www"}, check: unitList("ReadWritePaths")},
		{path: "service.linux.groups", base: []string{"adm"}, alt: []string{"adm", "www-data"}, check: unitList("SupplementaryGroups")},
		// A capability drops PrivateUsers=, which the hardening rows read.
		{path: "service.linux.capabilities", unset: "a capability leaves PrivateUsers= out, which the hardening rows expect",
			alt: []string{"CAP_NET_RAW"}, checkAlt: checkCapabilities},
		{path: "service.linux.run_programs", base: false, alt: true, check: checkRunPrograms},
		{path: "service.darwin.user", base: "_fieldsd", alt: "_otherd", check: checkDarwinUser},
		{path: "service.wrap", base: true, edit: func(cfg map[string]any) []string {
			sv := cfg["service"].(map[string]any)
			sv["wrap"] = false
			// service.wrapper needs service.wrap: its fields go back to
			// their defaults (a false one was its default already).
			changed := leafFields(sv["wrapper"], "service.wrapper")
			delete(sv, "wrapper")
			return changed
		}, check: checkWrap, late: true},
		{path: "service.wrapper.stop_timeout", base: "17s", alt: "21s", check: wrapperJSONField("stop_timeout")},
		{path: "service.wrapper.preshutdown_timeout", base: "45s", alt: "20s", check: checkPreshutdown},
		{path: "service.wrapper.restart.factor", base: 3.5, alt: 1.5, check: wrapperJSONField("restart.factor")},
		{path: "service.wrapper.restart.max_delay", base: "2m30s", alt: "45s", check: wrapperJSONField("restart.max_delay")},
		{path: "service.wrapper.restart.max_restarts", base: 9, alt: 2, check: wrapperJSONField("restart.max_restarts")},
		{path: "service.wrapper.restart.window", base: "7m", alt: "11m", check: wrapperJSONField("restart.window")},
		{path: "service.wrapper.logs.dir", base: "fieldlogs", alt: "otherlogs", check: checkLogsDir},
		{path: "service.wrapper.logs.max_size", base: "3M", alt: "512K", check: wrapperJSONField("logs.max_size")},
		{path: "service.wrapper.logs.keep", base: 4, alt: 8, check: wrapperJSONField("logs.keep")},
		{path: "service.wrapper.logs.split", base: true, alt: false, check: wrapperJSONField("logs.split")},
		{path: "service.wrapper.logs.rotate", base: "daily", alt: "hourly", check: wrapperJSONField("logs.rotate")},
		{path: "service.wrapper.logs.max_age", base: "72h", alt: "48h", check: wrapperJSONField("logs.max_age")},
		{path: "service.wrapper.logs.compress", base: true, alt: false, check: wrapperJSONField("logs.compress")},
		{path: "service.wrapper.health.url", base: "http://127.0.0.1:18080/fieldz", alt: "http://127.0.0.1:18080/otherz", check: wrapperJSONField("health.url")},
		{path: "service.wrapper.health.interval", base: "11s", alt: "13s", check: wrapperJSONField("health.interval")},
		{path: "service.wrapper.health.timeout", base: "3s", alt: "2s", check: wrapperJSONField("health.timeout")},
		{path: "service.wrapper.health.failures", base: 6, alt: 7, check: wrapperJSONField("health.failures")},
		{path: "service.wrapper.health.allow_remote", base: true, alt: false, check: wrapperJSONField("health.allow_remote")},
		// The chart's probes read service.health before service.wrapper.health.
		{path: "service.health.url", base: "http://127.0.0.1:18080/fields-health?deep=1", alt: "http://[::1]:18080/other-health",
			check: checkProbe("url")},
		{path: "service.health.interval", base: "17s", alt: "19s", check: checkProbe("interval")},
		{path: "service.health.timeout", base: "4s", alt: "6s", check: checkProbe("timeout")},
		{path: "service.health.failures", base: 5, alt: 8, check: checkProbe("failures")},
		{path: "service.health.allow_remote", base: true, alt: false, none: "a probe checks the pod itself whatever " +
			"the URL's host; the wrapper reads it when service.wrapper.health is unset (TestWrapperHealthFallsBack)"},
		{path: "files.src", base: "conf/fields.conf", alt: "conf/other.conf", check: checkFileSrc},
		{path: "files.dst", base: fieldsConfDst, alt: "settings/other.conf", check: checkFileDst},
		{path: "files.config", base: true, alt: false, check: checkFileConfig},
		{path: "allow_outside", base: []string{"../fields-shared"}, alt: []string{"../other-shared"},
			none: "it only lets check accept shipped files outside the project folder (pkg/config's TestShippedFilesInsideProject)"},
		{path: "gpg.key_file", base: p.gpg.SecretFile, alt: p.gpgAlt.SecretFile, check: checkGPGKey},
		{path: "gpg.passphrase_env", base: "FIELDS_GPG_PASS", alt: "FIELDS_GPG_PASS_2", check: checkPassphraseEnv},
		{path: "gpg.sign", base: []string{"rpm", "checksums"}, alt: []string{"deb", "rpm", "checksums"}, check: checkGPGSign},
		{path: "download_url", base: "https://dl.fields.example.org/{{.Name}}/v{{.Version}}/{{.File}}", alt: "https://other.example.net/{{.Version}}/{{.File}}", check: checkDownloadURLs},
		{path: "winget.package_id", base: "Fields.Svc", alt: "Fields.Other", check: checkWingetID},
		{path: "apt.suite", base: "fields", alt: "other", check: aptRelease("Suite")},
		{path: "apt.component", base: "fieldcomp", alt: "othercomp", check: aptRelease("Components")},
		{path: "apt.origin", base: "FieldsOrigin", alt: "OtherOrigin", check: aptRelease("Origin")},
		{path: "apt.url", base: "https://fields.example.org/apt/", alt: "https://other.example.net/debian",
			check: installShValue("APT_URL")},
		{path: "apt.previous", unset: "the base release starts its tree; TestShipToHosts grows one from another",
			alt: "site/apt", checkAlt: aptFromEmpty},
		{path: "apt.keep", base: 3, alt: 2, none: "it counts the versions of a grown tree (TestShipToHosts, " +
			"aptrepo's TestBuildGrows)"},
		{path: "homebrew.tap.repository", base: "../fields-tap", alt: "../other-tap", none: publishOnly},
		{path: "homebrew.tap.branch", base: "fields", alt: "other", none: publishOnly},
		{path: "homebrew.tap.folder", base: "FieldsFormula", alt: "Formula", none: publishOnly},
		{path: "homebrew.tap.token_env", base: "FIELDS_TAP_TOKEN", alt: "OTHER_TAP_TOKEN", none: publishOnly},
		{path: "homebrew.tap.author", base: "Tap Bot <tap@fields.example.org>", alt: "Other Bot <o@fields.example.org>",
			none: publishOnly},
		{path: "scoop.bucket.repository", base: "../fields-bucket", alt: "../other-bucket", none: publishOnly},
		{path: "scoop.bucket.branch", base: "fields", alt: "other", none: publishOnly},
		{path: "scoop.bucket.folder", base: "fields-bucket", alt: ".", none: publishOnly},
		{path: "scoop.bucket.token_env", base: "FIELDS_BUCKET_TOKEN", alt: "OTHER_BUCKET_TOKEN", none: publishOnly},
		{path: "scoop.bucket.author", base: "Bucket Bot <b@fields.example.org>", alt: "Other Bot <o@fields.example.org>",
			none: publishOnly},
		{path: "pages.repository", base: "../fields-site", alt: "../other-site", none: publishOnly},
		{path: "pages.branch", base: "fields-pages", alt: "gh-pages", none: publishOnly},
		{path: "pages.folder", base: "fields", alt: ".", none: publishOnly},
		{path: "pages.token_env", base: "FIELDS_PAGES_TOKEN", alt: "OTHER_PAGES_TOKEN", none: publishOnly},
		{path: "pages.author", base: "Pages Bot <p@fields.example.org>", alt: "Other Bot <o@fields.example.org>",
			none: publishOnly},
		{path: "dnf.url", base: "https://fields.example.org/dnf", alt: "https://other.example.net/rpm/", check: checkDnfURL},
		{path: "dnf.previous", unset: "the base release starts its tree; TestDnfRepositoryGrows grows one from another",
			alt: "site/dnf", checkAlt: dnfFromEmpty},
		{path: "dnf.keep", base: 3, alt: 2, none: "it counts the versions of a grown tree (TestDnfRepositoryGrows, " +
			"rpmrepo's TestGrow)"},
		{path: "chocolatey.id", base: "fields-svc", alt: "fields-other", check: checkChocolateyID},
		// Not the defaults, yet names the other rows still find by suffix.
		{path: "name_template.archive", base: "fields_{{.Name}}_{{.Version}}_{{.Os}}_{{.ArchName}}", alt: "{{.Name}}-{{.Version}}-{{.Os}}-{{.ArchName}}", check: checkArchiveNames},
		{path: "name_template.package", base: "{{.Conventional}}.fields", alt: "{{.Name}}_{{.Version}}_{{.Os}}_{{.ArchName}}", check: checkPackageNames},
		{path: "name_template.binary_dir", base: "dir_{{.Name}}_{{.Os}}_{{.ArchName}}", alt: "bin-{{.Os}}-{{.ArchName}}", check: checkBinaryDirs},
		{path: "name_template.release", base: "{{.Conventional}}.fields", alt: "{{.Name}}_{{.Format}}_{{.Version}}", check: checkReleaseNames},
		{path: "oci.base", base: "images/base-fields.oci.tar", alt: "images/base-other.oci.tar", check: checkOCIBase},
		{path: "oci.user", base: "4321:4322", alt: "4400", check: checkOCIUser},
		{path: "oci.port", base: 18080, alt: 18081, check: checkOCIPort},
		{path: "oci.workdir", base: "/srv/fields", alt: "/srv/other", check: checkOCIWorkDir},
		// true is the default; the alternative leaves the bundle out.
		{path: "oci.ca_certificates", base: true, alt: false, check: checkOCICACertificates,
			checkAlt: ociLacks("etc/ssl/certs/ca-certificates.crt")},
		{path: "oci.tzdata", base: true, alt: false, check: checkOCITZData, checkAlt: ociLacks("usr/share/zoneinfo/Europe/Paris")},
		{path: "helm.replicas", base: 2, alt: 3, check: checkHelmReplicas},
		{path: "helm.push", base: "oci://registry.fields.example.org:5000/fields/charts",
			alt:  "oci://registry.fields.example.org:5000/other/charts",
			none: "svcpack publish pushes the chart there (TestHelmPush pushes to a registry server)"},
		{path: "oci.sign.key", base: "keys/image.pem", alt: "keys/image-alt.pem",
			none: "svcpack publish signs the pushed images with it (TestPublishSigned, verified by cosign)"},
		{path: "oci.push", base: []string{"registry.fields.example.org:5000/fields/svc"}, alt: []string{"registry.fields.example.org:5000/other/svc:edge"},
			none: "svcpack publish reads it to push the image index (TestPublish pushes to a registry server)"},
	}
}

// leafFields lists the field paths of a config section's values, leaving
// out the false ones (a bool's default) except in the health checks,
// a section that is absent (nil) or present as a whole.
func leafFields(v any, path string) []string {
	switch v := v.(type) {
	case map[string]any:
		var out []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, leafFields(v[k], path+"."+k)...)
		}
		return out
	case bool:
		if !v && !strings.HasPrefix(path, "service.wrapper.health.") && !strings.HasPrefix(path, "service.health.") {
			return nil
		}
	}
	return []string{path}
}

// baseConfig is svcpack.yaml as a tree: every row's base value at its path
// (list fields such as files.src in the first list item).
func (p *fieldsProject) baseConfig() map[string]any {
	cfg := map[string]any{}
	for _, r := range p.rows {
		if r.base != nil {
			setConfig(cfg, r.path, r.base)
		}
	}
	return cfg
}

// setConfig sets the value at a field path in a config tree.
func setConfig(cfg map[string]any, field string, v any) {
	segs := strings.Split(field, ".")
	m := cfg
	for i, seg := range segs[:len(segs)-1] {
		// Lists of mappings: the field is in their first item.
		if seg == "files" && i == 0 || seg == "depends_on" && i == 1 {
			if _, ok := m[seg]; !ok {
				m[seg] = []any{map[string]any{}}
			}
			m = m[seg].([]any)[0].(map[string]any)
			continue
		}
		next, ok := m[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[seg] = next
		}
		m = next
	}
	m[segs[len(segs)-1]] = v
}

// copyConfig deep-copies a config tree.
func copyConfig(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = copyConfig(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = copyConfig(x)
		}
		return out
	}
	return v
}

// alternative returns cfg with row's field changed, and every field path
// the change touched.
func alternative(cfg map[string]any, r fieldRow) (map[string]any, []string) {
	cfg = copyConfig(cfg).(map[string]any)
	changed := []string{r.path}
	if r.edit != nil {
		changed = append(changed, r.edit(cfg)...)
	} else {
		setConfig(cfg, r.path, r.alt)
	}
	return cfg, changed
}

// load writes cfg as svcpack.yaml and loads it as check and release do.
func (p *fieldsProject) load(t *testing.T, cfg map[string]any) *config.Spec {
	t.Helper()
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(p.dir, config.FileName)
	writeTestFile(t, file, data)
	s, err := Load(file, config.Env{Getenv: func(k string) string { return p.env[k] }})
	if err != nil {
		t.Fatalf("loading:\n%s\n%v", data, err)
	}
	return s
}

// TestFieldsReachArtifacts releases the base config once and reads every
// field's value back from each artifact that must carry it, with the
// formats' own tools (dpkg-deb, rpm, msiinfo, msiextract, wrestool,
// icotool, osslsigncode, gpg, python3's plistlib) or Go's readers of
// standard containers (archive/zip, archive/tar, encoding/json).
func TestFieldsReachArtifacts(t *testing.T) {
	p := newFieldsProject(t)
	spec := p.load(t, p.baseConfig())
	res, err := Release(context.Background(), spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &fieldsRelease{p: p, spec: spec, res: res}
	for _, row := range p.rows {
		t.Run(row.path, func(t *testing.T) {
			switch {
			case row.base == nil:
				t.Logf("not set in the base config (%s); TestCacheKeysFollowReads checks its alternative", row.unset)
			case row.check == nil:
				t.Logf("no artifact carries it: %s", row.none)
			default:
				row.check(t, r, row.base)
			}
		})
	}
}

// fieldsRelease is a release of the fields project with memoised readers of
// its artifacts.
type fieldsRelease struct {
	p    *fieldsProject
	spec *config.Spec
	res  *Result

	mu   sync.Mutex
	memo map[string]any
}

// cached returns compute()'s result, computed once per key.
func cached[T any](r *fieldsRelease, key string, compute func() T) T {
	r.mu.Lock()
	v, ok := r.memo[key]
	r.mu.Unlock()
	if ok {
		return v.(T)
	}
	out := compute()
	r.mu.Lock()
	if r.memo == nil {
		r.memo = map[string]any{}
	}
	r.memo[key] = out
	r.mu.Unlock()
	return out
}

// art returns the host path of the one artifact of kind for target whose
// path ends in suffix.
func (r *fieldsRelease) art(t *testing.T, kind packager.Kind, target, suffix string) string {
	t.Helper()
	var found []string
	for _, a := range r.res.Artifacts {
		if a.Kind == kind && a.Target() == target && strings.HasSuffix(a.Path, suffix) {
			found = append(found, a.Path)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s artifact for %q ending in %q, found %v", kind, target, suffix, found)
	}
	return filepath.Join(r.res.Dist, filepath.FromSlash(found[0]))
}

const (
	winT    = "windows/amd64"
	linuxT  = "linux/amd64"
	darwinT = "darwin/arm64"
)

func (r *fieldsRelease) deb(t *testing.T) string { return r.art(t, packager.KindDeb, linuxT, ".deb") }
func (r *fieldsRelease) rpm(t *testing.T) string { return r.art(t, packager.KindRPM, linuxT, ".rpm") }
func (r *fieldsRelease) apk(t *testing.T) string { return r.art(t, packager.KindAPK, linuxT, ".apk") }
func (r *fieldsRelease) msi(t *testing.T) string { return r.art(t, packager.KindMSI, winT, ".msi") }
func (r *fieldsRelease) zip(t *testing.T) string { return r.art(t, packager.KindZip, winT, ".zip") }
func (r *fieldsRelease) exe(t *testing.T) string { return r.art(t, packager.KindBinary, winT, ".exe") }
func (r *fieldsRelease) wrapper(t *testing.T) string {
	return r.art(t, packager.KindWrapper, winT, config.WrapperExe)
}

// windowsExes are the two signed executables with resources.
func (r *fieldsRelease) windowsExes(t *testing.T) []string {
	return []string{r.exe(t), r.wrapper(t)}
}

// runTool runs an external program and returns its standard output.
func runTool(t *testing.T, pkg, name string, args ...string) []byte {
	t.Helper()
	bin := testtool.Need(t, name, pkg)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// debField is a control field of the deb (dpkg-deb -f).
func (r *fieldsRelease) debField(t *testing.T, field string) string {
	return strings.TrimSpace(string(runTool(t, "dpkg", "dpkg-deb", "-f", r.deb(t), field)))
}

// debControl is a member of the deb's control archive (dpkg-deb -I).
func (r *fieldsRelease) debControl(t *testing.T, member string) string {
	return string(runTool(t, "dpkg", "dpkg-deb", "-I", r.deb(t), member))
}

// debFiles is the deb's file system, read from dpkg-deb --fsys-tarfile.
func (r *fieldsRelease) debFiles(t *testing.T) map[string][]byte {
	return cached(r, "deb files", func() map[string][]byte {
		return tarFiles(t, bytes.NewReader(runTool(t, "dpkg", "dpkg-deb", "--fsys-tarfile", r.deb(t))))
	})
}

// rpmQuery formats the rpm's header with rpm --queryformat.
func (r *fieldsRelease) rpmQuery(t *testing.T, format string) string {
	return string(runTool(t, "rpm", "rpm", "-qp", "--nosignature", "--qf", format, r.rpm(t)))
}

// rpmLines is rpm -qp with the given options, one line per entry.
func (r *fieldsRelease) rpmLines(t *testing.T, opts ...string) []string {
	args := append(append([]string{"-qp", "--nosignature"}, opts...), r.rpm(t))
	return strings.Split(strings.TrimRight(string(runTool(t, "rpm", "rpm", args...)), "\n"), "\n")
}

// rpmDigests maps each file of the rpm to its SHA-256 (rpm --dump).
func (r *fieldsRelease) rpmDigests(t *testing.T) map[string]string {
	return cached(r, "rpm dump", func() map[string]string {
		out := map[string]string{}
		for _, l := range strings.Split(string(runTool(t, "rpm", "rpm", "-qp", "--nosignature", "--dump", r.rpm(t))), "\n") {
			if f := strings.Fields(l); len(f) >= 4 {
				out[f[0]] = f[3]
			}
		}
		return out
	})
}

// apkFiles reads the apk: its gzip members (control, then data) are tar
// streams of their own.
func (r *fieldsRelease) apkFiles(t *testing.T) map[string][]byte {
	return cached(r, "apk files", func() map[string][]byte {
		f, err := os.Open(r.apk(t))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		br := bufio.NewReader(f)
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for {
			zr.Multistream(false)
			maps.Copy(out, tarFiles(t, zr))
			// The tar stream may end before its gzip member does.
			if _, err := io.Copy(io.Discard, zr); err != nil {
				t.Fatal(err)
			}
			if err := zr.Reset(br); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		return out
	})
}

// apkInfo is a field of the apk's .PKGINFO ("key = value" lines).
func (r *fieldsRelease) apkInfo(t *testing.T, key string) string {
	t.Helper()
	info, ok := r.apkFiles(t)[".PKGINFO"]
	if !ok {
		t.Fatal("the apk has no .PKGINFO")
	}
	for _, l := range strings.Split(string(info), "\n") {
		if k, v, ok := strings.Cut(l, " = "); ok && k == key {
			return v
		}
	}
	t.Fatalf(".PKGINFO has no %s:\n%s", key, info)
	return ""
}

// tarFiles reads a tar stream into a map of regular files, names without
// a leading ./ or /.
func tarFiles(t *testing.T, rd io.Reader) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(rd)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")] = b
	}
}

// tarGzFiles is the tar.gz of a target.
func (r *fieldsRelease) tarGzFiles(t *testing.T, target string) map[string][]byte {
	return cached(r, "tar.gz "+target, func() map[string][]byte {
		return gzTarFiles(t, r.art(t, packager.KindTarGz, target, ".tar.gz"))
	})
}

// gzTarFiles is the files of a gzip-compressed tar archive, by name.
func gzTarFiles(t *testing.T, file string) map[string][]byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return tarFiles(t, zr)
}

// zipFiles is the Windows zip.
func (r *fieldsRelease) zipFiles(t *testing.T) map[string][]byte {
	return cached(r, "zip", func() map[string][]byte {
		zr, err := zip.OpenReader(r.zip(t))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		out := map[string][]byte{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			out[f.Name] = b
		}
		return out
	})
}

// cmdSet is the value a `set "NAME=value"` line of install-service.cmd
// gives NAME.
// cmdSet is the value install-service.cmd sets NAME to, as cmd reads the
// set line.
func (r *fieldsRelease) cmdSet(t *testing.T, name string) string {
	t.Helper()
	script := string(r.zipFiles(t)["install-service.cmd"])
	for _, l := range strings.Split(script, "\r\n") {
		if strings.HasPrefix(l, `set "`+name+"=") {
			_, v, err := textread.CmdSet(l)
			if err != nil {
				t.Fatalf("cmd misreads %s: %v", l, err)
			}
			return v
		}
	}
	t.Fatalf("install-service.cmd sets no %s:\n%s", name, script)
	return ""
}

// cmdSetRaw is the text of a set line that expands %~dp0 (the script's
// folder) on purpose.
func (r *fieldsRelease) cmdSetRaw(t *testing.T, name string) string {
	t.Helper()
	script := string(r.zipFiles(t)["install-service.cmd"])
	for _, l := range strings.Split(script, "\r\n") {
		if strings.HasPrefix(l, `set "`+name+"=") {
			// cmd expands %~dp0 and reads the rest as any set line.
			const dp0 = "\x00dp0\x00"
			_, v, err := textread.CmdSet(strings.ReplaceAll(l, "%~dp0", dp0))
			if err != nil {
				t.Fatalf("cmd misreads %s: %v", l, err)
			}
			return strings.ReplaceAll(v, dp0, "%~dp0")
		}
	}
	t.Fatalf("install-service.cmd sets no %s:\n%s", name, script)
	return ""
}

// cmdArg is what sc.exe or reg.exe receives from "!NAME!": the set value,
// read as one quoted argument by the C runtime's rules.
func (r *fieldsRelease) cmdArg(t *testing.T, name string) string {
	t.Helper()
	args := textread.Argv(`"` + r.cmdSet(t, name) + `"`)
	if len(args) != 1 {
		t.Fatalf("%s is not one argument: %q", name, args)
	}
	return args[0]
}

func (r *fieldsRelease) installScript(t *testing.T) string {
	return string(r.zipFiles(t)["install-service.cmd"])
}

// msiTable is a table of the MSI as msiinfo exports it: one map per row,
// by column name.
func (r *fieldsRelease) msiTable(t *testing.T, table string) []map[string]string {
	return cached(r, "msi table "+table, func() []map[string]string {
		out := string(runTool(t, "msitools", "msiinfo", "export", r.msi(t), table))
		lines := strings.Split(strings.TrimRight(out, "\r\n"), "\r\n")
		if len(lines) < 3 {
			t.Fatalf("msiinfo export %s: %q", table, out)
		}
		cols := strings.Split(lines[0], "\t")
		var rows []map[string]string
		for _, l := range lines[3:] {
			row := map[string]string{}
			for i, v := range strings.Split(l, "\t") {
				if i < len(cols) {
					row[cols[i]] = v
				}
			}
			rows = append(rows, row)
		}
		return rows
	})
}

// msiRow is the one row of table whose column col is v.
func (r *fieldsRelease) msiRow(t *testing.T, table, col, v string) map[string]string {
	t.Helper()
	var found []map[string]string
	for _, row := range r.msiTable(t, table) {
		if row[col] == v {
			found = append(found, row)
		}
	}
	if len(found) != 1 {
		t.Fatalf("MSI %s: want one row with %s = %q, found %v in %v", table, col, v, found, r.msiTable(t, table))
	}
	return found[0]
}

// msiProperty is a value of the MSI's Property table.
func (r *fieldsRelease) msiProperty(t *testing.T, name string) string {
	t.Helper()
	return r.msiRow(t, "Property", "Property", name)["Value"]
}

// msiFiles are the files the MSI installs, extracted by msiextract, by
// their path under Program Files.
func (r *fieldsRelease) msiFiles(t *testing.T) map[string][]byte {
	return cached(r, "msi files", func() map[string][]byte {
		dir := t.TempDir()
		runTool(t, "msitools", "msiextract", "-C", dir, r.msi(t))
		out := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = b
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	})
}

// msiInstalled is the file the MSI installs at rel under the install
// directory (msiextract writes the install directory's path).
func (r *fieldsRelease) msiInstalled(t *testing.T, rel string) []byte {
	t.Helper()
	dir := r.spec.Windows.MSI.InstallDir
	want := strings.ReplaceAll(dir, `\`, "/") + "/" + rel
	for name, b := range r.msiFiles(t) {
		if name == want {
			return b
		}
	}
	t.Fatalf("the MSI installs no %s under %s: %v", rel, dir, slices.Sorted(maps.Keys(r.msiFiles(t))))
	return nil
}

// wrapperConfigs are svcwrap.json as the zip and the MSI ship it, decoded
// into generic JSON.
func (r *fieldsRelease) wrapperConfigs(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for where, b := range map[string][]byte{"zip": r.zipFiles(t)[config.WrapperConfigName], "msi": r.msiInstalled(t, config.WrapperConfigName)} {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s's %s: %v\n%s", where, config.WrapperConfigName, err, b)
		}
		out[where] = m
	}
	return out
}

// jsonAt walks a dotted path through decoded JSON.
func jsonAt(v any, p string) any {
	for _, k := range strings.Split(p, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// exeResource is a resource of an exe, extracted by wrestool (types by
// number: 14 group icon, as an .ico file; 16 version and 24 manifest, raw).
func (r *fieldsRelease) exeResource(t *testing.T, exe string, typ int) []byte {
	return cached(r, fmt.Sprintf("res %s %d", exe, typ), func() []byte {
		args := []string{"-x", fmt.Sprintf("--type=%d", typ), exe}
		if typ != 14 {
			args = append(args, "--raw")
		}
		return runTool(t, "icoutils", "wrestool", args...)
	})
}

// versionString is a value of the exe's VERSIONINFO string table: the
// UTF-16LE key, then (aligned to 32 bits) the NUL-terminated value.
func (r *fieldsRelease) versionString(t *testing.T, exe, key string) string {
	t.Helper()
	res := r.exeResource(t, exe, 16)
	k := utf16le(key + "\x00")
	for off := 0; ; {
		i := bytes.Index(res[off:], k)
		if i < 0 {
			t.Fatalf("%s: VERSIONINFO has no %s", filepath.Base(exe), key)
		}
		i += off
		off = i + 1
		if i%2 != 0 || i < 6 || binary.LittleEndian.Uint16(res[i-2:]) != 1 { // wType 1: text
			continue
		}
		j := i + len(k)
		j += (4 - j%4) % 4
		var u []uint16
		for ; j+1 < len(res); j += 2 {
			c := binary.LittleEndian.Uint16(res[j:])
			if c == 0 {
				break
			}
			u = append(u, c)
		}
		return string(utf16.Decode(u))
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// manifest is the exe's application manifest, as XML elements by local
// name: text content, and attributes as name@attr.
func (r *fieldsRelease) manifest(t *testing.T, exe string) map[string]string {
	t.Helper()
	out := map[string]string{}
	dec := xml.NewDecoder(bytes.NewReader(r.exeResource(t, exe, 24)))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: manifest: %v", filepath.Base(exe), err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
			for _, a := range tok.Attr {
				out[tok.Name.Local+"@"+a.Name.Local] = a.Value
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && strings.TrimSpace(string(tok)) != "" {
				out[stack[len(stack)-1]] = strings.TrimSpace(string(tok))
			}
		}
	}
}

// icon256 is the 256 px image of an .ico, extracted by icotool.
func icon256(t *testing.T, ico []byte) image.Image {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ico")
	writeTestFile(t, in, ico)
	runTool(t, "icoutils", "icotool", "-x", "-w", "256", "-o", dir, in)
	pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(pngs) != 1 {
		t.Fatalf("icotool extracted %v from an icon of %d bytes, want one 256 px image", pngs, len(ico))
	}
	f, err := os.Open(pngs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// sameImage reports whether two images have the same size and pixels.
func sameImage(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			if color.NRGBAModel.Convert(a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y)) != color.NRGBAModel.Convert(b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y)) {
				return false
			}
		}
	}
	return true
}

// unit is the systemd unit of the service as the deb ships it; the rpm,
// the apk and the Linux tar.gz must ship the same bytes.
func (r *fieldsRelease) unit(t *testing.T) string {
	t.Helper()
	name := "usr/lib/systemd/system/" + r.spec.Service.Name + ".service"
	u, ok := r.debFiles(t)[name]
	if !ok {
		t.Fatalf("the deb has no %s: %v", name, slices.Sorted(maps.Keys(r.debFiles(t))))
	}
	return string(u)
}

// unitValues are the values of a directive in the unit, in order.
// binDir is where the Linux packages put the program.
func (r *fieldsRelease) binDir() string {
	return cmp.Or(r.spec.Service.Linux.BinDir, linuxpkg.DefaultBinDir)
}

func (r *fieldsRelease) unitValues(t *testing.T, key string) []string {
	var out []string
	for _, l := range strings.Split(r.unit(t), "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// unitValue is the one value of a directive in the unit.
func (r *fieldsRelease) unitValue(t *testing.T, key string) string {
	t.Helper()
	v := r.unitValues(t, key)
	if len(v) != 1 {
		t.Fatalf("unit: want one %s=, found %q in\n%s", key, v, r.unit(t))
	}
	return v[0]
}

// shellWords splits text as a POSIX shell would, with python3's shlex (the
// unit's quoting of these values is the shell's).
func shellWords(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	b := runTool(t, "python3", "python3", "-c", "import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))", text)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// plist is the launchd property list in the darwin tar.gz, read by
// python3's plistlib; its file name must be <Label>.plist.
func (r *fieldsRelease) plist(t *testing.T) map[string]any {
	return cached(r, "plist", func() map[string]any {
		var name string
		for n := range r.tarGzFiles(t, darwinT) {
			if strings.HasSuffix(n, ".plist") {
				name = n
			}
		}
		if name == "" {
			t.Fatalf("the darwin tar.gz has no plist: %v", slices.Sorted(maps.Keys(r.tarGzFiles(t, darwinT))))
		}
		file := filepath.Join(t.TempDir(), "launchd.plist")
		writeTestFile(t, file, r.tarGzFiles(t, darwinT)[name])
		b := runTool(t, "python3", "python3", "-c", "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))", file)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["file name"] = name
		return m
	})
}

// linuxRun is what the released Linux binary prints.
func (r *fieldsRelease) linuxRun(t *testing.T) map[string]string {
	return cached(r, "run", func() map[string]string {
		out, err := exec.Command(r.art(t, packager.KindBinary, linuxT, "/"+r.spec.Name)).Output()
		if err != nil {
			t.Fatalf("running the Linux binary: %v", err)
		}
		m := map[string]string{}
		for _, w := range strings.Fields(string(out)) {
			k, v, _ := strings.Cut(w, "=")
			m[k] = v
		}
		return m
	})
}

// buildInfo is `go version -m` of the Linux binary: path, and build
// settings by key.
func (r *fieldsRelease) buildInfo(t *testing.T) map[string]string {
	return cached(r, "buildinfo", func() map[string]string {
		out := string(runTool(t, "golang", "go", "version", "-m", r.art(t, packager.KindBinary, linuxT, "/"+r.spec.Name)))
		m := map[string]string{}
		for _, l := range strings.Split(out, "\n") {
			f := strings.SplitN(strings.TrimSpace(l), "\t", 3)
			switch {
			case len(f) >= 2 && f[0] == "path":
				m["path"] = f[1]
			case len(f) == 2 && f[0] == "build":
				k, v, _ := strings.Cut(f[1], "=")
				m[k] = strings.Trim(v, `"`)
			}
		}
		return m
	})
}

// manifestJSON is artifacts.json.
func (r *fieldsRelease) manifestJSON(t *testing.T) Manifest {
	t.Helper()
	var m Manifest
	b, err := os.ReadFile(filepath.Join(r.res.Dist, packager.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sbom is a CycloneDX SBOM of the release.
func (r *fieldsRelease) sbom(t *testing.T, target string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(r.art(t, packager.KindSBOM, target, "_"+strings.ReplaceAll(target, "/", "_")+".sbom.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// verifyAuthenticode runs osslsigncode verify, trusting cert and the
// time-stamping server, and returns its output.
func (r *fieldsRelease) verifyAuthenticode(t *testing.T, file, cert string) string {
	t.Helper()
	return cached(r, "verify "+file+" "+cert, func() string {
		bin := testtool.Need(t, "osslsigncode", "osslsigncode")
		out, err := exec.Command(bin, "verify", "-CAfile", cert, "-TSA-CAfile", r.p.tsaCert, "-in", file).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
			t.Fatalf("osslsigncode verify %s with %s: %v\n%s", filepath.Base(file), filepath.Base(cert), err, out)
		}
		return string(out)
	})
}

// checkSigned verifies the exe, the wrapper and the MSI with cert.
func (r *fieldsRelease) checkSigned(t *testing.T, cert string) {
	t.Helper()
	for _, f := range append(r.windowsExes(t), r.msi(t)) {
		r.verifyAuthenticode(t, f, cert)
	}
}

// eq reports got != want, naming where the value was read.
func eq(t *testing.T, where string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", where, got, want)
	}
}

func str(v any) string { return fmt.Sprint(v) }

func strs(v any) []string { return v.([]string) }

func dur(t *testing.T, v any) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(str(v))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// renderLdflag executes one ldflags template for target os/arch, as the
// build does.
func (r *fieldsRelease) renderLdflags(t *testing.T, tmpl []string, target platform.Target) string {
	t.Helper()
	mo := MatrixOptions(r.spec, t.TempDir())
	mo.Ldflags = tmpl
	args, err := mo.Args(target, "out")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "-ldflags="); ok {
			return v
		}
	}
	t.Fatalf("no -ldflags in %v", args)
	return ""
}

// The checks, one per field (or shared by fields read together).

func checkName(t *testing.T, r *fieldsRelease, want any) {
	name := str(want)
	eq(t, "image Entrypoint", r.ociConfig(t).Config.Entrypoint, []string{r.binDir() + "/" + name})
	eq(t, "image title", r.ociAnnotation(t, "title"), name)
	eq(t, "artifacts.json name", r.manifestJSON(t).Name, name)
	for _, tg := range []string{winT, linuxT, darwinT} {
		bin := matrix.BinaryName(name, strings.Split(tg, "/")[0])
		r.art(t, packager.KindBinary, tg, name+"_"+strings.ReplaceAll(tg, "/", "_")+"/"+bin)
	}
	eq(t, "deb Package", r.debField(t, "Package"), name)
	eq(t, "rpm NAME", r.rpmQuery(t, "%{NAME}"), name)
	eq(t, "apk pkgname", r.apkInfo(t, "pkgname"), name)
	bin := r.binDir() + "/" + name
	for where, files := range map[string]map[string][]byte{"deb": r.debFiles(t), "apk": r.apkFiles(t)} {
		if _, ok := files[strings.TrimPrefix(bin, "/")]; !ok {
			t.Errorf("the %s has no %s", where, bin)
		}
	}
	if !slices.Contains(r.rpmLines(t, "-l"), bin) {
		t.Errorf("rpm -ql lists no %s", bin)
	}
	for _, tg := range []string{linuxT, darwinT} {
		if _, ok := r.tarGzFiles(t, tg)[name]; !ok {
			t.Errorf("the %s tar.gz has no %s", tg, name)
		}
	}
	if _, ok := r.zipFiles(t)[name+".exe"]; !ok {
		t.Errorf("the zip has no %s.exe", name)
	}
	r.msiInstalled(t, name+".exe")
	eq(t, "exe OriginalFilename", r.versionString(t, r.exe(t), "OriginalFilename"), name+".exe")
	eq(t, "exe InternalName", r.versionString(t, r.exe(t), "InternalName"), name)
	for where, cfg := range r.wrapperConfigs(t) {
		eq(t, where+" svcwrap.json program", cfg["program"], name+".exe")
	}
	eq(t, "SBOM component name", jsonAt(r.sbom(t, linuxT), "metadata.component.name"), name)
	r.art(t, packager.KindHomebrew, "", "homebrew/"+strings.ToLower(name)+".rb")
	eq(t, "Homebrew bin.install", r.brew(t, "macos", "arm").Installs[0], []string{"install", "bin", name})
}

func checkMain(t *testing.T, r *fieldsRelease, want any) {
	pkg := "example.com/fieldsvc/" + strings.TrimPrefix(str(want), "./")
	eq(t, "go version -m path", r.buildInfo(t)["path"], pkg)
	eq(t, "the program's own name", r.linuxRun(t)["main"], path.Base(pkg))
}

func checkVersion(t *testing.T, r *fieldsRelease, want any) {
	v := str(want)
	eq(t, "image version", r.ociAnnotation(t, "version"), v)
	eq(t, "artifacts.json version", r.manifestJSON(t).Version, v)
	eq(t, "deb Version", r.debField(t, "Version"), v+"-1")
	eq(t, "rpm VERSION", r.rpmQuery(t, "%{VERSION}"), v)
	eq(t, "apk pkgver", r.apkInfo(t, "pkgver"), v+"-r1")
	eq(t, "MSI ProductVersion", r.msiProperty(t, "ProductVersion"), v)
	for _, exe := range r.windowsExes(t) {
		eq(t, filepath.Base(exe)+" ProductVersion", r.versionString(t, exe, "ProductVersion"), v)
	}
	eq(t, "the program's stamped version", r.linuxRun(t)["version"], v)
	for _, k := range []packager.Kind{packager.KindZip, packager.KindMSI, packager.KindTarGz, packager.KindSBOM} {
		for _, a := range r.res.Artifacts {
			if a.Kind == k && !strings.Contains(a.Path, "_"+v+"_") {
				t.Errorf("%s has no _%s_ in its name", a.Path, v)
			}
		}
	}
	eq(t, "SBOM component version", jsonAt(r.sbom(t, linuxT), "metadata.component.version"), v)
	eq(t, "winget PackageVersion", r.winget(t, "defaultLocale")["PackageVersion"], v)
	eq(t, "Scoop version", r.scoop(t)["version"], v)
	eq(t, "nuspec version", r.nuspec(t).Metadata.Version, v)
	eq(t, "Homebrew version", r.brew(t, "linux", "intel").Fields["version"], v)
}

func checkTargets(t *testing.T, r *fieldsRelease, want any) {
	got := map[string]bool{}
	for _, a := range r.manifestJSON(t).Artifacts {
		if a.OS != "" {
			got[a.OS+"/"+a.Arch] = true
		}
	}
	eq(t, "artifacts.json targets", slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(strs(want))))
}

func checkLdflags(t *testing.T, r *fieldsRelease, want any) {
	// go version -m records no -ldflags for a -trimpath build: read each
	// flag's effect instead. The -X values, as the templates render them:
	flags := strings.Fields(r.renderLdflags(t, strs(want), platform.Target{OS: "linux", Arch: "amd64"}))
	xs := map[string]string{}
	for i, f := range flags {
		if f == "-X" && i+1 < len(flags) {
			k, v, _ := strings.Cut(flags[i+1], "=")
			xs[strings.TrimPrefix(k, "main.")] = v
		}
	}
	eq(t, "-X values", xs, map[string]string{"version": fieldsVersion, "marker": "ld-linux-amd64-" + fieldsName})
	for k, v := range xs {
		eq(t, "the program's "+k, r.linuxRun(t)[k], v)
	}
	f, err := elf.Open(r.art(t, packager.KindBinary, linuxT, "/"+fieldsName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// -s: no symbol table; -w: no DWARF.
	if _, err := f.Symbols(); !errors.Is(err, elf.ErrNoSymbols) {
		t.Errorf("the Linux binary has a symbol table although ldflags has -s: %v", err)
	}
	for _, sec := range f.Sections {
		if strings.Contains(sec.Name, "debug_") {
			t.Errorf("the Linux binary has DWARF section %s although ldflags has -w", sec.Name)
		}
	}
}

func checkTags(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "go version -m -tags", r.buildInfo(t)["-tags"], strings.Join(strs(want), ","))
	eq(t, "the program's tag", r.linuxRun(t)["tag"], strs(want)[0])
}

func checkDist(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "release directory", r.res.Dist, filepath.Join(r.p.dir, filepath.FromSlash(str(want))))
	if _, err := os.Stat(filepath.Join(r.p.dir, filepath.FromSlash(str(want)), packager.ManifestName)); err != nil {
		t.Error(err)
	}
}

func checkFormats(t *testing.T, r *fieldsRelease, want any) {
	got := map[string]bool{}
	for _, a := range r.manifestJSON(t).Artifacts {
		switch a.Kind {
		case packager.KindBinary, packager.KindWrapper, packager.KindChecksums, packager.KindSignature, packager.KindOCIIndex,
			packager.KindProvenance:
		default:
			got[string(a.Kind)] = true
		}
	}
	eq(t, "kinds made", slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(strs(want))))
}

func checkVendor(t *testing.T, r *fieldsRelease, want any) {
	v := str(want)
	eq(t, "rpm VENDOR", r.rpmQuery(t, "%{VENDOR}"), v)
	eq(t, "MSI Manufacturer", r.msiProperty(t, "Manufacturer"), v)
	for _, exe := range r.windowsExes(t) {
		eq(t, filepath.Base(exe)+" CompanyName", r.versionString(t, exe, "CompanyName"), v)
	}
	eq(t, "winget Publisher", r.winget(t, "defaultLocale")["Publisher"], v)
	eq(t, "nuspec authors", r.nuspec(t).Metadata.Authors, v)
	copyright := string(r.debFiles(t)["usr/share/doc/"+fieldsName+"/copyright"])
	if !slices.Contains(strings.Split(copyright, "\n"), "Copyright: 2023 "+v) {
		t.Errorf("the deb's copyright file does not name %q as the holder:\n%s", v, copyright)
	}
}

func checkMaintainer(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "deb Maintainer", r.debField(t, "Maintainer"), str(want))
	eq(t, "rpm PACKAGER", r.rpmQuery(t, "%{PACKAGER}"), str(want))
	eq(t, "apk maintainer", r.apkInfo(t, "maintainer"), str(want))
}

func checkHomepage(t *testing.T, r *fieldsRelease, want any) {
	v := str(want)
	eq(t, "image source", r.ociAnnotation(t, "source"), v)
	eq(t, "image url", r.ociAnnotation(t, "url"), v)
	eq(t, "deb Homepage", r.debField(t, "Homepage"), v)
	eq(t, "rpm URL", r.rpmQuery(t, "%{URL}"), v)
	eq(t, "apk url", r.apkInfo(t, "url"), v)
	eq(t, "MSI ARPURLINFOABOUT", r.msiProperty(t, "ARPURLINFOABOUT"), v)
	eq(t, "unit Documentation", r.unitValue(t, "Documentation"), v)
	eq(t, "launchd Label", r.plist(t)["Label"], fieldsLabel)
	for _, f := range append(r.windowsExes(t), r.msi(t)) {
		eq(t, filepath.Base(f)+" signature's URL", signedAttribute(t, r.verifyAuthenticode(t, f, r.p.signCert), "URL description"), v)
	}
	eq(t, "zip README.txt", readmeLine(t, r.zipFiles(t)["README.txt"], "Homepage: "), v)
	eq(t, "winget PackageUrl", r.winget(t, "defaultLocale")["PackageUrl"], v)
	eq(t, "Scoop homepage", r.scoop(t)["homepage"], v)
	eq(t, "nuspec projectUrl", r.nuspec(t).Metadata.ProjectURL, v)
	eq(t, "Homebrew homepage", r.brew(t, "linux", "intel").Fields["homepage"], v)
}

// signedAttribute is an authenticated attribute osslsigncode verify
// prints ("URL description: ...").
func signedAttribute(t *testing.T, verify, name string) string {
	t.Helper()
	for _, l := range strings.Split(verify, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+": "); ok {
			return v
		}
	}
	t.Errorf("the signature has no %s:\n%s", name, verify)
	return ""
}

// readmeLine is the rest of the README line starting with prefix.
func readmeLine(t *testing.T, readme []byte, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(strings.ReplaceAll(string(readme), "\r\n", "\n"), "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	t.Errorf("README.txt has no line %q:\n%s", prefix, readme)
	return ""
}

func checkLicense(t *testing.T, r *fieldsRelease, want any) {
	v := str(want)
	eq(t, "image licenses", r.ociAnnotation(t, "licenses"), v)
	eq(t, "rpm LICENSE", r.rpmQuery(t, "%{LICENSE}"), v)
	eq(t, "apk license", r.apkInfo(t, "license"), v)
	copyright := string(r.debFiles(t)["usr/share/doc/"+fieldsName+"/copyright"])
	if !slices.Contains(strings.Split(copyright, "\n"), "License: "+v) {
		t.Errorf("the deb's copyright file does not name license %s:\n%s", v, copyright)
	}
	eq(t, "zip README.txt", readmeLine(t, r.zipFiles(t)["README.txt"], "License: "), v+", see LICENSE.")
	eq(t, "winget License", r.winget(t, "defaultLocale")["License"], v)
	eq(t, "Scoop license", r.scoop(t)["license"], v)
	eq(t, "nuspec license", r.nuspec(t).Metadata.License.Value, v)
	eq(t, "Homebrew license", r.brew(t, "linux", "intel").Fields["license"], v)
}

func checkLicenseFile(t *testing.T, r *fieldsRelease, want any) {
	text, err := os.ReadFile(filepath.Join(r.p.dir, str(want)))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "image LICENSE", string(r.ociFile(t, "usr/share/doc/"+fieldsName+"/LICENSE")), string(text))
	eq(t, "zip LICENSE", string(r.zipFiles(t)["LICENSE"]), string(text))
	eq(t, "MSI LICENSE.txt", string(r.msiInstalled(t, "LICENSE.txt")), string(text))
	for _, tg := range []string{linuxT, darwinT} {
		eq(t, tg+" tar.gz LICENSE", string(r.tarGzFiles(t, tg)["LICENSE"]), string(text))
	}
	// The Debian copyright file carries the text as its License paragraph
	// (one space of indent, " ." for an empty line); the rpm and the apk
	// ship the same file.
	doc := "usr/share/doc/" + fieldsName + "/copyright"
	copyright := string(r.debFiles(t)[doc])
	_, body, _ := strings.Cut(copyright, "\nLicense: ")
	_, body, _ = strings.Cut(body, "\n")
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		if l == " ." {
			l = ""
		}
		lines = append(lines, strings.TrimPrefix(l, " "))
	}
	eq(t, "deb copyright license text", strings.Join(lines, "\n")+"\n", string(text))
	sum := sha256.Sum256([]byte(copyright))
	eq(t, "rpm copyright digest", r.rpmDigests(t)["/"+doc], hex.EncodeToString(sum[:]))
	eq(t, "apk copyright", string(r.apkFiles(t)[doc]), copyright)
}

func checkDescription(t *testing.T, r *fieldsRelease, want any) {
	v := str(want)
	eq(t, "image description", r.ociAnnotation(t, "description"), v)
	synopsis, _, _ := strings.Cut(r.debField(t, "Description"), "\n")
	eq(t, "deb Description synopsis", synopsis, v)
	eq(t, "rpm SUMMARY", r.rpmQuery(t, "%{SUMMARY}"), v)
	eq(t, "apk pkgdesc", r.apkInfo(t, "pkgdesc"), v)
	eq(t, "exe FileDescription", r.versionString(t, r.exe(t), "FileDescription"), v)
	eq(t, "winget ShortDescription", r.winget(t, "defaultLocale")["ShortDescription"], v)
	eq(t, "Scoop description", r.scoop(t)["description"], v)
	eq(t, "nuspec description", r.nuspec(t).Metadata.Description, v)
	eq(t, "Homebrew desc", r.brew(t, "linux", "intel").Fields["desc"], v)
	for _, tg := range []string{linuxT, darwinT} {
		readme := strings.Split(string(r.tarGzFiles(t, tg)["README.txt"]), "\n")
		eq(t, tg+" README.txt second line", readme[1], v)
	}
}

func checkIcon(t *testing.T, r *fieldsRelease, want any) {
	f, err := os.Open(filepath.Join(r.p.dir, str(want)))
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, exe := range r.windowsExes(t) {
		if !sameImage(icon256(t, r.exeResource(t, exe, 14)), src) {
			t.Errorf("%s: the 256 px icon differs from %s", filepath.Base(exe), want)
		}
	}
	// The MSI's Add/Remove Programs icon, from its Icon table's stream.
	dir := t.TempDir()
	ico := filepath.Join(dir, "product.ico")
	b := runTool(t, "msitools", "msiinfo", "extract", r.msi(t), "Icon."+r.msiProperty(t, "ARPPRODUCTICON"))
	writeTestFile(t, ico, b)
	if !sameImage(icon256(t, b), src) {
		t.Errorf("the MSI's icon differs from %s", want)
	}
}

func checkProductName(t *testing.T, r *fieldsRelease, want any) {
	v := str(want)
	for _, exe := range r.windowsExes(t) {
		eq(t, filepath.Base(exe)+" ProductName", r.versionString(t, exe, "ProductName"), v)
	}
	eq(t, "svcwrap.exe FileDescription", r.versionString(t, r.wrapper(t), "FileDescription"), v+" service wrapper (svcpack)")
	eq(t, "MSI ProductName", r.msiProperty(t, "ProductName"), v)
	eq(t, "winget PackageName", r.winget(t, "defaultLocale")["PackageName"], v)
	eq(t, "nuspec title", r.nuspec(t).Metadata.Title, v)
	for _, f := range append(r.windowsExes(t), r.msi(t)) {
		eq(t, filepath.Base(f)+" signature's description", signedAttribute(t, r.verifyAuthenticode(t, f, r.p.signCert), "Text description"), v)
	}
}

func checkCopyright(t *testing.T, r *fieldsRelease, want any) {
	for _, exe := range r.windowsExes(t) {
		eq(t, filepath.Base(exe)+" LegalCopyright", r.versionString(t, exe, "LegalCopyright"), str(want))
	}
	eq(t, "winget Copyright", r.winget(t, "defaultLocale")["Copyright"], str(want))
	eq(t, "nuspec copyright", r.nuspec(t).Metadata.Copyright, str(want))
}

func checkExecutionLevel(t *testing.T, r *fieldsRelease, want any) {
	for _, exe := range r.windowsExes(t) {
		eq(t, filepath.Base(exe)+" requestedExecutionLevel", r.manifest(t, exe)["requestedExecutionLevel@level"], str(want))
	}
}

func checkLongPathAware(t *testing.T, r *fieldsRelease, want any) {
	for _, exe := range r.windowsExes(t) {
		eq(t, filepath.Base(exe)+" longPathAware", r.manifest(t, exe)["longPathAware"], str(want))
	}
}

func checkUTF8(t *testing.T, r *fieldsRelease, want any) {
	if want != true {
		t.Fatalf("the check reads utf8: true, not %v", want)
	}
	for _, exe := range r.windowsExes(t) {
		eq(t, filepath.Base(exe)+" activeCodePage", r.manifest(t, exe)["activeCodePage"], "UTF-8")
	}
}

func checkUpgradeCode(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "MSI UpgradeCode", r.msiProperty(t, "UpgradeCode"), str(want))
	entries, _ := r.wingetInstaller(t)["AppsAndFeaturesEntries"].([]any)
	if len(entries) != 1 {
		t.Fatalf("winget AppsAndFeaturesEntries: %v", entries)
	}
	eq(t, "winget UpgradeCode", entries[0].(map[string]any)["UpgradeCode"], str(want))
	for _, row := range r.msiTable(t, "Upgrade") {
		eq(t, "MSI Upgrade row", row["UpgradeCode"], str(want))
	}
}

func checkInstallDir(t *testing.T, r *fieldsRelease, want any) {
	// Walk the Directory table from INSTALLDIR up to Program Files, taking
	// each folder's long name (DefaultDir is short|long or a long name).
	dirs := map[string]map[string]string{}
	for _, row := range r.msiTable(t, "Directory") {
		dirs[row["Directory"]] = row
	}
	var segs []string
	for id := "INSTALLDIR"; id != "ProgramFiles64Folder"; id = dirs[id]["Directory_Parent"] {
		row, ok := dirs[id]
		if !ok {
			t.Fatalf("MSI Directory: no row %s on the way to ProgramFiles64Folder: %v", id, dirs)
		}
		segs = append([]string{msiLongName(row["DefaultDir"])}, segs...)
	}
	eq(t, "MSI install folder", strings.Join(segs, `\`), str(want))
}

func checkSignCert(t *testing.T, r *fieldsRelease, want any) {
	// Verification trusting only this certificate: the signatures are
	// its key's, and the signer is this certificate.
	cert := filepath.Join(r.p.dir, str(want))
	subject := strings.TrimSpace(strings.TrimPrefix(string(runTool(t, "openssl", "openssl", "x509", "-in", cert, "-noout", "-subject", "-nameopt", "compat")), "subject="))
	for _, f := range append(r.windowsExes(t), r.msi(t)) {
		out := r.verifyAuthenticode(t, f, cert)
		if !strings.Contains(out, "Subject: "+subject+"\n") {
			t.Errorf("%s: the signer is not %s:\n%s", filepath.Base(f), subject, out)
		}
	}
}

func checkSignKey(t *testing.T, r *fieldsRelease, want any) {
	// A signature verifies with the certificate only when made with its
	// key: the one in this file.
	r.checkSigned(t, r.p.signCert)
	pub := runTool(t, "openssl", "openssl", "pkey", "-in", filepath.Join(r.p.dir, str(want)), "-passin", "pass:"+fieldsSignPass, "-pubout")
	certPub := runTool(t, "openssl", "openssl", "x509", "-in", r.p.signCert, "-noout", "-pubkey")
	eq(t, "the key file's public key", string(pub), string(certPub))
}

func checkPasswordEnv(t *testing.T, r *fieldsRelease, want any) {
	// The key is encrypted: the signatures show the password was read from
	// the variable, and without the variable the config is refused.
	r.checkSigned(t, r.p.signCert)
	r.refusedWithout(t, "windows.sign.password_env", str(want))
}

// refusedWithout loads the project's config without the environment
// variable name and wants field's error saying it is not set.
func (r *fieldsRelease) refusedWithout(t *testing.T, field, name string) {
	t.Helper()
	env := maps.Clone(r.p.env)
	delete(env, name)
	_, err := Load(filepath.Join(r.p.dir, config.FileName), config.Env{Getenv: func(k string) string { return env[k] }})
	if err == nil || !strings.Contains(err.Error(), field+": "+name+" is not set") {
		t.Errorf("loading without %s: %v", name, err)
	}
}

func checkTimestampURL(t *testing.T, r *fieldsRelease, want any) {
	for _, f := range append(r.windowsExes(t), r.msi(t)) {
		out := r.verifyAuthenticode(t, f, r.p.signCert)
		if !strings.Contains(out, "Timestamp Server Signature verification: ok") {
			t.Errorf("%s carries no verified time stamp:\n%s", filepath.Base(f), out)
		}
	}
	// fieldsvc.exe, svcwrap.exe and the MSI, each stamped once, at the
	// configured URL.
	eq(t, "time-stamping requests", r.p.tsa.hits(strings.TrimPrefix(str(want), r.p.tsa.URL)), 3)
}

func checkServiceName(t *testing.T, r *fieldsRelease, want any) {
	v := str(want)
	unit := "usr/lib/systemd/system/" + v + ".service"
	u := r.unit(t)
	if !strings.HasPrefix(u, "# "+v+".service,") || !slices.Contains(r.unitValues(t, "StateDirectory"), v) {
		t.Errorf("the deb's %s does not describe %s:\n%s", unit, v, u)
	}
	sum := sha256.Sum256([]byte(u))
	eq(t, "rpm unit digest", r.rpmDigests(t)["/"+unit], hex.EncodeToString(sum[:]))
	eq(t, "apk unit", string(r.apkFiles(t)[unit]), u)
	eq(t, "Linux tar.gz unit", string(r.tarGzFiles(t, linuxT)[v+".service"]), u)
	// The maintainer scripts enable the unit by its name (read as the
	// shell reads the command: shlex): the deb's with deb-systemd-helper,
	// as debhelper's scripts do, the others with systemctl.
	for where, script := range map[string]string{
		"deb postinst":      r.debControl(t, "postinst"),
		"rpm scripts":       string(runTool(t, "rpm", "rpm", "-qp", "--nosignature", "--scripts", r.rpm(t))),
		"apk .post-install": string(r.apkFiles(t)[".post-install"]),
	} {
		command := "systemctl"
		if where == "deb postinst" {
			command = "deb-systemd-helper"
		}
		var words []string
		for _, l := range strings.Split(script, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, command+" enable ") {
				words = shellWords(t, l)
				break
			}
		}
		if len(words) < 3 || words[2] != v+".service" {
			t.Errorf("the %s does not run %s enable %s.service (words %q):\n%s", where, command, v, words, script)
		}
	}
	eq(t, "MSI ServiceInstall Name", r.msiRow(t, "ServiceInstall", "ServiceInstall", "Svc")["Name"], v)
	eq(t, "MSI ServiceControl Name", r.msiRow(t, "ServiceControl", "ServiceControl", "SvcControl")["Name"], v)
	eq(t, "install-service.cmd SVC_NAME", r.cmdSet(t, "SVC_NAME"), v)
	for where, cfg := range r.wrapperConfigs(t) {
		eq(t, where+" svcwrap.json service", cfg["service"], v)
	}
	pl := r.plist(t)
	eq(t, "launchd Label", pl["Label"], fieldsLabel)
	eq(t, "plist file name", pl["file name"], fieldsLabel+".plist")
}

func checkDisplayName(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "MSI ServiceInstall DisplayName", textread.MSIFormatted(r.msiRow(t, "ServiceInstall", "ServiceInstall", "Svc")["DisplayName"]), str(want))
	eq(t, "install-service.cmd SVC_DISPLAY", r.cmdArg(t, "SVC_DISPLAY"), str(want))
}

func checkServiceDescription(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "unit Description", textread.SystemdSpecifiers(r.unitValue(t, "Description"), false), str(want))
	eq(t, "MSI ServiceInstall Description", textread.MSIFormatted(r.msiRow(t, "ServiceInstall", "ServiceInstall", "Svc")["Description"]), str(want))
	eq(t, "install-service.cmd SVC_DESCRIPTION", r.cmdArg(t, "SVC_DESCRIPTION"), str(want))
}

func checkArgs(t *testing.T, r *fieldsRelease, want any) {
	args := strs(want)
	eq(t, "image Cmd", r.ociConfig(t).Config.Cmd, args)
	eq(t, "runtime args", r.ociUnpacked(t).process["args"], anySlice(append([]string{r.binDir() + "/" + fieldsName}, args...)))
	eq(t, "unit ExecStart", textread.SystemdWords(r.unitValue(t, "ExecStart"), true), append([]string{r.binDir() + "/" + fieldsName}, args...))
	for where, cfg := range r.wrapperConfigs(t) {
		eq(t, where+" svcwrap.json args", cfg["args"], anySlice(args))
	}
	eq(t, "plist ProgramArguments", r.plist(t)["ProgramArguments"], anySlice(append([]string{"/usr/local/bin/" + fieldsName}, args...)))
	eq(t, "Homebrew service run", r.brew(t, "macos", "arm").Service["run"], anySlice(append([]string{"opt_bin/" + fieldsName}, args...)))
	// Wrapped, the service runs the wrapper without arguments.
	eq(t, "MSI ServiceInstall Arguments", r.msiRow(t, "ServiceInstall", "ServiceInstall", "Svc")["Arguments"], "")
}

func anySlice(s []string) []any {
	out := []any{}
	for _, v := range s {
		out = append(out, v)
	}
	return out
}

func anyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func checkStart(t *testing.T, r *fieldsRelease, want any) {
	if want != "delayed" {
		t.Fatalf("the check reads start: delayed, not %v", want)
	}
	eq(t, "MSI ServiceInstall StartType", r.msiRow(t, "ServiceInstall", "ServiceInstall", "Svc")["StartType"], "2")
	row := r.msiRow(t, "MsiServiceConfig", "MsiServiceConfig", "SvcDelayed")
	eq(t, "MSI MsiServiceConfig delayed auto-start", []string{row["ConfigType"], row["Argument"], row["Name"]}, []string{"3", "1", fieldsService})
	if !strings.Contains(r.installScript(t), " start= delayed-auto ") {
		t.Errorf("install-service.cmd does not create a delayed-auto service:\n%s", r.installScript(t))
	}
	// Started at boot on Linux and macOS too (manual and disabled: not).
	if !strings.Contains(r.debControl(t, "postinst"), "deb-systemd-helper enable '"+fieldsService+".service'") {
		t.Errorf("the deb's postinst does not enable the unit:\n%s", r.debControl(t, "postinst"))
	}
	if install := string(r.tarGzFiles(t, darwinT)["install.sh"]); !strings.Contains(install, `launchctl bootstrap system "$PLIST"`) || strings.Contains(install, "launchctl disable") {
		t.Errorf("the darwin install.sh does not start the daemon:\n%s", install)
	}
}

func checkAccount(t *testing.T, r *fieldsRelease, want any) {
	if want != "NetworkService" {
		t.Fatalf("the check reads account: NetworkService, not %v", want)
	}
	eq(t, "MSI ServiceInstall StartName", r.msiRow(t, "ServiceInstall", "ServiceInstall", "Svc")["StartName"], `NT AUTHORITY\NetworkService`)
	if !strings.Contains(r.installScript(t), ` obj= "NT AUTHORITY\NetworkService" `) {
		t.Errorf("install-service.cmd does not run the service as NetworkService:\n%s", r.installScript(t))
	}
	eq(t, "MSI log folder SDDL", r.msiTable(t, "MsiLockPermissionsEx")[0]["SDDLText"], "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1301bf;;;NS)")
}

func checkEnv(t *testing.T, r *fieldsRelease, want any) {
	env := want.(map[string]string)
	eq(t, "image Env", r.ociEnv(t), env)
	got := map[string]string{}
	for _, v := range r.unitValues(t, "Environment") {
		for _, w := range textread.SystemdWords(v, false) {
			k, val, _ := strings.Cut(w, "=")
			got[k] = val
		}
	}
	eq(t, "unit Environment", got, env)
	eq(t, "Homebrew environment_variables", r.brew(t, "linux", "intel").Service["environment_variables"], anyMap(env))
	for where, cfg := range r.wrapperConfigs(t) {
		eq(t, where+" svcwrap.json env", cfg["env"], anyMap(env))
	}
	eq(t, "plist EnvironmentVariables", r.plist(t)["EnvironmentVariables"], anyMap(env))
}

func checkRestartPolicy(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "unit Restart", r.unitValue(t, "Restart"), str(want))
	// launchd: always restarts with KeepAlive true, else only on failure.
	eq(t, "plist KeepAlive", r.plist(t)["KeepAlive"], want == "always")
	var keepAlive any = map[string]any{"successful_exit": false}
	if want == "always" {
		keepAlive = true
	}
	eq(t, "Homebrew keep_alive", r.brew(t, "macos", "arm").Service["keep_alive"], keepAlive)
}

func checkRestartDelay(t *testing.T, r *fieldsRelease, want any) {
	d := dur(t, want)
	eq(t, "unit RestartSec", r.unitValue(t, "RestartSec"), strconv.Itoa(int(d.Seconds())))
	ms := strconv.FormatInt(d.Milliseconds(), 10)
	_, delays, sc := failureActions(r, ms)
	eq(t, "MSI recovery delays", r.msiRow(t, "MsiServiceConfigFailureActions", "MsiServiceConfigFailureActions", "SvcRecovery")["DelayActions"], delays)
	if !strings.Contains(r.installScript(t), " actions= "+sc+" ") {
		t.Errorf("install-service.cmd does not act after %s ms (%s):\n%s", ms, sc, r.installScript(t))
	}
	for where, cfg := range r.wrapperConfigs(t) {
		eq(t, where+" svcwrap.json restart.delay", dur(t, jsonAt(cfg, "restart.delay")), d)
	}
	eq(t, "plist ThrottleInterval", r.plist(t)["ThrottleInterval"], d.Seconds())
	eq(t, "Homebrew throttle_interval", r.brew(t, "macos", "arm").Service["throttle_interval"], d.Seconds())
}

func checkResetAfter(t *testing.T, r *fieldsRelease, want any) {
	s := strconv.Itoa(int(dur(t, want).Seconds()))
	eq(t, "MSI recovery reset period", r.msiRow(t, "MsiServiceConfigFailureActions", "MsiServiceConfigFailureActions", "SvcRecovery")["ResetPeriod"], s)
	if !strings.Contains(r.installScript(t), " reset= "+s+" ") {
		t.Errorf("install-service.cmd does not reset the failure count after %s s:\n%s", s, r.installScript(t))
	}
}

// failureActions are the MSI's Actions and DelayActions and sc failure's
// actions= that the release's service.restart asks for, with delay ms:
// restarts, then the failure command for every later failure.
func failureActions(r *fieldsRelease, ms string) (msiActions, msiDelays, sc string) {
	rs := r.spec.Service.Restart
	acts, scActs := []string{"1", "1", "1"}, []string{"restart", "restart", "restart"}
	if len(rs.Command) > 0 {
		acts = append(slices.Repeat([]string{"1"}, rs.CommandAfter), "3")
		scActs = append(slices.Repeat([]string{"restart"}, rs.CommandAfter), "run")
	}
	return strings.Join(acts, "[~]"), strings.Repeat(ms+"[~]", len(acts)-1) + ms,
		strings.Join(scActs, "/"+ms+"/") + "/" + ms
}

// checkFailureCommand reads the failure command back from the MSI's table
// (formatted with the install folder C:\I\) and from install-service.cmd
// (the pieces joined around the script's folder, C:\I\, as sc's command=
// gets them): the program and the arguments, exactly, places rendered.
func checkFailureCommand(t *testing.T, r *fieldsRelease, want any) {
	cmd := strs(want)
	const dir = `C:\I\`
	var wantArgv []string
	for _, a := range cmd {
		a = strings.NewReplacer("{{.InstallDir}}/", dir, "{{.StateDir}}/", dir+`data\`).Replace(a)
		wantArgv = append(wantArgv, a)
	}
	row := r.msiRow(t, "MsiServiceConfigFailureActions", "MsiServiceConfigFailureActions", "SvcRecovery")
	line, err := textread.MSIFormat(row["Command"], map[string]string{"INSTALLDIR": dir})
	if err != nil {
		t.Fatalf("MSI failure command %q: %v", row["Command"], err)
	}
	eq(t, "MSI failure command", textread.Argv(line), wantArgv)
	join := regexp.MustCompile(`!([A-Z_0-9]+)!`).ReplaceAllStringFunc(r.cmdSet(t, "SVC_FAILCMD"), func(v string) string {
		if v == "!SVC_DIR!" {
			return dir
		}
		return r.cmdSet(t, strings.Trim(v, "!"))
	})
	sc := textread.Argv(`sc failure x command= "` + join + `"`)
	if len(sc) != 5 {
		t.Fatalf("sc failure gets %q", sc)
	}
	eq(t, "install-service.cmd failure command", textread.Argv(sc[4]), wantArgv)
}

func checkCommandAfter(t *testing.T, r *fieldsRelease, want any) {
	if r.spec.Service.Restart.CommandAfter != want.(int) || len(r.spec.Service.Restart.Command) == 0 {
		t.Fatalf("the base sets command_after %v and a command; the spec has %+v", want, r.spec.Service.Restart)
	}
	ms := strconv.FormatInt(r.spec.Service.Restart.Delay.Std().Milliseconds(), 10)
	acts, _, sc := failureActions(r, ms)
	eq(t, "MSI recovery actions", r.msiRow(t, "MsiServiceConfigFailureActions", "MsiServiceConfigFailureActions", "SvcRecovery")["Actions"], acts)
	if !strings.Contains(r.installScript(t), " actions= "+sc+" ") {
		t.Errorf("install-service.cmd lacks actions= %s:\n%s", sc, r.installScript(t))
	}
}

func checkUser(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "unit User", r.unitValue(t, "User"), str(want))
	eq(t, "unit Group", r.unitValue(t, "Group"), str(want))
	if !strings.Contains(r.debControl(t, "postinst"), str(want)) {
		t.Errorf("the deb's postinst does not create user %s", want)
	}
}

// unitLine checks a directive that carries a field's value as it is.
func unitLine(key string) func(t *testing.T, r *fieldsRelease, want any) {
	return func(t *testing.T, r *fieldsRelease, want any) {
		eq(t, "unit "+key, r.unitValue(t, key), str(want))
	}
}

func checkHardening(t *testing.T, r *fieldsRelease, want any) {
	if want != true {
		t.Fatalf("the check reads hardening: true, not %v", want)
	}
	// Every directive is in the unit but those hardening_off names.
	checkHardeningOff(t, r, r.spec.Service.Linux.HardeningOff)
}

func checkHardeningOff(t *testing.T, r *fieldsRelease, want any) {
	off := strs(want)
	for _, d := range linuxpkg.HardeningDirectives() {
		if has := len(r.unitValues(t, d)) > 0; has == slices.Contains(off, d) {
			t.Errorf("unit: %s present %v, with hardening_off %v", d, has, off)
		}
	}
}

func checkBinDir(t *testing.T, r *fieldsRelease, want any) {
	bin := str(want) + "/" + fieldsName
	eq(t, "image Entrypoint", r.ociConfig(t).Config.Entrypoint, []string{bin})
	r.ociFile(t, strings.TrimPrefix(bin, "/"))
	eq(t, "unit ExecStart program", textread.SystemdWords(r.unitValue(t, "ExecStart"), true)[0], bin)
	for where, files := range map[string]map[string][]byte{"deb": r.debFiles(t), "apk": r.apkFiles(t)} {
		if _, ok := files[strings.TrimPrefix(bin, "/")]; !ok {
			t.Errorf("the %s has no %s: %v", where, bin, slices.Sorted(maps.Keys(files)))
		}
	}
	if !slices.Contains(r.rpmLines(t, "-l"), bin) {
		t.Errorf("rpm -ql lists no %s", bin)
	}
}

func checkUnitOverrides(t *testing.T, r *fieldsRelease, want any) {
	for k, v := range want.(map[string]string) {
		eq(t, "unit "+k, r.unitValues(t, k), []string{v})
	}
}

// unitList checks a directive that carries a list field's values, joined
// by spaces.
// checkDependsOn: the unit starts after the dependency, and the MSI's
// service waits for it (msiinfo's ServiceInstall).
func checkDependsOn(t *testing.T, r *fieldsRelease, want any) {
	if after := r.unitValues(t, "After"); !slices.Contains(after, str(want)+".service") {
		t.Errorf("unit After= %v, want %s.service", after, want)
	}
	rows := runTool(t, "msitools", "msiinfo", "export", r.msi(t), "ServiceInstall")
	if !strings.Contains(string(rows), str(want)+"[~][~]") {
		t.Errorf("the MSI's ServiceInstall does not wait for %s:\n%s", want, rows)
	}
}

// dependsOnWindowsOnly: a dependency for Windows alone reaches the MSI and
// not the unit.
func dependsOnWindowsOnly(t *testing.T, r *fieldsRelease) {
	name := r.spec.Service.DependsOn[0].Name // the name row's, base or alternative
	if after := r.unitValues(t, "After"); slices.Contains(after, name+".service") {
		t.Errorf("unit After= %v: %s is for Windows alone", after, name)
	}
	rows := runTool(t, "msitools", "msiinfo", "export", r.msi(t), "ServiceInstall")
	if !strings.Contains(string(rows), name+"[~][~]") {
		t.Errorf("the MSI's ServiceInstall does not wait for %s:\n%s", name, rows)
	}
}

// checkDependsOnKind: with want, the unit names the dependency in key=
// (Requires= or BindsTo=), else not.
func checkDependsOnKind(key string) func(t *testing.T, r *fieldsRelease, want any) {
	return func(t *testing.T, r *fieldsRelease, want any) {
		got := slices.Contains(r.unitValues(t, key), "fields-db.service")
		eq(t, "unit "+key+"=fields-db.service", got, want == true)
	}
}

// checkWaitNetwork: the unit waits for network-online.target as asked.
func checkWaitNetwork(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "unit After=network-online.target", slices.Contains(r.unitValues(t, "After"), "network-online.target"),
		want == true)
}

func unitList(key string) func(t *testing.T, r *fieldsRelease, want any) {
	return func(t *testing.T, r *fieldsRelease, want any) {
		eq(t, "unit "+key, r.unitValue(t, key), strings.Join(strs(want), " "))
	}
}

func checkCapabilities(t *testing.T, r *fieldsRelease) {
	eq(t, "unit AmbientCapabilities", r.unitValue(t, "AmbientCapabilities"), "CAP_NET_RAW")
	eq(t, "unit PrivateUsers", r.unitValues(t, "PrivateUsers"), []string(nil))
	if !r.spec.Service.Linux.HardeningOn() {
		// Without the sandbox there is no bounding set to widen; the
		// ambient set alone grants the capability.
		eq(t, "unit CapabilityBoundingSet", r.unitValues(t, "CapabilityBoundingSet"), []string(nil))
		return
	}
	eq(t, "unit CapabilityBoundingSet", r.unitValue(t, "CapabilityBoundingSet"), "CAP_NET_RAW")
}

func checkRunPrograms(t *testing.T, r *fieldsRelease, want any) {
	for _, l := range linuxpkg.RunProgramsDrops {
		if name, _, _ := strings.Cut(l, "="); slices.Contains(r.spec.Service.Linux.HardeningOff, name) {
			continue
		}
		if has := strings.Contains(r.unit(t), "\n"+l+"\n"); has == (want == true) {
			t.Errorf("unit: %s present %v, with run_programs %v", l, has, want)
		}
	}
}

func checkDarwinUser(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "plist UserName", r.plist(t)["UserName"], str(want))
}

func checkNotify(t *testing.T, r *fieldsRelease, want any) {
	typ := "exec"
	if want == true {
		typ = "notify"
	}
	eq(t, "unit Type", r.unitValue(t, "Type"), typ)
}

func checkWrap(t *testing.T, r *fieldsRelease, _ any) {
	wrapper, err := os.ReadFile(r.wrapper(t))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "the zip's svcwrap.exe is the released wrapper", bytes.Equal(r.zipFiles(t)[config.WrapperExe], wrapper), true)
	eq(t, "the MSI's svcwrap.exe is the released wrapper", bytes.Equal(r.msiInstalled(t, config.WrapperExe), wrapper), true)
	eq(t, "install-service.cmd SVC_EXE", r.cmdSetRaw(t, "SVC_EXE"), "%~dp0"+config.WrapperExe)
	comp := r.msiRow(t, "ServiceInstall", "ServiceInstall", "Svc")["Component_"]
	eq(t, "MSI service component's key file", r.msiRow(t, "Component", "Component", comp)["KeyPath"], r.msiFileKey(t, config.WrapperExe))
}

// msiLongName is the long name of an MSI file or folder name, written
// short|long or as the long name alone.
func msiLongName(v string) string {
	if _, long, ok := strings.Cut(v, "|"); ok {
		return long
	}
	return v
}

// msiFileKey is the File table key of the installed file name.
func (r *fieldsRelease) msiFileKey(t *testing.T, name string) string {
	t.Helper()
	for _, row := range r.msiTable(t, "File") {
		if msiLongName(row["FileName"]) == name {
			return row["File"]
		}
	}
	t.Fatalf("the MSI's File table has no %s", name)
	return ""
}

// wrapperJSONField checks a wrapper setting in svcwrap.json (zip and MSI),
// where durations are Go duration strings and sizes numbers of bytes.
// checkPreshutdown: the wrapper learns to accept PRESHUTDOWN from
// svcwrap.json, and the MSI sets the service's preshutdown timeout
// (MsiServiceConfig type 7, milliseconds).
func checkPreshutdown(t *testing.T, r *fieldsRelease, want any) {
	wrapperJSONField("preshutdown_timeout")(t, r, want)
	ms := strconv.FormatInt(dur(t, want).Milliseconds(), 10)
	row := r.msiRow(t, "MsiServiceConfig", "MsiServiceConfig", "SvcPreshutdown")
	eq(t, "MSI preshutdown config type", row["ConfigType"], "7")
	eq(t, "MSI preshutdown timeout", row["Argument"], ms)
}

func wrapperJSONField(key string) func(t *testing.T, r *fieldsRelease, want any) {
	return func(t *testing.T, r *fieldsRelease, want any) {
		for where, cfg := range r.wrapperConfigs(t) {
			got := jsonAt(cfg, key)
			switch want := want.(type) {
			case int:
				eq(t, where+" svcwrap.json "+key, got, float64(want))
			case float64:
				eq(t, where+" svcwrap.json "+key, got, want)
			case string:
				if key == "logs.max_size" {
					n, err := svcwrap.ParseSize(want)
					if err != nil {
						t.Fatal(err)
					}
					eq(t, where+" svcwrap.json "+key, got, float64(n))
				} else if d, err := time.ParseDuration(want); err == nil {
					eq(t, where+" svcwrap.json "+key, dur(t, got), d)
				} else {
					eq(t, where+" svcwrap.json "+key, got, want)
				}
			case bool:
				eq(t, where+" svcwrap.json "+key, got, want)
			default:
				t.Fatalf("no reading of %T", want)
			}
		}
	}
}

func checkLogsDir(t *testing.T, r *fieldsRelease, want any) {
	wrapperJSONField("logs.dir")(t, r, want)
	eq(t, "install-service.cmd SVC_LOGS", r.cmdSetRaw(t, "SVC_LOGS"), "%~dp0"+str(want))
	lock := r.msiTable(t, "MsiLockPermissionsEx")
	if len(lock) != 1 {
		t.Fatalf("MsiLockPermissionsEx: %v", lock)
	}
	// The folder's segments, from the install directory down.
	var got []string
	for id := lock[0]["LockObject"]; id != "INSTALLDIR"; {
		row := r.msiRow(t, "Directory", "Directory", id)
		got = append([]string{msiLongName(row["DefaultDir"])}, got...)
		id = row["Directory_Parent"]
		if len(got) > 10 {
			t.Fatalf("MSI log folder %s: no INSTALLDIR above it", lock[0]["LockObject"])
		}
	}
	eq(t, "MSI log folder", got, strings.FieldsFunc(str(want), func(r rune) bool { return r == '\\' || r == '/' }))
}

func checkFileSrc(t *testing.T, r *fieldsRelease, want any) {
	text, err := os.ReadFile(filepath.Join(r.p.dir, str(want)))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "image", string(r.ociFile(t, strings.TrimPrefix(fieldsLinuxConf, "/"))), string(text))
	sum := sha256.Sum256(text)
	eq(t, "deb", string(r.debFiles(t)[strings.TrimPrefix(fieldsLinuxConf, "/")]), string(text))
	eq(t, "rpm digest", r.rpmDigests(t)[fieldsLinuxConf], hex.EncodeToString(sum[:]))
	eq(t, "apk", string(r.apkFiles(t)[strings.TrimPrefix(fieldsLinuxConf, "/")]), string(text))
	eq(t, "zip", string(r.zipFiles(t)[fieldsConfDst]), string(text))
	eq(t, "MSI", string(r.msiInstalled(t, fieldsConfDst)), string(text))
	for _, tg := range []string{linuxT, darwinT} {
		eq(t, tg+" tar.gz", string(r.tarGzFiles(t, tg)[fieldsConfDst]), string(text))
	}
}

func checkFileDst(t *testing.T, r *fieldsRelease, want any) {
	dst := str(want)
	linux := "etc/" + fieldsName + "/" + dst
	r.ociFile(t, linux)
	for where, files := range map[string]map[string][]byte{
		"deb": r.debFiles(t), "apk": r.apkFiles(t), "zip": r.zipFiles(t),
		"linux tar.gz": r.tarGzFiles(t, linuxT), "darwin tar.gz": r.tarGzFiles(t, darwinT),
	} {
		name := dst
		if where == "deb" || where == "apk" {
			name = linux
		}
		if _, ok := files[name]; !ok {
			t.Errorf("the %s has no %s: %v", where, name, slices.Sorted(maps.Keys(files)))
		}
	}
	if !slices.Contains(r.rpmLines(t, "-l"), "/"+linux) {
		t.Errorf("rpm -ql lists no /%s", linux)
	}
	r.msiInstalled(t, dst)
}

func checkFileConfig(t *testing.T, r *fieldsRelease, want any) {
	if want != true {
		t.Fatalf("the check reads config: true, not %v", want)
	}
	eq(t, "deb conffiles", strings.Fields(r.debControl(t, "conffiles")), []string{fieldsLinuxConf})
	eq(t, "rpm config files", r.rpmLines(t, "-c"), []string{fieldsLinuxConf})
	eq(t, "Scoop persist", r.scoop(t)["persist"], []any{strings.ReplaceAll(fieldsConfDst, "/", `\`)})
	eq(t, "Homebrew etc install", r.brew(t, "macos", "arm").Installs[1], []string{"install", "etc/" + fieldsName + "/" + path.Dir(fieldsConfDst), fieldsConfDst})
	// The darwin install.sh installs configuration files only where none is.
	install := string(r.tarGzFiles(t, darwinT)["install.sh"])
	if !strings.Contains(install, "if [ ! -e '/usr/local/etc/"+fieldsName+"/"+fieldsConfDst+"' ]") {
		t.Errorf("install.sh does not keep an existing %s:\n%s", fieldsConfDst, install)
	}
}

func checkGPGKey(t *testing.T, r *fieldsRelease, want any) {
	if want != r.p.gpg.SecretFile {
		t.Fatalf("the check reads the base key, not %v", want)
	}
	sums := filepath.Join(r.res.Dist, packager.ChecksumsName)
	r.p.gpg.Verify(t, sums+".asc", sums)
	db := t.TempDir()
	runTool(t, "rpm", "rpmkeys", "--dbpath", db, "--import", r.p.gpg.PublicFile)
	out := string(runTool(t, "rpm", "rpm", "--dbpath", db, "-K", "-v", r.rpm(t)))
	if !strings.Contains(out, "Header V4 RSA/SHA256 Signature, key ID") || !strings.Contains(out, ": OK") || strings.Contains(out, "NOKEY") {
		t.Errorf("rpm -K with the key's public half:\n%s", out)
	}
}

func checkPassphraseEnv(t *testing.T, r *fieldsRelease, want any) {
	// The key has a passphrase: the signature shows it was read from the
	// variable, and without the variable the config is refused.
	sums := filepath.Join(r.res.Dist, packager.ChecksumsName)
	r.p.gpg.Verify(t, sums+".asc", sums)
	r.refusedWithout(t, "gpg.passphrase_env", str(want))
}

func checkGPGSign(t *testing.T, r *fieldsRelease, want any) {
	signs := strs(want)
	sums := filepath.Join(r.res.Dist, packager.ChecksumsName)
	if slices.Contains(signs, "checksums") {
		r.p.gpg.Verify(t, sums+".asc", sums)
	}
	members := strings.Fields(string(runTool(t, "binutils", "ar", "t", r.deb(t))))
	eq(t, "deb signed (_gpgorigin)", slices.Contains(members, "_gpgorigin"), slices.Contains(signs, "deb"))
	sig := strings.TrimSpace(r.rpmQuery(t, "%{RSAHEADER:pgpsig}"))
	eq(t, "rpm signed", sig != "(none)", slices.Contains(signs, "rpm"))
}

// checksumsOK is what sha256sum -c --strict says of every file of
// checksums.txt: the paths it found with their content.
func (r *fieldsRelease) checksumsOK(t *testing.T) map[string]bool {
	return cached(r, "checksums", func() map[string]bool {
		bin := testtool.Need(t, "sha256sum", "coreutils")
		cmd := exec.Command(bin, "-c", "--strict", packager.ChecksumsName)
		cmd.Dir = r.res.Dist
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
		ok := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if p, found := strings.CutSuffix(l, ": OK"); found {
				ok[p] = true
			}
		}
		return ok
	})
}

// checkNamed fails unless the artifacts of kinds, and only they, are at
// the paths name gives for their targets, each checked by sha256sum -c.
func checkNamed(t *testing.T, r *fieldsRelease, kinds []packager.Kind, name func(a Artifact) []string) {
	t.Helper()
	ok := r.checksumsOK(t)
	n := 0
	for _, a := range r.res.Artifacts {
		if !slices.Contains(kinds, a.Kind) {
			continue
		}
		n++
		if want := name(a); !slices.Contains(want, a.Path) {
			t.Errorf("%s %s for %s: want one of %q", a.Kind, a.Path, a.Target(), want)
		}
		if !ok[a.Path] {
			t.Errorf("sha256sum -c did not check %s", a.Path)
		}
	}
	if n == 0 {
		t.Errorf("no artifact of %v", kinds)
	}
}

// render is a name template of the fields project for target tg.
func render(t *testing.T, r *fieldsRelease, tmpl string, tg platform.Target, d naming.Data) string {
	t.Helper()
	d.TemplateData = matrix.TemplateData{Name: fieldsName, Version: fieldsVersion, Commit: r.spec.Commit, Date: "2023-11-14T22:13:20Z"}.For(tg)
	n, err := naming.Name(tmpl, d)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func checkArchiveNames(t *testing.T, r *fieldsRelease, want any) {
	checkNamed(t, r, []packager.Kind{packager.KindZip, packager.KindMSI, packager.KindTarGz, packager.KindSBOM}, func(a Artifact) []string {
		base := render(t, r, str(want), a.Platform(), naming.Data{})
		return []string{base + ".zip", base + ".msi", base + ".tar.gz", base + ".sbom.cdx.json", base + ".svcwrap.sbom.cdx.json"}
	})
}

func checkPackageNames(t *testing.T, r *fieldsRelease, want any) {
	// The formats' own names, from what their tools read in each package.
	conv := map[packager.Kind]string{
		packager.KindDeb: r.debField(t, "Package") + "_" + r.debField(t, "Version") + "_" + r.debField(t, "Architecture"),
		packager.KindRPM: r.rpmQuery(t, "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}"),
		packager.KindAPK: r.apkInfo(t, "pkgname") + "_" + r.apkInfo(t, "pkgver") + "_" + r.apkInfo(t, "arch"),
	}
	checkNamed(t, r, []packager.Kind{packager.KindDeb, packager.KindRPM, packager.KindAPK}, func(a Artifact) []string {
		return []string{render(t, r, str(want), a.Platform(), naming.Data{Format: string(a.Kind), Conventional: conv[a.Kind]}) + "." + string(a.Kind)}
	})
}

// checkReleaseNames checks the chart's and the Compose file's names: their
// own names are the chart's name and version, from its Chart.yaml, and the
// project's name.
func checkReleaseNames(t *testing.T, r *fieldsRelease, want any) {
	var chart struct{ Name, Version string }
	if err := yaml.Unmarshal(r.chartFile(t, "Chart.yaml"), &chart); err != nil {
		t.Fatal(err)
	}
	if chart.Name == "" || chart.Version == "" {
		t.Fatal("the chart has no Chart.yaml naming it")
	}
	d := matrix.TemplateData{Name: fieldsName, Version: fieldsVersion, Commit: r.spec.Commit, Date: "2023-11-14T22:13:20Z"}
	name := func(format, conv string) string {
		n, err := naming.Name(str(want), naming.Data{TemplateData: d, Format: format, Conventional: conv})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	chartFile := "helm/" + name("helm", chart.Name+"-"+chart.Version) + ".tgz"
	composeDir := "compose/" + name("compose", fieldsName) + "/"
	checkNamed(t, r, []packager.Kind{packager.KindHelm, packager.KindCompose}, func(a Artifact) []string {
		if a.Kind == packager.KindHelm {
			return []string{chartFile}
		}
		parts := strings.SplitN(a.Path, "/", 3) // compose/<folder>/<file in it>
		return []string{composeDir + parts[len(parts)-1]}
	})
}

func checkBinaryDirs(t *testing.T, r *fieldsRelease, want any) {
	checkNamed(t, r, []packager.Kind{packager.KindBinary, packager.KindWrapper}, func(a Artifact) []string {
		dir := render(t, r, str(want), a.Platform(), naming.Data{})
		return []string{path.Join(dir, matrix.BinaryName(fieldsName, a.OS)), path.Join(dir, config.WrapperExe)}
	})
}

// winget is the winget manifest of kind (version, defaultLocale or
// installer) as PyYAML reads it, after python3-jsonschema validated it
// against winget's schema.
func (r *fieldsRelease) winget(t *testing.T, kind string) map[string]any {
	t.Helper()
	return cached(r, "winget "+kind, func() map[string]any {
		var found []string
		for _, a := range r.res.Artifacts {
			k := "version"
			switch {
			case strings.HasSuffix(a.Path, ".installer.yaml"):
				k = "installer"
			case strings.HasSuffix(a.Path, ".locale.en-US.yaml"):
				k = "defaultLocale"
			}
			if a.Kind == packager.KindWinget && k == kind {
				found = append(found, filepath.Join(r.res.Dist, filepath.FromSlash(a.Path)))
			}
		}
		if len(found) != 1 {
			t.Fatalf("want one winget %s manifest, found %v", kind, found)
		}
		testtool.ValidateJSONSchema(t, filepath.Join("..", "manifests", "winget", "testdata", "schema", "manifest."+kind+".1.10.0.json"), found[0])
		return testtool.ReadYAML(t, found[0])
	})
}

// scoop is the Scoop manifest, after python3-jsonschema validated it
// against Scoop's schema.
func (r *fieldsRelease) scoop(t *testing.T) map[string]any {
	t.Helper()
	return cached(r, "scoop", func() map[string]any {
		file := r.art(t, packager.KindScoop, "", ".json")
		testtool.ValidateJSONSchema(t, filepath.Join("..", "manifests", "scoop", "testdata", "schema", "schema.json"), file)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	})
}

// nupkgParts are the parts of the Chocolatey package and nuspec its
// nuspec, after nupkgtest checked it (unzip, xmllint with Chocolatey's XSD).
func (r *fieldsRelease) nupkgParts(t *testing.T) map[string][]byte {
	t.Helper()
	return cached(r, "nupkg", func() map[string][]byte {
		parts, _ := nupkgtest.Check(t, r.art(t, packager.KindChocolatey, "", ".nupkg"), filepath.Join("..", "manifests", "chocolatey", "testdata", "nuspec", "nuspec.xsd"), chocolatey.NuspecNamespace)
		return parts
	})
}

func (r *fieldsRelease) nuspec(t *testing.T) nupkgtest.Nuspec {
	t.Helper()
	return cached(r, "nuspec", func() nupkgtest.Nuspec {
		_, n := nupkgtest.Check(t, r.art(t, packager.KindChocolatey, "", ".nupkg"), filepath.Join("..", "manifests", "chocolatey", "testdata", "nuspec", "nuspec.xsd"), chocolatey.NuspecNamespace)
		return n
	})
}

// brew is the Homebrew formula as Ruby reads it on platform and cpu
// (brewtest: ruby -c, then the formula evaluated).
func (r *fieldsRelease) brew(t *testing.T, platform, cpu string) brewtest.Result {
	t.Helper()
	return cached(r, "brew "+platform+" "+cpu, func() brewtest.Result {
		return brewtest.Read(t, r.art(t, packager.KindHomebrew, "", ".rb"), platform, cpu)
	})
}

// checkDnfURL: the .repo file points dnf at the repository and its key.
// aptRelease checks a field of the apt repository's Release file.
func aptRelease(field string) func(t *testing.T, r *fieldsRelease, want any) {
	return func(t *testing.T, r *fieldsRelease, want any) {
		b, err := os.ReadFile(r.art(t, packager.KindApt, "", "apt/dists/"+r.spec.Apt.Suite+"/Release"))
		if err != nil {
			t.Fatal(err)
		}
		if line := field + ": " + str(want); !slices.Contains(strings.Split(string(b), "\n"), line) {
			t.Errorf("Release lacks %q:\n%s", line, b)
		}
	}
}

// installShValue reads a value of install.sh back with sh itself: the
// script's line that sets the variable, evaluated.
func installShValue(variable string) func(t *testing.T, r *fieldsRelease, want any) {
	return func(t *testing.T, r *fieldsRelease, want any) {
		script := r.art(t, packager.KindInstallSh, "", "install.sh")
		out, err := exec.Command("sh", "-c", `eval "$(grep "^$1=" "$2")" && eval "printf %s \"\$$1\""`, "sh",
			variable, script).CombinedOutput()
		if err != nil || string(out) != str(want) {
			t.Errorf("install.sh sets %s to %q (%v), want %q", variable, out, err, want)
		}
	}
}

// The SoftHSM2 token of the pkcs11 rows.
const (
	tokenPIN   = "1234-user" // softhsm.New's
	tokenUnset = "the base signs with key files; its pkcs11 rows move each signer onto a SoftHSM2 token"
)

// tokenModules are two paths of Debian's SoftHSM2 library (a link and its
// target): the module field's base and alternative.
var tokenModules = [2]string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"}

func tokenURI(object string) string { return "pkcs11:token=svcpack-test;object=" + object }

// tokenOnce makes the token and puts the project's keys on it, each under
// two objects: the OpenPGP key's RSA primary, the Authenticode key, and an
// image key.
func (p *fieldsProject) tokenOnce() *softhsm.Token {
	t := p.t
	if p.token != nil {
		return p.token
	}
	p.token = softhsm.New(t)
	code, err := exec.Command("openssl", "pkey", "-in", filepath.Join(p.dir, "keys/key.pem"), "-passin",
		"pass:"+fieldsSignPass).Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, suffix := range []string{"", "2"} {
		id := fmt.Sprintf("%02x", 1+3*i)
		p.token.ImportKey(t, "openpgp"+suffix, id, testgpg.RSAKeys(t, p.gpg.SecretFile, fieldsGPGPass)[0])
		p.token.ImportPEM(t, "code"+suffix, fmt.Sprintf("%02x", 2+3*i), code)
		p.token.GenEC(t, "image"+suffix, fmt.Sprintf("%02x", 3+3*i))
	}
	armored, err := os.ReadFile(p.gpg.PublicFile)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(p.dir, "keys/release.pub.asc"), armored)
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	binary, _ := io.ReadAll(block.Body)
	writeTestFile(t, filepath.Join(p.dir, "keys/release.pub"), binary)
	return p.token
}

// tokenSection is a pkcs11 section on the token.
func tokenSection(object string) map[string]any {
	return map[string]any{"module": tokenModules[0], "uri": tokenURI(object), "pin_env": "FIELDS_TOKEN_PIN"}
}

// signOnToken moves Authenticode onto the token.
func (p *fieldsProject) signOnToken(cfg map[string]any) []string {
	p.tokenOnce()
	sg := cfg["windows"].(map[string]any)["sign"].(map[string]any)
	changed := deleteFields(sg, "windows.sign", "command", "pkcs12", "key", "password_env")
	if slices.Contains(changed, "windows.sign.command") {
		changed = append(changed, "windows.sign.program")
	}
	if sg["cert"] != "keys/cert.pem" {
		changed = append(changed, "windows.sign.cert")
	}
	sg["cert"], sg["pkcs11"] = "keys/cert.pem", tokenSection("code")
	return append(changed, "windows.sign.pkcs11.uri", "windows.sign.pkcs11.pin_env")
}

// deleteFields deletes the keys of a config section at path that it has,
// and returns their field paths.
func deleteFields(section map[string]any, path string, keys ...string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := section[k]; ok {
			delete(section, k)
			out = append(out, path+"."+k)
		}
	}
	return out
}

// gpgOnToken moves the OpenPGP key onto the token: the RSA primary of the
// base key, whose certificate gpg exported.
func (p *fieldsProject) gpgOnToken(cfg map[string]any) []string {
	p.tokenOnce()
	g := cfg["gpg"].(map[string]any)
	delete(g, "key_file")
	delete(g, "passphrase_env")
	g["public_key"], g["pkcs11"] = "keys/release.pub.asc", tokenSection("openpgp")
	return []string{"gpg.key_file", "gpg.passphrase_env", "gpg.public_key", "gpg.pkcs11.uri", "gpg.pkcs11.pin_env"}
}

// imageOnToken moves the image signatures' key onto the token.
func (p *fieldsProject) imageOnToken(cfg map[string]any) []string {
	p.tokenOnce()
	o := cfg["oci"].(map[string]any)
	o["sign"] = map[string]any{"pkcs11": tokenSection("image")}
	return []string{"oci.sign.key", "oci.sign.pkcs11.uri", "oci.sign.pkcs11.pin_env"}
}

// checkTokenGPG: the release's OpenPGP signatures are the base key's, made
// by the token.
func (p *fieldsProject) checkTokenGPG(t *testing.T, r *fieldsRelease) {
	sums := filepath.Join(r.res.Dist, packager.ChecksumsName)
	p.gpg.Verify(t, sums+".asc", sums)
}

// imageOnly: the image signatures are made at publish (TestPublishSigned);
// the release with the key on the token still makes the image index.
func imageOnly(t *testing.T, r *fieldsRelease) {
	r.art(t, packager.KindOCIIndex, "", ".oci.tar")
}

// checkHelmReplicas reads values.yaml's replicaCount back from the chart.
func checkHelmReplicas(t *testing.T, r *fieldsRelease, want any) {
	var v struct {
		ReplicaCount int `yaml:"replicaCount"`
	}
	if err := yaml.Unmarshal(r.chartFile(t, "values.yaml"), &v); err != nil {
		t.Fatal(err)
	}
	eq(t, "values.yaml replicaCount", v.ReplicaCount, want)
}

// checkProbe checks one setting of the health check in the chart's
// liveness probe, as values.yaml holds it.
func checkProbe(key string) func(t *testing.T, r *fieldsRelease, want any) {
	return func(t *testing.T, r *fieldsRelease, want any) {
		var v struct {
			Probes struct {
				Liveness struct {
					HTTPGet struct {
						Path string
						Port int
					} `yaml:"httpGet"`
					PeriodSeconds    int `yaml:"periodSeconds"`
					TimeoutSeconds   int `yaml:"timeoutSeconds"`
					FailureThreshold int `yaml:"failureThreshold"`
				}
			}
		}
		if err := yaml.Unmarshal(r.chartFile(t, "values.yaml"), &v); err != nil {
			t.Fatal(err)
		}
		p := v.Probes.Liveness
		switch key {
		case "url":
			u, err := url.Parse(str(want))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "liveness probe", fmt.Sprintf("%s on %d", p.HTTPGet.Path, p.HTTPGet.Port), u.RequestURI()+" on "+u.Port())
		case "interval", "timeout":
			d, err := time.ParseDuration(str(want))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "liveness probe "+key, map[string]int{"interval": p.PeriodSeconds, "timeout": p.TimeoutSeconds}[key], int(d.Seconds()))
		case "failures":
			eq(t, "liveness probe failureThreshold", p.FailureThreshold, want)
		}
	}
}

// chartFile is one file of the release's chart.
func (r *fieldsRelease) chartFile(t *testing.T, name string) []byte {
	t.Helper()
	files := cached(r, "chart", func() map[string][]byte { return gzTarFiles(t, r.art(t, packager.KindHelm, "", ".tgz")) })
	for n, b := range files {
		if strings.HasSuffix(n, "/"+name) {
			return b
		}
	}
	t.Fatalf("the chart has no %s", name)
	return nil
}

// publishOnly is why no artifact shows a tap's, bucket's or pages' settings.
const publishOnly = "svcpack publish reads it to commit the formula, the manifest or the trees " +
	"(TestPublishTapAndBucket, TestShipToHosts)"

// aptFromEmpty: a tree grown from an empty checkout is the release's own
// debs, signed.
func aptFromEmpty(t *testing.T, r *fieldsRelease) {
	in := r.art(t, packager.KindApt, "", "apt/dists/"+r.spec.Apt.Suite+"/InRelease")
	if b, err := os.ReadFile(in); err != nil || !bytes.Contains(b, []byte("BEGIN PGP SIGNED MESSAGE")) {
		t.Errorf("the apt tree grown from an empty folder has no signed InRelease: %v", err)
	}
}

// dnfFromEmpty: a tree grown from an empty checkout is the release's own
// rpms, signed.
func dnfFromEmpty(t *testing.T, r *fieldsRelease) {
	asc := r.art(t, packager.KindDnf, "", "dnf/repodata/repomd.xml.asc")
	if b, err := os.ReadFile(asc); err != nil || !bytes.Contains(b, []byte("BEGIN PGP SIGNATURE")) {
		t.Errorf("the dnf tree grown from an empty folder has no signed repomd.xml: %v", err)
	}
}

func checkDnfURL(t *testing.T, r *fieldsRelease, want any) {
	repo, err := os.ReadFile(r.art(t, packager.KindDnf, "", "dnf/"+fieldsName+".repo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"baseurl=" + str(want) + "/", "gpgkey=" + str(want) + "/RPM-GPG-KEY-" + fieldsName} {
		if !slices.Contains(strings.Split(string(repo), "\n"), line) {
			t.Errorf("%s.repo lacks %q:\n%s", fieldsName, line, repo)
		}
	}
}

func checkChocolateyID(t *testing.T, r *fieldsRelease, want any) {
	eq(t, "nuspec id", r.nuspec(t).Metadata.ID, str(want))
	r.art(t, packager.KindChocolatey, "", "chocolatey/"+str(want)+"."+fieldsVersion+".nupkg")
	if _, ok := r.nupkgParts(t)[str(want)+".nuspec"]; !ok {
		t.Errorf("no %s.nuspec in the package", want)
	}
}

// wingetInstaller is the installer of the one MSI in the winget manifests.
func (r *fieldsRelease) wingetInstaller(t *testing.T) map[string]any {
	t.Helper()
	ins, _ := r.winget(t, "installer")["Installers"].([]any)
	if len(ins) != 1 {
		t.Fatalf("winget installers: %v", ins)
	}
	return ins[0].(map[string]any)
}

// downloadFile is a file of the release rendered by the download URL
// template want for target tg.
func downloadFile(t *testing.T, r *fieldsRelease, want any, tg platform.Target, file string) string {
	t.Helper()
	u, err := naming.URL(str(want), naming.URLData{TemplateData: matrix.TemplateData{Name: fieldsName, Version: fieldsVersion, Commit: r.spec.Commit, Date: "2023-11-14T22:13:20Z"}.For(tg), File: file})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func checkDownloadURLs(t *testing.T, r *fieldsRelease, want any) {
	msi := filepath.Base(r.msi(t))
	win := platform.Target{OS: "windows", Arch: "amd64"}
	eq(t, "winget InstallerUrl", r.wingetInstaller(t)["InstallerUrl"], downloadFile(t, r, want, win, msi))
	eq(t, "Scoop url", jsonAt(r.scoop(t), "architecture.64bit.url"), downloadFile(t, r, want, win, filepath.Base(r.zip(t))))
	linux := platform.Target{OS: "linux", Arch: "amd64"}
	eq(t, "Homebrew Linux url", r.brew(t, "linux", "intel").Fields["url"], downloadFile(t, r, want, linux, filepath.Base(r.art(t, packager.KindTarGz, linuxT, ".tar.gz"))))
	eq(t, "Chocolatey url64bit", psHashtable(t, string(r.nupkgParts(t)["tools/chocolateyinstall.ps1"]))["url64bit"], downloadFile(t, r, want, win, msi))
}

func checkWingetID(t *testing.T, r *fieldsRelease, want any) {
	id := str(want)
	for kind, suffix := range map[string]string{"version": ".yaml", "defaultLocale": ".locale.en-US.yaml", "installer": ".installer.yaml"} {
		eq(t, "winget "+kind+" PackageIdentifier", r.winget(t, kind)["PackageIdentifier"], id)
		r.art(t, packager.KindWinget, "", "/"+strings.ReplaceAll(id, ".", "/")+"/"+fieldsVersion+"/"+id+suffix)
	}
}

// resolvedFrom maps each resolved field of the spec (a `spec` tag: not in
// the file, computed by Load) to the YAML fields it is computed from, as
// Load decides the contract fields.
// commit and date come from git and SOURCE_DATE_EPOCH, from no field.
// TestCacheKeysFollowReads checks this table against the specs Load makes.
var resolvedFrom = map[string][]string{

	// The contract decisions, each forced in the base config (detected
	// from main's imports for the targets with the tags only when auto).
	"service.contract.wrap":   {"service.wrap"},
	"service.contract.notify": {"service.linux.notify"},
	"windows.sign.program":    {"windows.sign.command"},
	"commit":                  nil,
	"date":                    nil,
}

// resolvedFields lists the resolved fields of config.Spec by reflection:
// the paths of fields with a `spec` tag.
func resolvedFields() []string {
	var out []string
	var visit func(t reflect.Type, prefix string)
	visit = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			switch {
			case f.Type == reflect.TypeOf(config.Contract{}):
				// Two decisions, each with its own inputs.
				for j := 0; j < f.Type.NumField(); j++ {
					out = append(out, strings.TrimPrefix(prefix+"."+f.Tag.Get("spec")+"."+f.Type.Field(j).Tag.Get("spec"), "."))
				}
			case f.Tag.Get("spec") != "":
				out = append(out, strings.TrimPrefix(prefix+"."+f.Tag.Get("spec"), "."))
			case f.IsExported() && name != "" && name != "-":
				visit(f.Type, strings.TrimPrefix(prefix+"."+name, "."))
			}
		}
	}
	visit(reflect.TypeOf(config.Spec{}), "")
	return out
}

// specUnit is the path Spec.Project can address for a field: a field of a
// list item (files.src) is projected with its list.
func specUnit(field string) string {
	// A field of a list's items is projected as the whole list.
	for _, list := range []string{"files", "service.depends_on"} {
		if strings.HasPrefix(field, list+".") {
			return list
		}
	}
	return field
}

// covers reports whether a declared read and a field path overlap: one is
// the other or lies under it at a '.' boundary.
func covers(read, field string) bool {
	return read == field || strings.HasPrefix(field, read+".") || strings.HasPrefix(read, field+".")
}

// changedUnits is what changing the YAML fields changes in the spec: the
// fields themselves (as Project addresses them) and the resolved fields
// computed from them.
func changedUnits(fields []string) []string {
	set := map[string]bool{}
	for _, f := range fields {
		set[specUnit(f)] = true
		for r, from := range resolvedFrom {
			for _, src := range from {
				if covers(src, f) {
					set[r] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// specDiff lists the fields (and resolved fields) whose projections of a
// and b differ, as the cache key sees them (JSON).
func specDiff(t *testing.T, a, b *config.Spec) []string {
	t.Helper()
	units := map[string]bool{}
	for _, f := range config.Fields() {
		units[specUnit(f.Path)] = true
	}
	for _, r := range resolvedFields() {
		units[r] = true
	}
	var out []string
	for _, u := range slices.Sorted(maps.Keys(units)) {
		var js [2][]byte
		for i, s := range []*config.Spec{a, b} {
			v, err := s.Project([]string{u})
			if err != nil {
				t.Fatal(err)
			}
			if js[i], err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(js[0], js[1]) {
			out = append(out, u)
		}
	}
	return out
}

// fieldsStep is one release of the fields project: the spec, the result,
// the jobs the cache recorded (job id -> artifact paths), and the digests
// of the raw go build outputs the binary, exe and svcwrap jobs read.
type fieldsStep struct {
	spec *config.Spec
	res  *Result
	jobs map[string][]string
	raw  map[string]string // "<target> <kind>" -> SHA-256
}

// step writes cfg, loads it and releases it with o.
func (p *fieldsProject) step(t *testing.T, cfg map[string]any, o Options) *fieldsStep {
	t.Helper()
	st, err := releaseStep(p.load(t, cfg), o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// releaseStep releases spec with o and reads what the cache recorded.
func releaseStep(spec *config.Spec, o Options) (*fieldsStep, error) {
	res, err := Release(context.Background(), spec, o)
	if err != nil {
		return nil, err
	}
	st := &fieldsStep{spec: spec, res: res, jobs: map[string][]string{}, raw: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(CacheDir(res.Dist), "state.json"))
	if err != nil {
		return nil, err
	}
	var state struct {
		Jobs map[string]struct {
			Artifacts []struct {
				Path string `json:"path"`
			} `json:"artifacts"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(b, &state); err != nil {
		return nil, err
	}
	for id, j := range state.Jobs {
		for _, a := range j.Artifacts {
			st.jobs[id] = append(st.jobs[id], a.Path)
		}
	}
	for _, tg := range spec.Targets {
		raws := map[packager.Kind]string{packager.KindRawBinary: matrix.OutputPath(filepath.Join(CacheDir(res.Dist), "bin"), spec.Name, tg)}
		if spec.Wraps(tg) {
			raws[packager.KindRawWrapper] = matrix.OutputPath(filepath.Join(CacheDir(res.Dist), "wrap"), strings.TrimSuffix(config.WrapperExe, ".exe"), tg)
		}
		for k, file := range raws {
			sum, _, err := hashFile(file)
			if err != nil {
				return nil, err
			}
			st.raw[tg.String()+" "+string(k)] = sum
		}
	}
	return st, nil
}

// digest identifies what a job of target tg reads of kind k.
func (s *fieldsStep) digest(tg platform.Target, k packager.Kind) string {
	if k == packager.KindRawBinary || k == packager.KindRawWrapper {
		return s.raw[tg.String()+" "+string(k)]
	}
	var out []string
	for _, a := range s.res.Artifacts {
		// A release-wide job (zero target) reads every target's.
		if a.Kind == k && (tg.IsZero() || a.Platform() == tg) {
			out = append(out, a.Path+" "+a.SHA256)
		}
	}
	return strings.Join(out, "\n")
}

// sums are the digests of a job's artifacts, sorted.
func (s *fieldsStep) sums(id string) []string {
	var out []string
	for _, a := range s.res.Artifacts {
		if slices.Contains(s.jobs[id], a.Path) {
			out = append(out, a.SHA256)
		}
	}
	slices.Sort(out)
	return out
}

// redone reports whether the job made its artifacts (none reused).
func (s *fieldsStep) redone(t *testing.T, id string) bool {
	t.Helper()
	reused := map[string]bool{}
	for _, a := range s.res.Artifacts {
		reused[a.Path] = a.Reused
	}
	redone := 0
	for _, p := range s.jobs[id] {
		if !reused[p] {
			redone++
		}
	}
	if redone != 0 && redone != len(s.jobs[id]) {
		t.Errorf("job %s reused some of its artifacts and made others: %v", id, s.jobs[id])
	}
	return redone > 0
}

// sameRelease fails unless two release directories hold the same files
// with the same bytes.
func sameRelease(t *testing.T, what, a, b string) {
	t.Helper()
	diffs, err := CompareDirs(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("%s: the incremental release differs from a forced one: %s: %s", what, d.Path, d.Detail)
	}
}

// checkRedone compares the jobs the release cur redid after prev with what
// the packagers declare: a job must be redone iff its packager reads a
// changed field (or a resolved field computed from one, or a path field
// whose file changed), an artifact it uses changed bytes, or it is new.
func checkRedone(t *testing.T, fields, contents []string, prev, cur *fieldsStep) {
	t.Helper()
	units := changedUnits(fields)
	if got := specDiff(t, prev.spec, cur.spec); !slices.Equal(got, units) {
		t.Errorf("the specs differ in %v, but changing %v should change %v: update resolvedFrom", got, fields, units)
	}
	for _, c := range contents {
		units = append(units, specUnit(c))
	}
	what := slices.Clone(fields)
	for _, c := range contents {
		what = append(what, c+" (the file's content)")
	}
	byName := map[string]*packager.Packager{}
	for _, pk := range registry() {
		byName[pk.Name] = pk
	}
	for _, id := range slices.Sorted(maps.Keys(cur.jobs)) {
		name, target, _ := strings.Cut(id, " ")
		pk := byName[name]
		var tg platform.Target // a release-wide job's is the zero target
		var err error
		if target != "" {
			tg, err = platform.Parse(target)
		}
		if pk == nil || err != nil {
			t.Fatalf("job %q: no such packager or target (%v)", id, err)
		}
		var why []string
		for _, r := range pk.Reads {
			for _, u := range units {
				if covers(r, u) {
					why = append(why, "reads "+r)
				}
			}
		}
		for _, k := range pk.Uses {
			if prev.digest(tg, k) != cur.digest(tg, k) {
				why = append(why, "uses a changed "+string(k))
			}
		}
		if _, ok := prev.jobs[id]; !ok {
			why = append(why, "is new")
		}
		switch redone := cur.redone(t, id); {
		case redone && len(why) > 0 && slices.Equal(prev.sums(id), cur.sums(id)):
			// Not an error: the key follows the declaration. Logged
			// because it shows declarations broader than what a packager
			// writes from.
			t.Logf("field %s: job %s redone (it %s) and made the same bytes", strings.Join(what, " and "), id, strings.Join(why, ", "))
		case redone && len(why) == 0:
			t.Errorf("field %s: job %s redone but does not read it (and nothing it uses changed)", strings.Join(what, " and "), id)
		case !redone && len(why) > 0:
			t.Errorf("field %s: job %s read it but was reused (it %s)", strings.Join(what, " and "), id, strings.Join(why, ", "))
		}
	}
}

// TestCacheKeysFollowReads changes the fields one at a time, each release
// starting from the previous one (the base config, then each row's
// alternative in turn, the late rows last; after a path field's, the
// content of the file it names): every incremental release into the same
// dist must equal a forced release of the same config byte for byte (no
// stale reuse), and redo exactly the jobs that read the changed field or
// use an artifact that changed.
//
// It makes about 140 releases (one incremental and one forced per step),
// several minutes on two cores: -short skips it.
func TestCacheKeysFollowReads(t *testing.T) {
	if testing.Short() {
		t.Skip("releases the fields project about 140 times; run without -short")
	}
	p := newFieldsProject(t)
	for _, u := range resolvedFields() {
		if _, ok := resolvedFrom[u]; !ok {
			t.Fatalf("resolved field %s: add it to resolvedFrom with the fields Load computes it from", u)
		}
	}
	tmp := t.TempDir()
	// Every incremental release goes into the same dist, whatever the dist
	// field says (a changed dist would otherwise start from nothing).
	dist, forced := filepath.Join(tmp, "dist"), filepath.Join(tmp, "forced")
	cfg := p.baseConfig()
	prev := p.step(t, cfg, Options{Dist: dist})
	p.step(t, cfg, Options{Dist: forced, Force: true})
	sameRelease(t, "base", dist, forced)
	var skippedFields, skippedContents []string // changes of steps -run left out
	for _, ch := range p.changes() {
		next, fields, contents := ch.apply(t, cfg)
		fields, contents = append(skippedFields, fields...), append(skippedContents, contents...)
		ran, done := false, false
		t.Run(ch.name, func(t *testing.T) {
			ran = true
			spec := p.load(t, next)
			// The forced release runs beside the incremental one: they
			// share nothing but the (immutable) spec.
			var forcedErr error
			var wg sync.WaitGroup
			wg.Go(func() { _, forcedErr = releaseStep(spec, Options{Dist: forced, Force: true}) })
			cur, err := releaseStep(spec, Options{Dist: dist})
			wg.Wait()
			if err := errors.Join(err, forcedErr); err != nil {
				t.Fatal(err)
			}
			sameRelease(t, ch.name, dist, forced)
			checkRedone(t, fields, contents, prev, cur)
			if ch.checkAlt != nil {
				ch.checkAlt(t, &fieldsRelease{p: p, spec: cur.spec, res: cur.res})
			}
			prev, done = cur, true
		})
		switch {
		case !ran:
			skippedFields, skippedContents = fields, contents
		case !done:
			t.Fatalf("stopping after %s: its releases did not complete, so the next change would not start from them", ch.name)
		default:
			skippedFields, skippedContents = nil, nil
		}
		cfg = next
	}
}

// fieldsChange is one step of TestCacheKeysFollowReads: a field set to its
// alternative, or the content of the file a path field names changed.
type fieldsChange struct {
	name string
	// apply returns the config after the change, with the fields it
	// changed and the path fields whose files' content it changed.
	apply    func(t *testing.T, cfg map[string]any) (next map[string]any, fields, contents []string)
	checkAlt func(t *testing.T, r *fieldsRelease)
}

// changes are the steps of TestCacheKeysFollowReads: each row's
// alternative (the late rows last); after a path field's, the alternative
// file gets the base file's content, for the cache key covers what a file
// holds, not only its name.
func (p *fieldsProject) changes() []fieldsChange {
	var rows []fieldRow
	for _, late := range []bool{false, true} {
		for _, r := range p.rows {
			if r.late == late {
				rows = append(rows, r)
			}
		}
	}
	paths := map[string]bool{}
	for _, f := range config.Fields() {
		paths[f.Path] = f.Type == reflect.TypeOf(config.Path(""))
	}
	var out []fieldsChange
	for _, row := range rows {
		out = append(out, fieldsChange{name: row.path, checkAlt: row.checkAlt,
			apply: func(_ *testing.T, cfg map[string]any) (map[string]any, []string, []string) {
				next, fields := alternative(cfg, row)
				return next, fields, nil
			}})
		base, ok1 := row.base.(string)
		alt, ok2 := row.alt.(string)
		if !paths[row.path] || !ok1 || !ok2 {
			continue
		}
		out = append(out, fieldsChange{name: row.path + " content",
			apply: func(t *testing.T, cfg map[string]any) (map[string]any, []string, []string) {
				abs := func(f string) string {
					if filepath.IsAbs(f) {
						return f
					}
					return filepath.Join(p.dir, f)
				}
				b, err := os.ReadFile(abs(base))
				if err != nil {
					t.Fatal(err)
				}
				writeTestFile(t, abs(alt), b)
				return cfg, nil, []string{row.path}
			}})
	}
	return out
}

// TestWritersReadOnlyDeclaredFields runs every packager's Write for every
// target of the base release twice, as the pipeline runs it: with the
// projection of the spec onto its declared Reads, and with the whole spec,
// each into a directory of its own, from the base release's inputs. The
// outputs must be the same bytes (and the release's): a writer that reads a
// field it does not declare would see it zero in the projection only.
func TestWritersReadOnlyDeclaredFields(t *testing.T) {
	p := newFieldsProject(t)
	ctx := context.Background()
	st := p.step(t, p.baseConfig(), Options{Dist: filepath.Join(t.TempDir(), "dist")})
	spec, res := st.spec, st.res
	made := map[string]string{}
	for _, a := range res.Artifacts {
		made[a.Path] = a.SHA256
	}
	ran := map[string]bool{}
	for _, pk := range registry() {
		view, err := spec.Project(pk.Reads)
		if err != nil {
			t.Fatal(err)
		}
		targets := planTargets(spec, spec.Targets, registry())
		if pk.ReleaseWide { // one job for the release, with the zero target
			targets = []platform.Target{{}}
		}
		for _, tg := range targets {
			if !pk.AppliesTo(spec, tg) {
				continue
			}
			id := jobID(pk, tg)
			ran[id] = true
			projected := runWrite(ctx, t, spec, view, pk, tg, res)
			full := runWrite(ctx, t, spec, spec, pk, tg, res)
			if !maps.Equal(projected, full) {
				t.Errorf("job %s writes differently from the whole spec than from its declared Reads %v: it reads an undeclared field\nprojection: %v\nwhole spec: %v", id, pk.Reads, projected, full)
			}
			// The harness runs Write as the pipeline does: the same files.
			eq(t, "job "+id+" artifacts", slices.Sorted(maps.Keys(projected)), slices.Sorted(slices.Values(st.jobs[id])))
			for path, sum := range projected {
				if made[path] != sum {
					t.Errorf("job %s: %s differs from the release's", id, path)
				}
			}
		}
	}
	eq(t, "jobs run", slices.Sorted(maps.Keys(ran)), slices.Sorted(maps.Keys(st.jobs)))
}

// runWrite runs pk's Write for target tg with spec view, as Plan.runJob
// does, into a new directory, with the inputs the base release made; it
// returns the artifacts' digests by path.
func runWrite(ctx context.Context, t *testing.T, spec, view *config.Spec, pk *packager.Packager, tg platform.Target, base *Result) map[string]string {
	t.Helper()
	p, err := newPlan(spec, Options{Dist: base.Dist}, t.TempDir()) // loads the OpenPGP key, as a release does
	if err != nil {
		t.Fatal(err)
	}
	var ins []input
	from := sources(pk, spec, spec.Targets, tg)
	for _, a := range base.Artifacts {
		if readsTarget(from, a.Platform()) && slices.Contains(pk.Uses, a.Kind) {
			ins = append(ins, input{kind: a.Kind, name: "$DIST/" + a.Path, path: filepath.Join(base.Dist, filepath.FromSlash(a.Path)), sha256: a.SHA256})
			// Job.Inputs lists the plan's artifacts (a release-wide job
			// reads every target's): the run's directory holds them.
			if err := link(filepath.Join(base.Dist, filepath.FromSlash(a.Path)), p.Abs(a.Path)); err != nil {
				t.Fatal(err)
			}
			p.add(a)
		}
	}
	for k, dir := range map[packager.Kind]string{packager.KindRawBinary: "bin", packager.KindRawWrapper: "wrap"} {
		name := spec.Name
		if k == packager.KindRawWrapper {
			name = strings.TrimSuffix(config.WrapperExe, ".exe")
		}
		raw := matrix.OutputPath(filepath.Join(CacheDir(base.Dist), dir), name, tg)
		if _, err := os.Stat(raw); err == nil && !tg.IsZero() && slices.Contains(pk.Uses, k) {
			ins = append(ins, input{kind: k, name: string(k), path: raw})
		}
	}
	r := &jobRun{plan: p, pk: pk, target: tg, from: from, ins: ins}
	if err := pk.Write(ctx, packager.NewJob(view, tg, r)); err != nil {
		t.Fatalf("%s: %v", jobID(pk, tg), err)
	}
	out := map[string]string{}
	for _, a := range r.outs {
		out[a.Path] = a.SHA256
	}
	return out
}

// testTSA is an RFC 3161 time-stamping server for windows.sign.timestamp_url.
// Real servers answer with the current time and the request's nonce, so a
// time-stamped signature is never the same twice; this one answers every
// request for an imprint with the same token (a time fixed when it starts,
// a serial number from the imprint, no nonce: osslsigncode accepts that),
// so that releases stay byte-for-byte comparable. It counts requests by
// URL path, to show which URL the release used.
type testTSA struct {
	*httptest.Server
	cert *x509.Certificate
	key  *rsa.PrivateKey
	time time.Time

	mu    sync.Mutex
	paths map[string]int
}

// ASN.1 of RFC 3161 and RFC 5652 (CMS), as far as a time-stamp token needs.
var (
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidTSAPolicy     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1} // the documentation arc
)

type tsaImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type tsaRequest struct {
	Version        int
	MessageImprint tsaImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional,default:false"`
	Extensions     asn1.RawValue         `asn1:"optional,tag:0"`
}

type tsaTSTInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint tsaImprint
	SerialNumber   *big.Int
	GenTime        time.Time `asn1:"generalized"`
}

type cmsAttribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type cmsIssuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type cmsSignerInfo struct {
	Version            int
	SID                cmsIssuerAndSerial
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue // [0] IMPLICIT SET OF Attribute
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

type cmsEncapContent struct {
	Type    asn1.ObjectIdentifier
	Content []byte `asn1:"explicit,tag:0"`
}

type cmsSignedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo cmsEncapContent
	Certificates     asn1.RawValue   `asn1:"optional"` // [0] IMPLICIT
	SignerInfos      []cmsSignerInfo `asn1:"set"`
}

type cmsContentInfo struct {
	Type    asn1.ObjectIdentifier
	Content asn1.RawValue // [0] EXPLICIT, built by hand: asn1 ignores tags on RawValue
}

type tsaResponse struct {
	Status struct{ Status int }
	Token  cmsContentInfo
}

type essCertIDv2 struct{ CertHash []byte } // hash algorithm: the default, SHA-256

type essSigningCertV2 struct{ Certs []essCertIDv2 }

func newTestTSA(t *testing.T, keyFile, certFile string) *testTSA {
	t.Helper()
	readPEM := func(file string) []byte {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s holds no PEM block", file)
		}
		return blk.Bytes
	}
	cert, err := x509.ParseCertificate(readPEM(certFile))
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(readPEM(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	// The time lies inside the certificates' validity, which starts now.
	s := &testTSA{cert: cert, key: k.(*rsa.PrivateKey), time: time.Now().UTC().Truncate(time.Second).Add(time.Second), paths: map[string]int{}}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// hits is the number of requests for the URL path p.
func (s *testTSA) hits(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[p]
}

func (s *testTSA) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var q tsaRequest
	if err == nil {
		_, err = asn1.Unmarshal(body, &q)
	}
	if err != nil || len(q.MessageImprint.HashedMessage) < 8 {
		http.Error(w, fmt.Sprintf("bad time-stamp request: %v", err), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.paths[req.URL.Path]++
	s.mu.Unlock()
	resp, err := s.token(q)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}

// token signs the TSTInfo for the request's imprint as CMS SignedData.
func (s *testTSA) token(q tsaRequest) ([]byte, error) {
	info, err := asn1.Marshal(tsaTSTInfo{Version: 1, Policy: oidTSAPolicy, MessageImprint: q.MessageImprint,
		SerialNumber: new(big.Int).SetBytes(q.MessageImprint.HashedMessage[:8]), GenTime: s.time})
	if err != nil {
		return nil, err
	}
	infoSum, certSum := sha256.Sum256(info), sha256.Sum256(s.cert.Raw)
	var attrs [][]byte
	for _, a := range []struct {
		oid asn1.ObjectIdentifier
		v   any
	}{
		{oidContentType, oidTSTInfo},
		{oidMessageDigest, infoSum[:]},
		{oidSigningCertV2, essSigningCertV2{Certs: []essCertIDv2{{CertHash: certSum[:]}}}},
	} {
		v, err := asn1.Marshal(a.v)
		if err != nil {
			return nil, err
		}
		b, err := asn1.Marshal(cmsAttribute{Type: a.oid, Values: []asn1.RawValue{{FullBytes: v}}})
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, b)
	}
	// DER sorts a SET OF by encoding; the signature covers it as a SET.
	slices.SortFunc(attrs, bytes.Compare)
	set := bytes.Join(attrs, nil)
	signed, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: set})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(signed)
	sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, sum[:])
	if err != nil {
		return nil, err
	}
	sd := cmsSignedData{
		Version:          3,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: oidSHA256}},
		EncapContentInfo: cmsEncapContent{Type: oidTSTInfo, Content: info},
		SignerInfos: []cmsSignerInfo{{
			Version:            1,
			SID:                cmsIssuerAndSerial{Issuer: asn1.RawValue{FullBytes: s.cert.RawIssuer}, Serial: s.cert.SerialNumber},
			DigestAlgorithm:    pkix.AlgorithmIdentifier{Algorithm: oidSHA256},
			SignedAttrs:        asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: set},
			SignatureAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue},
			Signature:          sig,
		}},
	}
	if q.CertReq {
		sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: s.cert.Raw}
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	var resp tsaResponse
	resp.Token = cmsContentInfo{Type: oidSignedData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}}
	return asn1.Marshal(resp)
}
