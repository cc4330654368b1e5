// Package release is svcpack's pipeline: config -> plan -> steps ->
// dist/. Each step is a small named unit that reads the artifacts earlier
// steps added to the plan and returns its own. Steps of one stage run in
// parallel, bounded by GOMAXPROCS (or Options.Parallelism). A release is
// written into a staging directory beside dist/ and swapped into place only
// when every step succeeded, so a failed run leaves dist/ as it was, and every
// file is written to a temporary name and renamed, so none is ever partial.
package release

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
)

// Options tunes a run of the pipeline.
type Options struct {
	// Log receives progress lines (normally os.Stderr); nil prints nothing.
	Log io.Writer
	// Verbosity selects how much is printed.
	Verbosity Verbosity
	// Parallelism bounds concurrent work; 0 means GOMAXPROCS.
	Parallelism int
	// Targets, when set, restricts the run to these targets (they must be
	// valid GOOS/GOARCH pairs; they need not be in the config).
	Targets []config.Target
	// GoTool is the go command; default "go".
	GoTool string
	// Force makes every artifact again, ignoring the previous release
	// (a release otherwise reuses each artifact whose inputs are unchanged).
	Force bool

	// extra steps run after packaging (tests use it to add a
	// non-deterministic step that Verify must catch).
	extra []Step
}

// Result is what a release produced.
type Result struct {
	// Dist is the absolute output directory.
	Dist string
	// Artifacts are every file produced, sorted by path.
	Artifacts []Artifact
}

// Manifest is the content of dist/artifacts.json.
type Manifest struct {
	// Name is the project name.
	Name string `json:"name"`
	// Version is the released version.
	Version string `json:"version"`
	// Commit is the git commit, when known.
	Commit string `json:"commit,omitempty"`
	// Date is the build date (RFC 3339).
	Date string `json:"date"`
	// Artifacts lists every artifact except artifacts.json itself.
	Artifacts []Artifact `json:"artifacts"`
}

// ManifestName and ChecksumsName are the fixed file names in dist/.
const (
	ManifestName  = "artifacts.json"
	ChecksumsName = "checksums.txt"
	// SignatureName is the detached OpenPGP signature of checksums.txt.
	SignatureName = "checksums.txt.asc"
)

func (o Options) reporter() *reporter { return &reporter{w: o.Log, v: o.Verbosity} }

func (o Options) targets(c *config.Config) []config.Target {
	if len(o.Targets) > 0 {
		return o.Targets
	}
	return c.ParsedTargets()
}

// Release runs the full pipeline for c and replaces dist/ with the result.
func Release(ctx context.Context, c *config.Config, o Options) (*Result, error) {
	rep := o.reporter()
	dist := c.DistDir()
	rep.printf(Normal, "svcpack: releasing %s %s (version from %s) into %s\n", c.Name, c.Version, c.VersionSource, dist)
	p := &Plan{Config: c, Targets: o.targets(c), rep: rep, sem: newSem(o.Parallelism), goTool: cmp.Or(o.GoTool, "go")}
	if err := preflight(p); err != nil {
		return nil, fmt.Errorf("release failed, %s left unchanged: %w", dist, err)
	}
	parent := filepath.Dir(dist)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	cache, err := openCache(dist, o.Force)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	p.cache = cache
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(dist)+".staging-")
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	defer os.RemoveAll(staging) // after a successful swap this is gone already
	p.Dir = staging

	start := time.Now()
	for _, stage := range pipeline(o) {
		if err := runStage(ctx, p, stage); err != nil {
			return nil, fmt.Errorf("release failed, %s left unchanged: %w", dist, err)
		}
	}
	if err := finish(p); err != nil {
		return nil, fmt.Errorf("release failed, %s left unchanged: %w", dist, err)
	}
	if err := swapDir(staging, dist); err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	arts := p.Artifacts()
	if err := p.cache.save(dist, arts); err != nil {
		rep.printf(Quiet, "svcpack: warning: cannot record the release for the next incremental run: %v\n", err)
	}
	rep.table(dist, arts)
	reused := 0
	for _, a := range arts {
		if a.Reused {
			reused++
		}
	}
	rep.printf(Normal, "svcpack: released %s %s: %d artifacts, %d reused (inputs unchanged), in %.1fs\n", c.Name, c.Version, len(arts), reused, time.Since(start).Seconds())
	return &Result{Dist: dist, Artifacts: arts}, nil
}

// Build compiles binaries only (with Windows resources and signatures), straight into
// dist/, for local work: no packages, no swap of dist/.
func Build(ctx context.Context, c *config.Config, o Options) (*Result, error) {
	rep := o.reporter()
	dist := c.DistDir()
	p := &Plan{Config: c, Dir: dist, Targets: o.targets(c), rep: rep, sem: newSem(o.Parallelism), goTool: cmp.Or(o.GoTool, "go")}
	if err := preflight(p); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	for _, stage := range pipeline(o)[:3] { // build (and wrapper), resources, sign
		if err := runStage(ctx, p, stage); err != nil {
			return nil, err
		}
	}
	arts := p.Artifacts()
	rep.table(dist, arts)
	return &Result{Dist: dist, Artifacts: arts}, nil
}

// pipeline returns the stages in order; the steps of a stage are independent.
func pipeline(o Options) [][]Step {
	return [][]Step{
		{buildStep(o), wrapperStep()},
		windowsResourcesSteps(),
		signSteps(),
		append(packageSteps(), o.extra...),
	}
}

// buildStep compiles the matrix. In a release, go build writes into the
// cache (where its own up-to-date check makes an unchanged build a no-op)
// and each binary is copied into the release, or reused from the previous
// one when its inputs are unchanged; for Build it writes straight into
// dist/.
func buildStep(o Options) Step {
	return Step{Name: "build", Run: func(ctx context.Context, p *Plan) ([]Artifact, error) {
		c := p.Config
		out := p.Dir
		if p.cache != nil {
			out = filepath.Join(p.cache.dir, "bin")
		}
		mo := MatrixOptions(c, out)
		mo.Targets = p.Targets
		mo.Parallelism = cap(p.sem)
		mo.GoTool = p.goTool
		mo.OnStart = func(_ config.Target, args []string) { p.rep.command(args) }
		mo.OnDone = func(r matrix.Result) { p.rep.step("build", r.Target.String(), r.Duration) }
		res, err := matrix.Build(ctx, mo)
		if err != nil {
			var be *matrix.BuildError
			if errors.As(err, &be) {
				return nil, &StepError{Step: "build", Target: be.Target.String(), Err: errors.New(strings.TrimPrefix(be.Error(), "build "+be.Target.String()+": "))}
			}
			return nil, err
		}
		arts := make([]Artifact, 0, len(res))
		for _, r := range res {
			rel, err := filepath.Rel(out, r.Path)
			if err != nil {
				return nil, err
			}
			rel = filepath.ToSlash(rel)
			var a Artifact
			if p.cache == nil {
				a, err = newArtifact(p.Dir, rel, KindBinary, r.Target)
			} else {
				a, err = p.binary(r.Target, rel, r.Path)
			}
			if err != nil {
				return nil, &StepError{Step: "build", Target: r.Target.String(), Err: err}
			}
			arts = append(arts, a)
		}
		return arts, nil
	}}
}

// mainPackage makes a config path usable as a go build package argument.
func mainPackage(m string) string {
	m = filepath.ToSlash(m)
	if strings.HasPrefix(m, "./") || strings.HasPrefix(m, "../") || filepath.IsAbs(m) || m == "." {
		return m
	}
	return "./" + m
}

// MatrixOptions returns the go build settings of c's binaries (package,
// name, flags, ldflags data) with outputs under outDir; the caller sets
// targets, parallelism and callbacks. The benchmarks build their baseline
// from it, so that it is the very build svcpack runs.
func MatrixOptions(c *config.Config, outDir string) matrix.Options {
	return matrix.Options{
		Dir: c.Dir, Main: mainPackage(c.Main), Name: c.Name, OutDir: outDir,
		Ldflags: c.Ldflags, Tags: c.Tags,
		Data: matrix.TemplateData{Name: c.Name, Version: c.Version, Commit: c.Commit, Date: c.Date.UTC().Format(time.RFC3339)},
	}
}

// finish writes checksums.txt (and its signature) and artifacts.json. In
// an incremental release whose artifacts are all unchanged, they come out
// identical and the previous files are kept.
func finish(p *Plan) error {
	start := time.Now()
	var sums bytes.Buffer
	for _, a := range p.Artifacts() {
		fmt.Fprintf(&sums, "%s  %s\n", a.SHA256, a.Path)
	}
	if err := p.small(ChecksumsName, KindChecksums, sums.Bytes()); err != nil {
		return &StepError{Step: "checksums", Err: err}
	}
	p.rep.step("checksums", "", time.Since(start))

	if p.Config.GPGSigns("checksums") {
		start := time.Now()
		key := ""
		if p.cache != nil {
			var err error
			// The signature depends on the key, the data and the date.
			if key, err = p.key("signature", []string{p.pgp.KeyID(), p.Config.Date.UTC().Format(time.RFC3339)}, p.Abs(ChecksumsName)); err != nil {
				return &StepError{Step: "gpg", Err: err}
			}
		}
		a, err := p.produce(SignatureName, KindSignature, config.Target{}, key, func(path string) error {
			return writeFileAtomic(path, 0o644, func(w io.Writer) error {
				sig, err := p.pgp.SignArmored(bytes.NewReader(sums.Bytes()))
				if err != nil {
					return err
				}
				_, err = w.Write(sig)
				return err
			})
		})
		if err != nil {
			return &StepError{Step: "gpg", Target: ChecksumsName, Err: err}
		}
		p.add([]Artifact{a})
		if a.Reused {
			p.rep.unchanged("gpg", ChecksumsName)
		} else {
			p.rep.step("gpg", ChecksumsName, time.Since(start))
		}
	}

	c := p.Config
	m := Manifest{Name: c.Name, Version: c.Version, Commit: c.Commit, Date: c.Date.UTC().Format(time.RFC3339), Artifacts: p.Artifacts()}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return &StepError{Step: "manifest", Err: err}
	}
	if err := p.small(ManifestName, "", append(b, '\n')); err != nil {
		return &StepError{Step: "manifest", Err: err}
	}
	return nil
}

// small writes a small file the release derives from its artifacts, or
// keeps the previous release's when the content is the same; with a kind,
// it becomes an artifact.
func (p *Plan) small(rel string, kind Kind, data []byte) error {
	same := p.linkIfSame(rel, data)
	if !same {
		if err := writeFileAtomic(p.Abs(rel), 0o644, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			return err
		}
	}
	if kind == "" {
		return nil
	}
	a, err := newArtifact(p.Dir, rel, kind, config.Target{})
	if err != nil {
		return err
	}
	a.Reused = same
	p.add([]Artifact{a})
	return nil
}

// ReadManifest reads dist/artifacts.json.
func ReadManifest(dist string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dist, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("release: %s: %w", filepath.Join(dist, ManifestName), err)
	}
	return &m, nil
}

// swapDir replaces dst with src: dst is moved aside, src renamed into place,
// and the old tree removed. Both live in the same parent directory.
func swapDir(src, dst string) error {
	old := ""
	if _, err := os.Stat(dst); err == nil {
		tmp, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".old-")
		if err != nil {
			return err
		}
		old = filepath.Join(tmp, "dist")
		if err := os.Rename(dst, old); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("moving old %s aside: %w", dst, err)
		}
		defer os.RemoveAll(tmp)
	}
	if err := os.Rename(src, dst); err != nil {
		if old != "" {
			_ = os.Rename(old, dst)
		}
		return fmt.Errorf("moving release into %s: %w", dst, err)
	}
	return nil
}

func asStepError(err error, target **StepError) bool { return errors.As(err, target) }

func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }
