// Command msi compares svcpack's pure-Go MSI writer with msitools' wixl on
// the same payload and service, in one run:
//
//	go run ./bench/msi [-rounds 9]
//
// The payload is the example service built for windows/amd64, its
// config.yaml and icon; the package installs it under Program Files and
// registers the service (ServiceInstall, ServiceControl, Environment value,
// major upgrade). Each round builds with wixl and with pkg/msi, alternating
// which goes first; the medians of time and the sizes are printed with the
// ratios ours/wixl. Goal: time at most 0.5x, size at most 1.0x.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/svcpack/svcpack/internal/benchutil"

	"github.com/svcpack/svcpack/pkg/msi"
	"github.com/svcpack/svcpack/pkg/winres"
)

func main() {
	rounds := flag.Int("rounds", 9, "measured rounds")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of our rounds to this file")
	flag.Parse()
	stop, err := benchutil.CPUProfile(*cpuprofile)
	if err == nil {
		err = run(*rounds)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/msi:", err)
		os.Exit(1)
	}
}

func run(rounds int) error {
	wixl, err := exec.LookPath("wixl")
	if err != nil {
		return fmt.Errorf("wixl not found (Debian package wixl): %w", err)
	}
	dir, err := os.MkdirTemp("", "svcpack-bench-msi-")
	if err != nil {
		return err
	}
	if keep := os.Getenv("SVCPACK_BENCH_KEEP"); keep != "" {
		fmt.Println("keeping the MSIs in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	exe := filepath.Join(dir, "hello.exe")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", exe, "./examples/hello")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the example (run from the repository root): %v\n%s", err, out)
	}
	conf, _ := os.ReadFile("examples/hello/config.yaml")
	os.WriteFile(filepath.Join(dir, "config.yaml"), conf, 0o644)
	ico, err := os.Create(filepath.Join(dir, "product.ico"))
	if err != nil {
		return err
	}
	if err := winres.WriteICO("examples/hello/hello.png", ico); err != nil {
		return err
	}
	ico.Close()
	// The package pkg/msi's tests build with wixl too.
	wxs, err := os.ReadFile("pkg/msi/testdata/hello.wxs")
	if err != nil {
		return err
	}
	os.WriteFile(filepath.Join(dir, "p.wxs"), wxs, 0o644)

	theirs, ours := filepath.Join(dir, "wixl.msi"), filepath.Join(dir, "ours.msi")
	runWixl := func() error {
		cmd := exec.Command(wixl, "-a", "x64", "-o", theirs, "p.wxs")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("wixl: %v\n%s", err, out)
		}
		return nil
	}
	pkg := msi.Package{
		Product: msi.Product{Name: "Hello Service", Manufacturer: "Acme Corp", Version: "1.2.3",
			UpgradeCode: "6B2A1E7C-5D4F-4E3A-9B2C-1D0E8F7A6B5C", Arch: "amd64", InstallDir: `Acme\Hello`,
			Icon: filepath.Join(dir, "product.ico")},
		Files: []msi.File{{Name: "hello.exe", Src: exe}, {Name: "config.yaml", Src: filepath.Join(dir, "config.yaml")}},
		Service: &msi.Service{Name: "hello", DisplayName: "Hello Service", Description: "Says hello over HTTP",
			Args: []string{"run"}, Start: "auto", Account: "LocalService", Env: map[string]string{"PORT": "8080"}},
		Date: time.Unix(1700000000, 0),
	}
	runOurs := func() error {
		f, err := os.Create(ours)
		if err != nil {
			return err
		}
		if err := msi.Write(f, pkg); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	var tw, to []time.Duration
	for i := 0; i <= rounds; i++ {
		a, b := runWixl, runOurs
		if i%2 == 1 {
			a, b = b, a
		}
		da, err := timed(a)
		if err != nil {
			return err
		}
		db, err := timed(b)
		if err != nil {
			return err
		}
		if i%2 == 1 {
			da, db = db, da
		}
		if i > 0 { // round 0 warms caches
			tw, to = append(tw, da), append(to, db)
		}
	}
	sw, _ := os.Stat(theirs)
	so, _ := os.Stat(ours)
	mw, mo := benchutil.Median(tw), benchutil.Median(to)
	fmt.Printf("payload: hello.exe %d bytes, config.yaml, icon; %d rounds\n", fileSize(exe), rounds)
	fmt.Printf("wixl:    %.3f s, %d bytes\n", mw.Seconds(), sw.Size())
	fmt.Printf("svcpack: %.3f s, %d bytes\n", mo.Seconds(), so.Size())
	fmt.Printf("ratio ours/wixl: time %.3f (goal <= 0.5), size %.4f (goal <= 1.0)\n", mo.Seconds()/mw.Seconds(), float64(so.Size())/float64(sw.Size()))
	return nil
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func timed(f func() error) (time.Duration, error) {
	s := time.Now()
	err := f()
	return time.Since(s), err
}
