package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Plan is one run of the pipeline: the spec, where artifacts go, and the
// graph of jobs (a build per target, then every packager for every target
// it applies to). A job starts when the jobs making the artifacts it uses
// are done, bounded by one semaphore, so a zip starts as soon as its exe
// is ready; the first failure cancels the rest.
type Plan struct {
	spec    *config.Spec
	dir     string // where artifacts are written (a staging dir for Release)
	dist    string // the release's dist directory
	targets []platform.Target
	rep     *reporter
	sem     chan struct{}
	goTool  string
	cache   *cache          // incremental state (Build reuses nothing)
	pgp     *pgpsign.Signer // the OpenPGP key, loaded once, when gpg is set
	wrapSrc string          // svcpack's module source, when the wrapper is built

	mu        sync.Mutex
	artifacts []Artifact                     // in dist
	raw       map[platform.Target][]rawFile  // go build outputs, in the cache
	claimed   map[string]string              // artifact path -> the job writing it
	memo      map[string]func() (any, error) // packager.Shared's results
}

// shared returns read's result for key, which the first caller computes
// and later ones (waiting for it if need be) share: the memo behind
// packager.Shared, held under p.mu, for the run.
func (p *Plan) shared(key string, read func() (any, error)) (any, error) {
	p.mu.Lock()
	f, ok := p.memo[key]
	if !ok {
		if p.memo == nil {
			p.memo = map[string]func() (any, error){}
		}
		f = sync.OnceValues(read)
		p.memo[key] = f
	}
	p.mu.Unlock()
	return f()
}

// claim records that the job id writes the artifact rel, and fails when
// another job does: two jobs never write one file (check refuses such
// names; this keeps a release from ever mixing them).
func (p *Plan) claim(rel, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claimed == nil {
		p.claimed = map[string]string{}
	}
	if other, ok := p.claimed[rel]; ok && other != id {
		return fmt.Errorf("%s would also be written by %s: two artifacts of one name", rel, other)
	}
	p.claimed[rel] = id
	return nil
}

// rawFile is a go build output that packagers read but dist does not hold.
type rawFile struct {
	kind   packager.Kind
	path   string
	sha256 string // verified by cache.trustRaw
}

// Artifacts returns the artifacts produced so far, filtered by kind when
// kinds are given, sorted by path.
func (p *Plan) Artifacts(kinds ...packager.Kind) []Artifact {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Artifact
	for _, a := range p.artifacts {
		if len(kinds) == 0 || slices.Contains(kinds, a.Kind) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func (p *Plan) distDir() string { return p.dist }

// Abs returns the host path of an artifact path.
func (p *Plan) Abs(rel string) string { return filepath.Join(p.dir, filepath.FromSlash(rel)) }

func (p *Plan) add(arts ...Artifact) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.artifacts = append(p.artifacts, arts...)
}

func (p *Plan) addRaw(t platform.Target, f rawFile) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.raw == nil {
		p.raw = map[platform.Target][]rawFile{}
	}
	p.raw[t] = append(p.raw[t], f)
}

// inputs returns the artifacts of the given kinds made for the targets
// from: dist artifacts by path, raw outputs by their host path. A
// release-wide job (from holds the zero target) reads every target's.
func (p *Plan) inputs(from []platform.Target, kinds []packager.Kind) []input {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []input
	for _, a := range p.artifacts {
		if readsTarget(from, a.Platform()) && slices.Contains(kinds, a.Kind) {
			out = append(out, input{kind: a.Kind, name: "$DIST/" + a.Path, path: filepath.Join(p.dir, filepath.FromSlash(a.Path)), sha256: a.SHA256})
		}
	}
	for _, t := range from {
		for _, r := range p.raw[t] {
			if slices.Contains(kinds, r.kind) {
				out = append(out, input{kind: r.kind, name: string(r.kind), path: r.path, sha256: r.sha256})
			}
		}
	}
	slices.SortFunc(out, func(a, b input) int { return strings.Compare(a.name, b.name) })
	return out
}

// readsTarget reports whether a job reading the targets from reads artifacts of
// target t: from holds it, or the zero target (a release-wide job).
func readsTarget(from []platform.Target, t platform.Target) bool {
	return slices.ContainsFunc(from, func(f platform.Target) bool { return f.IsZero() || f == t })
}

// sources are the targets whose artifacts the job of pk for target t reads:
// t itself, or the targets a combining packager combines into t.
func sources(pk *packager.Packager, s *config.Spec, targets []platform.Target, t platform.Target) []platform.Target {
	if pk.Combines != nil {
		for _, c := range pk.Combines(s, targets) {
			if c.Target == t {
				return c.From
			}
		}
	}
	return []platform.Target{t}
}

// input is one artifact a job reads.
type input struct {
	kind   packager.Kind
	name   string // stable name for the cache key
	path   string // host path
	sha256 string // its content's digest
}

// StepError says which step (packager), and which target, failed.
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

// node is one job of the graph.
type node struct {
	name   string
	kind   packager.Kind // what it makes (packager jobs)
	target platform.Target
	deps   []*node
	run    func(ctx context.Context) error
	done   chan struct{}
	err    error
}

// run executes the graph: every node in its own goroutine, waiting for its
// dependencies, then for a slot of the semaphore. It returns the first
// failure (not a sibling's cancellation).
func (p *Plan) run(ctx context.Context, nodes []*node) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, n := range nodes {
		n.done = make(chan struct{})
	}
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(n.done)
			for _, d := range n.deps {
				select {
				case <-d.done:
					if d.err != nil {
						n.err = context.Canceled
						return
					}
				case <-ctx.Done():
					n.err = context.Canceled
					return
				}
			}
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				n.err = context.Canceled
				return
			}
			defer func() { <-p.sem }()
			if ctx.Err() != nil {
				n.err = context.Canceled
				return
			}
			if err := n.run(ctx); err != nil {
				var se *StepError
				if !errors.As(err, &se) {
					err = &StepError{Step: n.name, Target: targetString(n.target), Err: err}
				}
				n.err = err
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	for _, n := range nodes {
		if n.err != nil && !errors.Is(n.err, context.Canceled) {
			return n.err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

func targetString(t platform.Target) string {
	if t.IsZero() {
		return ""
	}
	return t.String()
}

// graph builds the jobs of a run: a go build per target (and the
// wrapper's, where the wrapper applies), then each packager for each target
// it applies to, after the jobs making what it uses.
func (p *Plan) graph(pks []*packager.Packager, build bool) ([]*node, error) {
	var nodes []*node
	made := map[platform.Target]map[packager.Kind][]*node{}
	targets := planTargets(p.spec, p.targets, pks) // and the combined ones
	for _, t := range targets {
		made[t] = map[packager.Kind][]*node{}
	}
	if build {
		for _, t := range p.targets {
			n := &node{name: "build", target: t, run: func(ctx context.Context) error { return p.buildRaw(ctx, t) }}
			nodes = append(nodes, n)
			made[t][packager.KindRawBinary] = append(made[t][packager.KindRawBinary], n)
			if p.spec.Wraps(t) {
				n := &node{name: "build", target: t, run: func(ctx context.Context) error { return p.buildWrapper(ctx, t) }}
				nodes = append(nodes, n)
				made[t][packager.KindRawWrapper] = append(made[t][packager.KindRawWrapper], n)
			}
		}
	}
	var all []*node // every packager job so far, for release-wide jobs
	for _, pk := range pks {
		if pk.ReleaseWide {
			// After every job of every target making a kind it uses.
			if !pk.Enabled(p.spec) || pk.Applies != nil && !pk.Applies(p.spec, platform.Target{}) {
				continue
			}
			view, err := p.spec.Project(pk.Reads)
			if err != nil {
				return nil, err
			}
			n := &node{name: pk.Name}
			for _, d := range all {
				if d.kind != "" && slices.Contains(pk.Uses, d.kind) {
					n.deps = append(n.deps, d)
				}
			}
			n.run = func(ctx context.Context) error { return p.runJob(ctx, pk, view, platform.Target{}) }
			n.kind = pk.ArtifactKind()
			nodes = append(nodes, n)
			all = append(all, n)
			continue
		}
		for _, t := range targets {
			if !pk.AppliesTo(p.spec, t) {
				continue
			}
			view, err := p.spec.Project(pk.Reads)
			if err != nil {
				return nil, err
			}
			n := &node{name: pk.Name, target: t}
			for _, src := range sources(pk, p.spec, p.targets, t) {
				for _, k := range pk.Uses {
					n.deps = append(n.deps, made[src][k]...)
				}
			}
			n.run = func(ctx context.Context) error { return p.runJob(ctx, pk, view, t) }
			n.kind = pk.ArtifactKind()
			nodes = append(nodes, n)
			all = append(all, n)
			made[t][pk.ArtifactKind()] = append(made[t][pk.ArtifactKind()], n)
		}
	}
	return nodes, nil
}

// runJob makes (or reuses) one packager's artifacts for one target.
func (p *Plan) runJob(ctx context.Context, pk *packager.Packager, view *config.Spec, t platform.Target) error {
	start := time.Now()
	from := sources(pk, p.spec, p.targets, t)
	r := &jobRun{plan: p, pk: pk, target: t, from: from, ins: p.inputs(from, pk.Uses)}
	key, err := p.key(pk, view, t, r.ins)
	if err != nil {
		return err
	}
	if arts, ok := p.reuse(pk, t, key); ok {
		for _, a := range arts {
			if err := p.claim(a.Path, jobID(pk, t)); err != nil {
				return err
			}
		}
		p.add(arts...)
		p.rep.unchanged(pk.Name, targetString(t))
		return nil
	}
	if err := pk.Write(ctx, packager.NewJob(view, t, r)); err != nil {
		return err
	}
	if pk.Paths != nil {
		// What it wrote is what it declared, so that check saw its names.
		declared, err := pk.Paths(p.spec, t)
		if err != nil {
			return err
		}
		for _, a := range r.outs {
			if !slices.Contains(declared, a.Path) {
				return fmt.Errorf("wrote %s, which its Paths does not declare (%v): a bug in packager %s", a.Path, declared, pk.Name)
			}
		}
	}
	p.record(pk, t, key, r.outs)
	p.add(r.outs...)
	p.rep.step(pk.Name, targetString(t), time.Since(start))
	return nil
}

// jobRun is the core's side of one packager's job for one target: what
// packager.Job reads and writes through.
type jobRun struct {
	plan   *Plan
	pk     *packager.Packager
	target platform.Target
	from   []platform.Target // the targets whose artifacts it reads
	ins    []input
	outs   []Artifact
}

// Inputs lists the artifacts of kind k the job reads: only kinds the
// packager declared in Uses, of the targets it reads.
func (r *jobRun) Inputs(k packager.Kind) []Artifact {
	var out []Artifact
	from := r.from
	if from == nil {
		from = []platform.Target{r.target}
	}
	r.plan.mu.Lock()
	defer r.plan.mu.Unlock()
	for _, a := range r.plan.artifacts {
		if a.Kind == k && slices.Contains(r.pk.Uses, k) && readsTarget(from, a.Platform()) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Path is the host path of an artifact.
func (r *jobRun) Path(a Artifact) string { return r.plan.Abs(a.Path) }

// Input is the host path of the job's target's artifact of kind k.
func (r *jobRun) Input(k packager.Kind) (string, bool) {
	for _, in := range r.ins {
		if in.kind == k {
			return in.path, true
		}
	}
	return "", false
}

// Create claims the artifact rel for the job, has write make it, and
// records it with kind k (the packager's own kind when k is empty).
func (r *jobRun) Create(rel string, k packager.Kind, write func(path string) error) error {
	if k == "" {
		k = r.pk.ArtifactKind()
	}
	if err := r.plan.claim(rel, jobID(r.pk, r.target)); err != nil {
		return err
	}
	path := r.plan.Abs(rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := write(path); err != nil {
		return err
	}
	a, err := newArtifact(r.plan.dir, rel, k, r.target)
	if err != nil {
		return err
	}
	r.outs = append(r.outs, a)
	return nil
}

// TempDir returns a new temporary directory beside the release cache (or
// in the system's temporary directory).
func (r *jobRun) TempDir() (string, error) {
	base := ""
	if r.plan.cache != nil {
		base = filepath.Join(r.plan.cache.dir, "tmp")
		if err := os.MkdirAll(base, 0o755); err != nil {
			return "", err
		}
	}
	return os.MkdirTemp(base, "svcpack-"+r.pk.Name+"-"+r.target.Slug()+"-")
}

// OpenPGP is the release's OpenPGP signer, or nil.
func (r *jobRun) OpenPGP() *pgpsign.Signer { return r.plan.pgp }

// GoTool is the run's go command.
func (r *jobRun) GoTool() string { return r.plan.goTool }

// Shared is the run's memo (Plan.shared).
func (r *jobRun) Shared(key string, read func() (any, error)) (any, error) {
	return r.plan.shared(key, read)
}

// LogCommand reports a command line the job runs (shown with -v).
func (r *jobRun) LogCommand(args []string) { r.plan.rep.command(args) }

func newSem(n int) chan struct{} {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return make(chan struct{}, n)
}
