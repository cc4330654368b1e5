package release

import (
	"context"
	"io"
	"path"

	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/winscripts"
)

// zipPackager writes <name>_<version>_windows_<arch>.zip: the exe, the
// service scripts, README.txt, the wrapper when the program is wrapped,
// configured files and LICENSE.
func zipPackager() *Packager {
	return &Packager{
		Name: "zip", Default: true,
		Doc:     "Windows: the exe with `install-service.cmd`, `uninstall-service.cmd` and README.txt",
		Applies: onOS("windows"),
		Reads:   append(windowsReads(), "version", "license", "homepage", "files", "license_file", "date", "name_template.archive", "commit"),
		Uses:    []Kind{KindBinary, KindWrapper},
		Paths:   archivePaths(".zip"),
		Check: func(s *config.Spec, p *config.Problems) {
			checkSettings(s, p)
			if err := windowsService(s).Validate(); err != nil {
				p.Add("service", "%v", err)
			}
		},
		Write: writeZip,
	}
}

func writeZip(ctx context.Context, j *Job) error {
	s := j.Spec
	bin, err := j.MustInput(KindBinary)
	if err != nil {
		return err
	}
	svc := windowsService(s)
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
	if wrapper, ok := j.Input(KindWrapper); ok {
		cfg, err := wrapperJSON(s)
		if err != nil {
			return err
		}
		files = append(files,
			archive.File{Name: config.WrapperExe, Mode: 0o755, Src: wrapper},
			archive.File{Name: config.WrapperConfigName, Mode: 0o644, Data: cfg})
	}
	files = append(files, extraFiles(s, "")...)
	name, err := archiveName(s, j.Target, ".zip")
	if err != nil {
		return err
	}
	return j.Create(name, func(w io.Writer) error { return archive.WriteZip(w, files, s.Date) })
}

// archivePaths is the Paths of a packager writing one archive-named
// artifact with extension ext per target.
func archivePaths(ext string) func(*config.Spec, platform.Target) ([]string, error) {
	return func(s *config.Spec, t platform.Target) ([]string, error) {
		name, err := archiveName(s, t, ext)
		if err != nil {
			return nil, err
		}
		return []string{name}, nil
	}
}

// extraFiles returns the configured files (and LICENSE) as archive entries
// under prefix.
func extraFiles(s *config.Spec, prefix string) []archive.File {
	var out []archive.File
	for _, f := range s.Files {
		out = append(out, archive.File{Name: path.Join(prefix, f.Dst), Mode: 0o644, Src: string(f.Src)})
	}
	if s.LicenseFile != "" {
		out = append(out, archive.File{Name: path.Join(prefix, "LICENSE"), Mode: 0o644, Src: string(s.LicenseFile)})
	}
	return out
}
