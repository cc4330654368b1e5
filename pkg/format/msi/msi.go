// Package msi is the format of the Windows Installer packages, written by
// svcpack's own MSI writer (pkg/msi): the exe (and the wrapper), configured
// files and LICENSE.txt under Program Files, and the service registered,
// started, stopped and removed by Windows Installer.
package msi

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
	"github.com/svcpack/svcpack/pkg/format/internal/windows"
	"github.com/svcpack/svcpack/pkg/matrix"
	enc "github.com/svcpack/svcpack/pkg/msi"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/winscripts"
)

// Packager writes <name>_<version>_windows_<arch>.msi.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "msi", Default: true,
		Doc:     "Windows: an MSI that installs the program and registers, starts, stops and removes the service",
		Applies: packager.OnOS("windows"),
		Reads:   append(windows.Reads(), "version", "vendor", "homepage", "files", "license_file", "date", "windows.product_name", "windows.icon", "windows.msi", "windows.sign", "name_template.archive", "commit"),
		Uses:    []packager.Kind{packager.KindBinary, packager.KindWrapper},
		Paths:   packager.ArchivePaths(".msi"),
		Check:   check,
		Write:   write,
	}
}

func check(s *config.Spec, planned []platform.Target, probs *config.Problems) {
	if !s.HasOS("windows") {
		return
	}
	if s.Windows.MSI.UpgradeCode == "" {
		probs.AddAt("windows.msi.upgrade_code", []string{"windows.msi", "windows", "formats", "targets"}, "is empty: an MSI needs an upgrade code that never changes (svcpack init writes one: copy it here), or leave msi out of formats")
		return
	}
	if _, err := s.Version.MSI(); err != nil {
		probs.Add(s.Version.Field(), "%v: leave msi out of formats, or release a version that fits", err)
		return
	}
	windows.CheckSettings(s, probs)
	if s.Vendor == "" {
		probs.AddAt("vendor", []string{"windows.msi", "windows", "formats", "targets"}, "is empty: an MSI names its manufacturer (Add/Remove Programs shows it); set vendor")
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
	// The wrapper's settings are the svcwrap check's to name at their
	// fields: a wrapper it refuses has no folder here (wc nil).
	wc, wrapErr := windows.Wrapper(s)
	for _, f := range windows.Folders(s, wc) {
		for _, seg := range strings.FieldsFunc(f.Path, func(r rune) bool { return r == '\\' || r == '/' }) {
			names = append(names, struct{ field, v string }{"service.wrapper.logs.dir", seg})
		}
	}
	for _, x := range names {
		if err := enc.CheckName(x.v); err != nil {
			probs.Add(x.field, "%q cannot be a Windows file or folder name in an MSI: %v", x.v, err)
			bad = true
		}
	}
	for _, x := range texts {
		if err := enc.CheckText(x.v); err != nil {
			probs.Add(x.field, "%q cannot be written in an MSI, whose tables hold code page 1252 (Western European): %v; change it, or leave msi out of formats", x.v, err)
			bad = true
		}
	}
	if bad || wrapErr != nil {
		return
	}
	// The package the release would write, with stand-ins for the files
	// the build makes: the MSI writer's own validation is the last word.
	wrapper := ""
	if s.Service.Contract.Wrap.On {
		wrapper = "svcwrap.exe"
	}
	pkg, err := msiPackage(s, platform.Target{OS: "windows", Arch: "amd64"}, "program.exe", wrapper)
	if err == nil {
		err = pkg.Validate()
	}
	if err != nil {
		probs.Add("windows.msi", "%v", err)
	}
}

// msiPackage maps the spec onto the MSI of target t: bin and wrapper are
// the host paths of the exe and of svcwrap.exe ("" without the wrapper).
func msiPackage(s *config.Spec, t platform.Target, bin, wrapper string) (enc.Package, error) {
	version, _ := s.Version.MSI()
	files := []enc.File{{Name: matrix.BinaryName(s.Name, t.OS), Src: bin}}
	for _, f := range s.Files {
		files = append(files, enc.File{Name: f.Dst, Src: string(f.Src), Config: f.Config})
	}
	if s.LicenseFile != "" {
		files = append(files, enc.File{Name: "LICENSE.txt", Src: string(s.LicenseFile)})
	}
	if wrapper != "" {
		files = append(files, enc.File{Name: config.WrapperExe, Src: wrapper})
	}
	sv, err := windows.Service(s)
	if err != nil {
		return enc.Package{}, err
	}
	wc, err := windows.Wrapper(s)
	if err != nil {
		return enc.Package{}, err
	}
	// The scripts' install folder is the MSI's: INSTALLDIR.
	mark := func(v string) string { return strings.ReplaceAll(v, winscripts.DirMark, enc.InstallDirMark) }
	var args []string
	for _, a := range sv.Args {
		args = append(args, mark(a))
	}
	var env map[string]string
	for k, v := range sv.Env {
		if env == nil {
			env = map[string]string{}
		}
		env[k] = mark(v)
	}
	service := &enc.Service{
		Name: sv.Name, DisplayName: sv.DisplayName, Description: sv.Description, Executable: sv.Exe, Args: args,
		Start: sv.Start, Account: sv.Account, Env: env, RestartDelay: sv.RestartDelay, ResetAfter: sv.ResetAfter,
		Dependencies: sv.Dependencies, CommandAfter: sv.CommandAfter, EventSource: sv.EventSource,
	}
	for _, a := range sv.FailureCommand {
		service.FailureCommand = append(service.FailureCommand, mark(a))
	}
	for _, st := range windows.EnvSettings(s) {
		service.Settings = append(service.Settings, enc.Setting{Property: st[0], Env: st[1]})
	}
	service.Settings = append(service.Settings, enc.Setting{Property: windows.ArgsSetting})
	if wc != nil {
		// The wrapper reads the settings itself and, run by the
		// uninstall, waits for the service and its program to end.
		service.Wrapped, service.StopHelper = true, config.WrapperExe
		service.PreshutdownTimeout = wc.PreshutdownTimeout.Std()
		service.StopArgs = []string{"-stop-service", sv.Name, "-timeout", (wc.StopTimeout.Std() + 30*time.Second).String()}
	}
	return enc.Package{
		Product: enc.Product{
			Name: s.Windows.ProductName, Manufacturer: s.Vendor, Version: version, FullVersion: s.Version.String(),
			UpgradeCode: s.Windows.MSI.UpgradeCode, URL: s.Homepage, Arch: t.Arch, InstallDir: s.Windows.MSI.InstallDir,
		},
		Files:   files,
		Folders: windows.Folders(s, wc),
		Service: service,
		Date:    s.Date,
	}, nil
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	bin, err := j.MustInput(packager.KindBinary)
	if err != nil {
		return err
	}
	wrapper, _ := j.Input(packager.KindWrapper)
	pkg, err := msiPackage(s, j.Target, bin, wrapper)
	if err != nil {
		return err
	}
	tmp, err := j.TempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pkg.TempDir = tmp
	if cfg, err := windows.WrapperJSON(s); err != nil {
		return err
	} else if cfg != nil {
		cfgPath := filepath.Join(tmp, config.WrapperConfigName)
		if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
			return err
		}
		pkg.Files = append(pkg.Files, enc.File{Name: config.WrapperConfigName, Src: cfgPath})
	}
	if path := string(s.Windows.Icon); path != "" {
		icon, err := windows.Icon(j, path)
		if err != nil {
			return err
		}
		pkg.Product.Icon = filepath.Join(tmp, "icon.ico")
		if err := packager.WriteFileAtomic(pkg.Product.Icon, 0o644, icon.WriteICO); err != nil {
			return err
		}
	}
	name, err := packager.ArchiveName(s, j.Target, ".msi")
	if err != nil {
		return err
	}
	return j.CreateFile(name, packager.KindMSI, func(path string) error {
		if err := packager.WriteFileAtomic(path, 0o644, func(w io.Writer) error { return enc.Write(w, pkg) }); err != nil {
			return err
		}
		if s.Windows.Sign != nil {
			return windows.Authenticode(s).Sign(ctx, path)
		}
		return nil
	})
}
