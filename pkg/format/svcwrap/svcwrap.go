// Package svcwrap is the format of svcwrap.exe, the Windows service
// wrapper shipped beside a program that does not speak to the Service
// Control Manager itself (service.wrap): the release core builds it from
// svcpack's own module; this packager puts it beside the program with the
// product's version information, described as its service wrapper, signed
// like it.
package svcwrap

import (
	"context"
	"path"
	"strings"

	"github.com/svcpack/svcpack/pkg/format/internal/windows"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/winres"
)

// Packager puts svcwrap.exe beside the program of each Windows target the
// spec wraps.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "svcwrap", Kind: packager.KindWrapper, Internal: true,
		Doc:     "svcwrap.exe, the service wrapper, with service.wrap",
		Applies: wraps,
		Reads:   append(windows.ExeReads(), config.WrapField),
		Uses:    []packager.Kind{packager.KindRawWrapper},
		Paths:   paths,
		Check:   check,
		Write:   write,
	}
}

// check validates the wrapper's settings (service.wrapper) by the
// wrapper's own rules, when the program is wrapped.
func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	windows.CheckWrapper(s, probs)
}

// wraps is the Applies of the wrapper: the targets the spec wraps.
func wraps(s *config.Spec, t platform.Target) bool { return s.Wraps(t) }

func paths(s *config.Spec, t platform.Target) ([]string, error) {
	rel, err := Path(s, t)
	return []string{rel}, err
}

func write(ctx context.Context, j *packager.Job) error {
	raw, err := j.MustInput(packager.KindRawWrapper)
	if err != nil {
		return err
	}
	rel, err := Path(j.Spec, j.Target)
	if err != nil {
		return err
	}
	return j.CreateFile(rel, packager.KindWrapper, func(path string) error {
		return windows.FinishExe(ctx, j, raw, path, wrapperResourceOptions(j.Spec))
	})
}

// Path is svcwrap.exe in the folder of the target's binaries.
func Path(s *config.Spec, t platform.Target) (string, error) {
	dir, err := packager.BinaryDir(s, t)
	if err != nil {
		return "", err
	}
	return path.Join(dir, config.WrapperExe), nil
}

// wrapperResourceOptions gives the wrapper the product's version
// information, described as its service wrapper.
func wrapperResourceOptions(s *config.Spec) winres.Options {
	o := windows.ResourceOptions(s)
	o.FileDescription = s.Windows.ProductName + " service wrapper (svcpack)"
	o.OriginalFilename = config.WrapperExe
	o.InternalName = strings.TrimSuffix(config.WrapperExe, ".exe")
	return o
}
