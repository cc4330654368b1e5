// Package packager is the API between svcpack's release core and its
// formats. A format is a Packager: the word users write in formats:, the
// targets it applies to, the spec fields and artifact kinds it reads, its
// rules, and a Write that makes its artifacts through a Job. Each format
// lives in a package of its own under pkg/format and is listed once in
// pkg/format's registry; the release core (pkg/release) runs them and
// reaches no format in any other way.
//
// A Job is all a packager sees of a run: the projection of the spec onto
// the fields it declared, its target, the artifacts it declared it uses, and
// the means to write its own. The helpers here (artifact names, download
// URLs, files of the config, atomic writes) are the ones several formats
// share.
package packager

import (
	"context"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
)

// A Packager is one format: the word users write in formats:, the targets
// it applies to, what it reads, its rules, and how it writes its artifacts.
// The default formats, formats: validation, the artifact kinds, the
// pipeline and the docs' format table all derive from the registry's list.
type Packager struct {
	// Name is the word in formats: and in progress lines.
	Name string
	// Kind is the kind of the artifacts it writes (default: Name).
	Kind Kind
	// Doc says in a few words what it makes, for the docs' table.
	Doc string
	// Default puts it in the default formats.
	Default bool
	// Internal packagers cannot be named in formats: and always run where
	// they apply (the binaries, the service wrapper).
	Internal bool
	// Applies reports whether it makes artifacts for target t; nil means
	// every target. It may look at any spec field (it decides what is made,
	// not what is in it).
	Applies func(s *config.Spec, t platform.Target) bool
	// ReleaseWide makes the packager run once for the release: one job
	// (its Target is the zero Target, and Applies is asked with it), after
	// the jobs of every target that make the kinds it uses, all of which it
	// reads (an image index over the Linux images, package-manager
	// manifests over the archives).
	ReleaseWide bool
	// Reads lists the spec fields it reads, as config field paths
	// ("service.name", "windows.msi", "date"). Write sees a projection of
	// the spec holding only these; the cache key covers them and the
	// content of every file they name. A field left out reads as its zero
	// value, so a missing declaration shows in the artifact, never as a
	// stale one.
	Reads []string
	// Uses lists the artifact kinds of the same target it reads (a
	// binary, the wrapper). A use that is not made for the target (the
	// wrapper without service.wrap) is simply absent. Their content is in
	// the cache key, and the packager runs after the packagers making them.
	Uses []Kind
	// Check adds the format's rules to validation (config.Load runs it when
	// the format is enabled), so that check rejects what Write would.
	// planned are the targets packagers run for: the spec's and the ones
	// combining packagers add (darwin/universal).
	Check func(s *config.Spec, planned []platform.Target, probs *config.Problems)
	// Write makes its artifacts for one target through the job.
	Write func(ctx context.Context, j *Job) error
	// Paths lists the artifacts Write makes for target t (the zero Target
	// for a release-wide packager), as paths under dist/, from the spec
	// alone: check renders every name a release would write and refuses
	// two of one name, and a job that writes a path it did not declare
	// fails. It names its artifacts with the functions of names.go.
	Paths func(s *config.Spec, t platform.Target) ([]string, error)
	// Combines makes the packager combine the artifacts of several of the
	// spec's targets into those of a target of its own (the universal
	// darwin binary of darwin/amd64 and darwin/arm64): given the targets,
	// it returns each target it makes with the targets it reads. The new
	// targets join the plan, later packagers run for them as for any
	// other, and the packager's job for one reads the kinds in Uses of the
	// targets it combines.
	Combines func(s *config.Spec, targets []platform.Target) []Combined
}

// Combined is a target a combining packager makes, and the targets whose
// artifacts it reads.
type Combined struct {
	// Target is the target it makes (darwin/universal).
	Target platform.Target
	// From are the targets whose artifacts it combines.
	From []platform.Target
}

// ArtifactKind is the kind of the artifacts the packager writes.
func (pk *Packager) ArtifactKind() Kind {
	if pk.Kind != "" {
		return pk.Kind
	}
	return Kind(pk.Name)
}

// Enabled reports whether the packager runs for spec s at all.
func (pk *Packager) Enabled(s *config.Spec) bool { return pk.Internal || s.Wants(pk.Name) }

// AppliesTo reports whether the packager makes artifacts for s and t.
func (pk *Packager) AppliesTo(s *config.Spec, t platform.Target) bool {
	return pk.Enabled(s) && (pk.Applies == nil || pk.Applies(s, t))
}

// OnOS is an Applies function for targets of one GOOS.
func OnOS(goos string) func(*config.Spec, platform.Target) bool {
	return func(_ *config.Spec, t platform.Target) bool { return t.OS == goos }
}
