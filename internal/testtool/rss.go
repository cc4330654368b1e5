package testtool

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ResetPeakRSS resets the process's peak resident set size (VmHWM, Linux 4.0
// and later), so that PeakRSS measures what runs after it. It logs, rather
// than fails, when the kernel does not allow it.
func ResetPeakRSS(t testing.TB) {
	t.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset the peak RSS (%v); the figure includes earlier work", err)
	}
}

// PeakRSS returns the process's peak resident set size in bytes (VmHWM from
// /proc/self/status), skipping the test where the kernel does not report it.
func PeakRSS(t testing.TB) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				break
			}
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}
