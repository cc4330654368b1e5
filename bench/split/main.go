// Command split measures a release made in two parts against one release,
// in one run:
//
//	go run ./bench/split [-rounds 5]
//
// It copies this module into a temporary git repository (the example's
// svcpack.yaml, 7 targets), builds the svcpack CLI, warms go's build cache,
// and then runs, alternately:
//
//   - one `svcpack release -force` with two cores (GOMAXPROCS=2, pinned to
//     CPUs 0 and 1 when taskset is there);
//   - two `svcpack release -force -partial` processes at once, windows/* and
//     linux/*,darwin/*, each with one core (GOMAXPROCS=1, each pinned to its
//     own CPU), as two one-core CI runners would, then `svcpack merge`.
//
// Every run writes into a dist/ that does not exist yet, as on a fresh CI
// runner (go's build cache and svcpack's .dist.cache stay warm).
//
// It prints the medians and the ratios: the split's wall time (both parts,
// then the merge) over the single release's, and the merge's over the
// single release's. Every round checks that the merged dist/ is the single
// release byte for byte.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/svcpack/svcpack/internal/benchutil"
	"github.com/svcpack/svcpack/pkg/release"
)

func main() {
	rounds := flag.Int("rounds", 5, "measured rounds")
	flag.Parse()
	if err := run(*rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/split:", err)
		os.Exit(1)
	}
}

func run(rounds int) error {
	ws, err := benchutil.NewWorkspace("split", nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	tmp := filepath.Dir(ws.Dir)
	_, pin := exec.LookPath("taskset")
	if pin != nil {
		fmt.Println("taskset not found: processes are bounded by GOMAXPROCS only")
	}
	command := func(cpus string, procs int, args ...string) *exec.Cmd {
		name := ws.CLI
		if pin == nil {
			args = append([]string{"-c", cpus, ws.CLI}, args...)
			name = "taskset"
		}
		cmd := ws.Command(name, args...)
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", procs))
		return cmd
	}
	dist := func(name string) string { return filepath.Join(tmp, "out", name) }
	// Each run starts with no dist/ (its cache stays), as on a fresh CI
	// runner: replacing the last round's dist/ would charge a run with
	// deleting the last round's files.
	fresh := func(names ...string) error {
		for _, n := range names {
			if err := os.RemoveAll(dist(n)); err != nil {
				return err
			}
		}
		return nil
	}
	single := func() (time.Duration, error) {
		if err := fresh("single"); err != nil {
			return 0, err
		}
		return timed(command("0,1", 2, "release", "-force", "-q", "-dist", dist("single")))
	}
	split := func() (parts, merge time.Duration, err error) {
		if err := fresh("parts/p0", "parts/p1", "merged"); err != nil {
			return 0, 0, err
		}
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, targets := range []string{"windows/*", "linux/*,darwin/*"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = timed(command(fmt.Sprint(i), 1, "release", "-force", "-q", "-partial", "-targets", targets, "-dist", dist(fmt.Sprintf("parts/p%d", i))))
			}()
		}
		wg.Wait()
		parts = time.Since(start)
		for _, err := range errs {
			if err != nil {
				return 0, 0, err
			}
		}
		merge, err = timed(command("0,1", 2, "merge", "-q", "-dist", dist("merged"), dist("parts/p0"), dist("parts/p1")))
		return parts, merge, err
	}
	// Warm go's build cache and the file cache.
	if _, err := single(); err != nil {
		return err
	}
	if _, _, err := split(); err != nil {
		return err
	}
	var singles, splits, merges []time.Duration
	for i := 0; i < rounds; i++ {
		var s, p, m time.Duration
		var err error
		if i%2 == 0 { // alternate, so that drift hits both alike
			if s, err = single(); err == nil {
				p, m, err = split()
			}
		} else if p, m, err = split(); err == nil {
			s, err = single()
		}
		if err != nil {
			return err
		}
		if diffs, err := release.CompareDirs(dist("merged"), dist("single")); err != nil {
			return err
		} else if len(diffs) > 0 {
			return fmt.Errorf("the merged release differs from the single one: %s %s", diffs[0].Path, diffs[0].Detail)
		}
		singles, splits, merges = append(singles, s), append(splits, p+m), append(merges, m)
		fmt.Printf("round %d: single %.2fs; split %.2fs (parts %.2fs, merge %.3fs)\n", i+1, s.Seconds(), (p + m).Seconds(), p.Seconds(), m.Seconds())
	}
	s, p, m := benchutil.Median(singles), benchutil.Median(splits), benchutil.Median(merges)
	fmt.Printf("median single release, 2 cores: %.2fs\n", s.Seconds())
	fmt.Printf("median 2-way split, 1 core each, then merge: %.2fs: %.2fx the single release\n", p.Seconds(), p.Seconds()/s.Seconds())
	fmt.Printf("median merge: %.3fs: %.1f%% of the single release\n", m.Seconds(), 100*m.Seconds()/s.Seconds())
	// What the merge copies and hashes to check the parts: the files their
	// manifests list.
	var size int64
	for i := range 2 {
		part, err := release.ReadPart(dist(fmt.Sprintf("parts/p%d", i)))
		if err != nil {
			return err
		}
		for _, a := range part.Artifacts {
			size += a.Size
		}
	}
	fmt.Printf("the merge copies and hashes the parts' %.0f MB: %.2f GB/s over its whole run\n", float64(size)/1e6, float64(size)/1e9/m.Seconds())
	return nil
}

// timed runs cmd and returns its wall time.
func timed(cmd *exec.Cmd) (time.Duration, error) {
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return time.Since(start), nil
}
