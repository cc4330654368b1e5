package release

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/sign"
	"github.com/svcpack/svcpack/pkg/svcwrap"
	"github.com/svcpack/svcpack/pkg/winres"
)

// Plan is what the steps of one release share: the validated config, the
// directory artifacts are written to, and the artifacts produced so far.
// Steps read the artifacts earlier steps added (never guessing file names)
// and return their own; the pipeline adds those to the plan.
type Plan struct {
	// Config is the validated release configuration.
	Config *config.Config
	// Dir is where artifacts are written: a staging directory that becomes
	// dist/ only when the whole release succeeds.
	Dir string
	// Targets are the targets being released.
	Targets []config.Target

	rep       *reporter
	sem       chan struct{}
	resources *winres.Resources  // prepared by preflight for Windows targets
	signer    *sign.Authenticode // set by preflight when signing is configured
	pgp       *pgpsign.Signer    // set by preflight when gpg is configured
	cache     *cache             // incremental state (nil for Build)
	goTool    string             // the go command
	wrapSrc   string             // svcpack's module source, when service.wrap is set
	wrapRes   *winres.Resources  // the wrapper's resources
	wrapCfg   *svcwrap.Config    // the wrapper's configuration, when service.wrap is set

	mu        sync.Mutex
	artifacts []Artifact
}

// Artifacts returns the artifacts produced so far, filtered by kind when
// kinds are given, sorted by path.
func (p *Plan) Artifacts(kinds ...Kind) []Artifact {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Artifact
	for _, a := range p.artifacts {
		if len(kinds) == 0 {
			out = append(out, a)
			continue
		}
		for _, k := range kinds {
			if a.Kind == k {
				out = append(out, a)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Binary returns the binary artifact built for target t.
func (p *Plan) Binary(t config.Target) (Artifact, error) {
	for _, a := range p.Artifacts(KindBinary) {
		if a.target() == t {
			return a, nil
		}
	}
	return Artifact{}, fmt.Errorf("no binary was built for %s", t)
}

// Abs returns the host path of an artifact path.
func (p *Plan) Abs(rel string) string { return filepath.Join(p.Dir, filepath.FromSlash(rel)) }

func (p *Plan) add(arts []Artifact) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.artifacts = append(p.artifacts, arts...)
}

// replace swaps an artifact that a later step rewrote (resources, signing)
// for its new record.
func (p *Plan) replace(a Artifact) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.artifacts {
		if p.artifacts[i].Path == a.Path {
			p.artifacts[i] = a
			return
		}
	}
	p.artifacts = append(p.artifacts, a)
}

// Step is one named unit of the pipeline.
type Step struct {
	// Name is shown in progress lines and errors.
	Name string
	// Run produces the step's artifacts.
	Run func(ctx context.Context, p *Plan) ([]Artifact, error)
}

// StepError says which step, and which target, failed.
type StepError struct {
	Step, Target string
	Err          error
}

func (e *StepError) Error() string {
	if e.Target != "" {
		return fmt.Sprintf("%s %s: %v", e.Step, e.Target, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// errSkip, returned by a per-target function, means the step does not apply
// (its format is not enabled, signing is not configured): no progress line.
var errSkip = errors.New("step does not apply")

// perTarget makes a step that runs fn for each plan target accepted by
// match, in parallel up to the plan's bound, reporting each with its time.
func perTarget(name string, match func(config.Target) bool, fn func(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error)) Step {
	return Step{Name: name, Run: func(ctx context.Context, p *Plan) ([]Artifact, error) {
		var targets []config.Target
		for _, t := range p.Targets {
			if match(t) {
				targets = append(targets, t)
			}
		}
		results := make([][]Artifact, len(targets))
		errs := make([]error, len(targets))
		var wg sync.WaitGroup
		for i, t := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case p.sem <- struct{}{}:
				case <-ctx.Done():
					errs[i] = ctx.Err()
					return
				}
				defer func() { <-p.sem }()
				start := time.Now()
				arts, err := fn(ctx, p, t)
				if errors.Is(err, errSkip) {
					return
				}
				if err != nil {
					errs[i] = &StepError{Step: name, Target: t.String(), Err: err}
					return
				}
				results[i] = arts
				if allReused(arts) {
					p.rep.unchanged(name, t.String())
				} else {
					p.rep.step(name, t.String(), time.Since(start))
				}
			}()
		}
		wg.Wait()
		var out []Artifact
		for i := range targets {
			if errs[i] != nil {
				return nil, errs[i]
			}
			out = append(out, results[i]...)
		}
		return out, nil
	}}
}

// runStage runs steps concurrently and adds their artifacts to the plan.
// The first error cancels the others.
func runStage(ctx context.Context, p *Plan, steps []Step) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arts, err := s.Run(ctx, p)
			if err != nil {
				var se *StepError
				if !asStepError(err, &se) {
					err = &StepError{Step: s.Name, Err: err}
				}
				errs[i] = err
				cancel()
				return
			}
			p.add(arts)
		}()
	}
	wg.Wait()
	// Report a real failure rather than a sibling's cancellation.
	for _, err := range errs {
		if err != nil && ctx.Err() != nil && isCanceled(err) {
			continue
		}
		if err != nil {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func newSem(n int) chan struct{} {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return make(chan struct{}, n)
}

func allReused(arts []Artifact) bool {
	for _, a := range arts {
		if !a.Reused {
			return false
		}
	}
	return len(arts) > 0
}
