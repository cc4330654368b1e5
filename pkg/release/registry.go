package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
)

// A Packager is one format: the word users write in formats:, the targets it
// applies to, what it reads, its rules, and how it writes its artifacts.
// Each lives in its own format_*.go file and is listed once in packagers;
// the default formats, formats: validation, the artifact kinds, the pipeline
// and the format table in the README all derive from that list.
type Packager struct {
	// Name is the word in formats: and in progress lines.
	Name string
	// Kind is the kind of the artifacts it writes (default: Name).
	Kind Kind
	// Doc says in a few words what it makes, for the README's table.
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
	// Once makes the packager release-wide: one job for the release (its
	// Target is the zero Target, and Applies is asked with it), after the
	// jobs of every target that make the kinds it uses, all of which it
	// reads (an image index over the Linux images, package-manager
	// manifests over the archives).
	Once bool
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
	Check func(s *config.Spec, p *config.Problems)
	// Write makes its artifacts for one target through the job.
	Write func(ctx context.Context, j *Job) error
	// Paths lists the artifacts Write makes for target t (the zero Target
	// for a release-wide packager), as paths under dist/, from the spec
	// alone: check renders every name a release would write and refuses
	// two of one name (checkNames), and a job that writes a path it did not
	// declare fails. It names its artifacts with the functions of names.go.
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

func (pk *Packager) kind() Kind {
	if pk.Kind != "" {
		return pk.Kind
	}
	return Kind(pk.Name)
}

// enabled reports whether the packager runs for spec s at all.
func (pk *Packager) enabled(s *config.Spec) bool { return pk.Internal || s.Wants(pk.Name) }

// applies reports whether the packager makes artifacts for s and t.
func (pk *Packager) applies(s *config.Spec, t platform.Target) bool {
	return pk.enabled(s) && (pk.Applies == nil || pk.Applies(s, t))
}

// packagers is the registry, in pipeline order: a packager comes after
// every packager whose kind it uses.
func packagers() []*Packager {
	return []*Packager{
		binaryPackager(),
		exePackager(),
		wrapperPackager(),
		universalPackager(),
		zipPackager(),
		msiPackager(),
		debPackager(),
		rpmPackager(),
		apkPackager(),
		tarGzPackager(),
		sbomPackager(),
		wingetPackager(),
		scoopPackager(),
		chocolateyPackager(),
		homebrewPackager(),
		ociPackager(),
		ociIndexPackager(),
	}
}

// onOS is an Applies function for targets of one GOOS.
func onOS(goos string) func(*config.Spec, platform.Target) bool {
	return func(_ *config.Spec, t platform.Target) bool { return t.OS == goos }
}

// Formats returns what config.Load needs to know of every packager: names,
// defaults and rules; and, as an internal format of its own, the rule that
// holds across them: every artifact name renders and is one artifact's
// (checkNames).
func Formats() []config.Format {
	var out []config.Format
	for _, pk := range packagers() {
		out = append(out, config.Format{Name: pk.Name, Default: pk.Default, Internal: pk.Internal, Check: pk.Check, Reads: pk.Reads})
	}
	return append(out, config.Format{Name: "names", Internal: true, Check: checkNames})
}

// Load reads and validates a config file with every packager's rules: the
// one step `svcpack check` runs, and the first step of every release.
func Load(path string, env config.Env) (*config.Spec, error) {
	return config.Load(path, env, Formats())
}

// FormatTable is the README's table of formats, made from the registry.
func FormatTable() string {
	var b strings.Builder
	b.WriteString("| format | default | makes |\n| --- | --- | --- |\n")
	for _, pk := range packagers() {
		if pk.Internal {
			continue
		}
		def := "yes"
		if !pk.Default {
			def = "no"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", pk.Name, def, pk.Doc)
	}
	return b.String()
}

// producers maps each artifact kind to the packagers that make it.
func producers(pks []*Packager) map[Kind][]*Packager {
	out := map[Kind][]*Packager{}
	for _, pk := range pks {
		out[pk.kind()] = append(out[pk.kind()], pk)
	}
	return out
}

// checkRegistry reports registry mistakes: duplicate names, a use of a kind
// nothing makes or that is made later, a read of a field that does not
// exist. Tests run it; the pipeline runs it too (it is cheap).
func checkRegistry(pks []*Packager) error {
	seen := map[string]bool{}
	made := map[Kind]bool{kindRaw: true, kindRawWrapper: true}
	var spec config.Spec
	for _, pk := range pks {
		if seen[pk.Name] {
			return fmt.Errorf("release: packager %q registered twice", pk.Name)
		}
		seen[pk.Name] = true
		for _, k := range pk.Uses {
			if !made[k] {
				return fmt.Errorf("release: packager %q uses %q, which no earlier packager makes", pk.Name, k)
			}
		}
		if _, err := spec.Project(pk.Reads); err != nil {
			return fmt.Errorf("release: packager %q: %w", pk.Name, err)
		}
		if pk.Write == nil {
			return fmt.Errorf("release: packager %q has no Write", pk.Name)
		}
		made[pk.kind()] = true
	}
	return nil
}

// names returns the packagers' names.
func names(pks []*Packager) []string {
	var out []string
	for _, pk := range pks {
		out = append(out, pk.Name)
	}
	return slices.Clip(out)
}
