package cab

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite testdata/*.cab (then check them: go test -run Golden)")

type file struct {
	name string
	data []byte
}

// textish is compressible, word-like data.
func textish(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{"service ", "hello ", "restart ", "window ", "linux ", "0x7fff ", "\n", "install ", "{ }"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

// random is incompressible data.
func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func build(t testing.TB, files []file, opts Options) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := w.Add(f.name, int64(len(f.data)), bytes.NewReader(f.data), AttrArchive); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var cases = []struct {
	name  string
	files []file
}{
	{"empty file", []file{{"empty.txt", nil}}},
	{"empty files around data", []file{{"e1", nil}, {"data", textish(40000, 9)}, {"e2", nil}}},
	{"one small", []file{{"hello.exe", []byte("MZ hello")}}},
	{"many files", manyFiles(300)},
	{"many blocks", []file{{"big.bin", textish(40*BlockSize+123, 1)}}},
	{"exact blocks", []file{{"a", textish(BlockSize, 2)}, {"b", textish(BlockSize, 3)}}},
	{"random", []file{{"noise.bin", random(5*BlockSize+7, 4)}}},
	{"non-ASCII", []file{{"grüße_日本.txt", []byte("unicode name")}, {"plain.txt", []byte("x")}}},
	{"longest name", []file{{strings.Repeat("n", MaxNameLen), []byte("255 bytes of name")}}},
	{"runs of one byte", []file{{"zeros", make([]byte, 3*BlockSize+5)}, {"xs", bytes.Repeat([]byte("x"), 5000)}}},
	{"no 4-byte matches", []file{{"debruijn.txt", deBruijn()}}},
	{"multi-MB mix", []file{{"x.exe", append(random(600000, 5), textish(3<<20, 6)...)}, {"conf.yaml", []byte("greeting: Hi\n")}}},
}

func manyFiles(n int) []file {
	var fs []file
	for i := range n {
		fs = append(fs, file{name: fmt.Sprintf("f%s%c%d", strings.Repeat("x", i%40), 'a'+i%26, i), data: textish(i*37%5000, uint64(i))})
	}
	return fs
}

var methods = []struct {
	name string
	comp int
}{{"none", None}, {"mszip", MSZIP}}

var testDate = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)

func TestOwnReaderRoundTrip(t *testing.T) {
	for _, c := range cases {
		for _, m := range methods {
			t.Run(c.name+"/"+m.name, func(t *testing.T) {
				b := build(t, c.files, Options{Compression: m.comp, Date: testDate})
				checkRoundTrip(t, b, c.files)
			})
		}
	}
}

func checkRoundTrip(t *testing.T, b []byte, files []file) {
	t.Helper()
	names, data, err := readCab(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(files) {
		t.Fatalf("%d files, want %d", len(names), len(files))
	}
	for i, f := range files {
		if names[i] != f.name || !bytes.Equal(data[f.name], f.data) {
			t.Errorf("file %d (%s): read back %q with %d bytes, want %d", i, f.name, names[i], len(data[f.name]), len(f.data))
		}
	}
}

// checkTools checks a cabinet with cabextract -t and gcab -t, then extracts
// it with both and compares every file with the input.
func checkTools(t *testing.T, path string, files []file) {
	t.Helper()
	cabextract := testtool.Need(t, "cabextract", "cabextract")
	gcab := testtool.Need(t, "gcab", "gcab")
	if out, err := exec.Command(cabextract, "-t", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "All done, no errors") {
		t.Fatalf("cabextract -t: %v\n%s", err, out)
	}
	if out, err := exec.Command(gcab, "-t", path).CombinedOutput(); err != nil {
		t.Fatalf("gcab -t: %v\n%s", err, out)
	}
	dir := t.TempDir()
	for _, tool := range []struct {
		name string
		args []string
	}{
		{"cabextract", []string{cabextract, "-q", "-d", filepath.Join(dir, "cabextract"), path}},
		{"gcab", []string{gcab, "-x", "-C", filepath.Join(dir, "gcab"), path}},
	} {
		if err := os.MkdirAll(filepath.Join(dir, tool.name), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(tool.args[0], tool.args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tool.name, err, out)
		}
		entries, err := os.ReadDir(filepath.Join(dir, tool.name))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(files) {
			t.Errorf("%s extracted %d files, want %d", tool.name, len(entries), len(files))
		}
		for _, f := range files {
			got, err := os.ReadFile(filepath.Join(dir, tool.name, f.name))
			if err != nil {
				t.Errorf("%s: %v", tool.name, err)
			} else if !bytes.Equal(got, f.data) {
				t.Errorf("%s extracted %s with %d bytes differing from the %d written", tool.name, f.name, len(got), len(f.data))
			}
		}
	}
}

// TestExternalTools proves every case, stored and MSZIP, with cabextract
// and gcab, readers nobody here wrote.
func TestExternalTools(t *testing.T) {
	for _, c := range cases {
		for _, m := range methods {
			t.Run(c.name+"/"+m.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "t.cab")
				if err := os.WriteFile(path, build(t, c.files, Options{Compression: m.comp, Date: testDate}), 0o644); err != nil {
					t.Fatal(err)
				}
				checkTools(t, path, c.files)
			})
		}
	}
}

// TestListing checks the date, attributes (with the UTF-8 name flag) and
// names as cabextract -l and gcab -l read them.
func TestListing(t *testing.T) {
	cabextract := testtool.Need(t, "cabextract", "cabextract")
	gcab := testtool.Need(t, "gcab", "gcab")
	var out bytes.Buffer
	w, err := NewWriter(&out, Options{Compression: MSZIP, Date: testDate})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name  string
		attrs uint16
	}{{"grüße_日本.txt", AttrArchive | AttrReadOnly}, {"plain.txt", AttrArchive}, {"run.exe", AttrExec}} {
		if err := w.Add(f.name, 3, strings.NewReader("abc"), f.attrs); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "t.cab")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{cabextract, "-l", path}, []string{"14.11.2023 22:13:20 | grüße_日本.txt", "14.11.2023 22:13:20 | plain.txt"}},
		{[]string{gcab, "-l", path}, []string{"grüße_日本.txt 3 2023-11-14 22:13:20 0xA1", "plain.txt 3 2023-11-14 22:13:20 0x20", "run.exe 3 2023-11-14 22:13:20 0x40"}},
	} {
		got, err := exec.Command(tc.args[0], tc.args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.args[0], err, got)
		}
		for _, want := range tc.want {
			if !strings.Contains(string(got), want) {
				t.Errorf("%s -l lacks %q:\n%s", filepath.Base(tc.args[0]), want, got)
			}
		}
	}
}

func TestDosDateTime(t *testing.T) {
	for _, tc := range []struct {
		in         time.Time
		date, time uint16
	}{
		{time.Time{}, 1<<5 | 1, 0},
		{time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC), 1<<5 | 1, 0},
		{time.Date(2023, 11, 14, 22, 13, 21, 0, time.UTC), 43<<9 | 11<<5 | 14, 22<<11 | 13<<5 | 10},
		{time.Date(2023, 11, 15, 1, 13, 20, 0, time.FixedZone("x", 3*3600)), 43<<9 | 11<<5 | 14, 22<<11 | 13<<5 | 10},
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 127<<9 | 12<<5 | 31, 23<<11 | 59<<5 | 29},
	} {
		d, tm := dosDateTime(tc.in)
		if d != tc.date || tm != tc.time {
			t.Errorf("dosDateTime(%v) = %#x, %#x; want %#x, %#x", tc.in, d, tm, tc.date, tc.time)
		}
	}
}

// TestGolden pins the exact bytes of two small cabinets, one stored and one
// MSZIP. The files are checked by cabextract and gcab on every run, so
// -update cannot bless a cabinet the real readers reject.
func TestGolden(t *testing.T) {
	files := []file{{"File1", []byte("hello, cabinet\r\n")}, {"Fïle2", textish(BlockSize+100, 7)}, {"Empty", nil}}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			path := filepath.Join("testdata", m.name+".cab")
			got := build(t, files, Options{Compression: m.comp, Date: testDate})
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (%d vs %d bytes); if intended, run go test -update", path, len(got), len(want))
			}
			checkTools(t, path, files)
		})
	}
}

func TestDeterministic(t *testing.T) {
	files := cases[len(cases)-1].files
	want := build(t, files, Options{Compression: MSZIP, Workers: 1})
	for _, workers := range []int{1, 2, 3, 8} {
		if got := build(t, files, Options{Compression: MSZIP, Workers: workers}); !bytes.Equal(got, want) {
			t.Errorf("Workers %d: output differs from Workers 1", workers)
		}
	}
}

// TestIncompressibleBlocksStayInLimit walks every CFDATA record of random
// data: each must stay within MSZIP's 32 KiB + 12 bytes.
func TestIncompressibleBlocksStayInLimit(t *testing.T) {
	data := random(7*BlockSize+1, 11)
	b := build(t, []file{{"noise", data}}, Options{Compression: MSZIP})
	le := func(i, n int) int {
		v := 0
		for k := n - 1; k >= 0; k-- {
			v = v<<8 | int(b[i+k])
		}
		return v
	}
	off, blocks := le(36, 4), le(40, 2)
	if blocks != 8 {
		t.Fatalf("%d blocks, want 8", blocks)
	}
	for i := range blocks {
		cb := le(off+4, 2)
		if cb > BlockSize+12 {
			t.Errorf("block %d is %d bytes", i, cb)
		}
		off += dataHeader + cb
	}
	if off != len(b) {
		t.Errorf("records end at %d, cabinet is %d bytes", off, len(b))
	}
}

// TestMaxFiles writes the most files a cabinet holds, has cabextract test
// it, and checks one more is refused.
func TestMaxFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 65535 files")
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, Options{Compression: MSZIP})
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxFiles {
		if err := w.Add(fmt.Sprintf("%x", i), 1, strings.NewReader("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	err = w.Add("one-more", 0, strings.NewReader(""), 0)
	if err == nil || !strings.Contains(err.Error(), "at most 65535 files") {
		t.Fatalf("file 65536: err = %v", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after the refused Add succeeded")
	}
	// The refused Add is final; build the cabinet again without it.
	out.Reset()
	w, err = NewWriter(&out, Options{Compression: MSZIP})
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxFiles {
		if err := w.Add(fmt.Sprintf("%x", i), 1, strings.NewReader("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cabextract := testtool.Need(t, "cabextract", "cabextract")
	path := filepath.Join(t.TempDir(), "t.cab")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := exec.Command(cabextract, "-t", path).CombinedOutput(); err != nil || !bytes.Contains(got, []byte("All done, no errors")) {
		t.Fatalf("cabextract -t: %v\n%s", err, got[max(0, len(got)-500):])
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("read failed") }

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(*Writer) error
		want string
	}{
		{"empty name", func(w *Writer) error { return w.Add("", 0, bytes.NewReader(nil), 0) }, "empty file name"},
		{"long name", func(w *Writer) error { return w.Add(strings.Repeat("n", 256), 0, bytes.NewReader(nil), 0) }, "256 bytes"},
		{"long UTF-8 name", func(w *Writer) error { return w.Add(strings.Repeat("é", 128), 0, bytes.NewReader(nil), 0) }, "256 bytes"},
		{"invalid UTF-8", func(w *Writer) error { return w.Add("a\xffb", 0, bytes.NewReader(nil), 0) }, "not valid UTF-8"},
		{"NUL in name", func(w *Writer) error { return w.Add("a\x00b", 0, bytes.NewReader(nil), 0) }, "without NUL"},
		{"short reader", func(w *Writer) error { return w.Add("x", 10, bytes.NewReader([]byte("abc")), 0) }, "read 3 of 10"},
		{"long reader", func(w *Writer) error { return w.Add("x", 2, bytes.NewReader([]byte("abc")), 0) }, "more than the 2 bytes"},
		{"reader error", func(w *Writer) error { return w.Add("x", 2, errReader{}, 0) }, "read failed"},
		{"negative size", func(w *Writer) error { return w.Add("x", -1, bytes.NewReader(nil), 0) }, "size -1"},
		{"file over 2 GiB - 1", func(w *Writer) error { return w.Add("x", MaxFileSize+1, bytes.NewReader(nil), 0) }, "size 2147483648"},
		{"folder over the limit", func(w *Writer) error {
			w.total = MaxFolderSize - 10 // as if earlier files had filled it
			return w.Add("x", 11, bytes.NewReader(nil), 0)
		}, "at most 2147450880"},
		{"error is final", func(w *Writer) error {
			w.Add("", 0, bytes.NewReader(nil), 0)
			return w.Add("fine", 1, strings.NewReader("x"), 0)
		}, "empty file name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, Options{Compression: MSZIP})
			if err != nil {
				t.Fatal(err)
			}
			err = tc.add(w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if cerr := w.Close(); cerr == nil {
				t.Error("Close after a failed Add succeeded")
			}
		})
	}
}

func TestWriterErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		run  func(*Writer) error
		want string
	}{
		{"no files", Options{}, func(w *Writer) error { return w.Close() }, "no files"},
		{"output fails", Options{}, func(w *Writer) error {
			w.w = errWriter{}
			if err := w.Add("a", 1, strings.NewReader("a"), 0); err != nil {
				return err
			}
			return w.Close()
		}, "disk full"},
		{"Add after Close", Options{}, func(w *Writer) error {
			w.Add("a", 1, strings.NewReader("a"), 0)
			w.Close()
			return w.Add("b", 1, strings.NewReader("b"), 0)
		}, "Add after Close"},
		{"Close twice", Options{}, func(w *Writer) error {
			w.Add("a", 1, strings.NewReader("a"), 0)
			w.Close()
			return w.Close()
		}, "closed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.run(w); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	for _, opts := range []Options{{Compression: 3}, {Compression: MSZIP, Level: 10}, {TempDir: filepath.Join(t.TempDir(), "missing")}} {
		if _, err := NewWriter(io.Discard, opts); err == nil {
			t.Errorf("NewWriter(%+v) succeeded", opts)
		}
	}
}

// TestSpoolRemoved checks Close leaves nothing in TempDir, after success
// and after an error.
func TestSpoolRemoved(t *testing.T) {
	dir := t.TempDir()
	for _, fail := range []bool{false, true} {
		w, err := NewWriter(io.Discard, Options{Compression: MSZIP, TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if fail {
			w.Add("x", 5, strings.NewReader("x"), 0)
		} else if err := w.Add("x", 1, strings.NewReader("x"), 0); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("fail=%v: %d files left in TempDir", fail, len(left))
		}
	}
}

// FuzzRoundTrip writes fuzzed files, stored or MSZIP, and reads them back
// with readCab, which inflates with compress/flate and checks checksums.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), uint8(1), uint8(1), "name")
	f.Add(bytes.Repeat([]byte{0}, 70000), uint8(3), uint8(0), "ü")
	f.Add(random(40000, 3), uint8(2), uint8(1), "r")
	f.Fuzz(func(t *testing.T, payload []byte, nFiles, comp uint8, prefix string) {
		n := int(nFiles%8) + 1
		var files []file
		chunk := len(payload)/n + 1
		for i := 0; i < n; i++ {
			lo := min(i*chunk, len(payload))
			hi := min(lo+chunk, len(payload))
			files = append(files, file{name: fmt.Sprintf("%s%d", prefix, i), data: payload[lo:hi]})
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, Options{Compression: int(comp % 2), Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := w.Add(f.name, int64(len(f.data)), bytes.NewReader(f.data), 0); err != nil {
				w.Close()
				if strings.HasPrefix(err.Error(), "cab: file name") || strings.HasPrefix(err.Error(), "cab: empty") {
					return // a name the format cannot hold
				}
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, out.Bytes(), files)
	})
}
