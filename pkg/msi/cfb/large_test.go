package cfb

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// writeBig writes a file holding one small and one size-byte stream to a
// temporary file and returns its path and expectations.
func writeBig(t *testing.T, opts *Options, size int64) (string, map[string]want) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.cfb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	exp := map[string]want{}
	if err := w.AddStream("small", 100, newPattern("small", 100)); err != nil {
		t.Fatal(err)
	}
	exp["small"] = want{size: 100, sum: patternSum("small", 100)}
	h := sha256.New()
	if err := w.AddStream("big", size, io.TeeReader(newPattern("big", size), h)); err != nil {
		t.Fatal(err)
	}
	exp["big"] = want{size: size, sum: hex.EncodeToString(h.Sum(nil))}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, exp
}

// TestStreamingMemory writes a 16 MiB stream and checks that the writer
// allocated far less than the stream: contents are streamed, not buffered.
func TestStreamingMemory(t *testing.T) {
	const size = 16 << 20
	for _, v := range []int{3, 4} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		path, exp := writeBig(t, &Options{Version: v}, size)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("version %d: %d MiB stream, %d KiB allocated while writing", v, size>>20, alloc>>10)
		if alloc > size/8 {
			t.Errorf("version %d: writing a %d-byte stream allocated %d bytes; the writer should not buffer stream contents", v, size, alloc)
		}
		verifyAll(t, path, CLSID{}, exp)
	}
}

// TestOneGiB writes a 1 GiB stream (version 3, so about 130 DIFAT
// sectors) and checks the peak resident set size of the process stays
// under 200 MiB, then reads it back with this package's reader and mscfb.
// It runs only with SVCPACK_LARGE=1.
func TestOneGiB(t *testing.T) {
	if os.Getenv("SVCPACK_LARGE") != "1" {
		t.Skip("set SVCPACK_LARGE=1 to write and verify a 1 GiB compound file")
	}
	// Reset the peak RSS counter (Linux 4.0 and later), then measure the
	// write alone.
	testtool.ResetPeakRSS(t)
	path, exp := writeBig(t, nil, 1<<30)
	hwm := testtool.PeakRSS(t)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("peak RSS %d MiB, HeapSys %d MiB after writing a 1 GiB stream", hwm>>20, ms.HeapSys>>20)
	if hwm > 200<<20 {
		t.Errorf("peak RSS %d MiB, want under 200 MiB", hwm>>20)
	}
	// olefile reads a stream into memory sector by sector and needs
	// minutes for 1 GiB; it checks the 16 MiB and DIFAT files above.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, got := readOwn(t, f, st.Size())
	diff(t, "own reader", exp, got)
	if err := checkTree(r); err != nil {
		t.Error(err)
	}
	_, mgot := readMSCFB(t, &cachedReaderAt{ra: f})
	diff(t, "mscfb", exp, mgot)
	if nDIFAT := r.nDIFAT; nDIFAT == 0 {
		t.Error("no DIFAT sectors in a 1 GiB version 3 file")
	}
}

// BenchmarkWrite measures writing a 64 MiB stream to a file.
func BenchmarkWrite(b *testing.B) {
	const size = 64 << 20
	path := filepath.Join(b.TempDir(), "bench.cfb")
	b.SetBytes(size)
	for b.Loop() {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w, err := NewWriter(f, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.AddStream("big", size, newPattern("big", size)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
