// Command build compares svcpack's build step with the raw go build matrix
// it wraps, in one run, warm cache:
//
//	go run ./bench/build [-rounds 5] [-config svcpack.yaml]
//
// Each round runs the same go build commands (same flags, same targets, same
// parallelism) once directly and once through svcpack (release.Build:
// matrix, Windows resources, hashing), alternating which goes first, and
// prints the median of each and their ratio. The goal is a ratio of at most
// 1.10.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/svcpack/svcpack/internal/benchutil"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/release"
)

func main() {
	rounds := flag.Int("rounds", 5, "measured rounds (after one warm-up)")
	cfgPath := flag.String("config", config.FileName, "config file")
	flag.Parse()
	if err := run(*cfgPath, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/build:", err)
		os.Exit(1)
	}
}

func run(cfgPath string, rounds int) error {
	c, err := release.Load(cfgPath, config.OSEnv())
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "svcpack-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	c.Dist = filepath.Join(tmp, "dist")
	par := runtime.GOMAXPROCS(0)
	targets := c.Targets

	mo := release.MatrixOptions(c, filepath.Join(tmp, "raw"))
	raw := func() error { return benchutil.RawMatrix(mo, targets, par) }
	ours := func() error {
		_, err := release.Build(context.Background(), c, release.Options{Parallelism: par})
		return err
	}
	fmt.Printf("warm-up: %d targets, parallelism %d\n", len(targets), par)
	if err := raw(); err != nil {
		return err
	}
	if err := ours(); err != nil {
		return err
	}
	var tr, to []time.Duration
	for i := 0; i < rounds; i++ {
		first, second := raw, ours
		if i%2 == 1 {
			first, second = ours, raw
		}
		d1, err := timeIt(first)
		if err != nil {
			return err
		}
		d2, err := timeIt(second)
		if err != nil {
			return err
		}
		if i%2 == 1 {
			d1, d2 = d2, d1
		}
		tr, to = append(tr, d1), append(to, d2)
		fmt.Printf("round %d: raw go build %.3fs, svcpack build %.3fs\n", i+1, d1.Seconds(), d2.Seconds())
	}
	mr, mo2 := benchutil.Median(tr), benchutil.Median(to)
	fmt.Printf("median: raw go build %.3fs, svcpack build %.3fs, ratio %.3f (goal <= 1.10)\n", mr.Seconds(), mo2.Seconds(), mo2.Seconds()/mr.Seconds())
	return nil
}

func timeIt(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}
