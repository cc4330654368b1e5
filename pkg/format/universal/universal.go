// Package universal is the format of the universal macOS binary: the
// darwin/amd64 and darwin/arm64 programs combined into one Mach-O file, the
// program of the target darwin/universal (<binary_dir>/<name>). The tar.gz
// packager then makes its tarball, and the Homebrew formula installs that
// on every Mac. Each slice is the thin program's bytes.
package universal

import (
	"context"
	"fmt"
	"io"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/macho"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager combines the darwin programs into the universal binary.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "universal", Kind: packager.KindBinary,
		Doc:      "darwin: a universal binary (amd64 and arm64 in one Mach-O file) as target darwin/universal, with its own tarball and used by the Homebrew formula",
		Applies:  isUniversal,
		Reads:    packager.NameReads("name_template.binary_dir"),
		Uses:     []packager.Kind{packager.KindBinary},
		Combines: combines,
		Check:    check,
		Paths:    packager.BinaryPaths,
		Write:    write,
	}
}

func isUniversal(_ *config.Spec, t platform.Target) bool { return t.IsUniversal() }

// combines makes darwin/universal of the two thin darwin targets, when the
// spec has both.
func combines(_ *config.Spec, targets []platform.Target) []packager.Combined {
	amd64, arm64 := darwinThin(targets)
	if amd64.IsZero() || arm64.IsZero() {
		return nil
	}
	return []packager.Combined{{Target: platform.Universal(), From: []platform.Target{amd64, arm64}}}
}

func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	if amd64, arm64 := darwinThin(s.Targets); amd64.IsZero() || arm64.IsZero() {
		probs.AddAt("targets", []string{"formats"}, "lacks darwin/amd64 or darwin/arm64: a universal binary combines both; add them, or leave universal out of formats")
	}
}

func write(_ context.Context, j *packager.Job) error {
	var slices []macho.Slice
	for _, a := range j.Inputs(packager.KindBinary) {
		s, err := macho.ReadSlice(j.Path(a))
		if err != nil {
			return err
		}
		slices = append(slices, s)
	}
	if len(slices) != 2 {
		return fmt.Errorf("%d darwin programs to combine, want the amd64 and the arm64 one", len(slices))
	}
	rel, err := packager.BinaryPath(j.Spec, j.Target)
	if err != nil {
		return err
	}
	return j.CreateFile(rel, packager.KindBinary, func(path string) error {
		return packager.WriteFileAtomic(path, 0o755, func(w io.Writer) error { return macho.WriteFat(w, slices...) })
	})
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
