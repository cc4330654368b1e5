package packager

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/config"
)

// ExtraFiles returns the configured files (and LICENSE) as archive entries
// under prefix.
func ExtraFiles(s *config.Spec, prefix string) []archive.File {
	var out []archive.File
	for _, f := range s.Files {
		out = append(out, archive.File{Name: path.Join(prefix, f.Dst), Mode: 0o644, Src: string(f.Src)})
	}
	if s.LicenseFile != "" {
		out = append(out, archive.File{Name: path.Join(prefix, "LICENSE"), Mode: 0o644, Src: string(s.LicenseFile)})
	}
	return out
}

// ConfigFiles are the destinations of the files marked config: the ones
// an upgrade keeps as the user edited them.
func ConfigFiles(s *config.Spec) []string {
	var out []string
	for _, f := range s.Files {
		if f.Config {
			out = append(out, f.Dst)
		}
	}
	return out
}

// WriteFileAtomic writes a file by calling fill on a temporary file in the
// destination's directory and renaming it into place only when fill and the
// close succeed, so that a failure never leaves a partial file at path.
func WriteFileAtomic(path string, mode os.FileMode, fill func(w io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// CopyFile copies src to dst (a new file, written atomically), for raw
// binaries that later steps patch in place: the cache's copy must stay as
// go build wrote it.
func CopyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return WriteFileAtomic(dst, mode, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// WriteFrom is a Job.Create fill that copies the file at src.
func WriteFrom(src string) func(io.Writer) error {
	return func(w io.Writer) error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}
}

// WriteBytes is a fill function (Job.Create) that writes b.
func WriteBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}
