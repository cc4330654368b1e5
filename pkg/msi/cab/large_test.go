package cab

import (
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
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
	testtool.ResetPeakRSS(t)
	writeLarge(t, 1<<30)
	hwm := testtool.PeakRSS(t)
	t.Logf("peak RSS writing a 1 GiB cabinet: %d MiB", hwm>>20)
	if hwm > 200<<20 {
		t.Fatalf("peak RSS %d MiB, want under 200 MiB", hwm>>20)
	}
}
