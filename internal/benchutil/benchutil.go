// Package benchutil holds what the benchmarks under bench/ share: the raw
// go build matrix they measure svcpack against, a workspace to run the CLI
// in, and medians.
package benchutil

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
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

// Workspace is a copy of svcpack's module in a temporary directory, made a
// git repository with one commit, and the svcpack CLI built from the
// module: what the benchmarks that run releases work in.
type Workspace struct {
	// Dir is the module's copy, a git repository.
	Dir string
	// CLI is the svcpack executable.
	CLI string
	// Env is the environment to run in: the process's, with the version
	// (1.0.0) and every date fixed.
	Env []string
	tmp string
}

// NewWorkspace makes a Workspace for the benchmark name (in the temporary
// directory's name), with edit's changes (when edit is not nil) and tags in
// its commit. Close removes it.
func NewWorkspace(name string, edit func(dir string) error, tags ...string) (*Workspace, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "svcpack-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	w := &Workspace{Dir: filepath.Join(tmp, "src"), CLI: filepath.Join(tmp, "svcpack"), tmp: tmp,
		Env: append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000", "SVCPACK_VERSION=1.0.0", "GIT_AUTHOR_DATE=@1700000000 +0000", "GIT_COMMITTER_DATE=@1700000000 +0000")}
	if err := w.setUp(root, edit, tags); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w *Workspace) setUp(root string, edit func(string) error, tags []string) error {
	if err := CopyTree(root, w.Dir); err != nil {
		return err
	}
	if edit != nil {
		if err := edit(w.Dir); err != nil {
			return err
		}
	}
	steps := [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "bench"}}
	for _, t := range tags {
		steps = append(steps, []string{"tag", t})
	}
	for _, args := range steps {
		if out, err := w.Command("git", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	build := exec.Command("go", "build", "-o", w.CLI, "./cmd/svcpack")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the CLI: %v\n%s", err, out)
	}
	return nil
}

// Command returns the command name with args, to run in Dir with Env (a
// copy of it, which the caller may append to).
func (w *Workspace) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = w.Dir, slices.Clone(w.Env)
	return cmd
}

// Close removes the workspace.
func (w *Workspace) Close() error { return os.RemoveAll(w.tmp) }

// CPUProfile starts writing a CPU profile to path ("" profiles nothing);
// stop ends it.
func CPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
