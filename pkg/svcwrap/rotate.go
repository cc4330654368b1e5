package svcwrap

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// RotatingWriter writes lines to a file and rotates it by size: before a
// line that would take the file past MaxSize, the file is closed and renamed
// to name.1.ext (older ones shift up to name.<Keep>.ext, the oldest is
// removed) and a new file is started. A rotation renames only the rotated
// files that exist, so its cost follows the files kept, not Keep. Writes are buffered up to the end of
// the last complete line, so a rotation never splits a line and no line is
// lost; a partial line is written by Flush or Close, or once it alone
// exceeds MaxSize. It is safe for concurrent use.
type RotatingWriter struct {
	path    string
	maxSize int64
	keep    int

	mu      sync.Mutex
	f       *os.File
	size    int64
	rotated int // rotated files present: name.1.ext .. name.<rotated>.ext
	partial []byte
	err     error // sticky write error
}

// OpenRotating opens (appending) the log file at path, creating its
// directory. maxSize must be positive and keep at least 1.
func OpenRotating(path string, maxSize int64, keep int) (*RotatingWriter, error) {
	if maxSize <= 0 || keep < 1 {
		return nil, fmt.Errorf("log %s: max size %d and keep %d: want both positive", path, maxSize, keep)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log folder: %w", err)
	}
	w := &RotatingWriter{path: path, maxSize: maxSize, keep: keep}
	for w.rotated < keep {
		if _, err := os.Stat(RotatedName(path, w.rotated+1)); err != nil {
			break
		}
		w.rotated++
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *RotatingWriter) open() error {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log: %w", err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// RotatedName returns the name of the n-th rotated file of path
// (logs/hello.log, 2 -> logs/hello.2.log).
func RotatedName(path string, n int) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s.%d%s", strings.TrimSuffix(path, ext), n, ext)
}

// rotate closes the current file before renaming it (Windows cannot rename
// an open file, and a reader must never see a file that is still growing
// under an old name), shifts the older files and opens a new one.
func (w *RotatingWriter) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("log: closing %s before rotation: %w", w.path, err)
	}
	w.f = nil
	if w.rotated >= w.keep {
		if err := os.Remove(RotatedName(w.path, w.keep)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("log rotation: %w", err)
		}
		w.rotated = w.keep - 1
	}
	for n := w.rotated; n >= 1; n-- {
		if err := os.Rename(RotatedName(w.path, n), RotatedName(w.path, n+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("log rotation: %w", err)
		}
	}
	if err := os.Rename(w.path, RotatedName(w.path, 1)); err != nil {
		return fmt.Errorf("log rotation: %w", err)
	}
	w.rotated++
	return w.open()
}

// writeChunk writes whole lines (or an oversized partial line), rotating
// first when they would not fit.
func (w *RotatingWriter) writeChunk(b []byte) error {
	for len(b) > 0 {
		if w.f == nil {
			// A failed rotation left no file open: try again.
			if err := w.open(); err != nil {
				return err
			}
		}
		room := w.maxSize - w.size
		n := int64(len(b))
		if n > room {
			// Take as many whole lines as fit; at least one line when the
			// file is empty (a line longer than MaxSize gets a file alone).
			i := bytes.LastIndexByte(b[:max(room, 0)], '\n')
			switch {
			case i >= 0:
				n = int64(i + 1)
			case w.size > 0:
				if err := w.rotate(); err != nil {
					return err
				}
				continue
			default:
				if j := bytes.IndexByte(b, '\n'); j >= 0 {
					n = int64(j + 1)
				}
			}
		}
		m, err := w.f.Write(b[:n])
		w.size += int64(m)
		if err != nil {
			return fmt.Errorf("log: %w", err)
		}
		b = b[n:]
	}
	return nil
}

// Write buffers p and writes every complete line.
func (w *RotatingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		w.partial = append(w.partial, p...)
		if int64(len(w.partial)) >= w.maxSize {
			w.err = w.writeChunk(w.partial)
			w.partial = w.partial[:0]
		}
		return len(p), w.err
	}
	if len(w.partial) > 0 {
		w.partial = append(w.partial, p[:i+1]...)
		w.err = w.writeChunk(w.partial)
		w.partial = w.partial[:0]
	} else {
		w.err = w.writeChunk(p[:i+1])
	}
	w.partial = append(w.partial, p[i+1:]...)
	return len(p), w.err
}

// Flush writes a pending partial line.
func (w *RotatingWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil && len(w.partial) > 0 {
		w.err = w.writeChunk(w.partial)
		w.partial = w.partial[:0]
	}
	return w.err
}

// Close flushes and closes the file.
func (w *RotatingWriter) Close() error {
	err := w.Flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		if cerr := w.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("log: %w", cerr)
		}
		w.f = nil
	}
	if w.err == nil {
		w.err = errors.New("log: closed")
	}
	return err
}
