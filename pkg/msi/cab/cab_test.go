package cab

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

type file struct {
	name string
	data []byte
}

func textish(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{"service ", "hello ", "restart ", "window ", "linux ", "0x7fff ", "\n", "install ", "{ }"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

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

var cases = map[string][]file{
	"empty file":   {{"empty.txt", nil}},
	"one small":    {{"hello.exe", []byte("MZ hello")}},
	"many files":   manyFiles(300),
	"many blocks":  {{"big.bin", textish(5*BlockSize+123, 1)}},
	"exact block":  {{"a", textish(BlockSize, 2)}, {"b", textish(BlockSize, 3)}},
	"random":       {{"noise.bin", random(3*BlockSize+7, 4)}},
	"non-ASCII":    {{"grüße_日本.txt", []byte("unicode name")}, {"plain.txt", []byte("x")}},
	"multi-MB mix": {{"x.exe", append(random(600000, 5), textish(2<<20, 6)...)}, {"conf.yaml", []byte("greeting: Hi\n")}},
}

func manyFiles(n int) []file {
	var fs []file
	for i := range n {
		fs = append(fs, file{name: "f" + strings.Repeat("x", i%40) + string(rune('a'+i%26)) + itoa(i), data: textish(i*37%5000, uint64(i))})
	}
	return fs
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var s []byte
	for ; i > 0; i /= 10 {
		s = append([]byte{byte('0' + i%10)}, s...)
	}
	return string(s)
}

func TestOwnReaderRoundTrip(t *testing.T) {
	for name, files := range cases {
		for _, comp := range []int{None, MSZIP} {
			b := build(t, files, Options{Compression: comp, Date: time.Unix(1700000000, 0)})
			names, data, err := readCab(b)
			if err != nil {
				t.Fatalf("%s/%d: %v", name, comp, err)
			}
			if len(names) != len(files) {
				t.Fatalf("%s: %d files, want %d", name, len(names), len(files))
			}
			for i, f := range files {
				if names[i] != f.name || !bytes.Equal(data[f.name], f.data) {
					t.Errorf("%s/%d: file %d (%s) differs", name, comp, i, f.name)
				}
			}
		}
	}
}

// TestExternalTools checks every cabinet with cabextract -t and gcab -t,
// then extracts with both and compares bytes.
func TestExternalTools(t *testing.T) {
	cabextract := testtool.Need(t, "cabextract", "cabextract")
	gcab := testtool.Need(t, "gcab", "gcab")
	for name, files := range cases {
		for _, comp := range []int{None, MSZIP} {
			dir := t.TempDir()
			path := filepath.Join(dir, "t.cab")
			os.WriteFile(path, build(t, files, Options{Compression: comp, Date: time.Unix(1700000000, 0)}), 0o644)
			if out, err := exec.Command(cabextract, "-t", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "All done, no errors") {
				t.Fatalf("%s/%d: cabextract -t: %v\n%s", name, comp, err, out)
			}
			if out, err := exec.Command(gcab, "-t", path).CombinedOutput(); err != nil {
				t.Fatalf("%s/%d: gcab -t: %v\n%s", name, comp, err, out)
			}
			for tool, args := range map[string][]string{
				"cabextract": {cabextract, "-q", "-d", filepath.Join(dir, "c"), path},
				"gcab":       {gcab, "-x", "-C", filepath.Join(dir, "g"), path},
			} {
				os.MkdirAll(filepath.Join(dir, tool[:1]), 0o755)
				if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
					t.Fatalf("%s/%d: %s: %v\n%s", name, comp, tool, err, out)
				}
				for _, f := range files {
					got, err := os.ReadFile(filepath.Join(dir, tool[:1], f.name))
					if err != nil || !bytes.Equal(got, f.data) {
						t.Errorf("%s/%d: %s extracted %s wrong: %v", name, comp, tool, f.name, err)
					}
				}
			}
		}
	}
}

func TestDateAndAttributes(t *testing.T) {
	cabextract := testtool.Need(t, "cabextract", "cabextract")
	path := filepath.Join(t.TempDir(), "t.cab")
	os.WriteFile(path, build(t, cases["non-ASCII"], Options{Compression: MSZIP, Date: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)}), 0o644)
	out, err := exec.Command(cabextract, "-l", path).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"14.11.2023 22:13:20", "grüße_日本.txt"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("cabextract -l lacks %q:\n%s", want, out)
		}
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	files := cases["multi-MB mix"]
	a := build(t, files, Options{Compression: MSZIP, Workers: 1})
	b := build(t, files, Options{Compression: MSZIP, Workers: 4})
	if !bytes.Equal(a, b) {
		t.Fatal("output depends on the number of workers")
	}
}

func TestIncompressibleBlocksStayInLimit(t *testing.T) {
	b := build(t, cases["random"], Options{Compression: MSZIP})
	off := int(b[36]) | int(b[37])<<8 | int(b[38])<<16 | int(b[39])<<24
	for i := 0; i < 4; i++ {
		cb := int(b[off+4]) | int(b[off+5])<<8
		if cb > BlockSize+12 {
			t.Fatalf("block %d is %d bytes", i, cb)
		}
		off += dataHeader + cb
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(*Writer) error
		want string
	}{
		{"empty name", func(w *Writer) error { return w.Add("", 0, bytes.NewReader(nil), 0) }, "empty file name"},
		{"long name", func(w *Writer) error { return w.Add(strings.Repeat("n", 256), 0, bytes.NewReader(nil), 0) }, "256 bytes"},
		{"short reader", func(w *Writer) error { return w.Add("x", 10, bytes.NewReader([]byte("abc")), 0) }, "read 3 of 10"},
		{"long reader", func(w *Writer) error { return w.Add("x", 2, bytes.NewReader([]byte("abc")), 0) }, "more than the 2 bytes"},
		{"too big", func(w *Writer) error { return w.Add("x", 1<<31, bytes.NewReader(nil), 0) }, "size 2147483648"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWriter(&bytes.Buffer{}, Options{Compression: MSZIP})
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
	if _, err := NewWriter(&bytes.Buffer{}, Options{Compression: 3}); err == nil {
		t.Error("compression 3 accepted")
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), uint8(1), uint8(1))
	f.Add(bytes.Repeat([]byte{0}, 70000), uint8(3), uint8(0))
	f.Fuzz(func(t *testing.T, payload []byte, nFiles, comp uint8) {
		n := int(nFiles%8) + 1
		var files []file
		chunk := len(payload)/n + 1
		for i := 0; i < n; i++ {
			lo := min(i*chunk, len(payload))
			hi := min(lo+chunk, len(payload))
			files = append(files, file{name: "file" + itoa(i), data: payload[lo:hi]})
		}
		b := build(t, files, Options{Compression: int(comp % 2), Workers: 2})
		_, data, err := readCab(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if !bytes.Equal(data[f.name], f.data) {
				t.Fatalf("%s differs", f.name)
			}
		}
	})
}
