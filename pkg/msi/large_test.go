package msi

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

const largeChildEnv = "SVCPACK_MSI_LARGE_CHILD"

// TestLargePayloadMemory builds a package around a 100 MiB incompressible
// file in a child process and checks the child's peak resident set size
// (VmHWM) stays under 200 MiB: files, cabinet and compound file are
// streamed, never held whole in memory.
func TestLargePayloadMemory(t *testing.T) {
	if os.Getenv(largeChildEnv) != "" {
		largeChild(t, os.Getenv(largeChildEnv))
		return
	}
	if testing.Short() {
		t.Skip("100 MiB payload skipped in -short mode")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the peak RSS")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLargePayloadMemory$", "-test.v")
	cmd.Env = append(os.Environ(), largeChildEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var hwm int
	for _, l := range strings.Split(string(out), "\n") {
		if _, v, ok := strings.Cut(l, "PEAK_RSS_KB="); ok {
			hwm, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if hwm == 0 {
		t.Fatalf("child reported no peak RSS:\n%s", out)
	}
	t.Logf("peak RSS %d MiB for a 100 MiB payload", hwm/1024)
	if hwm > 200*1024 {
		t.Errorf("peak RSS %d KiB is over 200 MiB", hwm)
	}
	fi, err := os.Stat(filepath.Join(dir, "big.msi"))
	if err != nil || fi.Size() < 100<<20 {
		t.Fatalf("package missing or too small: %v", err)
	}
	// The large path (DIFAT sectors, a multi-block cabinet) must read back.
	msiextract := testtool.Need(t, "msiextract", "msitools")
	dst := t.TempDir()
	if out, err := exec.Command(msiextract, "-C", dst, filepath.Join(dir, "big.msi")).CombinedOutput(); err != nil {
		t.Fatalf("msiextract: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "big.bin"))
	got, err := os.ReadFile(filepath.Join(dst, "Big", "big.bin"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("msiextract gave %d bytes (%v), want the %d-byte source", len(got), err, len(want))
	}
}

func largeChild(t *testing.T, dir string) {
	src := filepath.Join(dir, "big.bin")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(f, rng, 100<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "big.msi"))
	if err != nil {
		t.Fatal(err)
	}
	p := Package{
		Product: Product{Name: "Big", Manufacturer: "Acme", Version: "1.0.0",
			UpgradeCode: "6b2a1e7c-5d4f-4e3a-9b2c-1d0e8f7a6b5c", Arch: "amd64"},
		Files:   []File{{Name: "big.bin", Src: src}},
		Date:    time.Unix(1700000000, 0),
		TempDir: dir,
	}
	if err := Write(out, p); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc := bufio.NewScanner(st)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			t.Logf("PEAK_RSS_KB=%s", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
}
