package cab

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// patternReader yields n bytes of cheap, compressible-but-not-trivial data.
type patternReader struct {
	n, off int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n-r.off))
	for i := 0; i < k; i++ {
		x := uint64(r.off + int64(i))
		p[i] = byte(x*2654435761>>13) & 0x3f
	}
	r.off += int64(k)
	return k, nil
}

func writeLarge(t *testing.T, size int64) {
	t.Helper()
	w, err := NewWriter(io.Discard, Options{Compression: MSZIP, Level: 1, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("payload.bin", size, &patternReader{n: size}, AttrArchive); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHeapBounded writes 128 MiB and checks the heap the runtime obtained
// stays far below the payload: blocks stream through a spool file.
func TestHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 128 MiB")
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	writeLarge(t, 128<<20)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapSys) - int64(before.HeapSys); grew > 32<<20 {
		t.Fatalf("heap grew by %d MiB writing 128 MiB", grew>>20)
	}
}

// TestOneGiBPeakRSS writes 1 GiB and reports the process's peak RSS, which
// must stay under 200 MiB. Set SVCPACK_LARGE=1 to run it.
func TestOneGiBPeakRSS(t *testing.T) {
	if os.Getenv("SVCPACK_LARGE") != "1" {
		t.Skip("set SVCPACK_LARGE=1 to write 1 GiB")
	}
	// Reset the peak (VmHWM) so the figure is this test's.
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	writeLarge(t, 1<<30)
	hwm := vmHWM(t)
	t.Logf("peak RSS writing a 1 GiB cabinet: %d MiB", hwm>>20)
	if hwm > 200<<20 {
		t.Fatalf("peak RSS %d MiB, want under 200 MiB", hwm>>20)
	}
}

func vmHWM(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}
