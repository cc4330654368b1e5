// Package config loads svcpack.yaml into a Spec: one resolved value that
// every format reads. Load decodes strictly (an unknown key is an error
// naming file:line), fills defaults, resolves the version (with its
// renderings for each format), the commit, the build date and every path,
// and runs every check that any format would make, so that `svcpack check`
// rejects exactly what a release would. Every message names the file and
// line, the field, the bad value and what would be valid.
//
// A Spec is never modified after Load. The release pipeline hands each
// packager a projection of it (Project) holding only the fields that
// packager declares it reads, so that what a packager reads and what its
// cache key covers cannot drift apart.
package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/version"
)

// FileName is the conventional name of the config file.
const FileName = "svcpack.yaml"

// Spec is a release specification: svcpack.yaml as Load completes it. Field
// paths (for messages and Project) are the YAML keys joined with dots
// ("service.linux.user"); a resolved field that is not in the file names
// its path in a `spec` tag.
type Spec struct {
	// Name is the artifact and binary base name.
	Name string `yaml:"name"`
	// Main is the main package, relative to the config file's directory.
	Main string `yaml:"main"`
	// Version is the release version: as written, or (when empty)
	// SVCPACK_VERSION, git describe or 0.0.0-dev; Load parses it.
	Version Version `yaml:"version"`
	// TagPrefix is the prefix of the git tags that name this program's
	// versions, in a repository that releases several programs: with svc/,
	// tag svc/v1.2.3 releases 1.2.3 and other tags are not used. Unset,
	// tags holding a '/' are not used.
	TagPrefix string `yaml:"tag_prefix"`
	// Targets lists GOOS/GOARCH[/variant] targets to build.
	Targets []platform.Target `yaml:"targets"`
	// Ldflags are passed to go build, each a text/template over the build
	// data ({{.Version}}, {{.Commit}}, ...).
	Ldflags []string `yaml:"ldflags"`
	// Tags are build tags passed to go build.
	Tags []string `yaml:"tags"`
	// Dist is the output directory; absolute after Load. Load refuses one
	// outside the project folder unless Env allows it (DistOutside).
	Dist string `yaml:"dist"`
	// Formats lists the artifact formats to produce besides binaries.
	Formats []string `yaml:"formats"`
	// Vendor is the company, maintainer and manufacturer.
	Vendor string `yaml:"vendor"`
	// Maintainer is the package maintainer ("Name <email>"); defaults to
	// Vendor.
	Maintainer string `yaml:"maintainer"`
	// Homepage is the project URL.
	Homepage string `yaml:"homepage"`
	// License is the license name (SPDX identifier).
	License string `yaml:"license"`
	// LicenseFile is the license text shipped in every package; defaults
	// to LICENSE beside the config when that file exists.
	LicenseFile Path `yaml:"license_file"`
	// Description is the package description; defaults to the service's.
	Description string `yaml:"description"`
	// Windows holds Windows resource and installer settings.
	Windows Windows `yaml:"windows"`
	// Service describes how the program runs as a service.
	Service Service `yaml:"service"`
	// Files are extra files shipped in every package.
	Files []File `yaml:"files"`
	// AllowOutside lists files and folders outside the project folder
	// (relative to it, or absolute) that files[].src, license_file and
	// windows.icon may name: without it, a shipped file must lie inside
	// the project folder once symbolic links are resolved.
	AllowOutside []string `yaml:"allow_outside"`
	// GPG, when set, signs the debs, rpms and checksums.txt with an
	// OpenPGP key.
	GPG *GPG `yaml:"gpg"`
	// NameTemplate names the artifacts; the defaults are svcpack's own
	// names.
	NameTemplate NameTemplate `yaml:"name_template"`
	// DownloadURL is where the released files are downloaded from: a
	// template over the name variables and {{.File}}, an artifact's file
	// name (https://github.com/acme/hello/releases/download/v{{.Version}}/{{.File}}).
	// The package managers' manifests point there.
	DownloadURL string `yaml:"download_url"`
	// Winget sets the winget manifests.
	Winget Winget `yaml:"winget"`
	// Chocolatey sets the Chocolatey package.
	Chocolatey Chocolatey `yaml:"chocolatey"`
	// OCI sets the container images of the oci format.
	OCI OCI `yaml:"oci"`
	// Dnf sets the dnf/yum repository of the dnf format.
	Dnf Dnf `yaml:"dnf"`
	// Apt sets the apt repository of the apt format.
	Apt Apt `yaml:"apt"`
	// Helm sets the Helm chart of the helm format.
	Helm Helm `yaml:"helm"`
	// Homebrew sets where `svcpack publish` commits the Homebrew formula.
	Homebrew Homebrew `yaml:"homebrew"`
	// Scoop sets where `svcpack publish` commits the Scoop manifest.
	Scoop Scoop `yaml:"scoop"`
	// Pages is the git repository whose branch a static host serves
	// (GitHub Pages' gh-pages): `svcpack publish` commits the apt and dnf
	// trees and install.sh there.
	Pages GitRepo `yaml:"pages"`

	// Commit is the git commit of the project, when known.
	Commit string `yaml:"-" spec:"commit"`
	// Date is the build date: SOURCE_DATE_EPOCH, else the commit time.
	Date time.Time `yaml:"-" spec:"date"`

	// Warnings are what Load found likely wrong but not invalid, each with
	// file:line, field and fix.
	Warnings []string `yaml:"-" json:"-"`

	// Dir is the directory of the config file (absolute).
	Dir string `yaml:"-" json:"-"`
	// Path is the config file path as given to Load (for messages).
	Path string `yaml:"-" json:"-"`

	lines map[string]int // field path -> line, for messages
}

// Version is the release version, parsed, with where it came from.
type Version struct {
	version.Version
	// Source says where the version came from: config, SVCPACK_VERSION,
	// git describe or default.
	Source string `json:"-"`
	// Tag is the git tag git describe described the commit from
	// (svc/v1.2.3), when the version came from it.
	Tag string `json:"-"`

	raw  string          // as written in the file
	tags *tagDescription // what git said of the tags, for checkVersionTags
}

// Field is the field path messages name for the version: "version", or
// "version (from git describe)" when it did not come from the file.
func (v Version) Field() string {
	if v.Source == "config" || v.Source == "" {
		return "version"
	}
	return "version (from " + v.Source + ")"
}

// UnmarshalText keeps the version as written; Load resolves and parses it.
func (v *Version) UnmarshalText(b []byte) error {
	v.raw = string(b)
	return nil
}

// Windows holds Windows-specific settings.
type Windows struct {
	// Icon is a .png or .ico for the exe and installer.
	Icon Path `yaml:"icon"`
	// ProductName is shown in file properties and the installer.
	ProductName string `yaml:"product_name"`
	// Copyright is the LegalCopyright string.
	Copyright string `yaml:"copyright"`
	// Manifest sets the application manifest.
	Manifest Manifest `yaml:"manifest"`
	// MSI sets the Windows Installer package.
	MSI MSI `yaml:"msi"`
	// Sign, when set, signs the exes and MSIs with Authenticode.
	Sign *Sign `yaml:"sign"`
}

// Sign configures Authenticode signing.
type Sign struct {
	// PKCS12 is a .p12/.pfx file; or give Cert and Key (PEM).
	PKCS12 Path `yaml:"pkcs12"`
	// Cert and Key are a PEM certificate chain and its private key.
	Cert Path `yaml:"cert"`
	Key  Path `yaml:"key"`
	// PasswordEnv names the environment variable holding the password
	// (passwords are never written in the config).
	PasswordEnv string `yaml:"password_env"`
	// TimestampURL is an RFC 3161 time-stamping server (optional).
	TimestampURL string `yaml:"timestamp_url"`
	// PKCS11 takes the signing key from a PKCS#11 token (with Cert, the
	// certificate chain), through osslsigncode's PKCS#11 engine.
	PKCS11 *PKCS11 `yaml:"pkcs11"`
	// Command signs with a command instead of a key file (a cloud signing
	// service's tool): its program and arguments, each a template over
	// {{.In}} (the file to sign), {{.Out}} (where the command writes the
	// signed file) and {{.File}} (the artifact's name), run in the config's
	// folder once per exe and MSI. Secrets reach it through the
	// environment only. A program named by a path relative to svcpack.yaml
	// is a file of the project, whose content the cache key covers.
	Command []string `yaml:"command"`
	// Program is Command's program when it is a file of the project
	// (resolved by Load), so that the cache key covers its content.
	Program Path `yaml:"-" spec:"program"`
	// Password is read from PasswordEnv by Load; it is kept out of every
	// cache key.
	Password string `yaml:"-" json:"-"`
}

// GPG configures OpenPGP signing of Linux packages and checksums.txt.
type GPG struct {
	// KeyFile is the secret key, as `gpg --export-secret-keys --armor`
	// writes it (one key; RSA or Ed25519, so signatures are reproducible).
	KeyFile Path `yaml:"key_file"`
	// PassphraseEnv names the environment variable holding the key's
	// passphrase (passphrases are never written in the config).
	PassphraseEnv string `yaml:"passphrase_env"`
	// Sign lists what to sign: deb, rpm, checksums (default: all three).
	Sign []string `yaml:"sign"`
	// PublicKey is the key's certificate (gpg --export --armor) when its
	// secret half is on a token (PKCS11): the token signs, the certificate
	// says who.
	PublicKey Path `yaml:"public_key"`
	// PKCS11 takes the secret key from a PKCS#11 token instead of KeyFile
	// (an RSA key: go-crypto signs Ed25519 only in memory).
	PKCS11 *PKCS11 `yaml:"pkcs11"`
	// Passphrase is read from PassphraseEnv by Load; it is kept out of
	// every cache key.
	Passphrase string `yaml:"-" json:"-"`
	// Key is the opened secret key, set during Load by the release core's
	// gpg check, which opens it with the OpenPGP encoder (config imports
	// none), so that a release opens the key once; nil until then. It is
	// kept out of every cache key.
	Key OpenedKey `yaml:"-" json:"-"`
}

// PKCS11 names a key on a PKCS#11 token: a hardware module, a cloud HSM's
// library or SoftHSM2.
type PKCS11 struct {
	// Module is the token's PKCS#11 library (an absolute path on the
	// release machine, such as /usr/lib/softhsm/libsofthsm2.so).
	Module string `yaml:"module"`
	// URI names the token and the key (RFC 7512:
	// pkcs11:token=release;object=signing), never the PIN.
	URI string `yaml:"uri"`
	// PINEnv names the environment variable holding the token's PIN.
	PINEnv string `yaml:"pin_env"`
	// PIN is read from PINEnv by Load; it is kept out of every cache key.
	PIN string `yaml:"-" json:"-"`
}

// OpenedKey is a secret key as the release core opened it (its
// *pgpsign.Signer); config only carries it.
type OpenedKey any

// NameTemplate holds the text/templates that name the artifacts, over the
// variables ldflags templates see ({{.Name}}, {{.Version}}, {{.Os}},
// {{.Arch}}, {{.Variant}}, {{.ArchName}}, {{.Commit}}, {{.Date}}). Each
// renders one file name (no path separators), and the names of a release
// must all differ.
type NameTemplate struct {
	// Archive names the zip, tar.gz, MSI and SBOMs before their extension
	// (default DefaultArchiveName).
	Archive string `yaml:"archive"`
	// Package names the deb, rpm and apk before their extension; it also
	// sees {{.Format}} and {{.Conventional}}, the format's own name
	// (default DefaultPackageName).
	Package string `yaml:"package"`
	// BinaryDir names the folder holding a target's binaries (default
	// DefaultBinaryDir).
	BinaryDir string `yaml:"binary_dir"`
	// Release names the artifacts made once per release with no target:
	// the Helm chart before .tgz and the Compose folder. It also sees
	// {{.Format}} (helm, compose) and {{.Conventional}}, the format's own
	// name (hello-1.2.3, hello) (default DefaultReleaseName).
	Release string `yaml:"release"`
}

// Winget holds the winget manifests' settings.
type Winget struct {
	// PackageID is the PackageIdentifier, Publisher.Package (default: the
	// vendor's letters, digits, '-', '_' and '+', a dot and the name:
	// AcmeCorp.hello).
	PackageID string `yaml:"package_id"`
}

// Chocolatey holds the Chocolatey package's settings.
type Chocolatey struct {
	// ID is the package id (default: the name in lower case).
	ID string `yaml:"id"`
}

// The default name templates: the names svcpack has always made.
const (
	DefaultArchiveName = "{{.Name}}_{{.Version}}_{{.Os}}_{{.ArchName}}"
	DefaultPackageName = "{{.Conventional}}"
	DefaultBinaryDir   = "{{.Name}}_{{.Os}}_{{.ArchName}}"
	DefaultReleaseName = "{{.Conventional}}"
)

// Apt holds the apt repository settings (the apt format): where the
// debs are found in it, and the name apt preferences pin it by.
type Apt struct {
	// Suite is the folder under dists/ that sources name (default
	// "stable").
	Suite string `yaml:"suite"`
	// Component is the repository's one component (default "main").
	Component string `yaml:"component"`
	// Origin is Release's Origin and Label (default: the name), which
	// preferences pin on (Pin: release o=<origin>).
	Origin string `yaml:"origin"`
	// URL is where dist/apt/ is served from (https://example.com/apt/):
	// the URIs of the sources install.sh writes (the install.sh format
	// needs it).
	URL string `yaml:"url"`
	// Previous is the folder of the tree this release's repository grows
	// from (a checkout of the branch or bucket that serves it), relative to
	// svcpack.yaml: its debs stay beside the new ones. It is read, never
	// written, and may lie outside the project: its InRelease must verify
	// with gpg's key and its debs match the indexes it signs.
	Previous Path `yaml:"previous"`
	// Keep is how many versions of each package and architecture the
	// repository keeps, the newest ones (default 5, at least 1).
	Keep int `yaml:"keep"`
}

// Dnf holds the dnf/yum repository settings (the dnf format).
type Dnf struct {
	// URL is where dist/dnf/ is served from (https://example.com/dnf/):
	// the .repo file's baseurl, and its key's URL below it.
	URL string `yaml:"url"`
	// Previous is the folder of the tree this release's repository grows
	// from (a checkout of what serves it), relative to svcpack.yaml: its
	// rpms stay beside the new ones. It is read, never written, and may lie
	// outside the project: its repomd.xml.asc must verify with gpg's key,
	// and its rpms match the metadata it signs.
	Previous Path `yaml:"previous"`
	// Keep is how many versions of each package and architecture the
	// repository keeps, the newest ones (default 5, at least 1).
	Keep int `yaml:"keep"`
}

// Helm holds the Helm chart's settings (the helm format).
type Helm struct {
	// Replicas is the Deployment's replica count (default 1).
	Replicas int `yaml:"replicas"`
	// Push is where `svcpack publish` pushes the chart: an OCI registry
	// repository (oci://host/path; default: the first oci.push's registry
	// and path with /charts).
	Push string `yaml:"push"`
}

// Homebrew holds the Homebrew settings of `svcpack publish`.
type Homebrew struct {
	// Tap is the git repository the formula is committed to (under
	// Formula/ by default).
	Tap GitRepo `yaml:"tap"`
}

// Scoop holds the Scoop settings of `svcpack publish`.
type Scoop struct {
	// Bucket is the git repository the manifest is committed to (under
	// bucket/ by default).
	Bucket GitRepo `yaml:"bucket"`
}

// GitRepo is a git repository `svcpack publish` commits a release's file
// to, one commit per release.
type GitRepo struct {
	// Repository is a local folder (relative to svcpack.yaml; a checkout,
	// whose working tree must be clean, or a bare repository) or an https
	// URL. Empty: nothing is committed.
	Repository string `yaml:"repository"`
	// Branch is the branch committed to (default main; gh-pages for
	// pages).
	Branch string `yaml:"branch"`
	// Folder is the file's folder in the repository (default Formula for a
	// tap, bucket for a bucket, "." (the top) for pages).
	Folder string `yaml:"folder"`
	// TokenEnv names the environment variable holding the token pushed to
	// an https URL with (as the password of user x-access-token, which
	// GitHub and most forges accept); never written anywhere.
	TokenEnv string `yaml:"token_env"`
	// Author is the commit's author and committer, "Name <email>" (default:
	// the maintainer).
	Author string `yaml:"author"`
}

// OCI holds the container image settings (the oci format): what the image
// is built on, how its container runs, and where `svcpack publish` pushes it.
type OCI struct {
	// Base is the image to build on: an OCI image layout directory or
	// archive on disk holding an image for each Linux target's platform
	// (no registry is contacted). Empty: nothing (scratch).
	Base Path `yaml:"base"`
	// User runs the program: a numeric uid[:gid] (default 65532:65532, no
	// privileges; an image from scratch has no user database).
	User string `yaml:"user"`
	// Port is the TCP port the image exposes (default: service.env's PORT
	// when it is a number; none otherwise).
	Port int `yaml:"port"`
	// WorkDir is the container's working directory, owned by User (default
	// /var/lib/<service.name>, the packages' state directory).
	WorkDir string `yaml:"workdir"`
	// CACertificates ships a TLS root bundle (Mozilla's, as Go's
	// x509roots/fallback module carries it) at
	// /etc/ssl/certs/ca-certificates.crt (default true).
	CACertificates *bool `yaml:"ca_certificates"`
	// TZData ships the Go toolchain's time zone database in
	// /usr/share/zoneinfo (default false).
	TZData bool `yaml:"tzdata"`
	// Push lists the registry references `svcpack publish` pushes the
	// multi-platform image index to (host/repository[:tag]; without a tag,
	// the version's).
	Push []string `yaml:"push"`
	// Sign signs what `svcpack publish` pushes (the index and each image)
	// as cosign does with a key, so that cosign verify --key accepts it.
	Sign OCISign `yaml:"sign"`
}

// OCISign holds the key of the image signatures.
type OCISign struct {
	// Key is a PKCS#8 PEM private key (ECDSA P-256, RSA or Ed25519, as
	// openssl genpkey writes it), outside version control.
	Key Path `yaml:"key"`
	// PKCS11 takes the key from a PKCS#11 token instead.
	PKCS11 *PKCS11 `yaml:"pkcs11"`
}

// CACertificatesOn reports whether the image carries the TLS root bundle.
func (o OCI) CACertificatesOn() bool { return o.CACertificates == nil || *o.CACertificates }

// Manifest holds application manifest options.
type Manifest struct {
	// ExecutionLevel is asInvoker, highestAvailable or requireAdministrator.
	ExecutionLevel string `yaml:"execution_level"`
	// LongPathAware opts in to paths over MAX_PATH.
	LongPathAware bool `yaml:"long_path_aware"`
	// UTF8 sets the active code page to UTF-8.
	UTF8 bool `yaml:"utf8"`
}

// MSI holds Windows Installer settings.
type MSI struct {
	// UpgradeCode identifies the product across versions; fixed forever.
	UpgradeCode string `yaml:"upgrade_code"`
	// InstallDir is the folder under Program Files.
	InstallDir string `yaml:"install_dir"`
}

// Service describes the service the program runs as.
type Service struct {
	// Name is the SCM, systemd and launchd name.
	Name string `yaml:"name"`
	// DisplayName is the name shown in services.msc.
	DisplayName string `yaml:"display_name"`
	// Description is shown by the service managers.
	Description string `yaml:"description"`
	// Args are passed by the service manager to the program.
	Args []string `yaml:"args"`
	// Start is auto, delayed, manual or disabled.
	Start string `yaml:"start"`
	// Account is the Windows account: LocalSystem, LocalService,
	// NetworkService or a virtual account NT SERVICE\<name>.
	Account string `yaml:"account"`
	// Env is the service environment.
	Env map[string]string `yaml:"env"`
	// Restart sets the restart-on-failure policy.
	Restart Restart `yaml:"restart"`
	// DependsOn lists the services that must run before this one: the
	// MSI's and sc's dependencies on Windows, After= and Wants= (Requires=,
	// or BindsTo= with bind) in the systemd unit; launchd has none.
	DependsOn []Dependency `yaml:"depends_on"`
	// Linux holds systemd-specific settings.
	Linux Linux `yaml:"linux"`
	// Darwin holds launchd-specific settings.
	Darwin Darwin `yaml:"darwin"`
	// Wrap runs the program under svcpack's service wrapper on Windows
	// (cmd/svcwrap), for programs that do not speak to the SCM: the
	// packages then register svcwrap.exe as the service, and the wrapper
	// runs the program with Args and Env from the install folder. auto (the
	// default) wraps exactly the programs that do not import the SCM
	// package (see Contract).
	Wrap Switch `yaml:"wrap"`
	// Wrapper tunes the wrapper; it applies when the program is wrapped.
	Wrapper Wrapper `yaml:"wrapper"`
	// Health is the program's HTTP health check, wrapped or not: the
	// containers' probes, and the wrapper's check unless Wrapper.Health
	// sets one of its own.
	Health *WrapperHealth `yaml:"health"`
	// Contract is what Load decided from Wrap, Linux.Notify and the
	// program's imports, with the reasons.
	Contract Contract `yaml:"-" spec:"contract"`
}

// StartsByHand reports whether the service is installed without starting
// at boot: start is manual or disabled.
func (s Service) StartsByHand() bool { return s.Start == "manual" || s.Start == "disabled" }

// Wraps reports whether target t ships the service wrapper: a Windows
// target of a spec whose wrap decision is on.
func (c *Spec) Wraps(t platform.Target) bool { return c.Service.Contract.Wrap.On && t.OS == "windows" }

// Switch is a setting svcpack decides by itself unless it is forced: auto
// (the default, also when empty), true or false.
type Switch string

// The values of a Switch.
const (
	Auto Switch = "auto"
	On   Switch = "true"
	Off  Switch = "false"
)

// Forced reports whether the switch is set to true or false, and to which.
func (s Switch) Forced() (on, forced bool) {
	switch s {
	case On:
		return true, true
	case Off:
		return false, true
	}
	return false, false
}

// Contract holds the service-contract decisions for the packages: whether
// the Windows packages wrap the program, and whether the systemd unit waits
// for READY=1. Each is forced in the config or detected from what the
// program imports for that platform (package contract).
type Contract struct {
	// Wrap is on when the Windows zip and MSI run the program under
	// svcwrap.exe.
	Wrap Decision `spec:"wrap" json:"wrap"`
	// Notify is on when the systemd unit is Type=notify (else Type=exec).
	Notify Decision `spec:"notify" json:"notify"`
}

// Decision is one contract decision and why it was made.
type Decision struct {
	// On is the decision.
	On bool `spec:"on" json:"on"`
	// Why says where it came from: the config, or the import found (or
	// not found) in the program; empty when no target needed it.
	Why string `spec:"why" json:"why"`
}

// Wrapper holds the service wrapper's settings; empty fields take the
// wrapper's defaults. The first restart delay is Service.Restart.Delay.
type Wrapper struct {
	// StopTimeout bounds a graceful stop before the program's process tree
	// is ended (default 10s).
	StopTimeout Duration `yaml:"stop_timeout"`
	// PreshutdownTimeout, when set, makes the wrapper accept the SCM's
	// PRESHUTDOWN control and stop the program on it as on a stop, before
	// Windows shuts other services down; the installers set the service's
	// preshutdown timeout to it (the time the SCM waits for STOPPED).
	// Default 0: off, the program is stopped at SHUTDOWN.
	PreshutdownTimeout Duration `yaml:"preshutdown_timeout"`
	// Restart sets the backoff and the restart limit.
	Restart WrapperRestart `yaml:"restart"`
	// Logs sets the log folder and rotation.
	Logs WrapperLogs `yaml:"logs"`
	// Health, when set, is an HTTP health check.
	Health *WrapperHealth `yaml:"health"`
}

// WrapperRestart is the wrapper's restart backoff and limit.
type WrapperRestart struct {
	// Factor multiplies the delay after each consecutive restart (default 2).
	Factor float64 `yaml:"factor"`
	// MaxDelay caps the delay (default 1m).
	MaxDelay Duration `yaml:"max_delay"`
	// MaxRestarts within Window make the wrapper stop with a failure exit
	// code, so the SCM's recovery actions apply (default 5 in 5m).
	MaxRestarts int      `yaml:"max_restarts"`
	Window      Duration `yaml:"window"`
}

// WrapperLogs sets where the program's output and the wrapper's events go.
type WrapperLogs struct {
	// Dir is relative to the install folder or absolute (default logs).
	Dir string `yaml:"dir"`
	// MaxSize rotates a file at this size: bytes, or with a K, M or G
	// suffix (default 10M).
	MaxSize string `yaml:"max_size"`
	// Keep is the number of rotated files kept (default 5).
	Keep int `yaml:"keep"`
	// Split writes the program's standard output and standard error to
	// two files (<name>.out.log, <name>.err.log) instead of one.
	Split bool `yaml:"split"`
	// Rotate also rotates by time: daily or hourly (default: by size
	// only).
	Rotate string `yaml:"rotate"`
	// MaxAge removes rotated files older than this (default: kept by
	// count only).
	MaxAge Duration `yaml:"max_age"`
	// Compress gzips rotated files, in the background.
	Compress bool `yaml:"compress"`
}

// Dependency is a service that must run before this one.
type Dependency struct {
	// Name is the other service's name (systemd: the unit without
	// .service, or a full unit name such as postgresql.service or
	// network-online.target; Windows: the service's name).
	Name string `yaml:"name"`
	// Require makes it required: on Linux, Requires= (this one fails when
	// it cannot start); without it, Wants= (started too, not required).
	Require bool `yaml:"require"`
	// Bind stops this service when it stops (BindsTo=). Windows always
	// stops dependents first.
	Bind bool `yaml:"bind"`
	// OS limits it to one platform's installers: windows or linux (default:
	// both; launchd has no start order).
	OS string `yaml:"os"`
}

// For reports whether the dependency applies to operating system goos.
func (d Dependency) For(goos string) bool { return d.OS == "" || d.OS == goos }

// HealthCheck is the health check of the program as the containers see
// it: service.health, else service.wrapper.health; field names the one it
// came from ("" when neither is set).
func (s Service) HealthCheck() (h *WrapperHealth, field string) {
	switch {
	case s.Health != nil:
		return s.Health, "service.health"
	case s.Wrapper.Health != nil:
		return s.Wrapper.Health, "service.wrapper.health"
	}
	return nil, ""
}

// WrapperHealthCheck is the health check the wrapper runs:
// service.wrapper.health, else service.health; field names the one it came
// from ("" when neither is set).
func (s Service) WrapperHealthCheck() (h *WrapperHealth, field string) {
	if s.Wrapper.Health != nil {
		return s.Wrapper.Health, "service.wrapper.health"
	}
	return s.HealthCheck()
}

// WrapperHealth is an HTTP health check (service.health, or the wrapper's
// own).
type WrapperHealth struct {
	// URL answers 2xx when the program is healthy.
	URL string `yaml:"url"`
	// Interval between checks (default 10s); Timeout of one (default 5s).
	Interval Duration `yaml:"interval"`
	Timeout  Duration `yaml:"timeout"`
	// Failures in a row that restart the program (default 3).
	Failures int `yaml:"failures"`
	// AllowRemote lets URL name another host; by default it must be on
	// loopback (localhost, 127.0.0.1, [::1]).
	AllowRemote bool `yaml:"allow_remote"`
}

// Restart is the restart-on-failure policy.
type Restart struct {
	// Policy is on-failure (default) or always.
	Policy string `yaml:"policy"`
	// Delay is the wait before a restart.
	Delay Duration `yaml:"delay"`
	// ResetAfter is the period after which the failure count resets.
	ResetAfter Duration `yaml:"reset_after"`
	// Command is a program and its arguments that the Windows service
	// manager runs, as the service's account, on a failure once
	// CommandAfter restarts have been tried within ResetAfter: its
	// failure actions are one per failure count and the last repeats, so
	// the table is CommandAfter restarts, then the command for every later
	// failure. The program is absolute, under {{.InstallDir}}, or a bare
	// name Windows searches for (powershell.exe); a script is named as the
	// program itself, not through cmd.exe /c, which strips the first and
	// last quote of its line. Arguments may name places.
	// Not rendered on Linux and macOS.
	Command []string `yaml:"command"`
	// CommandAfter is the number of failures the service manager restarts
	// the service for before Command runs instead (default 2; 0: the
	// command on every failure, never a restart).
	CommandAfter int `yaml:"command_after"`
}

// Linux holds systemd unit settings.
type Linux struct {
	// User runs the service; created by the package scripts when set.
	User string `yaml:"user"`
	// WaitNetwork orders the service after network-online.target (and
	// wants it); default true.
	WaitNetwork *bool `yaml:"wait_network"`
	// MemoryMax is the systemd MemoryMax= value, e.g. 512M.
	MemoryMax string `yaml:"memory_max"`
	// CPUQuota is the systemd CPUQuota= value, e.g. 80%.
	CPUQuota string `yaml:"cpu_quota"`
	// Hardening turns the sandboxing directives on (default true).
	Hardening *bool `yaml:"hardening"`
	// HardeningOff names individual hardening directives to leave out.
	HardeningOff []string `yaml:"hardening_off"`
	// BinDir is where the Linux packages install the program (default
	// /usr/bin); /usr/lib/<name> keeps it out of the PATH, for a name that a
	// distribution's own package already has there.
	BinDir string `yaml:"bin_dir"`
	// Unit replaces directives of the unit's [Service] section by name
	// (ProtectHome: read-only, RestrictAddressFamilies: AF_INET AF_UNIX):
	// the hardening directives and the State/Cache/Logs/WorkingDirectory
	// lines svcpack writes.
	Unit map[string]string `yaml:"unit"`
	// Writable lists folders outside its own that the service may write
	// (ReadWritePaths=, such as /srv/www): absolute, each existing when the
	// service starts.
	Writable []string `yaml:"writable"`
	// Capabilities are Linux capabilities granted to the service
	// (CAP_NET_BIND_SERVICE, ...): bounding set and ambient set.
	Capabilities []string `yaml:"capabilities"`
	// Groups are supplementary groups of the service (SupplementaryGroups=,
	// such as adm), which must exist when it starts.
	Groups []string `yaml:"groups"`
	// RunPrograms leaves out the hardening lines that break programs the
	// service runs (JIT runtimes, taskset, free, ...).
	RunPrograms bool `yaml:"run_programs"`
	// Notify selects Type=notify (the program sends READY=1) or Type=exec;
	// auto (the default) picks notify exactly for programs that import an
	// sd_notify package (see Contract).
	Notify Switch `yaml:"notify"`
}

// Darwin holds launchd daemon settings.
type Darwin struct {
	// User runs the daemon (launchd's UserName): default nobody, the
	// account with no privileges every macOS has; root runs it as root;
	// another account must exist (install.sh says so when it does not).
	User string `yaml:"user"`
}

// File is an extra file shipped in every package.
type File struct {
	// Src is the host file; absolute after Load.
	Src Path `yaml:"src"`
	// Dst is the path inside the package, relative to the install folder
	// (Windows, archives) or /etc/<name> (Linux), with / separators.
	Dst string `yaml:"dst"`
	// Config marks a configuration file that upgrades do not overwrite.
	Config bool `yaml:"config"`
}

// Path is a host file named in the config: relative to the config file as
// written, absolute after Load. Cache keys cover the content of every Path
// a packager reads, not only its name.
type Path string

// Duration is a time.Duration written as a Go duration string ("5s", "24h").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("bad duration %q: want a Go duration such as 5s, 2m or 24h", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Line returns the line of a field path such as "service.name" in the config
// file, or 0 when unknown.
func (s *Spec) Line(field string) int { return s.lines[field] }

// Wants reports whether the artifact format is enabled.
func (s *Spec) Wants(format string) bool { return slices.Contains(s.Formats, format) }

// GPGSigns reports whether the spec signs what ("deb", "rpm",
// "checksums") with its OpenPGP key.
func (s *Spec) GPGSigns(what string) bool { return s.GPG != nil && slices.Contains(s.GPG.Sign, what) }

// HasOS reports whether any target is for the given GOOS.
func (s *Spec) HasOS(goos string) bool {
	return slices.ContainsFunc(s.Targets, func(t platform.Target) bool { return t.OS == goos })
}

// HardeningOn reports whether systemd hardening is enabled.
func (l Linux) HardeningOn() bool { return l.Hardening == nil || *l.Hardening }

// WrapperExe is the file name of the service wrapper in Windows packages;
// its configuration is WrapperConfigName beside it.
const (
	WrapperExe        = "svcwrap.exe"
	WrapperConfigName = "svcwrap.json"
)
