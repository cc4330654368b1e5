// Command incremental measures incremental releases against go build's own
// up-to-date check, in one run:
//
//	go run ./bench/incremental [-rounds 7]
//
// It copies this module to a temporary directory (so it can edit a file),
// builds the svcpack CLI once, and then times, through the CLI as a user
// runs it: a full release of the example (every target and format of
// svcpack.yaml), no-change releases, and the raw go build commands of the
// matrix run again over the binaries the release keeps in its cache (go's
// own warm no-op). Last it changes code in one Linux-only file
// (service/notify_linux.go) and times that release, which must redo the
// Linux artifacts only. It prints the medians, the difference between
// the no-change release and go build's no-op (goal: at most 0.5 s) and
// their ratio.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"github.com/svcpack/svcpack/internal/benchutil"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/release"
)

func main() {
	rounds := flag.Int("rounds", 7, "measured no-change rounds")
	flag.Parse()
	if err := run(*rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/incremental:", err)
		os.Exit(1)
	}
}

func run(rounds int) error {
	root, err := benchutil.ModuleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "svcpack-bench-incremental-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "src")
	if err := benchutil.CopyTree(root, work); err != nil {
		return err
	}
	cli := filepath.Join(tmp, "svcpack")
	if out, err := exec.Command("go", "build", "-o", cli, "./cmd/svcpack").CombinedOutput(); err != nil {
		return fmt.Errorf("building the CLI: %v\n%s", err, out)
	}
	env := append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000", "SVCPACK_VERSION=1.0.0")
	releaseCmd := func(args ...string) (string, error) {
		cmd := exec.Command(cli, append([]string{"release"}, args...)...)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("svcpack release: %v\n%s", err, out)
		}
		return string(out), nil
	}

	c, err := release.Load(filepath.Join(work, config.FileName), config.Env{Getenv: func(k string) string {
		switch k {
		case "SOURCE_DATE_EPOCH":
			return "1700000000"
		case "SVCPACK_VERSION":
			return "1.0.0"
		}
		return os.Getenv(k)
	}})
	if err != nil {
		return err
	}
	targets := c.Targets
	par := runtime.GOMAXPROCS(0)
	mo := release.MatrixOptions(c, filepath.Join(release.CacheDir(c.Dist), "bin"))

	start := time.Now()
	out, err := releaseCmd()
	if err != nil {
		return err
	}
	full := time.Since(start)
	fmt.Printf("full release: %.2fs (%s)\n", full.Seconds(), summary(out))

	var noChange, noop []time.Duration
	for i := 0; i < rounds; i++ {
		var out string
		var d1, d2 time.Duration
		rel := func() error {
			start := time.Now()
			var err error
			out, err = releaseCmd()
			d1 = time.Since(start)
			return err
		}
		raw := func() error {
			start := time.Now()
			err := benchutil.RawMatrix(mo, targets, par)
			d2 = time.Since(start)
			return err
		}
		// Alternate which goes first, so that drift hits both alike.
		first, second := rel, raw
		if i%2 == 1 {
			first, second = raw, rel
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		noChange, noop = append(noChange, d1), append(noop, d2)
		fmt.Printf("round %d: no-change release %.3fs (%s), go build no-op %.3fs\n", i+1, d1.Seconds(), summary(out), d2.Seconds())
	}

	touched := filepath.Join(work, "service", "notify_linux.go")
	f, err := os.OpenFile(touched, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	// A code change (a comment alone compiles to the same package, and go
	// rightly relinks nothing).
	fmt.Fprintf(f, "\nvar benchEdit = %q\n", time.Now().Format(time.RFC3339Nano))
	f.Close()
	start = time.Now()
	out, err = releaseCmd()
	if err != nil {
		return err
	}
	linux := time.Since(start)
	fmt.Printf("after editing service/notify_linux.go: %.2fs (%s)\n", linux.Seconds(), summary(out))

	mr, mn := benchutil.Median(noChange), benchutil.Median(noop)
	fmt.Printf("median: no-change release %.3fs, go build warm no-op of the %d-target matrix %.3fs: +%.3fs (goal <= 0.5s), ratio %.2f\n",
		mr.Seconds(), len(targets), mn.Seconds(), (mr - mn).Seconds(), mr.Seconds()/mn.Seconds())
	return nil
}

var summaryRE = regexp.MustCompile(`released \S+ \S+: (\d+ artifacts, \d+ reused)`)

func summary(out string) string {
	if m := summaryRE.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return "no summary line"
}
