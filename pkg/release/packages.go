package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/launchd"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/msi"
	"github.com/svcpack/svcpack/pkg/sbom"
	"github.com/svcpack/svcpack/pkg/winres"
)

func isLinux(t config.Target) bool   { return t.OS == "linux" }
func isWindows(t config.Target) bool { return t.OS == "windows" }
func isUnix(t config.Target) bool    { return t.OS == "linux" || t.OS == "darwin" }

// port is the service's PORT setting, when it has one.
func port(c *config.Config) int {
	p, _ := strconv.Atoi(c.Service.Env["PORT"])
	return p
}

// linuxOptions maps the config onto a Linux package for target t.
func linuxOptions(p *Plan, t config.Target) (linuxpkg.Options, error) {
	c := p.Config
	bin, err := p.Binary(t)
	if err != nil {
		return linuxpkg.Options{}, err
	}
	var files []linuxpkg.File
	for _, f := range c.Files {
		files = append(files, linuxpkg.File{Src: c.Abs(f.Src), Dst: f.Dst, Config: f.Config})
	}
	s := c.Service
	return linuxpkg.Options{
		Name: c.Name, Version: c.Version, Arch: t.Arch, Variant: t.Variant, Maintainer: c.Maintainer, Vendor: c.Vendor,
		Homepage: c.Homepage, License: c.License, Description: c.Description,
		Binary: p.Abs(bin.Path), Files: files, LicenseFile: c.Abs(c.LicenseFile), Date: c.Date,
		Service: linuxpkg.Service{
			Name: s.Name, Description: s.Description, Args: s.Args, Env: s.Env, User: s.Linux.User,
			Restart: s.Restart.Policy, RestartDelay: s.Restart.Delay.Std(), Notify: s.Linux.NotifyOn(),
			MemoryMax: s.Linux.MemoryMax, CPUQuota: s.Linux.CPUQuota, Port: port(c),
			Hardening: s.Linux.HardeningOn(), HardeningOff: s.Linux.HardeningOff,
		},
	}, nil
}

// linuxPackageStep writes one deb, rpm or apk per Linux target.
func linuxPackageStep(format string, kind Kind) Step {
	return perTarget(format, isLinux, func(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
		if !p.Config.Wants(format) {
			return nil, errSkip
		}
		o, err := linuxOptions(p, t)
		if err != nil {
			return nil, err
		}
		if p.Config.GPGSigns(format) {
			o.Signer = p.pgp
		}
		name, err := linuxpkg.FileName(o, format)
		if err != nil {
			return nil, err
		}
		var srcs []string
		for _, f := range o.Files {
			srcs = append(srcs, f.Src)
		}
		values := struct {
			Options linuxpkg.Options
			Format  string
			Key     string `json:",omitempty"`
		}{o, format, ""}
		values.Options.Signer = nil
		if o.Signer != nil {
			values.Key = p.pgp.KeyID() // with Options.Date, all a signature depends on
		}
		key, err := p.key(format, values, append(srcs, o.Binary, o.LicenseFile)...)
		if err != nil {
			return nil, err
		}
		a, err := p.produce(name, kind, t, key, func(path string) error {
			return writeFileAtomic(path, 0o644, func(w io.Writer) error { return linuxpkg.Package(o, format, w) })
		})
		return []Artifact{a}, err
	})
}

// tarStep writes <name>_<version>_<os>_<arch>.tar.gz for Linux (binary,
// unit) and darwin (binary, launchd plist, install.sh) targets.
func tarStep(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
	c := p.Config
	if !c.Wants("tar.gz") {
		return nil, errSkip
	}
	bin, err := p.Binary(t)
	if err != nil {
		return nil, err
	}
	files := []archive.File{{Name: c.Name, Mode: 0o755, Src: p.Abs(bin.Path)}}
	var readme strings.Builder
	fmt.Fprintf(&readme, "%s %s for %s\n%s\n\n", c.Name, c.Version, t, c.Description)
	switch t.OS {
	case "linux":
		o, err := linuxOptions(p, t)
		if err != nil {
			return nil, err
		}
		unit, err := linuxpkg.Unit(o)
		if err != nil {
			return nil, err
		}
		files = append(files, archive.File{Name: c.Service.Name + ".service", Mode: 0o644, Data: unit})
		fmt.Fprintf(&readme, "Install: copy %s to /usr/bin, %s.service to /usr/lib/systemd/system and the\nconfiguration files to /etc/%s, then: systemctl daemon-reload && systemctl enable --now %s\n(the deb, rpm and apk packages do all of this, and create the service user).\n",
			c.Name, c.Service.Name, c.Name, c.Service.Name)
	case "darwin":
		lo := launchdOptions(c)
		plist, err := launchd.Plist(lo)
		if err != nil {
			return nil, err
		}
		install, err := launchd.InstallScript(lo)
		if err != nil {
			return nil, err
		}
		files = append(files,
			archive.File{Name: lo.Label() + ".plist", Mode: 0o644, Data: plist},
			archive.File{Name: "install.sh", Mode: 0o755, Data: install})
		fmt.Fprintf(&readme, "Install: sudo ./install.sh (places %s.plist in /Library/LaunchDaemons and starts it);\nremove: sudo ./install.sh --uninstall. Logs: /Library/Logs/%s.\n", lo.Label(), c.Name)
	}
	files = append(files, archive.File{Name: "README.txt", Mode: 0o644, Data: []byte(readme.String())})
	files = append(files, extraFiles(c, "")...)
	rel := archiveName(c, t, ".tar.gz")
	a, err := p.archive(rel, KindTarGz, t, files, func(w io.Writer) error { return archive.WriteTarGz(w, files, c.Date) })
	return []Artifact{a}, err
}

func launchdOptions(c *config.Config) launchd.Options {
	var configs []string
	for _, f := range c.Files {
		if f.Config {
			configs = append(configs, f.Dst)
		}
	}
	return launchd.Options{
		Name: c.Name, Homepage: c.Homepage, Args: c.Service.Args, Env: c.Service.Env,
		Always: c.Service.Restart.Policy == "always", RestartDelay: c.Service.Restart.Delay.Std(), Configs: configs,
	}
}

// msiVersion maps a semantic version to ProductVersion major.minor.build
// (pre-release and build metadata cannot be expressed and are dropped).
func msiVersion(v string) (string, error) {
	sv, err := config.ParseSemver(v)
	if err != nil {
		return "", err
	}
	if sv.Major > 255 || sv.Minor > 255 || sv.Patch > 65535 {
		return "", fmt.Errorf("version %s: an MSI ProductVersion holds at most 255.255.65535", v)
	}
	return fmt.Sprintf("%d.%d.%d", sv.Major, sv.Minor, sv.Patch), nil
}

// msiStep writes <name>_<version>_windows_<arch>.msi.
func msiStep(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
	c := p.Config
	if !c.Wants("msi") {
		return nil, errSkip
	}
	bin, err := p.Binary(t)
	if err != nil {
		return nil, err
	}
	version, err := msiVersion(c.Version)
	if err != nil {
		return nil, err
	}
	exe := path.Base(bin.Path)
	files := []msi.File{{Name: exe, Src: p.Abs(bin.Path)}}
	for _, f := range c.Files {
		files = append(files, msi.File{Name: f.Dst, Src: c.Abs(f.Src)})
	}
	if c.LicenseFile != "" {
		files = append(files, msi.File{Name: "LICENSE.txt", Src: c.Abs(c.LicenseFile)})
	}
	wrapExe, wrapCfg, err := wrapperFiles(p, t)
	if err != nil {
		return nil, err
	}
	if wrapExe != "" {
		// Its configuration is written in the step below.
		files = append(files, msi.File{Name: config.WrapperExe, Src: wrapExe})
	}
	s := p.windowsService(t)
	pkg := msi.Package{
		Product: msi.Product{
			Name: c.Windows.ProductName, Manufacturer: c.Vendor, Version: version, UpgradeCode: c.Windows.MSI.UpgradeCode,
			URL: c.Homepage, Arch: t.Arch, InstallDir: c.Windows.MSI.InstallDir,
		},
		Files:   files,
		Folders: wrapperFolders(p),
		Service: &msi.Service{
			Name: s.Name, DisplayName: s.DisplayName, Description: s.Description, Executable: s.Exe, Args: s.Args,
			Start: s.Start, Account: s.Account, Env: s.Env, RestartDelay: s.RestartDelay, ResetAfter: s.ResetAfter,
		},
		Date: c.Date,
	}
	// The key is taken before the temporary icon and cabinet paths exist.
	icon := c.Abs(c.Windows.Icon)
	srcs := []string{icon}
	for _, f := range files {
		srcs = append(srcs, f.Src)
	}
	values := struct {
		Package msi.Package
		Icon    string
		Wrapper []byte `json:",omitempty"`
		Sign    any    `json:",omitempty"`
	}{pkg, c.Windows.Icon, wrapCfg, nil}
	values.Sign, srcs = p.signInputs(srcs)
	key, err := p.key("msi", values, srcs...)
	if err != nil {
		return nil, err
	}
	rel := archiveName(c, t, ".msi")
	a, err := p.produce(rel, KindMSI, t, key, func(path string) error {
		tmp, err := os.MkdirTemp(p.Dir, ".msi-"+t.Slug()+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		pkg.TempDir = tmp
		if wrapExe != "" {
			cfgPath := filepath.Join(tmp, config.WrapperConfigName)
			if err := os.WriteFile(cfgPath, wrapCfg, 0o644); err != nil {
				return err
			}
			pkg.Files = append(pkg.Files, msi.File{Name: config.WrapperConfigName, Src: cfgPath})
		}
		if icon != "" {
			pkg.Product.Icon = filepath.Join(tmp, "icon.ico")
			if err := writeFileAtomic(pkg.Product.Icon, 0o644, func(w io.Writer) error { return winres.WriteICO(icon, w) }); err != nil {
				return err
			}
		}
		if err := writeFileAtomic(path, 0o644, func(w io.Writer) error { return msi.Write(w, pkg) }); err != nil {
			return err
		}
		if p.signer != nil {
			return p.signer.Sign(ctx, path)
		}
		return nil
	})
	return []Artifact{a}, err
}

// sbomStep writes <name>_<version>_<os>_<arch>.sbom.cdx.json, a CycloneDX
// SBOM of the binary from its embedded build information.
func sbomStep(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
	c := p.Config
	if !c.Wants("sbom") {
		return nil, errSkip
	}
	bin, err := p.Binary(t)
	if err != nil {
		return nil, err
	}
	rel := archiveName(c, t, ".sbom.cdx.json")
	o := sbom.Options{Name: c.Name, Version: c.Version, OS: t.OS, Arch: t.Arch, Date: c.Date, Tool: "svcpack"}
	key, err := p.key("sbom", o, p.Abs(bin.Path))
	if err != nil {
		return nil, err
	}
	a, err := p.produce(rel, KindSBOM, t, key, func(path string) error {
		return writeFileAtomic(path, 0o644, func(w io.Writer) error { return sbom.Write(w, p.Abs(bin.Path), o) })
	})
	if err != nil {
		return nil, err
	}
	arts := []Artifact{a}
	if w, err := p.Wrapper(t); err == nil {
		// The wrapper ships in the same packages: it gets its own SBOM.
		rel := archiveName(c, t, ".svcwrap.sbom.cdx.json")
		o.Name = strings.TrimSuffix(config.WrapperExe, ".exe")
		key, err := p.key("sbom", o, p.Abs(w.Path))
		if err != nil {
			return nil, err
		}
		a, err := p.produce(rel, KindSBOM, t, key, func(path string) error {
			return writeFileAtomic(path, 0o644, func(wr io.Writer) error { return sbom.Write(wr, p.Abs(w.Path), o) })
		})
		if err != nil {
			return nil, err
		}
		arts = append(arts, a)
	}
	return arts, nil
}
