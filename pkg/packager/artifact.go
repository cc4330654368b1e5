package packager

import "github.com/svcpack/svcpack/pkg/platform"

// Kind is the kind of an artifact.
type Kind string

// Artifact kinds.
const (
	KindBinary     Kind = "binary"
	KindWrapper    Kind = "wrapper" // svcwrap.exe, the Windows service wrapper
	KindZip        Kind = "zip"
	KindTarGz      Kind = "tar.gz"
	KindMSI        Kind = "msi"
	KindDeb        Kind = "deb"
	KindRPM        Kind = "rpm"
	KindAPK        Kind = "apk"
	KindSBOM       Kind = "sbom"
	KindWinget     Kind = "winget"     // the winget manifests of the MSIs
	KindScoop      Kind = "scoop"      // the Scoop manifest of the zips
	KindChocolatey Kind = "chocolatey" // the Chocolatey package of the MSIs
	KindHomebrew   Kind = "homebrew"   // the Homebrew formula of the tarballs
	KindOCI        Kind = "oci"        // a Linux target's OCI image (layout archive)
	KindOCIIndex   Kind = "oci-index"  // the multi-platform image index over them
	KindHelm       Kind = "helm"       // the Helm chart running the image index
	KindCompose    Kind = "compose"    // the Compose file running it, and its config files
	KindApt        Kind = "apt"        // the apt repository of the debs
	KindInstallSh  Kind = "install.sh" // the script that adds the repositories
	KindProvenance Kind = "provenance" // the signed in-toto provenance of the release
	KindDnf        Kind = "dnf"        // the dnf/yum repository of the rpms
	KindChecksums  Kind = "checksums"
	KindSignature  Kind = "signature"
)

// Kinds of the raw go build outputs, which packagers read but dist/ does
// not hold.
const (
	KindRawBinary  Kind = "raw binary"
	KindRawWrapper Kind = "raw wrapper"
)

// Fixed file names in dist/.
const (
	// ManifestName is the list of every artifact (artifacts.json).
	ManifestName = "artifacts.json"
	// ChecksumsName is the SHA-256 list of the artifacts.
	ChecksumsName = "checksums.txt"
	// SignatureName is the detached OpenPGP signature of checksums.txt.
	SignatureName = "checksums.txt.asc"
)

// Artifact is one file the release produced.
type Artifact struct {
	// Path is relative to the dist directory, with forward slashes.
	Path string `json:"path"`
	// Kind says what the file is.
	Kind Kind `json:"kind"`
	// OS and Arch are the target, empty for target-independent files.
	OS   string `json:"goos,omitempty"`
	Arch string `json:"goarch,omitempty"`
	// Variant is the target's variant (GOARM, GOAMD64, ... value), if any.
	Variant string `json:"variant,omitempty"`
	// Size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex digest of the content.
	SHA256 string `json:"sha256"`
	// Reused says the file was taken from the previous release because
	// none of its inputs changed (not written to artifacts.json).
	Reused bool `json:"-"`
}

// Target returns "os/arch[/variant]", or "" for target-independent
// artifacts.
func (a Artifact) Target() string {
	if a.OS == "" {
		return ""
	}
	return a.Platform().String()
}

// Platform is the artifact's target (the zero Target for
// target-independent artifacts).
func (a Artifact) Platform() platform.Target {
	return platform.Target{OS: a.OS, Arch: a.Arch, Variant: a.Variant}
}
