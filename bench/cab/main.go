// Command cab compares the MSZIP cabinet writer (pkg/msi/cab) with gcab on
// the same files, in one run:
//
//	go run ./bench/cab [-rounds 5] [-mib 24]
//
// The payload is the example service built for windows/amd64 plus
// deterministic mixed text and binary data. Each round builds the cabinet
// with `gcab -c -z` and with our writer (alternating which goes first) and
// the medians are printed as time per MiB, sizes, and ours/gcab ratios.
// Goal: time per MiB at most 0.5x gcab's, size within 5% of it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/svcpack/svcpack/pkg/msi/cab"
)

func main() {
	rounds := flag.Int("rounds", 5, "measured rounds")
	mib := flag.Int("mib", 24, "MiB of generated data besides the exe")
	flag.Parse()
	if err := run(*rounds, *mib); err != nil {
		fmt.Fprintln(os.Stderr, "bench/cab:", err)
		os.Exit(1)
	}
}

func run(rounds, mib int) error {
	gcab, err := exec.LookPath("gcab")
	if err != nil {
		return fmt.Errorf("gcab not found (Debian package gcab): %w", err)
	}
	dir, err := os.MkdirTemp("", "svcpack-bench-cab-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files, err := payload(dir, mib)
	if err != nil {
		return err
	}
	var total int64
	for _, f := range files {
		st, _ := os.Stat(f)
		total += st.Size()
	}
	fmt.Printf("payload: %d files, %.1f MiB\n", len(files), float64(total)/(1<<20))

	gcabOut := filepath.Join(dir, "gcab.cab")
	oursOut := filepath.Join(dir, "ours.cab")
	runGcab := func() error {
		os.Remove(gcabOut)
		cmd := exec.Command(gcab, append([]string{"-c", "-z", "-n", gcabOut}, files...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("gcab: %v\n%s", err, out)
		}
		return nil
	}
	runOurs := func() error { return writeOurs(oursOut, files) }
	var tg, to []time.Duration
	for i := 0; i < rounds+1; i++ {
		a, b := runGcab, runOurs
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
		if i == 0 {
			continue // warm-up
		}
		tg, to = append(tg, da), append(to, db)
	}
	sg, _ := os.Stat(gcabOut)
	so, _ := os.Stat(oursOut)
	m := float64(total) / (1 << 20)
	g, o := median(tg).Seconds(), median(to).Seconds()
	fmt.Printf("gcab -c -z: %.2f ms/MiB, %d bytes\n", 1000*g/m, sg.Size())
	fmt.Printf("svcpack:    %.2f ms/MiB, %d bytes\n", 1000*o/m, so.Size())
	fmt.Printf("ratio ours/gcab: time %.3f (goal <= 0.5), size %.4f (goal within 1.05)\n", o/g, float64(so.Size())/float64(sg.Size()))
	return nil
}

func writeOurs(path string, files []string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := cab.NewWriter(out, cab.Options{Compression: cab.MSZIP})
	if err != nil {
		out.Close()
		return err
	}
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			return err
		}
		st, _ := in.Stat()
		err = w.Add(filepath.Base(f), st.Size(), in, cab.AttrArchive)
		in.Close()
		if err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return out.Close()
}

// payload builds the example exe and writes mixed data files.
func payload(dir string, mib int) ([]string, error) {
	exe := filepath.Join(dir, "hello.exe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", exe, "./examples/hello")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the example (run from the repository root): %v\n%s", err, out)
	}
	files := []string{exe}
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"service ", "restart ", "Windows ", "systemd ", "config: ", "true\n", "0x0040 ", "{\"k\": 1} "}
	for i := 0; i < mib; i++ {
		var b bytes.Buffer
		for b.Len() < 1<<20 {
			if r.IntN(8) == 0 {
				chunk := make([]byte, 256)
				for j := range chunk {
					chunk[j] = byte(r.Uint32())
				}
				b.Write(chunk)
			} else {
				b.WriteString(words[r.IntN(len(words))])
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("data%02d.bin", i))
		if err := os.WriteFile(p, b.Bytes()[:1<<20], 0o644); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}

func timed(f func() error) (time.Duration, error) {
	s := time.Now()
	err := f()
	return time.Since(s), err
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
