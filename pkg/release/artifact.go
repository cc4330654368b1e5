package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/svcpack/svcpack/pkg/platform"
)

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
	KindChecksums  Kind = "checksums"
	KindSignature  Kind = "signature"
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
	return a.target().String()
}

func (a Artifact) target() platform.Target {
	return platform.Target{OS: a.OS, Arch: a.Arch, Variant: a.Variant}
}

// newArtifact stats and hashes the file at dir/rel.
// t is the zero Target for target-independent files.
func newArtifact(dir, rel string, kind Kind, t platform.Target) (Artifact, error) {
	sum, n, err := hashFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return Artifact{}, fmt.Errorf("artifact %s: %w", rel, err)
	}
	return Artifact{Path: rel, Kind: kind, OS: t.OS, Arch: t.Arch, Variant: t.Variant, Size: n, SHA256: sum}, nil
}

// hashFile returns the hex SHA-256 and the size of a file's content.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return hashOpen(f)
}

// hashOpen returns the hex SHA-256 and the size of an open file's content.
func hashOpen(f *os.File) (string, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := writeContent(h, f, st.Size(), nil)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
