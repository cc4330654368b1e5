package release

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/msi"
	"github.com/svcpack/svcpack/pkg/platform"
)

// msiPackager writes <name>_<version>_windows_<arch>.msi with svcpack's own
// MSI writer: the exe (and the wrapper), configured files and LICENSE.txt
// under Program Files, and the service registered, started, stopped and
// removed by Windows Installer.
func msiPackager() *Packager {
	return &Packager{
		Name: "msi", Default: true,
		Doc:     "Windows: an MSI that installs the program and registers, starts, stops and removes the service",
		Applies: onOS("windows"),
		Reads:   append(windowsReads(), "version", "vendor", "homepage", "files", "license_file", "date", "windows.product_name", "windows.icon", "windows.msi", "windows.sign", "name_template.archive", "commit"),
		Uses:    []Kind{KindBinary, KindWrapper},
		Paths:   archivePaths(".msi"),
		Check:   checkMSI,
		Write:   writeMSI,
	}
}

func checkMSI(s *config.Spec, p *config.Problems) {
	if !s.HasOS("windows") {
		return
	}
	if s.Windows.MSI.UpgradeCode == "" {
		p.AddAt("windows.msi.upgrade_code", []string{"windows.msi", "windows", "formats", "targets"}, "is empty: an MSI needs an upgrade code that never changes (svcpack init writes one: copy it here), or leave msi out of formats")
		return
	}
	if _, err := s.Version.MSI(); err != nil {
		p.Add(s.Version.Field(), "%v: leave msi out of formats, or release a version that fits", err)
		return
	}
	checkSettings(s, p)
	if s.Vendor == "" {
		p.AddAt("vendor", []string{"windows.msi", "windows", "formats", "targets"}, "is empty: an MSI names its manufacturer (Add/Remove Programs shows it); set vendor")
		return
	}
	// Every text the MSI holds, by the field it comes from, so that a
	// value outside its code page is named where it was written.
	texts := []struct{ field, v string }{
		{"windows.product_name", s.Windows.ProductName}, {"vendor", s.Vendor}, {"homepage", s.Homepage},
		{"windows.msi.install_dir", s.Windows.MSI.InstallDir}, {"service.display_name", s.Service.DisplayName},
		{"service.description", s.Service.Description},
	}
	for i, a := range s.Service.Args {
		texts = append(texts, struct{ field, v string }{fmt.Sprintf("service.args[%d]", i), a})
	}
	for _, k := range slices.Sorted(maps.Keys(s.Service.Env)) {
		texts = append(texts, struct{ field, v string }{"service.env." + k, s.Service.Env[k]})
	}
	for i, f := range s.Files {
		texts = append(texts, struct{ field, v string }{fmt.Sprintf("files[%d].dst", i), f.Dst})
	}
	bad := false
	// Folder and file names, segment by segment.
	names := []struct{ field, v string }{}
	for _, seg := range strings.FieldsFunc(s.Windows.MSI.InstallDir, func(r rune) bool { return r == '\\' || r == '/' }) {
		names = append(names, struct{ field, v string }{"windows.msi.install_dir", seg})
	}
	for i, f := range s.Files {
		for _, seg := range strings.Split(f.Dst, "/") {
			names = append(names, struct{ field, v string }{fmt.Sprintf("files[%d].dst", i), seg})
		}
	}
	for _, f := range wrapperFolders(s) {
		for _, seg := range strings.FieldsFunc(f.Path, func(r rune) bool { return r == '\\' || r == '/' }) {
			names = append(names, struct{ field, v string }{"service.wrapper.logs.dir", seg})
		}
	}
	for _, x := range names {
		if err := msi.CheckName(x.v); err != nil {
			p.Add(x.field, "%q cannot be a Windows file or folder name in an MSI: %v", x.v, err)
			bad = true
		}
	}
	for _, x := range texts {
		if err := msi.CheckText(x.v); err != nil {
			p.Add(x.field, "%q cannot be written in an MSI, whose tables hold code page 1252 (Western European): %v; change it, or leave msi out of formats", x.v, err)
			bad = true
		}
	}
	if bad {
		return
	}
	// The package the release would write, with stand-ins for the files
	// the build makes: the MSI writer's own validation is the last word.
	wrapper := ""
	if s.Service.Contract.Wrap.On {
		wrapper = "svcwrap.exe"
	}
	pkg := msiPackage(s, platform.Target{OS: "windows", Arch: "amd64"}, "program.exe", wrapper)
	if err := pkg.Validate(); err != nil {
		p.Add("windows.msi", "%v", err)
	}
}

// msiPackage maps the spec onto the MSI of target t: bin and wrapper are
// the host paths of the exe and of svcwrap.exe ("" without the wrapper).
func msiPackage(s *config.Spec, t platform.Target, bin, wrapper string) msi.Package {
	version, _ := s.Version.MSI()
	files := []msi.File{{Name: matrix.BinaryName(s.Name, t.OS), Src: bin}}
	for _, f := range s.Files {
		files = append(files, msi.File{Name: f.Dst, Src: string(f.Src), Config: f.Config})
	}
	if s.LicenseFile != "" {
		files = append(files, msi.File{Name: "LICENSE.txt", Src: string(s.LicenseFile)})
	}
	if wrapper != "" {
		files = append(files, msi.File{Name: config.WrapperExe, Src: wrapper})
	}
	sv := windowsService(s)
	service := &msi.Service{
		Name: sv.Name, DisplayName: sv.DisplayName, Description: sv.Description, Executable: sv.Exe, Args: sv.Args,
		Start: sv.Start, Account: sv.Account, Env: sv.Env, RestartDelay: sv.RestartDelay, ResetAfter: sv.ResetAfter,
	}
	for _, st := range envSettings(s) {
		service.Settings = append(service.Settings, msi.Setting{Property: st[0], Env: st[1]})
	}
	service.Settings = append(service.Settings, msi.Setting{Property: argsSetting})
	if wc := s.Service.WrapperConfig; wc != nil {
		// The wrapper reads the settings itself and, run by the
		// uninstall, waits for the service and its program to end.
		service.Wrapped, service.StopHelper = true, config.WrapperExe
		service.StopArgs = []string{"-stop-service", sv.Name, "-timeout", (wc.StopTimeout.Std() + 30*time.Second).String()}
	}
	return msi.Package{
		Product: msi.Product{
			Name: s.Windows.ProductName, Manufacturer: s.Vendor, Version: version, FullVersion: s.Version.String(),
			UpgradeCode: s.Windows.MSI.UpgradeCode, URL: s.Homepage, Arch: t.Arch, InstallDir: s.Windows.MSI.InstallDir,
		},
		Files:   files,
		Folders: wrapperFolders(s),
		Service: service,
		Date:    s.Date,
	}
}

func writeMSI(ctx context.Context, j *Job) error {
	s := j.Spec
	bin, err := j.MustInput(KindBinary)
	if err != nil {
		return err
	}
	wrapper, _ := j.Input(KindWrapper)
	pkg := msiPackage(s, j.Target, bin, wrapper)
	tmp, err := j.TempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pkg.TempDir = tmp
	if cfg, err := wrapperJSON(s); err != nil {
		return err
	} else if cfg != nil {
		cfgPath := filepath.Join(tmp, config.WrapperConfigName)
		if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
			return err
		}
		pkg.Files = append(pkg.Files, msi.File{Name: config.WrapperConfigName, Src: cfgPath})
	}
	if path := string(s.Windows.Icon); path != "" {
		icon, err := j.plan.icon(path)
		if err != nil {
			return err
		}
		pkg.Product.Icon = filepath.Join(tmp, "icon.ico")
		if err := writeFileAtomic(pkg.Product.Icon, 0o644, icon.WriteICO); err != nil {
			return err
		}
	}
	name, err := archiveName(s, j.Target, ".msi")
	if err != nil {
		return err
	}
	return j.CreateFile(name, KindMSI, func(path string) error {
		if err := writeFileAtomic(path, 0o644, func(w io.Writer) error { return msi.Write(w, pkg) }); err != nil {
			return err
		}
		if s.Windows.Sign != nil {
			return authenticode(s).Sign(ctx, path)
		}
		return nil
	})
}
