// Package release is svcpack's pipeline core: a validated config.Spec -> a
// plan of targets x packagers -> dist/. Each format is a packager.Packager
// in a package of its own under pkg/format, listed once in pkg/format's
// registry (the core's only way to a format); it declares the spec fields
// and artifacts it reads and writes its artifacts through a packager.Job,
// which this package runs (jobRun). The core builds the raw binaries and
// the wrapper (build.go, wrapper.go), runs the jobs as a graph, each as
// soon as what it uses is made, bounded by GOMAXPROCS (or
// Options.Parallelism), keeps the cache (cache.go), and writes the
// checksums and the manifest. A release is written into a staging
// directory beside dist/ and swapped into place only when every job
// succeeded, so a failed run leaves dist/ as it was, and every file is
// written to a temporary name and renamed, so none is ever partial.
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
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/platform"
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
	Targets []platform.Target
	// Dist, when set, is the output directory instead of the spec's.
	Dist string
	// GoTool is the go command; default "go".
	GoTool string
	// Force makes every artifact again, ignoring the previous release
	// (a release otherwise reuses each artifact whose inputs are unchanged).
	Force bool
	// Partial makes a part of a split release (see Merge): only the
	// per-target jobs run, and dist/ gets partial.json instead of
	// checksums.txt, its signature and artifacts.json.
	Partial bool

	// extra packagers run after the registry's (tests use it to add a
	// non-deterministic one that Verify must catch).
	extra []*packager.Packager
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

func (o Options) reporter() *reporter { return &reporter{w: o.Log, v: o.Verbosity} }

func (o Options) targets(s *config.Spec) []platform.Target {
	if len(o.Targets) > 0 {
		return o.Targets
	}
	return s.Targets
}

func (o Options) dist(s *config.Spec) string { return cmp.Or(o.Dist, s.Dist) }

func (o Options) packagers() []*packager.Packager { return append(registry(), o.extra...) }

// newPlan prepares a run: the registry is checked, the OpenPGP key loaded.
func newPlan(s *config.Spec, o Options, dir string) (*Plan, error) {
	if err := checkRegistry(o.packagers()); err != nil {
		return nil, err
	}
	p := &Plan{spec: s, dir: dir, dist: o.dist(s), targets: o.targets(s), rep: o.reporter(), sem: newSem(o.Parallelism), goTool: cmp.Or(o.GoTool, "go")}
	if g := s.GPG; g != nil {
		// Load's gpg check opened the key; a spec made otherwise opens it here.
		k, ok := g.Key.(*pgpsign.Signer)
		if !ok {
			var err error
			if k, err = pgpsign.Load(string(g.KeyFile), g.Passphrase, s.Date); err != nil {
				return nil, &StepError{Step: "gpg", Err: fmt.Errorf("%s: gpg.key_file: %w", s.Path, err)}
			}
		}
		p.pgp = k
	}
	return p, nil
}

// Release runs the full pipeline for s and replaces dist/ with the result.
func Release(ctx context.Context, s *config.Spec, o Options) (*Result, error) {
	rep := o.reporter()
	dist := o.dist(s)
	if o.Partial {
		if err := splitsNoCombined(s, o.targets(s), o.packagers()); err != nil {
			return nil, err
		}
		var ts []string
		for _, t := range o.targets(s) {
			ts = append(ts, t.String())
		}
		rep.printf(Normal, "svcpack: releasing part of %s %s (version from %s), targets %s, into %s\n", s.Name, s.Version, s.Version.From(), strings.Join(ts, " "), dist)
	} else {
		rep.printf(Normal, "svcpack: releasing %s %s (version from %s) into %s\n", s.Name, s.Version, s.Version.From(), dist)
	}
	for _, w := range s.Warnings {
		rep.printf(Quiet, "svcpack: %s\n", w)
	}
	for _, l := range s.ContractSummary() {
		rep.printf(Normal, "svcpack: %s\n", l)
	}
	start := time.Now()
	pks, end := o.packagers(), finish
	if o.Partial {
		// Release-wide artifacts read every target's: they are made at merge.
		pks = slices.DeleteFunc(pks, func(pk *packager.Packager) bool { return pk.ReleaseWide })
		end = finishPart
	}
	p, err := runStaged(ctx, s, o, staged{what: "release", fill: func(p *Plan) error { return p.prepare(ctx) }, pks: pks, build: true, end: end})
	if err != nil {
		return nil, err
	}
	arts := p.Artifacts()
	rep.table(dist, arts)
	reused := 0
	for _, a := range arts {
		if a.Reused {
			reused++
		}
	}
	what := "released"
	if o.Partial {
		what = "released part of"
	}
	rep.printf(Normal, "svcpack: %s %s %s: %d artifacts, %d reused (inputs unchanged), in %.1fs\n", what, s.Name, s.Version, len(arts), reused, time.Since(start).Seconds())
	return &Result{Dist: dist, Artifacts: arts}, nil
}

// staged is what runStaged runs.
type staged struct {
	what  string               // "release" or "merge", for messages
	fill  func(*Plan) error    // before the jobs: what the plan needs first
	pks   []*packager.Packager // the packagers whose jobs run
	build bool                 // the jobs build the binaries
	end   func(*Plan) error    // after them: finish, or finishPart
}

// runStaged runs st's jobs for s into a staging folder beside dist/ and
// swaps it in when every step succeeded: the cache locked for the run,
// what interrupted runs left removed, dist/ left as it was on a failure.
// Release and Merge are this, with their own jobs.
func runStaged(ctx context.Context, s *config.Spec, o Options, st staged) (*Plan, error) {
	rep := o.reporter()
	dist := o.dist(s)
	failed := func(err error) (*Plan, error) {
		return nil, fmt.Errorf("%s failed, %s left unchanged: %w", st.what, dist, err)
	}
	if err := checkDistOwned(dist); err != nil {
		return nil, fmt.Errorf("%s: %w", st.what, err)
	}
	parent := filepath.Dir(dist)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", st.what, err)
	}
	cache, err := openCache(dist)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", st.what, err)
	}
	cache.force = cache.force || o.Force
	cache.relink = o.Force
	unlock, err := cache.lock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", st.what, err)
	}
	defer unlock()
	defer cache.saveRaw() // what go build wrote is worth knowing even after a failure
	removeStale(dist, rep)
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(dist)+".staging-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", st.what, err)
	}
	defer os.RemoveAll(staging) // after a successful swap this is gone already
	if err := markStaging(staging, dist); err != nil {
		return nil, fmt.Errorf("%s: %w", st.what, err)
	}
	p, err := newPlan(s, o, staging)
	if err != nil {
		return failed(err)
	}
	p.cache = cache
	if st.fill != nil {
		if err := st.fill(p); err != nil {
			return failed(err)
		}
	}
	nodes, err := p.graph(st.pks, st.build)
	if err != nil {
		return failed(err)
	}
	if err := p.run(ctx, nodes); err != nil {
		return failed(err)
	}
	if err := st.end(p); err != nil {
		return failed(err)
	}
	if err := swapDir(staging, dist); err != nil {
		return nil, fmt.Errorf("%s: %w", st.what, err)
	}
	if err := p.cache.save(); err != nil {
		rep.printf(Quiet, "svcpack: warning: cannot record the %s for the next incremental run: %v\n", st.what, err)
	}
	return p, nil
}

// Build compiles binaries only (with Windows resources and signatures, and
// the service wrapper), straight into dist/, for local work: no packages,
// no swap of dist/.
func Build(ctx context.Context, s *config.Spec, o Options) (*Result, error) {
	rep := o.reporter()
	dist := o.dist(s)
	if err := errors.Join(checkDistOwned(dist), checkCacheOwned(CacheDir(dist))); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if err := writeMarker(dist, DistMarker); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	p, err := newPlan(s, o, dist)
	if err != nil {
		return nil, err
	}
	// The raw outputs live in the release cache; Build reuses no artifact
	// but keeps the cache's record of them.
	if p.cache, err = openCache(dist); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	p.cache.force = true
	unlock, err := p.cache.lock()
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer unlock()
	defer p.cache.saveRaw()
	if err := p.prepare(ctx); err != nil {
		return nil, err
	}
	var internal []*packager.Packager
	for _, pk := range o.packagers() {
		if pk.Internal && !pk.ReleaseWide { // release-wide jobs read packages
			internal = append(internal, pk)
		}
	}
	nodes, err := p.graph(internal, true)
	if err != nil {
		return nil, err
	}
	if err := p.run(ctx, nodes); err != nil {
		return nil, err
	}
	arts := p.Artifacts()
	rep.table(dist, arts)
	return &Result{Dist: dist, Artifacts: arts}, nil
}

// prepare finds, before any build starts, what the run needs from outside
// the spec (the wrapper's source), so that such a failure costs no build.
func (p *Plan) prepare(ctx context.Context) error {
	for _, t := range p.targets {
		if p.spec.Wraps(t) {
			src, err := wrapperSource(ctx, p.goTool, p.spec.Dir, debugBuildInfo, checkoutDir())
			if err != nil {
				return &StepError{Step: "svcwrap", Err: err}
			}
			p.wrapSrc = src
			break
		}
	}
	return nil
}

// finish writes checksums.txt (and its signature), the provenance (with a
// gpg key) and artifacts.json. In
// an incremental release whose artifacts are all unchanged, they come out
// identical and the previous files are kept.
func finish(p *Plan) error {
	start := time.Now()
	var sums bytes.Buffer
	listed := p.Artifacts()
	for _, a := range listed {
		fmt.Fprintf(&sums, "%s  %s\n", a.SHA256, a.Path)
	}
	if err := p.small(packager.ChecksumsName, packager.KindChecksums, sums.Bytes()); err != nil {
		return &StepError{Step: "checksums", Err: err}
	}
	p.rep.step("checksums", "", time.Since(start))

	s := p.spec
	if s.GPGSigns("checksums") {
		start := time.Now()
		sig, err := p.pgp.SignArmored(bytes.NewReader(sums.Bytes()))
		if err != nil {
			return &StepError{Step: "gpg", Target: packager.ChecksumsName, Err: err}
		}
		if err := p.small(packager.SignatureName, packager.KindSignature, sig); err != nil {
			return &StepError{Step: "gpg", Target: packager.ChecksumsName, Err: err}
		}
		p.rep.step("gpg", packager.ChecksumsName, time.Since(start))
	}
	if p.pgp != nil {
		start := time.Now()
		name := ProvenanceName(s.Name, s.Version.String())
		if err := writeProvenance(p, listed); err != nil {
			return &StepError{Step: "provenance", Target: name, Err: err}
		}
		p.rep.step("provenance", name, time.Since(start))
	}

	m := Manifest{Name: s.Name, Version: s.Version.String(), Commit: s.Commit, Date: s.Date.UTC().Format(time.RFC3339), Artifacts: p.Artifacts()}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return &StepError{Step: "manifest", Err: err}
	}
	if err := p.small(packager.ManifestName, "", append(b, '\n')); err != nil {
		return &StepError{Step: "manifest", Err: err}
	}
	return nil
}

// small writes a small file the release derives from its artifacts, or
// keeps the previous release's when the content is the same; with a kind,
// it becomes an artifact.
func (p *Plan) small(rel string, kind packager.Kind, data []byte) error {
	same := p.linkIfSame(rel, data)
	if !same {
		if err := packager.WriteFileAtomic(p.Abs(rel), 0o644, packager.WriteBytes(data)); err != nil {
			return err
		}
	}
	if kind == "" {
		return nil
	}
	a, err := newArtifact(p.dir, rel, kind, platform.Target{})
	if err != nil {
		return err
	}
	a.Reused = same
	p.add(a)
	return nil
}

// ReadManifest reads dist/artifacts.json.
func ReadManifest(dist string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dist, packager.ManifestName))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("release: %s: %w", filepath.Join(dist, packager.ManifestName), err)
	}
	return &m, nil
}

// removeStale removes what runs that died left beside dist (staging and
// swap folders, the cache's temporary files), and says so; a folder of
// those names that svcpack did not make (see ownedLeftover) is left, with
// a warning. The caller holds the cache lock, so no live run owns them.
func removeStale(dist string, rep *reporter) {
	var gone []string
	for _, pattern := range []string{"." + filepath.Base(dist) + ".staging-*", "." + filepath.Base(dist) + ".old-*"} {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dist), pattern))
		for _, m := range matches {
			if !ownedLeftover(m) {
				rep.printf(Quiet, "svcpack: warning: leaving %s: it holds files and no %s, so svcpack did not make it\n",
					m, DistMarker)
				continue
			}
			if err := os.RemoveAll(m); err == nil {
				gone = append(gone, filepath.Base(m))
			}
		}
	}
	os.RemoveAll(filepath.Join(CacheDir(dist), "tmp"))
	if len(gone) > 0 {
		rep.printf(Quiet, "svcpack: removed %d folder(s) left by interrupted runs: %s\n", len(gone), strings.Join(gone, ", "))
	}
}

// swapDir replaces dst with src: dst is moved aside, src renamed into place,
// and the old tree removed. Both live in the same parent directory. A dst
// that svcpack did not make is left as it is (see checkDistOwned).
func swapDir(src, dst string) error {
	if err := checkDistOwned(dst); err != nil {
		return err
	}
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
