package svcwrap

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// RotateOptions sets how a RotatingWriter rotates, keeps and compresses its
// files.
type RotateOptions struct {
	// MaxSize rotates the file before a line that would take it past this
	// size.
	MaxSize int64
	// Keep is the number of rotated files kept.
	Keep int
	// Period, when set, also rotates the file when a write or Tick falls in
	// a later period than the file's last write; periods start at multiples
	// of Period in UTC (time.Hour: each hour, 24 * time.Hour: midnight UTC).
	Period time.Duration
	// MaxAge, when set, removes rotated files whose last write is older.
	MaxAge time.Duration
	// Compress gzips rotated files in the background.
	Compress bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnError receives the errors that do not stop the writing: a failed
	// rotation (the file grows on and rotation is tried again a minute
	// later), compression and removal. It is called from the log's
	// background goroutine, never while a write waits; nil drops them.
	OnError func(error)
}

// rename is os.Rename, replaced by tests.
var rename = os.Rename

// rotateRetry is how long a file whose rotation failed is written on before
// the next attempt.
const rotateRetry = time.Minute

// RotatingWriter writes lines to a log file and rotates it (see the package
// documentation for the names and what happens to rotated files). Writes
// are buffered up to the end of the last complete line, so a rotation never
// splits a line and no line is lost; a partial line is written by Flush or
// Close, or once it alone exceeds MaxSize. A rotation closes the file
// before renaming it, and costs one rename: the rest of the work is done by
// a background goroutine. It is safe for concurrent use.
type RotatingWriter struct {
	path string
	opt  RotateOptions
	jan  *janitor

	mu      sync.Mutex
	f       *os.File
	size    int64
	last    time.Time // the last write to the file (its modification time when opened)
	newest  stamp     // the newest rotated file's name: names never go back in time
	retryAt time.Time // a failed rotation is not tried again before
	partial []byte
	closed  bool
	err     error // sticky write error
}

// OpenRotating opens (appending) the log file at path, creating its
// directory, removes what an interrupted compression left and starts the
// background work: rotated files past o.Keep or o.MaxAge are removed, those
// left uncompressed are compressed (with o.Compress). A file whose period
// ended while nothing wrote to it is rotated at once. o.MaxSize must be
// positive and o.Keep at least 1.
func OpenRotating(path string, o RotateOptions) (*RotatingWriter, error) {
	if o.MaxSize <= 0 || o.Keep < 1 || o.Period < 0 || o.MaxAge < 0 {
		return nil, fmt.Errorf("log %s: max size %d, keep %d, period %v and max age %v: want a positive size "+
			"and keep, no negative duration", path, o.MaxSize, o.Keep, o.Period, o.MaxAge)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log folder: %w", err)
	}
	rotated, err := listRotated(path, true)
	if err != nil {
		return nil, err
	}
	w := &RotatingWriter{path: path, opt: o}
	if n := len(rotated); n > 0 && rotated[n-1].legacy == 0 {
		w.newest = rotated[n-1].stamp
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	w.jan = startJanitor(path, o, rotated)
	if now := o.Now(); w.size > 0 && w.periodEnded(now) && w.rotate(now) {
		if err := w.open(); err != nil {
			w.jan.close()
			return nil, err
		}
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
	w.f, w.size, w.last = f, st.Size(), time.Time{}
	if w.size > 0 {
		w.last = st.ModTime()
	}
	return nil
}

// RotatedName returns the name older wrappers gave the n-th rotated file of
// path (logs/hello.log, 2 -> logs/hello.2.log); the wrapper counts such
// files as its oldest rotated ones.
func RotatedName(path string, n int) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s.%d%s", strings.TrimSuffix(path, ext), n, ext)
}

// periodEnded reports whether now is in a later period than the file's
// last write (a clock set back rotates nothing).
func (w *RotatingWriter) periodEnded(now time.Time) bool {
	p := w.opt.Period
	return p > 0 && !w.last.IsZero() && now.UTC().Truncate(p).After(w.last.UTC().Truncate(p))
}

// rotate closes the file (Windows cannot rename an open file, and a reader
// must never see a file still growing under a rotated name), stamps it with
// its last write and renames it, leaving no file open; it reports whether it
// rotated. When the rename fails the file stays, to be reopened and written
// on, and rotation waits a minute.
func (w *RotatingWriter) rotate(now time.Time) bool {
	if now.Before(w.retryAt) {
		return false
	}
	f := w.f
	w.f = nil
	if err := f.Close(); err != nil {
		w.jan.report(fmt.Errorf("log: closing %s before rotation: %w", w.path, err))
	}
	_ = os.Chtimes(w.path, time.Time{}, w.last) // the name's time and the file's agree
	next := w.newest.after(w.last)
	for exists(next.path(w.path)) {
		next.seq++
	}
	to := next.path(w.path)
	if err := rename(w.path, to); err != nil {
		w.retryAt = now.Add(rotateRetry)
		w.jan.report(fmt.Errorf("log rotation: %w; writing on to %s, trying again in %v", err, w.path, rotateRetry))
		return false
	}
	w.newest = next
	w.jan.rotated(to)
	return true
}

// exists reports whether a rotated name is taken, compressed or not.
func exists(name string) bool {
	for _, p := range []string{name, name + ".gz", name + gzTmp} {
		if _, err := os.Lstat(p); err == nil {
			return true
		}
	}
	return false
}

// writeChunk writes whole lines (or an oversized partial line), rotating
// first when the period ended or they would not fit.
func (w *RotatingWriter) writeChunk(b []byte, now time.Time) error {
	for len(b) > 0 {
		if w.f == nil {
			// Rotated, or a failed rotation closed the file: (re)open it.
			if err := w.open(); err != nil {
				return err
			}
		}
		if w.size > 0 && w.periodEnded(now) && w.rotate(now) {
			continue
		}
		n := int64(len(b))
		if room := w.opt.MaxSize - w.size; n > room {
			// Take as many whole lines as fit; at least one line when the
			// file is empty or cannot be rotated now (a line longer than
			// MaxSize gets a file alone).
			i := bytes.LastIndexByte(b[:max(room, 0)], '\n')
			switch {
			case i >= 0:
				n = int64(i + 1)
			case w.size > 0 && w.rotate(now):
				continue
			default:
				if j := bytes.IndexByte(b, '\n'); j >= 0 {
					n = int64(j + 1)
				}
			}
		}
		if w.f == nil {
			continue // a failed rotation: reopen
		}
		m, err := w.f.Write(b[:n])
		w.size += int64(m)
		w.last = now
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
	now := w.opt.Now()
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		w.partial = append(w.partial, p...)
		if int64(len(w.partial)) >= w.opt.MaxSize {
			w.err = w.writeChunk(w.partial, now)
			w.partial = w.partial[:0]
		}
		return len(p), w.err
	}
	if len(w.partial) > 0 {
		w.partial = append(w.partial, p[:i+1]...)
		w.err = w.writeChunk(w.partial, now)
		w.partial = w.partial[:0]
	} else {
		w.err = w.writeChunk(p[:i+1], now)
	}
	w.partial = append(w.partial, p[i+1:]...)
	return len(p), w.err
}

// Tick rotates the file when its period has ended, as a write would, and
// has rotated files past MaxAge removed: the wrapper calls it every minute,
// so that a quiet program's log is rotated and expired on time too.
func (w *RotatingWriter) Tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil {
		return
	}
	if now := w.opt.Now(); w.f != nil && w.size > 0 && w.periodEnded(now) && w.rotate(now) {
		w.err = w.open()
	}
	if w.opt.MaxAge > 0 {
		w.jan.sweepSoon()
	}
}

// Flush writes a pending partial line.
func (w *RotatingWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil && len(w.partial) > 0 {
		w.err = w.writeChunk(w.partial, w.opt.Now())
		w.partial = w.partial[:0]
	}
	return w.err
}

// Close flushes and closes the file and stops the background work: a
// compression under way is abandoned (its .gz.tmp removed) and done by the
// next OpenRotating, so closing never waits for one; rotated files past Keep
// or MaxAge are removed.
func (w *RotatingWriter) Close() error {
	err := w.Flush()
	w.mu.Lock()
	if w.f != nil {
		if cerr := w.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("log: %w", cerr)
		}
		w.f = nil
		if !w.last.IsZero() {
			_ = os.Chtimes(w.path, time.Time{}, w.last)
		}
	}
	w.closed = true
	if w.err == nil {
		w.err = errors.New("log: closed")
	}
	w.mu.Unlock()
	w.jan.close()
	return err
}
