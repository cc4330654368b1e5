package release

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// The builds: go build writes each target's raw binary (and the wrapper's)
// into the cache, where its own up-to-date check makes an unchanged build
// a no-op; the binary and exe formats copy it into the release.

// rawDir is where go build writes the raw outputs: the cache beside dist.
func (p *Plan) rawDir(sub string) string {
	return filepath.Join(CacheDir(p.distDir()), sub)
}

// MatrixOptions returns the go build settings of the spec's binaries
// (package, name, flags, ldflags data) with outputs under outDir; the caller
// sets targets, parallelism and callbacks. The benchmarks build their
// baseline from it, so that it is the very build svcpack runs.
func MatrixOptions(s *config.Spec, outDir string) matrix.Options {
	o := matrix.Options{
		Dir: s.Dir, Main: config.MainPackage(s.Main), Name: s.Name, OutDir: outDir,
		Ldflags: s.Ldflags, Tags: s.Tags,
		Data: packager.TemplateData(s, platform.Target{}),
	}
	if s.Commit != "" {
		o.Env = trackedOnly(os.Environ())
	}
	return o
}

// trackedOnly returns env with git told to leave untracked files out of
// git status (status.showUntrackedFiles=no, through GIT_CONFIG_COUNT), so
// that the vcs.modified go build stamps says what the -dirty of a version
// from git describe says: a tracked file differs from the commit. The
// untracked files include svcpack's own outputs beside svcpack.yaml (dist/
// once released, its cache, the staging folder a release fills while go
// build runs), which would otherwise make two releases of one commit
// differ. It is only for a repository with a commit: in one without, go
// build stamps only when git status lists a file.
func trackedOnly(env []string) []string {
	n := 0
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		v, ok := strings.CutPrefix(kv, "GIT_CONFIG_COUNT=")
		if ok {
			n, _ = strconv.Atoi(v)
		}
		return ok
	})
	return append(out, fmt.Sprintf("GIT_CONFIG_KEY_%d=status.showUntrackedFiles", n),
		fmt.Sprintf("GIT_CONFIG_VALUE_%d=no", n), fmt.Sprintf("GIT_CONFIG_COUNT=%d", n+1))
}

// checkBuildFlags runs every ldflags template as the build will (an internal
// check of the core, which runs go build), so that a missing field fails at
// check; then checks that each -X names a variable the linker can set
// (checkStamps).
func checkBuildFlags(s *config.Spec, probs *config.Problems) {
	var items []string
	for i, f := range s.Ldflags {
		o := matrix.Options{Ldflags: []string{f}, Data: packager.TemplateData(s, platform.Target{})}
		r, err := o.RenderLdflags(platform.Target{OS: "linux", Arch: "amd64"})
		if err != nil {
			probs.Add(fmt.Sprintf("ldflags[%d]", i), "%v; the fields are {{.Version}}, {{.Commit}}, {{.Date}}, {{.Name}}, {{.Os}}, {{.Arch}}, {{.Variant}} and {{.ArchName}}", err)
			continue
		}
		items = append(items, r...)
	}
	if len(items) == len(s.Ldflags) {
		checkStamps(s, items, probs)
	}
}

// buildRaw runs go build for one target into the cache.
func (p *Plan) buildRaw(ctx context.Context, t platform.Target) error {
	mo := MatrixOptions(p.spec, p.rawDir("bin"))
	mo.GoTool = p.goTool
	r, err := p.goBuild(ctx, t, packager.KindRawBinary, mo)
	if err != nil {
		var be *matrix.BuildError
		if errors.As(err, &be) {
			return &StepError{Step: "build", Target: t.String(), Err: errors.New(strings.TrimPrefix(be.Error(), "build "+t.String()+": "))}
		}
		return err
	}
	p.rep.step("build", t.String(), r.Duration)
	return nil
}

// progressEvery is how often a long go build says what it is doing.
const progressEvery = 5 * time.Second

// goBuild runs one go build into the cache and records its output as a
// raw input of kind, once the cache trusts it (cache.trustRaw): an output
// that changed since go build wrote it is removed and built again.
func (p *Plan) goBuild(ctx context.Context, t platform.Target, kind packager.Kind, mo matrix.Options) (matrix.Result, error) {
	out := matrix.OutputPath(mo.OutDir, mo.Name, t)
	if p.cache.relink {
		if err := os.Remove(out); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return matrix.Result{}, err
		}
	}
	mo.OnStart = func(_ platform.Target, args []string) { p.rep.command(args) }
	// A first build downloads modules and compiles for minutes: say what it
	// is doing every few seconds, so that it never looks hung.
	var mu sync.Mutex
	doing := "starting"
	mo.OnProgress = func(_ platform.Target, line string) {
		mu.Lock()
		defer mu.Unlock()
		if rest, ok := strings.CutPrefix(line, "go: downloading "); ok {
			doing = "downloading " + rest
		} else if line != "" && !strings.ContainsAny(line, " \t") {
			doing = "compiling " + line
		}
	}
	label := t.String()
	if kind == packager.KindRawWrapper {
		label += " svcwrap"
	}
	stop := p.rep.every(progressEvery, func(elapsed time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		p.rep.printf(Normal, "  %-10s %-16s %5.0fs  %s\n", "build", label, elapsed.Seconds(), doing)
	})
	defer stop()
	for attempt := 0; ; attempt++ {
		_, statErr := os.Stat(out)
		r, err := mo.BuildOne(ctx, t)
		if err != nil {
			return r, err
		}
		var sum string
		if statErr != nil {
			sum, err = p.cache.wroteRaw(out)
		} else {
			sum, err = p.cache.trustRaw(out)
		}
		if err != nil {
			return r, err
		}
		if sum != "" {
			p.addRaw(t, rawFile{kind: kind, path: out, sha256: sum})
			return r, nil
		}
		if attempt > 0 {
			return r, fmt.Errorf("go build left %s as it was, with content other than it wrote", out)
		}
		p.rep.printf(Quiet, "svcpack: %s: %s is not known to be what go build wrote there (edited in the cache, or no record): building it again\n", t, out)
		if err := os.Remove(out); err != nil {
			return r, err
		}
	}
}
