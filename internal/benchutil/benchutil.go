// Package benchutil holds what the benchmarks under bench/ share: the raw
// go build matrix they measure svcpack against, and medians.
package benchutil

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
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

// ModuleRoot returns the directory of the module the go command runs in:
// the benchmarks run from inside svcpack's.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run from inside the svcpack module")
	}
	return filepath.Dir(gomod), nil
}

// CopyTree copies a module's files from src to dst, leaving out .git and
// release output (dist, .dist.*).
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		name := d.Name()
		if d.IsDir() && rel != "." && (name == ".git" || name == "dist" || strings.HasPrefix(name, ".dist")) {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		return os.WriteFile(target, b, fi.Mode().Perm())
	})
}
