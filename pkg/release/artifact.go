package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Kind is the kind of an artifact.
type Kind string

// Artifact kinds.
const (
	KindBinary    Kind = "binary"
	KindWrapper   Kind = "wrapper" // svcwrap.exe, the Windows service wrapper
	KindZip       Kind = "zip"
	KindTarGz     Kind = "tar.gz"
	KindMSI       Kind = "msi"
	KindDeb       Kind = "deb"
	KindRPM       Kind = "rpm"
	KindAPK       Kind = "apk"
	KindSBOM      Kind = "sbom"
	KindChecksums Kind = "checksums"
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
	// Size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex digest of the content.
	SHA256 string `json:"sha256"`
}

// Target returns "os/arch", or "" for target-independent artifacts.
func (a Artifact) Target() string {
	if a.OS == "" {
		return ""
	}
	return a.OS + "/" + a.Arch
}

// newArtifact stats and hashes the file at dir/rel.
func newArtifact(dir, rel string, kind Kind, goos, goarch string) (Artifact, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return Artifact{}, fmt.Errorf("artifact %s: %w", rel, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Artifact{}, fmt.Errorf("artifact %s: %w", rel, err)
	}
	return Artifact{Path: rel, Kind: kind, OS: goos, Arch: goarch, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
