// Command cab compares the MSZIP cabinet writer (pkg/msi/cab) with gcab on
// the same files, in one run:
//
//	go run ./bench/cab [-rounds 5] [-mib 24]
//
// The payload is the example service built for windows/amd64 plus
// deterministic mixed text and binary data. Each round builds the cabinet
// with `gcab -c -z` and with our writer (alternating which goes first) and
// the medians are printed as time per MiB (wall and CPU), sizes, and
// ours/gcab ratios. Our cabinet is then checked with cabextract -t.
// Goal: time per MiB at most 0.5x gcab's, size within 5% of it.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/svcpack/svcpack/internal/benchutil"

	"github.com/svcpack/svcpack/pkg/msi/cab"
)

func main() {
	rounds := flag.Int("rounds", 5, "measured rounds (after one warm-up)")
	mib := flag.Int("mib", 24, "MiB of generated data besides the exe")
	level := flag.Int("level", 0, "deflate level for our writer (0: cab.DefaultLevel)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	stop, err := benchutil.CPUProfile(*cpuprofile)
	if err == nil {
		err = run(*rounds, *mib, *level)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/cab:", err)
		os.Exit(1)
	}
}

// sample is one timed build: wall-clock and CPU (user + system) time.
type sample struct{ wall, cpu time.Duration }

func run(rounds, mib, level int) error {
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
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		total += st.Size()
	}
	fmt.Printf("payload: %d files (hello.exe + generated), %.1f MiB; GOMAXPROCS %d, NumCPU %d\n",
		len(files), float64(total)/(1<<20), runtime.GOMAXPROCS(0), runtime.NumCPU())

	gcabOut := filepath.Join(dir, "gcab.cab")
	oursOut := filepath.Join(dir, "ours.cab")
	runGcab := func() (sample, error) {
		os.Remove(gcabOut)
		cmd := exec.Command(gcab, append([]string{"-c", "-z", "-n", gcabOut}, files...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return sample{}, fmt.Errorf("gcab: %v\n%s", err, out.Bytes())
		}
		wall := time.Since(start)
		return sample{wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
	}
	runOurs := func() (sample, error) {
		cpu0 := cpuTime()
		start := time.Now()
		err := writeOurs(oursOut, files, level)
		return sample{time.Since(start), cpuTime() - cpu0}, err
	}
	var sg, so []sample
	for i := 0; i < rounds+1; i++ {
		first, second := runGcab, runOurs
		if i%2 == 1 {
			first, second = second, first
		}
		runtime.GC()
		a, err := first()
		if err != nil {
			return err
		}
		runtime.GC()
		b, err := second()
		if err != nil {
			return err
		}
		if i%2 == 1 {
			a, b = b, a
		}
		if i == 0 {
			continue // warm-up
		}
		sg, so = append(sg, a), append(so, b)
	}
	if err := sameFiles(gcabOut, oursOut); err != nil {
		return err
	}
	if out, err := exec.Command("cabextract", "-t", oursOut).CombinedOutput(); err != nil {
		return fmt.Errorf("cabextract -t on our cabinet: %v\n%s", err, out)
	}
	stg, err := os.Stat(gcabOut)
	if err != nil {
		return err
	}
	sto, err := os.Stat(oursOut)
	if err != nil {
		return err
	}
	m := float64(total) / (1 << 20)
	g, o := medians(sg), medians(so)
	perMiB := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / m }
	fmt.Printf("gcab -c -z: wall %6.2f ms/MiB, cpu %6.2f ms/MiB, %d bytes (%.1f%% of input)\n",
		perMiB(g.wall), perMiB(g.cpu), stg.Size(), 100*float64(stg.Size())/float64(total))
	fmt.Printf("svcpack:    wall %6.2f ms/MiB, cpu %6.2f ms/MiB, %d bytes (%.1f%% of input)\n",
		perMiB(o.wall), perMiB(o.cpu), sto.Size(), 100*float64(sto.Size())/float64(total))
	fmt.Printf("ours/gcab:  wall %.3f (goal <= 0.5), cpu %.3f, size %.4f (goal <= 1.05)\n",
		o.wall.Seconds()/g.wall.Seconds(), o.cpu.Seconds()/g.cpu.Seconds(), float64(sto.Size())/float64(stg.Size()))
	return nil
}

// writeOurs writes the cabinet with our writer and, like gcab, syncs it.
func writeOurs(path string, files []string, level int) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	w, err := cab.NewWriter(out, cab.Options{Compression: cab.MSZIP, Level: level})
	if err != nil {
		return err
	}
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			w.Close()
			return err
		}
		st, err := in.Stat()
		if err == nil {
			err = w.Add(filepath.Base(f), st.Size(), in, cab.AttrArchive)
		}
		in.Close()
		if err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}

// sameFiles checks that both cabinets list the same files with the same
// sizes (by gcab -l) so the sizes compared are of the same content.
func sameFiles(a, b string) error {
	la, err := exec.Command("gcab", "-l", a).Output()
	if err != nil {
		return fmt.Errorf("gcab -l %s: %w", a, err)
	}
	lb, err := exec.Command("gcab", "-l", b).Output()
	if err != nil {
		return fmt.Errorf("gcab -l %s: %w", b, err)
	}
	if namesSizes(la) != namesSizes(lb) {
		return fmt.Errorf("the cabinets list different files:\n%s\n%s", la, lb)
	}
	return nil
}

// namesSizes keeps the name and size columns of gcab -l output.
func namesSizes(list []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(list), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			fmt.Fprintf(&b, "%s %s\n", f[0], f[1])
		}
	}
	return b.String()
}

// cpuTime is this process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// payload builds the example service for windows/amd64 and writes mib MiB
// of deterministic data files of the kinds a service ships besides its exe:
// logs and docs (text), JSON config, binary tables, and already-compressed
// assets (random bytes, one file in eight).
func payload(dir string, mib int) ([]string, error) {
	exe := filepath.Join(dir, "hello.exe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", exe, "./examples/hello")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the example (run from the repository root): %v\n%s", err, out)
	}
	files := []string{exe}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < mib; i++ {
		var b bytes.Buffer
		var kind string
		switch i % 8 {
		case 0, 1, 2:
			kind = "log"
			logText(&b, r)
		case 3, 4:
			kind = "json"
			jsonText(&b, r)
		case 5, 6:
			kind = "table"
			table(&b, r)
		default:
			kind = "asset"
			for b.Len() < 1<<20 {
				b.WriteByte(byte(r.Uint32()))
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("%s%02d.dat", kind, i))
		if err := os.WriteFile(p, b.Bytes()[:1<<20], 0o644); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}

var words = strings.Fields(`service started stopped restart failed listening on port
	request handled user config reload windows linux systemd timeout retry connection
	closed opened the a of to in for with error warning info debug trace path value`)

func logText(b *bytes.Buffer, r *rand.Rand) {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	levels := []string{"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}
	for b.Len() < 1<<20 {
		t = t.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
		fmt.Fprintf(b, "%s %-5s pid=%d ", t.Format(time.RFC3339Nano), levels[r.IntN(len(levels))], 1000+r.IntN(50))
		for n := 3 + r.IntN(10); n > 0; n-- {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "latency=%dms id=%08x\n", r.IntN(900), r.Uint32())
	}
}

func jsonText(b *bytes.Buffer, r *rand.Rand) {
	b.WriteString("[\n")
	for b.Len() < 1<<20 {
		fmt.Fprintf(b, "  {\"id\": %d, \"name\": \"%s-%s\", \"enabled\": %t, \"weight\": %.3f, \"tags\": [\"%s\", \"%s\"]},\n",
			r.IntN(1e6), words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(2) == 0, r.Float64()*100,
			words[r.IntN(len(words))], words[r.IntN(len(words))])
	}
}

func table(b *bytes.Buffer, r *rand.Rand) {
	var rec [24]byte
	var id, ts uint64
	for b.Len() < 1<<20 {
		id++
		ts += uint64(r.IntN(1000))
		binary.LittleEndian.PutUint64(rec[0:], id)
		binary.LittleEndian.PutUint64(rec[8:], ts)
		binary.LittleEndian.PutUint32(rec[16:], uint32(r.IntN(1<<12)))
		binary.LittleEndian.PutUint32(rec[20:], math.Float32bits(float32(r.NormFloat64())))
		b.Write(rec[:])
	}
}

// medians takes the median wall and CPU times separately.
func medians(s []sample) sample {
	w := make([]time.Duration, len(s))
	c := make([]time.Duration, len(s))
	for i, x := range s {
		w[i], c[i] = x.wall, x.cpu
	}
	return sample{benchutil.Median(w), benchutil.Median(c)}
}
