package oci

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/archive"
)

// layerBlob writes files as a layer: a tar stream (PAX headers only where
// USTAR cannot hold a name) with entries sorted by name, parent directories
// first, every time mtime, numeric owners without names, compressed with
// gzip at archive.Level and no name or time in the gzip header. It returns
// the compressed blob and the digest of the tar stream (the diff ID).
//
// With parents, the layer holds every directory its files need (root,
// 0755) unless files list it: an image from scratch is then the same
// wherever it is unpacked. Without (an image on a base), it holds only
// the directories files list: a directory the base has keeps the base's
// owner and mode (a layer's entry would replace them: /home/nonroot, owned
// by its user, would become root's), and one it lacks is made by whatever
// unpacks the image, as every OCI runtime does for a file's parents.
func layerBlob(files []File, mtime time.Time, parents bool) ([]byte, string, error) {
	entries, err := sortedEntries(files, parents)
	if err != nil {
		return nil, "", err
	}
	var blob bytes.Buffer
	gz := archive.NewGzip(&blob)
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(gz, diff))
	for _, f := range entries {
		// USTAR where it can be, PAX records for what it cannot hold (long
		// or non-ASCII names, ids over 2097151): archive/tar picks.
		h := &tar.Header{Name: f.Name, Mode: int64(f.Mode.Perm()), Uid: f.UID, Gid: f.GID, ModTime: mtime}
		var content []byte
		if f.Mode.IsDir() {
			h.Typeflag, h.Name = tar.TypeDir, f.Name+"/"
		} else {
			h.Typeflag = tar.TypeReg
			if content = f.Data; f.Src != "" {
				if content, err = os.ReadFile(f.Src); err != nil {
					return nil, "", fmt.Errorf("%s: %w", f.Name, err)
				}
			}
			h.Size = int64(len(content))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, "", fmt.Errorf("%s: %w", f.Name, err)
		}
		if _, err := tw.Write(content); err != nil {
			return nil, "", fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	if err := gz.Close(); err != nil {
		return nil, "", err
	}
	return blob.Bytes(), "sha256:" + hex.EncodeToString(diff.Sum(nil)), nil
}

// sortedEntries checks the names and returns the files sorted by name,
// with parents the directories they need (root-owned, 0755) unless listed.
func sortedEntries(files []File, parents bool) ([]File, error) {
	byName := map[string]File{}
	for _, f := range files {
		clean := path.Clean(f.Name)
		if f.Name == "" || clean != f.Name || path.IsAbs(f.Name) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, fmt.Errorf("bad file name %q: want a clean relative slash path", f.Name)
		}
		if _, dup := byName[f.Name]; dup {
			return nil, fmt.Errorf("%q twice in one layer", f.Name)
		}
		byName[f.Name] = f
	}
	for _, f := range files {
		for d := path.Dir(f.Name); d != "."; d = path.Dir(d) {
			if g, ok := byName[d]; ok {
				if !g.Mode.IsDir() {
					return nil, fmt.Errorf("%q is a file and the directory of %q", d, f.Name)
				}
				continue
			}
			if parents {
				byName[d] = File{Name: d, Mode: fs.ModeDir | 0o755}
			}
		}
	}
	out := make([]File, 0, len(byName))
	for _, f := range byName {
		out = append(out, f)
	}
	// A directory's entry comes before its content: sort by path segments.
	slices.SortFunc(out, func(a, b File) int {
		return slices.Compare(strings.Split(a.Name, "/"), strings.Split(b.Name, "/"))
	})
	return out, nil
}
