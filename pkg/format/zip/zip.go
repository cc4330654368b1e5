// Package zip is the format of the Windows zip: the exe with
// install-service.cmd and uninstall-service.cmd (sc.exe), README.txt, the
// wrapper and its configuration when the program is wrapped, the
// configured files and LICENSE.
package zip

import (
	"context"
	"io"

	"github.com/svcpack/svcpack/pkg/format/internal/windows"
	"github.com/svcpack/svcpack/pkg/packager"

	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/winscripts"
)

// Packager writes <name>_<version>_windows_<arch>.zip.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "zip", Default: true,
		Doc:     "Windows: the exe with `install-service.cmd`, `uninstall-service.cmd` and README.txt",
		Applies: packager.OnOS("windows"),
		Reads:   append(windows.Reads(), "version", "license", "homepage", "files", "license_file", "date", "name_template.archive", "commit"),
		Uses:    []packager.Kind{packager.KindBinary, packager.KindWrapper},
		Paths:   packager.ArchivePaths(".zip"),
		Check:   check,
		Write:   write,
	}
}

func check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	windows.CheckSettings(s, probs)
	sv, err := windows.Service(s)
	if err != nil {
		return // the wrapper's settings: the svcwrap check names them at their fields
	}
	if err := sv.Validate(); err != nil {
		probs.Add("service", "%v", err)
	}
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	bin, err := j.MustInput(packager.KindBinary)
	if err != nil {
		return err
	}
	svc, err := windows.Service(s)
	if err != nil {
		return err
	}
	install, err := winscripts.Install(svc)
	if err != nil {
		return err
	}
	uninstall, err := winscripts.Uninstall(svc)
	if err != nil {
		return err
	}
	var dsts []string
	for _, f := range s.Files {
		dsts = append(dsts, f.Dst)
	}
	readme, err := winscripts.Readme(svc, winscripts.ReadmeInfo{
		Version: s.Version.String(), Arch: j.Target.ArchName(), Files: dsts, License: s.License, Homepage: s.Homepage,
	})
	if err != nil {
		return err
	}
	files := []archive.File{
		{Name: matrix.BinaryName(s.Name, j.Target.OS), Mode: 0o755, Src: bin},
		{Name: "install-service.cmd", Mode: 0o644, Data: install},
		{Name: "uninstall-service.cmd", Mode: 0o644, Data: uninstall},
		{Name: "README.txt", Mode: 0o644, Data: readme},
	}
	if wrapper, ok := j.Input(packager.KindWrapper); ok {
		cfg, err := windows.WrapperJSON(s)
		if err != nil {
			return err
		}
		files = append(files,
			archive.File{Name: config.WrapperExe, Mode: 0o755, Src: wrapper},
			archive.File{Name: config.WrapperConfigName, Mode: 0o644, Data: cfg})
	}
	files = append(files, packager.ExtraFiles(s, "")...)
	name, err := packager.ArchiveName(s, j.Target, ".zip")
	if err != nil {
		return err
	}
	return j.Create(name, func(w io.Writer) error { return archive.WriteZip(w, files, s.Date) })
}
