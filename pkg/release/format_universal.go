package release

import (
	"context"
	"fmt"
	"io"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/macho"
	"github.com/svcpack/svcpack/pkg/platform"
)

// universalPackager combines the darwin/amd64 and darwin/arm64 programs
// into one Mach-O universal binary, the program of the target
// darwin/universal (<binary_dir>/<name>): the tar.gz packager then makes
// its tarball, and the Homebrew formula installs that on every Mac. Each
// slice is the thin program's bytes.
func universalPackager() *Packager {
	return &Packager{
		Name: "universal", Kind: KindBinary,
		Doc:     "darwin: a universal binary (amd64 and arm64 in one Mach-O file) as target darwin/universal, with its own tarball and used by the Homebrew formula",
		Applies: func(_ *config.Spec, t platform.Target) bool { return t.IsUniversal() },
		Reads:   nameReads("name_template.binary_dir"),
		Uses:    []Kind{KindBinary},
		Combines: func(_ *config.Spec, targets []platform.Target) []Combined {
			amd64, arm64 := darwinThin(targets)
			if amd64.IsZero() || arm64.IsZero() {
				return nil
			}
			return []Combined{{Target: platform.Universal(), From: []platform.Target{amd64, arm64}}}
		},
		Check: func(s *config.Spec, p *config.Problems) {
			if amd64, arm64 := darwinThin(s.Targets); amd64.IsZero() || arm64.IsZero() {
				p.AddAt("targets", []string{"formats"}, "lacks darwin/amd64 or darwin/arm64: a universal binary combines both; add them, or leave universal out of formats")
			}
		},
		Paths: binaryPaths,
		Write: func(ctx context.Context, j *Job) error {
			var slices []macho.Slice
			for _, a := range j.Inputs(KindBinary) {
				s, err := macho.ReadSlice(j.Path(a))
				if err != nil {
					return err
				}
				slices = append(slices, s)
			}
			if len(slices) != 2 {
				return fmt.Errorf("%d darwin programs to combine, want the amd64 and the arm64 one", len(slices))
			}
			rel, err := binaryPath(j.Spec, j.Target)
			if err != nil {
				return err
			}
			return j.CreateFile(rel, KindBinary, func(path string) error {
				return writeFileAtomic(path, 0o755, func(w io.Writer) error { return macho.WriteFat(w, slices...) })
			})
		},
	}
}

// darwinThin picks the darwin/amd64 and darwin/arm64 targets a universal
// binary combines: the one without a variant, else the first listed (a
// zero Target when there is none).
func darwinThin(targets []platform.Target) (amd64, arm64 platform.Target) {
	pick := func(arch string) platform.Target {
		var first platform.Target
		for _, t := range targets {
			if t.OS != "darwin" || t.Arch != arch {
				continue
			}
			if t.Variant == "" {
				return t
			}
			if first.IsZero() {
				first = t
			}
		}
		return first
	}
	return pick("amd64"), pick("arm64")
}
