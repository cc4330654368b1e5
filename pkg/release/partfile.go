package release

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Reading a part's files.
//
// A part comes from another machine and lies in a folder that others may
// write to while the merge runs. Every file of it, the manifest included,
// is opened inside the part's folder (an os.Root: no name leads out of
// it), without following a symbolic link and without blocking (a named
// pipe opens at once, and is refused), and is taken only when the file
// opened is itself a regular file: the type checked is the open file's
// own, not that of a name that can be swapped. The merge then copies from
// that open file into its staging folder and hashes the copy
// (stagePartFile), so what it publishes is exactly what it checked, whatever
// happens to the part meanwhile. A hard link from the part into dist/
// could not give that: linking a name resolves it again, and the linked
// file could still be written through the part's name afterwards.

// openPartFile opens the file name (a relative OS path) in the part folder
// root for reading. Anything but a regular file (a symbolic link, a named
// pipe, a device, a socket, a folder) is refused, by its name's type and
// by the opened file's, before a byte of it is read; so is a file whose
// name was swapped for another file while it was being opened.
func openPartFile(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	before, err := root.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, nil, notRegular(name, before.Mode())
	}
	// os.Root follows a link that stays inside the part even with
	// O_NOFOLLOW: the identity check below refuses a name swapped for one.
	// (O_NONBLOCK changes nothing for a regular file's reads.)
	f, err := root.OpenFile(name, partOpenFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
	case !fi.Mode().IsRegular():
		err = notRegular(name, fi.Mode())
	case !os.SameFile(before, fi):
		err = fmt.Errorf("%s was replaced by another file while it was opened", filepath.ToSlash(name))
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// notRegular is the error for a part's file that is not a regular file.
func notRegular(name string, mode fs.FileMode) error {
	return fmt.Errorf("%s is not a regular file (%s)", filepath.ToSlash(name), fileKind(mode))
}

// fileKind names the type of a file that is not a regular one, for
// messages.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode.IsDir():
		return "a folder"
	}
	return "type " + mode.Type().String()
}

// readPartFile reads the file name of the part folder root, as
// openPartFile opens it, refusing one over max bytes without reading it.
func readPartFile(root *os.Root, name string, max int64) ([]byte, error) {
	f, fi, err := openPartFile(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, over the %d a part's %s may have", name, fi.Size(), max, name)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("%s: grew over %d bytes while it was read", name, max)
	}
	return data, err
}

// stagePartFile copies the part's file for a (opened by openPartFile in
// root) to dst, a new file in the staging folder, with mode, and checks the
// copy's size and SHA-256 against a's: the copy is what is published.
// A file of another size is refused unread; no more than a.Size+1 bytes
// are copied. hashed, when not nil, is called once the copy is hashed.
func stagePartFile(root *os.Root, a Artifact, dst string, mode fs.FileMode, hashed func()) error {
	f, fi, err := openPartFile(root, filepath.FromSlash(a.Path))
	if err != nil {
		return err
	}
	defer f.Close()
	if fi.Size() != a.Size {
		return &mismatchError{size: fi.Size(), a: a}
	}
	sum, n, err := copyAndHash(f, dst, mode, a.Size+1)
	if hashed != nil {
		hashed()
	}
	if err != nil {
		return err
	}
	if sum != a.SHA256 || n != a.Size {
		return &mismatchError{sum: sum, size: n, a: a}
	}
	return nil
}

// mismatchError is a part's file that is not the one its manifest lists.
type mismatchError struct {
	sum  string // "" when refused by its size, unread
	size int64
	a    Artifact
}

func (e *mismatchError) Error() string {
	got := fmt.Sprintf("sha256 %s, %d bytes", e.sum, e.size)
	if e.sum == "" {
		got = fmt.Sprintf("%d bytes", e.size)
	}
	return fmt.Sprintf("%s is not the file the part made (%s; listed sha256 %s, %d bytes): damaged in transfer?",
		e.a.Path, got, e.a.SHA256, e.a.Size)
}

// copyAndHash copies at most max bytes of src to dst, a new file with mode,
// and returns the SHA-256 and size of the copy, read back from it.
// (io.Copy between files lets the kernel copy, or clone where the file
// system can.)
func copyAndHash(src *os.File, dst string, mode fs.FileMode, max int64) (sum string, n int64, err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", 0, err
	}
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return "", 0, err
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, io.LimitReader(src, max)); err != nil {
		return "", 0, fmt.Errorf("copying %s: %w", src.Name(), err)
	}
	if err := out.Chmod(mode); err != nil { // whatever the umask
		return "", 0, err
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	return hashOpen(out)
}
