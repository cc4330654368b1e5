// Package sbom is the format of the SBOMs: for every target a CycloneDX
// SBOM of the binary from its embedded build information
// (<name>_<version>_<os>_<arch>.sbom.cdx.json), and one of the service
// wrapper where it ships.
package sbom

import (
	"context"
	"io"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	enc "github.com/svcpack/svcpack/pkg/sbom"
)

// Packager writes the SBOMs of a target's binary and wrapper.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "sbom", Default: true,
		Doc:     "every target: a CycloneDX SBOM of the binary (and of svcwrap.exe when wrapped)",
		Applies: notUniversal,
		Reads:   packager.NameReads("name_template.archive"),
		Uses:    []packager.Kind{packager.KindBinary, packager.KindWrapper},
		Paths:   paths,
		Write:   write,
	}
}

// notUniversal: the universal binary's slices have their SBOMs already.
func notUniversal(_ *config.Spec, t platform.Target) bool { return !t.IsUniversal() }

func paths(s *config.Spec, t platform.Target) ([]string, error) {
	exts := []string{".sbom.cdx.json"}
	if s.Wraps(t) {
		exts = append(exts, ".svcwrap.sbom.cdx.json")
	}
	var out []string
	for _, ext := range exts {
		name, err := packager.ArchiveName(s, t, ext)
		if err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, nil
}

func write(_ context.Context, j *packager.Job) error {
	s, t := j.Spec, j.Target
	bin, err := j.MustInput(packager.KindBinary)
	if err != nil {
		return err
	}
	o := enc.Options{Name: s.Name, Version: s.Version.String(), OS: t.OS, Arch: t.Arch, Date: s.Date, Tool: "svcpack"}
	name, err := packager.ArchiveName(s, t, ".sbom.cdx.json")
	if err != nil {
		return err
	}
	if err := j.Create(name, func(w io.Writer) error { return enc.Write(w, bin, o) }); err != nil {
		return err
	}
	wrapper, ok := j.Input(packager.KindWrapper)
	if !ok {
		return nil
	}
	// The wrapper ships in the same packages: it gets its own SBOM.
	o.Name = strings.TrimSuffix(config.WrapperExe, ".exe")
	if name, err = packager.ArchiveName(s, t, ".svcwrap.sbom.cdx.json"); err != nil {
		return err
	}
	return j.Create(name, func(w io.Writer) error { return enc.Write(w, wrapper, o) })
}
