// Package archive writes deterministic zip and tar.gz archives: entries
// sorted by name, one fixed modification time (from SOURCE_DATE_EPOCH, given
// by the caller), fixed modes, owner root:root in tarballs, and no host
// metadata (no atime, uid of the builder, or gzip file name and time), so the
// same files give the same bytes on every machine.
package archive

import (
	"archive/tar"
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// File is one archive entry.
type File struct {
	// Name is the slash-separated path inside the archive.
	Name string
	// Mode holds the permission bits (0644, 0755).
	Mode fs.FileMode
	// Src is a host path to read the content from.
	Src string
	// Data is the content when Src is empty.
	Data []byte
}

func (f File) open() (io.ReadCloser, int64, error) {
	if f.Src == "" {
		return io.NopCloser(strings.NewReader(string(f.Data))), int64(len(f.Data)), nil
	}
	fh, err := os.Open(f.Src)
	if err != nil {
		return nil, 0, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, 0, err
	}
	return fh, st.Size(), nil
}

// sorted validates names and returns the files sorted by name, with the
// parent directories every file needs, so extractors create them with fixed
// modes.
func sorted(files []File) ([]File, []string, error) {
	out := append([]File(nil), files...)
	seen := map[string]bool{}
	dirs := map[string]bool{}
	for _, f := range out {
		clean := path.Clean(f.Name)
		if f.Name == "" || clean != f.Name || path.IsAbs(f.Name) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, nil, fmt.Errorf("archive: bad entry name %q: want a clean relative slash path", f.Name)
		}
		if seen[f.Name] {
			return nil, nil, fmt.Errorf("archive: duplicate entry %q", f.Name)
		}
		seen[f.Name] = true
		for d := path.Dir(f.Name); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	var ds []string
	for d := range dirs {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	return out, ds, nil
}

func mode(m fs.FileMode) fs.FileMode {
	if m.Perm() == 0 {
		return 0o644
	}
	return m.Perm()
}

// Level is the deflate level of zip entries and tar.gz streams, with
// github.com/klauspost/compress: near the best compression for a fraction
// of its time (the measurement that chose it is in docs/benchmarks.md).
const Level = 7

// WriteZip writes files as a zip archive: deflate at Level, entries sorted,
// every time set to mtime (UTC), Unix modes recorded.
func WriteZip(w io.Writer, files []File, mtime time.Time) error {
	entries, dirs, err := sorted(files)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, Level)
	})
	mtime = zipTime(mtime)
	for _, d := range dirs {
		h := &zip.FileHeader{Name: d + "/", Method: zip.Store, Modified: mtime}
		h.SetMode(fs.ModeDir | 0o755)
		if _, err := zw.CreateHeader(h); err != nil {
			return fmt.Errorf("archive: %s: %w", d, err)
		}
	}
	for _, f := range entries {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(mode(f.Mode))
		dst, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("archive: %s: %w", f.Name, err)
		}
		if err := copyFile(dst, f); err != nil {
			return err
		}
	}
	return zw.Close()
}

// zipTime clamps to the DOS date range (1980-2107) and drops the location:
// zip stores local DOS time, and archive/zip also writes the UTC extended
// timestamp from it.
func zipTime(t time.Time) time.Time {
	t = t.UTC()
	if t.Year() < 1980 {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

// WriteTarGz writes files as a gzip-compressed tar (USTAR, PAX only for
// names over 100 bytes), entries sorted, owner root:root, every time set to mtime.
func WriteTarGz(w io.Writer, files []File, mtime time.Time) error {
	entries, dirs, err := sorted(files)
	if err != nil {
		return err
	}
	gz := NewGzip(w)
	tw := tar.NewWriter(gz)
	mtime = mtime.UTC().Truncate(time.Second)
	hdr := func(name string, typ byte, m fs.FileMode, size int64) *tar.Header {
		return &tar.Header{
			Name: name, Typeflag: typ, Mode: int64(m.Perm()), Size: size, ModTime: mtime,
			Uname: "root", Gname: "root",
		}
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(hdr(d+"/", tar.TypeDir, 0o755, 0)); err != nil {
			return fmt.Errorf("archive: %s: %w", d, err)
		}
	}
	for _, f := range entries {
		rc, size, err := f.open()
		if err != nil {
			return fmt.Errorf("archive: %s: %w", f.Name, err)
		}
		// archive/tar writes USTAR where it can, and PAX records for
		// what USTAR cannot hold (long or non-ASCII names).
		h := hdr(f.Name, tar.TypeReg, mode(f.Mode), size)
		if err := tw.WriteHeader(h); err != nil {
			rc.Close()
			return fmt.Errorf("archive: %s: %w", f.Name, err)
		}
		n, err := io.Copy(tw, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("archive: %s: %w", f.Name, err)
		}
		if n != size {
			return fmt.Errorf("archive: %s: size changed while reading (%d, then %d bytes)", f.Name, size, n)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// NewGzip returns a gzip writer at Level with nothing of the host in its
// header: no name, and MTIME 0, which gzip defines as no time. (klauspost's
// writer stores a zero ModTime's Unix(), year 1, cut to 32 bits: a date in
// 2042, unlike compress/gzip; the epoch is what reads as none.) Every gzip
// stream svcpack writes comes from here: tarballs, image layers, the deb's
// data.tar.gz and the rpm's payload.
func NewGzip(w io.Writer) *gzip.Writer {
	gz, err := gzip.NewWriterLevel(w, Level)
	if err != nil {
		panic(err) // Level is a valid level
	}
	gz.ModTime = time.Unix(0, 0)
	return gz
}

func copyFile(dst io.Writer, f File) error {
	rc, _, err := f.open()
	if err != nil {
		return fmt.Errorf("archive: %s: %w", f.Name, err)
	}
	defer rc.Close()
	if _, err := io.Copy(dst, rc); err != nil {
		return fmt.Errorf("archive: %s: %w", f.Name, err)
	}
	return nil
}
