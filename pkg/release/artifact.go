package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Artifact is one file the release produced (packager.Artifact: the
// formats and the core share the type).
type Artifact = packager.Artifact

// newArtifact stats and hashes the file at dir/rel.
// t is the zero Target for target-independent files.
func newArtifact(dir, rel string, kind packager.Kind, t platform.Target) (Artifact, error) {
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
