package packager

import (
	"fmt"
	"io"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Job is what a packager's Write gets: the spec fields it declared, its
// target, the artifacts it uses, and the means to write its own.
type Job struct {
	// Spec holds only the fields the packager declared in Reads.
	Spec *config.Spec
	// Target is the target being packaged.
	Target platform.Target

	run Run
}

// Run is the release core's side of a job: what it may read of the run,
// and where its artifacts go. The core implements it; a packager sees it
// only through the Job's methods.
type Run interface {
	// Inputs lists the artifacts of kind k the job reads, sorted by path.
	Inputs(k Kind) []Artifact
	// Input is the host path of the job's target's artifact of kind k.
	Input(k Kind) (string, bool)
	// Path is the host path of an artifact.
	Path(a Artifact) string
	// Create records the artifact rel of kind k after write has made the
	// file at the host path it is given; k empty means the packager's kind.
	Create(rel string, k Kind, write func(path string) error) error
	// TempDir returns a new temporary directory the caller removes.
	TempDir() (string, error)
	// OpenPGP is the release's OpenPGP signer, or nil.
	OpenPGP() *pgpsign.Signer
	// GoTool is the go command of the run.
	GoTool() string
	// Shared returns read's result for key, computed once per run.
	Shared(key string, read func() (any, error)) (any, error)
	// LogCommand reports a command line the job runs (shown with -v).
	LogCommand(args []string)
}

// NewJob returns the job of a packager for target t over the spec
// projection s, run by r.
func NewJob(s *config.Spec, t platform.Target, r Run) *Job {
	return &Job{Spec: s, Target: t, run: r}
}

// Inputs returns the artifacts of kind k the job may read (every target's,
// for a release-wide job; the combined targets', for a combining one),
// sorted by path, with Path(a) their host paths. Only kinds the packager
// declared in Uses are visible.
func (j *Job) Inputs(k Kind) []Artifact { return j.run.Inputs(k) }

// Path is the host path of an artifact.
func (j *Job) Path(a Artifact) string { return j.run.Path(a) }

// Input returns the host path of the artifact of kind k made for the job's
// target, and whether there is one. Only kinds the packager declared in
// Uses are visible.
func (j *Job) Input(k Kind) (string, bool) { return j.run.Input(k) }

// MustInput is Input for a kind the packager cannot do without.
func (j *Job) MustInput(k Kind) (string, error) {
	if p, ok := j.Input(k); ok {
		return p, nil
	}
	return "", fmt.Errorf("no %s was made for %s", k, j.Target)
}

// Create writes the artifact rel (a path under dist/ with / separators)
// with mode 0644 by calling fill on a temporary file renamed into place, and
// records it with the packager's kind.
func (j *Job) Create(rel string, fill func(w io.Writer) error) error {
	return j.run.Create(rel, "", func(path string) error { return WriteFileAtomic(path, 0o644, fill) })
}

// CreateFile records the artifact rel of kind k after write has made the
// file at the host path it is given (writing it atomically is write's
// part).
func (j *Job) CreateFile(rel string, k Kind, write func(path string) error) error {
	return j.run.Create(rel, k, write)
}

// TempDir returns a new temporary directory (beside the release cache, or
// in the system's temporary directory); the caller removes it.
func (j *Job) TempDir() (string, error) { return j.run.TempDir() }

// OpenPGP returns the release's OpenPGP signer when the packager reads the
// gpg section and it is set, else nil.
func (j *Job) OpenPGP() *pgpsign.Signer {
	if j.Spec.GPG == nil {
		return nil
	}
	return j.run.OpenPGP()
}

// GoTool is the go command of the run ("go" unless the caller chose one).
func (j *Job) GoTool() string { return j.run.GoTool() }

// LogCommand reports a command line the job runs (shown with -v); it runs
// nothing.
func (j *Job) LogCommand(args []string) { j.run.LogCommand(args) }

// Shared returns read's result for key: the first job of the run to ask
// computes it, later ones (waiting for it if need be) share it. It is for
// inputs that many jobs read and that cost to read (an icon to decode and
// resize, a base image to hash); key names what is read, with a prefix
// that says by whom.
func Shared[T any](j *Job, key string, read func() (T, error)) (T, error) {
	var zero T
	v, err := j.run.Shared(key, func() (any, error) { return read() })
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("packager: shared %q holds a %T, not a %T: two readers use one key", key, v, zero)
	}
	return t, nil
}
