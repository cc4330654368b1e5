package release

import (
	"context"
	"fmt"
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
		Reads:   append(windowsReads(), "version", "license", "homepage", "files", "license_file", "date"),
		Uses:    []Kind{KindBinary, KindWrapper},
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
	return j.Create(archiveName(s, j.Target, ".zip"), func(w io.Writer) error { return archive.WriteZip(w, files, s.Date) })
}

// archiveName is <name>_<version>_<os>_<arch>[_<variant>]<ext> (see
// platform.Target.Slug).
func archiveName(s *config.Spec, t platform.Target, ext string) string {
	return fmt.Sprintf("%s_%s_%s%s", s.Name, s.Version, t.Slug(), ext)
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
