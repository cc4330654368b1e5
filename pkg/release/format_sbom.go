package release

import (
	"context"
	"io"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/sbom"
)

// sbomPackager writes <name>_<version>_<os>_<arch>.sbom.cdx.json, a
// CycloneDX SBOM of the binary from its embedded build information, and
// one of the service wrapper where it ships.
func sbomPackager() *Packager {
	return &Packager{
		Name: "sbom", Default: true,
		Doc:     "every target: a CycloneDX SBOM of the binary (and of svcwrap.exe when wrapped)",
		Applies: func(_ *config.Spec, t platform.Target) bool { return !t.IsUniversal() },
		Reads:   nameReads("name_template.archive"),
		Uses:    []Kind{KindBinary, KindWrapper},
		Paths: func(s *config.Spec, t platform.Target) ([]string, error) {
			exts := []string{".sbom.cdx.json"}
			if wrapperApplies(s, t) {
				exts = append(exts, ".svcwrap.sbom.cdx.json")
			}
			var out []string
			for _, ext := range exts {
				name, err := archiveName(s, t, ext)
				if err != nil {
					return nil, err
				}
				out = append(out, name)
			}
			return out, nil
		},
		Write: func(ctx context.Context, j *Job) error {
			s, t := j.Spec, j.Target
			bin, err := j.MustInput(KindBinary)
			if err != nil {
				return err
			}
			o := sbom.Options{Name: s.Name, Version: s.Version.String(), OS: t.OS, Arch: t.Arch, Date: s.Date, Tool: "svcpack"}
			name, err := archiveName(s, t, ".sbom.cdx.json")
			if err != nil {
				return err
			}
			if err := j.Create(name, func(w io.Writer) error { return sbom.Write(w, bin, o) }); err != nil {
				return err
			}
			wrapper, ok := j.Input(KindWrapper)
			if !ok {
				return nil
			}
			// The wrapper ships in the same packages: it gets its own SBOM.
			o.Name = strings.TrimSuffix(config.WrapperExe, ".exe")
			if name, err = archiveName(s, t, ".svcwrap.sbom.cdx.json"); err != nil {
				return err
			}
			return j.Create(name, func(w io.Writer) error { return sbom.Write(w, wrapper, o) })
		},
	}
}
