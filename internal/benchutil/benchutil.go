// Package benchutil holds what the benchmarks under bench/ share: the raw
// go build matrix they measure svcpack against, and medians.
package benchutil

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"time"

	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/platform"
)

// RawMatrix runs, n at a time, the exact go build commands matrix.Build
// would run for targets (same flags, outputs and environment), by hand: it
// is the baseline the benchmarks compare svcpack with.
func RawMatrix(o matrix.Options, targets []platform.Target, n int) error {
	sem := make(chan struct{}, n)
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			args, err := o.Args(t, matrix.OutputPath(o.OutDir, o.Name, t))
			if err != nil {
				errs[i] = err
				return
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = o.Dir
			cmd.Env = matrix.Env(os.Environ(), t)
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("%s: %v\n%s", t, err, b)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Median returns the median of ds (the upper one for an even count).
func Median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
