package svcwrap

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is the clock of the log tests: set by hand, and advanced by
// step at each reading.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newClock(t *testing.T, at string) *fakeClock {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeClock{t: tm}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func (c *fakeClock) Set(t *testing.T, at string) {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.t = tm
	c.mu.Unlock()
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openLog opens the log at path with o, closed at the end of the test.
func openLog(t *testing.T, path string, o RotateOptions) *RotatingWriter {
	t.Helper()
	w, err := OpenRotating(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// rotatedNameRE is a rotated name of app.log.
var rotatedNameRE = regexp.MustCompile(`^app\.\d{8}-\d{6}(_\d{3})?\.log(\.gz)?$`)

// logFiles returns the files of the log at path, oldest first, checking
// that the rotated names sort in that order too.
func logFiles(t *testing.T, path string) []string {
	t.Helper()
	rotated, err := listRotated(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var files, stamped []string
	for _, f := range rotated {
		if len(f.files) != 1 {
			t.Errorf("rotated log %v is in %d files", f.stamp, len(f.files))
		}
		files = append(files, f.files...)
		if f.legacy == 0 {
			stamped = append(stamped, f.files...)
		}
	}
	if !slices.IsSorted(stamped) {
		t.Errorf("rotated names do not sort by time: %q", stamped)
	}
	return append(files, path)
}

// readLog returns the lines of every file of the log at path, oldest
// first, reading .gz files through compress/gzip; it fails on a rotated file
// that does not end with a complete line, one over maxSize with more than one
// line (maxSize > 0), and a compression's leftover.
func readLog(t *testing.T, path string, maxSize int64) []string {
	t.Helper()
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*"+gzTmp)); len(tmp) > 0 {
		t.Errorf("leftovers of a compression: %q", tmp)
	}
	var lines []string
	for _, f := range logFiles(t, path) {
		b := readFile(t, f)
		if len(b) > 0 && b[len(b)-1] != '\n' && f != path {
			t.Errorf("%s does not end with a complete line", f)
		}
		ls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if maxSize > 0 && int64(len(b)) > maxSize && len(ls) > 1 {
			t.Errorf("%s is %d bytes with %d lines, over the %d-byte limit", f, len(b), len(ls), maxSize)
		}
		if len(b) > 0 {
			lines = append(lines, ls...)
		}
	}
	return lines
}

// readFile reads a log file, uncompressed when its name ends with .gz.
func readFile(t *testing.T, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(f, ".gz") {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	if want := strings.TrimSuffix(filepath.Base(f), ".gz"); zr.Name != want {
		t.Errorf("%s: gzip name %q, want %q", f, zr.Name, want)
	}
	return out
}

// names lists the folder's files.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// numbered returns n lines "<prefix> <i>", each ending with a newline.
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d %s\n", prefix, i, strings.Repeat("x", i%50))
	}
	return out
}

func trimmed(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSuffix(l, "\n")
	}
	return out
}

func TestRotatingWriterKeepsEveryLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		maxSize int64
		keep    int
		lines   int
		chunk   int // bytes per Write call
	}{
		{"line-per-write", 1024, 1000, 2000, 0},
		{"small-chunks", 1024, 1000, 2000, 7},
		{"big-chunks", 4096, 1000, 5000, 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs", "app.log")
			clock := newClock(t, "2024-01-02T13:00:00Z")
			clock.step = 3 * time.Millisecond // rotations within one second and across seconds
			w := openLog(t, path, RotateOptions{MaxSize: tc.maxSize, Keep: tc.keep, Now: clock.Now})
			lines := numbered("line", tc.lines)
			data := []byte(strings.Join(lines, ""))
			if tc.chunk == 0 {
				for _, l := range lines {
					if _, err := w.Write([]byte(l)); err != nil {
						t.Fatal(err)
					}
				}
			}
			for tc.chunk > 0 && len(data) > 0 {
				n := min(tc.chunk, len(data))
				if _, err := w.Write(data[:n]); err != nil {
					t.Fatal(err)
				}
				data = data[n:]
			}
			w.jan.settle()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got, want := readLog(t, path, tc.maxSize), trimmed(lines); !slices.Equal(got, want) {
				t.Fatalf("%d lines in the logs, want %d (or they differ)", len(got), len(want))
			}
			files := logFiles(t, path)
			if len(files) < 3 {
				t.Errorf("files %q: want several rotations", files)
			}
			counted := false
			for _, f := range files[:len(files)-1] {
				if !rotatedNameRE.MatchString(filepath.Base(f)) {
					t.Errorf("rotated file %s", f)
				}
				counted = counted || strings.Contains(f, "_001.log")
			}
			if !counted {
				t.Errorf("no two rotations within one second: %q", files)
			}
		})
	}
}

// TestRotatingWriterKeepsN: Keep rotated files stay once the log is closed,
// holding the newest lines.
func TestRotatingWriterKeepsN(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := newClock(t, "2024-01-02T13:00:00Z")
	clock.step = 100 * time.Millisecond
	w := openLog(t, path, RotateOptions{MaxSize: 1024, Keep: 3, Now: clock.Now})
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(w, "line %04d\n", i)
	}
	w.Close() // removes what is past keep, if the background has not yet

	got := names(t, dir)
	if len(got) != 4 || got[3] != "app.log" {
		t.Fatalf("files: %v, want the current one and 3 rotated", got)
	}
	for _, n := range got[:3] {
		if !rotatedNameRE.MatchString(n) {
			t.Errorf("rotated file %s", n)
		}
	}
	lines := readLog(t, path, 1024)
	// The newest lines survive, in order, without a gap.
	if last := lines[len(lines)-1]; last != "line 0999" {
		t.Errorf("last line %q", last)
	}
	var first int
	fmt.Sscanf(lines[0], "line %d", &first)
	for i, l := range lines {
		if want := fmt.Sprintf("line %04d", first+i); l != want {
			t.Fatalf("line %d = %q, want %q", i, l, want)
		}
	}
}

func TestRotatingWriterLongLineAndPartial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	w := openLog(t, path, RotateOptions{MaxSize: 1024, Keep: 5})
	long := strings.Repeat("y", 3000)
	fmt.Fprintf(w, "short\n%s\nafter\npartial", long)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readLog(t, path, 1024)
	want := []string{"short", long, "after", "partial"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q", got)
	}
	if _, err := w.Write([]byte("x\n")); err == nil {
		t.Error("write after Close succeeded")
	}
}

func TestRotatingWriterAppendsAndConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := openLog(t, path, RotateOptions{MaxSize: 2048, Keep: 200})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 500; i++ {
				fmt.Fprintf(w, "g%d %d\n", g, i)
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := readLog(t, path, 2048)
	if lines[0] != "old" || len(lines) != 2001 {
		t.Fatalf("%d lines, first %q", len(lines), lines[0])
	}
	next := map[string]int{}
	for _, l := range lines[1:] {
		var g string
		var i int
		fmt.Sscanf(l, "%s %d", &g, &i)
		if i != next[g] {
			t.Fatalf("line %q follows line %d of %s", l, next[g]-1, g)
		}
		next[g]++
	}
}

func TestOpenRotatingErrors(t *testing.T) {
	if _, err := OpenRotating(filepath.Join(t.TempDir(), "a.log"), RotateOptions{Keep: 1}); err == nil {
		t.Error("max size 0 accepted")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := OpenRotating(filepath.Join(f, "a.log"), RotateOptions{MaxSize: 1024, Keep: 1}); err == nil {
		t.Error("log under a file accepted")
	}
}

// TestRotateHourlyAtBoundary: an hourly log rotates at the first write in a
// new UTC hour (the clock is in +05:30, where UTC hours start at :30), or
// at a Tick once the hour is over; the rotated file is named after its last
// write, and its modification time is that write's.
func TestRotateHourlyAtBoundary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := newClock(t, "2024-01-02T19:10:00+05:30")
	w := openLog(t, path, RotateOptions{MaxSize: 1 << 20, Keep: 5, Period: time.Hour, Now: clock.Now})
	write := func(at, line string) {
		t.Helper()
		clock.Set(t, at)
		if _, err := w.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	write("2024-01-02T19:10:00+05:30", "a")
	write("2024-01-02T19:29:59.900+05:30", "b")
	if got := names(t, dir); !slices.Equal(got, []string{"app.log"}) {
		t.Fatalf("within an hour: %q", got)
	}
	write("2024-01-02T19:30:00+05:30", "c") // 14:00:00 UTC
	write("2024-01-02T20:00:00+05:30", "d") // a local hour, not a UTC one
	want := []string{"app.20240102-135959.log", "app.log"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after 14:00 UTC: %q, want %q", got, want)
	}
	if got := string(readFile(t, filepath.Join(dir, want[0]))); got != "a\nb\n" {
		t.Errorf("rotated file holds %q", got)
	}
	if st, err := os.Stat(filepath.Join(dir, want[0])); err != nil || !st.ModTime().Equal(clockTime(t, "2024-01-02T13:59:59.900Z")) {
		t.Errorf("rotated file's time: %v, %v", st.ModTime(), err)
	}
	clock.Set(t, "2024-01-02T20:29:59+05:30")
	w.Tick()
	if got := names(t, dir); len(got) != 2 {
		t.Fatalf("tick within the hour rotated: %q", got)
	}
	clock.Set(t, "2024-01-02T20:30:01+05:30")
	w.Tick()
	want = []string{"app.20240102-135959.log", "app.20240102-143000.log", "app.log"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after a tick past 15:00 UTC: %q, want %q", got, want)
	}
	if got := string(readFile(t, filepath.Join(dir, want[1]))) + "|" + string(readFile(t, path)); got != "c\nd\n|" {
		t.Errorf("rotated and current files hold %q", got)
	}
}

func clockTime(t *testing.T, at string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestRotateDailyAcrossRestart: a daily log written before midnight UTC and
// opened again after it is rotated when opened; opened again the same day,
// it is appended to.
func TestRotateDailyAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := newClock(t, "2024-01-02T23:59:58Z")
	o := RotateOptions{MaxSize: 1 << 20, Keep: 5, Period: 24 * time.Hour, Now: clock.Now}
	session := func(at string, lines ...string) {
		t.Helper()
		clock.Set(t, at)
		w, err := OpenRotating(path, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	session("2024-01-02T23:59:58Z", "x")
	session("2024-01-03T00:00:05Z", "y")
	session("2024-01-03T23:00:00Z", "z")
	want := []string{"app.20240102-235958.log", "app.log"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	if got := strings.Join(readLog(t, path, 0), " "); got != "x y z" {
		t.Errorf("lines %q", got)
	}
}

// TestRotateBySizeWithinHour: an hourly log also rotates by size within
// the hour, counting the rotations within one second; the names sort as
// the lines were written.
func TestRotateBySizeWithinHour(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := newClock(t, "2024-01-02T13:00:00Z")
	w := openLog(t, path, RotateOptions{MaxSize: 1024, Keep: 1000, Period: time.Hour, Now: clock.Now})
	lines := numbered("line", 600)
	for i, l := range lines {
		if i == 200 {
			clock.step = time.Second // until then, one second
		}
		w.Write([]byte(l))
	}
	w.Close()
	if got := readLog(t, path, 1024); !slices.Equal(got, trimmed(lines)) {
		t.Fatalf("%d lines in the logs, want %d (or they differ)", len(got), len(lines))
	}
	files := names(t, dir)
	var counted int
	for _, f := range files[:len(files)-1] {
		if !strings.HasPrefix(f, "app.20240102-13") || !rotatedNameRE.MatchString(f) {
			t.Errorf("rotated file %s: want a name in hour 13", f)
		}
		if strings.Contains(f, "_") {
			counted++
		}
	}
	if counted < 2 || len(files) < counted+3 {
		t.Errorf("files %q: want rotations counted within one second and others apart", files)
	}
}

// TestRotateKeepAndMaxAge: rotated files past max age (by the time in their
// name; an older wrapper's numbered files by their modification time) are
// removed after a rotation and at a tick; past keep, the oldest go first,
// numbered files before stamped ones.
func TestRotateKeepAndMaxAge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	legacy := func(n int, at string) {
		t.Helper()
		f := RotatedName(path, n)
		if err := os.WriteFile(f, []byte(fmt.Sprintf("legacy %d\n", n)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, time.Time{}, clockTime(t, at)); err != nil {
			t.Fatal(err)
		}
	}
	legacy(1, "2024-01-02T13:00:00Z")
	legacy(2, "2024-01-02T10:00:00Z")
	clock := newClock(t, "2024-01-02T10:30:00Z")
	w := openLog(t, path, RotateOptions{MaxSize: 1 << 20, Keep: 100, Period: time.Hour, MaxAge: 2 * time.Hour, Now: clock.Now})
	for _, at := range []string{"10:30", "11:30", "12:30", "13:30"} {
		clock.Set(t, "2024-01-02T"+at+":00Z")
		fmt.Fprintf(w, "at %s\n", at)
	}
	w.jan.settle()
	want := []string{"app.1.log", "app.20240102-113000.log", "app.20240102-123000.log", "app.log"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("at 13:30 with max age 2h: %q, want %q", got, want)
	}
	clock.Set(t, "2024-01-02T14:00:00Z")
	w.Tick()
	w.jan.settle()
	want = []string{"app.1.log", "app.20240102-123000.log", "app.20240102-133000.log", "app.log"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after a tick at 14:00: %q, want %q", got, want)
	}
	clock.Set(t, "2024-01-02T15:00:01Z")
	w.Tick()
	w.jan.settle()
	want = []string{"app.20240102-133000.log", "app.log"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after a tick at 15:00:01 (nothing written since 13:30): %q, want %q", got, want)
	}

	// By count: numbered files are the oldest.
	dir = t.TempDir()
	path = filepath.Join(dir, "app.log")
	legacy(1, "2024-01-02T13:00:00Z")
	legacy(2, "2024-01-02T12:00:00Z")
	clock = newClock(t, "2024-01-02T13:00:00Z")
	clock.step = time.Second
	w = openLog(t, path, RotateOptions{MaxSize: 1024, Keep: 3, Now: clock.Now})
	for _, l := range numbered("line", 80) { // two rotations
		w.Write([]byte(l))
	}
	w.jan.settle()
	got := names(t, dir)
	if len(got) != 4 || got[0] != "app.1.log" || !rotatedNameRE.MatchString(got[1]) || !rotatedNameRE.MatchString(got[2]) {
		t.Fatalf("keep 3: %q, want app.1.log and the two rotated ones", got)
	}
}

// TestRotateCompress: rotated files are gzipped in the background into
// valid .gz files holding the same lines; opening a log compresses what a
// closed one left and removes a half-written .gz.tmp.
func TestRotateCompress(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := newClock(t, "2024-01-02T13:00:00Z")
	clock.step = 10 * time.Millisecond
	w := openLog(t, path, RotateOptions{MaxSize: 1024, Keep: 1000, Compress: true, Now: clock.Now})
	lines := numbered("line", 400)
	for _, l := range lines {
		w.Write([]byte(l))
	}
	w.jan.settle()
	w.Close()
	files := names(t, dir)
	if len(files) < 5 {
		t.Fatalf("files %q: want several rotations", files)
	}
	for _, f := range files[:len(files)-1] {
		if !strings.HasSuffix(f, ".log.gz") {
			t.Errorf("rotated file %s is not compressed", f)
		}
	}
	if got := readLog(t, path, 0); !slices.Equal(got, trimmed(lines)) {
		t.Fatalf("%d lines in the logs, want %d (or they differ)", len(got), len(lines))
	}

	// What a crash or a stop left: a rotated file not yet compressed and a
	// half-written compression of it.
	left := filepath.Join(dir, "app.20240102-140000.log")
	os.WriteFile(left, []byte("left 1\nleft 2\n"), 0o644)
	os.WriteFile(left+gzTmp, []byte("\x1f\x8b half"), 0o644)
	clock.Set(t, "2024-01-02T14:00:05Z")
	w = openLog(t, path, RotateOptions{MaxSize: 1024, Keep: 1000, Compress: true, Now: clock.Now})
	w.jan.settle()
	if _, err := os.Stat(left); err == nil {
		t.Errorf("%s left uncompressed", left)
	}
	if got := string(readFile(t, left+".gz")); got != "left 1\nleft 2\n" {
		t.Errorf("%s.gz holds %q", left, got)
	}
	readLog(t, path, 0) // no .gz.tmp
}

// TestCompressStopsOnClose: a compression under way when the log closes
// ends without a .gz or .gz.tmp and leaves the rotated file as it was.
func TestCompressStopsOnClose(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.20240102-130000.log")
	content := bytes.Repeat([]byte("line\n"), 1<<16)
	os.WriteFile(file, content, 0o644)
	j := &janitor{stop: make(chan struct{})}
	close(j.stop)
	if err := j.compress(file); !errors.Is(err, errStopped) {
		t.Fatalf("compress after close: %v", err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{filepath.Base(file)}) {
		t.Errorf("files %q", got)
	}
	if b, _ := os.ReadFile(file); !bytes.Equal(b, content) {
		t.Error("the rotated file changed")
	}
}

// TestRotationWhileWritingLosesNoLine: writers on four goroutines while
// the clock moves on by hours and ticks rotate the file, with compression:
// every line is in the logs once, each goroutine's in order.
func TestRotationWhileWritingLosesNoLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := newClock(t, "2024-01-02T13:00:00Z")
	w := openLog(t, path, RotateOptions{MaxSize: 8 << 10, Keep: 1000, Period: time.Hour, Compress: true, Now: clock.Now})
	const per = 3000
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < per; i++ {
				fmt.Fprintf(w, "g%d %d\n", g, i)
			}
		})
	}
	wg.Go(func() {
		for i := 0; i < 100; i++ {
			clock.Add(20 * time.Minute)
			w.Tick()
		}
	})
	wg.Wait()
	w.jan.settle()
	w.Close()
	lines := readLog(t, path, 0)
	next := map[string]int{}
	for _, l := range lines {
		var g string
		var i int
		fmt.Sscanf(l, "%s %d", &g, &i)
		if i != next[g] {
			t.Fatalf("line %q follows line %d of %s", l, next[g]-1, g)
		}
		next[g]++
	}
	if len(lines) != 4*per {
		t.Fatalf("%d lines in the logs, want %d", len(lines), 4*per)
	}
	if files := names(t, dir); len(files) < 3 {
		t.Errorf("files %q: want rotations", files)
	}
}

// TestRotationFailureWritesOn: when the rename fails (on Windows, another
// program holding the file), the lines go on into the current file, the
// error is reported once, and rotation is tried again a minute later.
func TestRotationFailureWritesOn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := newClock(t, "2024-01-02T13:00:00Z")
	var mu sync.Mutex
	var reported []error
	onError := func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }
	rename = func(string, string) error { return errors.New("sharing violation") }
	defer func() { rename = os.Rename }()
	w := openLog(t, path, RotateOptions{MaxSize: 1024, Keep: 5, Now: clock.Now, OnError: onError})
	lines := numbered("line", 100)
	for _, l := range lines {
		if _, err := w.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	w.jan.settle()
	if got := names(t, dir); !slices.Equal(got, []string{"app.log"}) {
		t.Fatalf("files %q", got)
	}
	mu.Lock()
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "sharing violation") {
		t.Errorf("reported %v, want the rename's error once", reported)
	}
	mu.Unlock()
	rename = os.Rename
	clock.Add(rotateRetry)
	w.Write([]byte("after\n"))
	w.Close()
	files := names(t, dir)
	if len(files) != 2 {
		t.Fatalf("files %q, want one rotation", files)
	}
	if got := readLog(t, path, 0); !slices.Equal(got, append(trimmed(lines), "after")) {
		t.Errorf("%d lines, want %d", len(got), len(lines)+1)
	}
}

// BenchmarkRotate measures writes that each rotate, with 5 files kept and
// with the most allowed: a rotation is one rename whatever is kept; the
// removal of old files runs in the background.
func BenchmarkRotate(b *testing.B) {
	for _, keep := range []int{5, MaxKeep} {
		b.Run(fmt.Sprintf("keep=%d", keep), func(b *testing.B) {
			w, err := OpenRotating(filepath.Join(b.TempDir(), "app.log"), RotateOptions{MaxSize: 1024, Keep: keep})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			line := []byte(strings.Repeat("x", 1000) + "\n")
			for b.Loop() {
				w.Write(line)
			}
		})
	}
}
