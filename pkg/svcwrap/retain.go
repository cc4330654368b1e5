package svcwrap

import (
	"cmp"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stampLayout is the time in a rotated file's name, in UTC.
const stampLayout = "20060102-150405"

// gzTmp ends the name of a compression under way.
const gzTmp = ".gz.tmp"

// stamp names a rotated file: the second of its last write, and a counter
// for the files rotated within that second.
type stamp struct {
	t   time.Time
	seq int
}

// after returns the stamp of a file last written at t, never older than s.
func (s stamp) after(t time.Time) stamp {
	t = t.UTC().Truncate(time.Second)
	if !t.After(s.t) {
		return stamp{s.t, s.seq + 1}
	}
	return stamp{t, 0}
}

// path is the rotated name of the log file at log (hello.log ->
// hello.20240102-130501.log, or hello.20240102-130501_001.log).
func (s stamp) path(log string) string {
	ext := filepath.Ext(log)
	name := strings.TrimSuffix(log, ext) + "." + s.t.Format(stampLayout)
	if s.seq > 0 {
		name += fmt.Sprintf("_%03d", s.seq)
	}
	return name + ext
}

// parseStamp reads the part of a rotated name between the base and the
// extension.
func parseStamp(s string) (stamp, bool) {
	ts, seq, counted := strings.Cut(s, "_")
	t, err := time.ParseInLocation(stampLayout, ts, time.UTC)
	if err != nil || len(ts) != len(stampLayout) {
		return stamp{}, false
	}
	n := 0
	if counted {
		if n, err = strconv.Atoi(seq); err != nil || n < 1 || len(seq) < 3 {
			return stamp{}, false
		}
	}
	return stamp{t, n}, true
}

// rotatedFile is one rotated log: its plain and compressed files (both,
// after a crash between writing the .gz and removing the plain one).
type rotatedFile struct {
	stamp
	legacy int      // n of an older wrapper's hello.<n>.log; 0 for stamped names
	plain  string   // the uncompressed file, "" when there is none
	files  []string // every file of it
}

// compare orders rotated files oldest first: an older wrapper's numbered
// files (the higher the number, the older) before stamped ones.
func (a *rotatedFile) compare(b *rotatedFile) int {
	if c := cmp.Compare(b.legacy, a.legacy); c != 0 {
		return c
	}
	if c := a.t.Compare(b.t); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// listRotated lists the rotated files of the log at path, oldest first;
// with removeTmp it removes what an interrupted compression left.
func listRotated(path string, removeTmp bool) ([]*rotatedFile, error) {
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("log folder: %w", err)
	}
	ext := filepath.Ext(path)
	prefix := strings.TrimSuffix(filepath.Base(path), ext) + "."
	byName := map[string]*rotatedFile{}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		full := filepath.Join(filepath.Dir(path), e.Name())
		if strings.HasSuffix(rest, gzTmp) {
			if removeTmp {
				_ = os.Remove(full)
			}
			continue
		}
		plain := strings.TrimSuffix(rest, ".gz")
		core, ok := strings.CutSuffix(plain, ext)
		if !ok {
			continue
		}
		f := byName[core]
		if f == nil {
			if f = parseRotated(core, full); f == nil {
				continue
			}
			byName[core] = f
		}
		f.files = append(f.files, full)
		if plain == rest {
			f.plain = full
		}
	}
	return slices.SortedFunc(maps.Values(byName), (*rotatedFile).compare), nil
}

// parseRotated reads a stamped name, or an older wrapper's number (whose
// time is the file's modification time).
func parseRotated(core, file string) *rotatedFile {
	if s, ok := parseStamp(core); ok {
		return &rotatedFile{stamp: s}
	}
	n, err := strconv.Atoi(core)
	if err != nil || n < 1 || strconv.Itoa(n) != core {
		return nil
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil
	}
	return &rotatedFile{stamp: stamp{t: st.ModTime()}, legacy: n}
}

// janitor does a log's background work, one piece at a time, on closed
// files: removing rotated files past keep or max age, compressing, and
// reporting errors.
type janitor struct {
	path string
	opt  RotateOptions

	mu     sync.Mutex
	idle   sync.Cond // signalled after each piece of work
	queue  []string  // rotated files to compress, oldest first
	errs   []error   // to report
	sweep  bool      // removal due
	busy   bool
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closer sync.Once
}

// startJanitor starts the background work of the log at path, whose
// rotated files (listed at open) are checked at once.
func startJanitor(path string, o RotateOptions, rotated []*rotatedFile) *janitor {
	j := &janitor{path: path, opt: o, sweep: true, wake: make(chan struct{}, 1), stop: make(chan struct{}),
		done: make(chan struct{})}
	j.idle.L = &j.mu
	if o.Compress {
		for _, f := range rotated {
			if f.plain != "" {
				j.queue = append(j.queue, f.plain)
			}
		}
	}
	go j.run()
	j.signal()
	return j
}

func (j *janitor) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// rotated takes a newly rotated file: retention is checked, and the file
// compressed.
func (j *janitor) rotated(file string) {
	j.mu.Lock()
	if j.opt.Compress {
		j.queue = append(j.queue, file)
	}
	j.sweep = true
	j.mu.Unlock()
	j.signal()
}

// sweepSoon asks for files past max age to be removed.
func (j *janitor) sweepSoon() {
	j.mu.Lock()
	j.sweep = true
	j.mu.Unlock()
	j.signal()
}

// report has err passed to OnError, from the background goroutine.
func (j *janitor) report(err error) {
	j.mu.Lock()
	j.errs = append(j.errs, err)
	j.mu.Unlock()
	j.signal()
}

func (j *janitor) run() {
	defer close(j.done)
	for {
		select {
		case <-j.stop:
			return
		case <-j.wake:
		}
		for j.step() {
		}
	}
}

// step does one piece of work and reports whether there was one.
func (j *janitor) step() bool {
	select {
	case <-j.stop:
		return false
	default:
	}
	j.mu.Lock()
	var work func() error
	switch {
	case len(j.errs) > 0:
		err := j.errs[0]
		j.errs = j.errs[1:]
		work = func() error { return err }
	case j.sweep:
		j.sweep = false
		work = j.removeOld
	case len(j.queue) > 0:
		file := j.queue[0]
		j.queue = j.queue[1:]
		work = func() error { return j.compress(file) }
	}
	j.busy = work != nil
	j.mu.Unlock()
	if work != nil {
		if err := work(); err != nil && !errors.Is(err, errStopped) && j.opt.OnError != nil {
			j.opt.OnError(err)
		}
	}
	j.mu.Lock()
	j.busy = false
	j.idle.Broadcast()
	j.mu.Unlock()
	return work != nil
}

// settle waits until nothing is left to do (tests).
func (j *janitor) settle() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.busy || j.sweep || len(j.queue) > 0 || len(j.errs) > 0 {
		j.idle.Wait()
	}
}

// close stops the background work and waits for it to end, then removes
// what is past keep or max age, if that was due: a quick look at the
// folder, so that no more than keep rotated files stay behind.
func (j *janitor) close() {
	j.closer.Do(func() {
		close(j.stop)
		<-j.done
		j.mu.Lock()
		sweep := j.sweep
		j.sweep = false
		j.idle.Broadcast()
		j.mu.Unlock()
		if sweep {
			if err := j.removeOld(); err != nil && j.opt.OnError != nil {
				j.opt.OnError(err)
			}
		}
	})
	<-j.done
}

// removeOld removes the oldest rotated files beyond Keep, then those whose
// last write is older than MaxAge.
func (j *janitor) removeOld() error {
	files, err := listRotated(j.path, false)
	if err != nil {
		return err
	}
	now := j.opt.Now()
	var errs []error
	for i, f := range files {
		if i >= len(files)-j.opt.Keep && (j.opt.MaxAge <= 0 || now.Sub(f.t) <= j.opt.MaxAge) {
			continue
		}
		for _, p := range f.files {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("log retention: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

// errStopped ends a compression when the log is closed.
var errStopped = errors.New("log closed")

// compress gzips file into file.gz: it writes file.gz.tmp, renames it
// and removes file. A file already removed is no error.
func (j *janitor) compress(file string) error {
	in, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("log compression: %w", err)
	}
	st, err := in.Stat()
	if err == nil {
		err = j.writeGzip(file+gzTmp, in, st)
	}
	in.Close()
	if err != nil {
		_ = os.Remove(file + gzTmp)
		return err
	}
	if err := os.Rename(file+gzTmp, file+".gz"); err != nil {
		_ = os.Remove(file + gzTmp)
		return fmt.Errorf("log compression: %w", err)
	}
	if err := os.Remove(file); err != nil {
		return fmt.Errorf("log compression: %w", err)
	}
	return nil
}

// writeGzip writes in, compressed, to the new file tmp, stopping early
// when the log is closed.
func (j *janitor) writeGzip(tmp string, in io.Reader, st os.FileInfo) error {
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("log compression: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(out, gzip.DefaultCompression)
	zw.Name, zw.ModTime = st.Name(), st.ModTime()
	buf := make([]byte, 256<<10)
	for err == nil {
		select {
		case <-j.stop:
			err = errStopped
			continue
		default:
		}
		var n int
		n, err = in.Read(buf)
		if n > 0 {
			if _, werr := zw.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
	}
	if err == io.EOF {
		err = zw.Close()
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_ = os.Chtimes(tmp, time.Time{}, st.ModTime())
	}
	if err != nil && !errors.Is(err, errStopped) {
		return fmt.Errorf("log compression: %w", err)
	}
	return err
}
