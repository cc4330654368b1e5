package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"runtime/debug"

	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/sign"
	"github.com/svcpack/svcpack/pkg/winres"
	"github.com/svcpack/svcpack/pkg/winscripts"
)

// windowsResourcesSteps patch VERSIONINFO, icon and manifest into the
// Windows binaries, before anything packages or signs them.
func windowsResourcesSteps() []Step {
	return []Step{perTarget("resources", func(t config.Target) bool { return t.OS == "windows" }, resourcesStep)}
}

// signSteps sign the Windows exes with Authenticode, after their resources
// and before anything packages them.
func signSteps() []Step {
	return []Step{perTarget("sign", isWindows, func(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
		if p.signer == nil {
			return nil, errSkip
		}
		bin, err := p.Binary(t)
		if err != nil {
			return nil, err
		}
		exes := []Artifact{bin}
		if w, err := p.Wrapper(t); err == nil {
			exes = append(exes, w)
		}
		for _, exe := range exes {
			if p.isReused(exe.Path) {
				continue // signed in the release it comes from
			}
			if err := p.signer.Sign(ctx, p.Abs(exe.Path)); err != nil {
				return nil, err
			}
			a, err := newArtifact(p.Dir, exe.Path, exe.Kind, t)
			if err != nil {
				return nil, err
			}
			p.replace(a)
		}
		return nil, nil
	})}
}

// resourceOptions maps the config onto the exe's resources.
func resourceOptions(c *config.Config) winres.Options {
	desc := c.Description
	if desc == "" {
		desc = c.Service.DisplayName
	}
	return winres.Options{
		Version:          c.Version,
		CompanyName:      c.Vendor,
		FileDescription:  desc,
		ProductName:      c.Windows.ProductName,
		LegalCopyright:   c.Windows.Copyright,
		OriginalFilename: matrix.BinaryName(c.Name, "windows"),
		InternalName:     c.Name,
		Icon:             c.Abs(c.Windows.Icon),
		Manifest: winres.Manifest{
			ExecutionLevel: c.Windows.Manifest.ExecutionLevel,
			LongPathAware:  c.Windows.Manifest.LongPathAware,
			UTF8CodePage:   c.Windows.Manifest.UTF8,
		},
	}
}

func resourcesStep(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
	bin, err := p.Binary(t)
	if err != nil {
		return nil, err
	}
	if p.resources == nil {
		return nil, errors.New("resources were not prepared (preflight did not run)")
	}
	type exe struct {
		a   Artifact
		res *winres.Resources
	}
	exes := []exe{{bin, p.resources}}
	if p.Config.Service.Wrap {
		w, err := p.Wrapper(t)
		if err != nil {
			return nil, err
		}
		exes = append(exes, exe{w, p.wrapRes})
	}
	done := 0
	for _, e := range exes {
		if p.isReused(e.a.Path) {
			continue // patched in the release it comes from
		}
		if err := e.res.Patch(p.Abs(e.a.Path)); err != nil {
			if e.a.Kind == KindWrapper {
				return nil, fmt.Errorf("service wrapper: %w", err)
			}
			return nil, err
		}
		a, err := newArtifact(p.Dir, e.a.Path, e.a.Kind, t)
		if err != nil {
			return nil, err
		}
		p.replace(a)
		done++
	}
	if done == 0 {
		return nil, errSkip
	}
	return nil, nil
}

// binary copies the raw binary go build wrote into the release as the
// artifact rel; see exe.
func (p *Plan) binary(t config.Target, rel, raw string) (Artifact, error) {
	var res *winres.Options
	if t.OS == "windows" {
		r := resourceOptions(p.Config)
		res = &r
	}
	return p.exe(KindBinary, t, rel, raw, res)
}

// exe copies a raw executable go build wrote in the cache (the program's
// binary, or the service wrapper) into the release as the artifact rel, or
// reuses the previous release's when the raw executable and what later
// steps do to it (resources res, when set, and Authenticode signing) are
// unchanged.
func (p *Plan) exe(kind Kind, t config.Target, rel, raw string, res *winres.Options) (Artifact, error) {
	var values struct {
		Resources *winres.Options `json:",omitempty"`
		Sign      any             `json:",omitempty"`
	}
	files := []string{raw}
	if res != nil {
		values.Resources = res
		files = append(files, res.Icon)
		values.Sign, files = p.signInputs(files)
	}
	key, err := p.key(string(kind), values, files...)
	if err != nil {
		return Artifact{}, err
	}
	return p.produce(rel, kind, t, key, func(path string) error { return copyFile(raw, path, 0o755) })
}

// signInputs returns the Authenticode settings that shape a signature, and
// files with the certificate and key files added, for a cache key; nil and
// files unchanged when nothing is signed. The password does not shape the
// signature and is kept out of every key.
func (p *Plan) signInputs(files []string) (any, []string) {
	s := p.signer
	if s == nil {
		return nil, files
	}
	return struct {
		TimestampURL, Description, URL string
		Time                           time.Time
	}{s.TimestampURL, s.Description, s.URL, s.Time}, append(files, s.PKCS12, s.Cert, s.Key)
}

// preflight checks, before any build starts, what later steps would reject,
// and prepares what they share.
func preflight(p *Plan) error {
	c := p.Config
	var windows, linux bool
	for _, t := range p.Targets {
		windows = windows || t.OS == "windows"
		linux = linux || t.OS == "linux"
	}
	if windows && c.Windows.Sign != nil {
		sg := c.Windows.Sign
		p.signer = &sign.Authenticode{
			PKCS12: c.Abs(sg.PKCS12), Cert: c.Abs(sg.Cert), Key: c.Abs(sg.Key), Password: sg.Password,
			TimestampURL: sg.TimestampURL, Description: c.Windows.ProductName, URL: c.Homepage, Time: c.Date,
		}
		if err := p.signer.Check(context.Background()); err != nil {
			return &StepError{Step: "sign", Err: err}
		}
	}
	if c.GPG != nil {
		s, err := pgpsign.Load(c.Abs(c.GPG.KeyFile), c.GPG.Passphrase, c.Date)
		if err != nil {
			return &StepError{Step: "gpg", Err: fmt.Errorf("%s: gpg.key_file: %w", c.Path, err)}
		}
		p.pgp = s
	}
	if windows && c.Wants("msi") {
		if c.Windows.MSI.UpgradeCode == "" {
			return &StepError{Step: "msi", Err: fmt.Errorf("%s: windows.msi.upgrade_code is empty: an MSI needs a fixed upgrade code (svcpack init writes one), or leave msi out of formats", c.Path)}
		}
		if _, err := msiVersion(c.Version); err != nil {
			return &StepError{Step: "msi", Err: err}
		}
	}
	if linux {
		valid := map[string]bool{}
		for _, d := range linuxpkg.HardeningDirectives() {
			valid[d] = true
		}
		for _, d := range c.Service.Linux.HardeningOff {
			if !valid[d] {
				return &StepError{Step: "deb", Err: fmt.Errorf("%s: service.linux.hardening_off: %q is not a hardening directive svcpack sets; valid: %s", c.Path, d, strings.Join(linuxpkg.HardeningDirectives(), ", "))}
			}
		}
		if (c.Wants("deb") || c.Wants("rpm") || c.Wants("apk")) && !strings.Contains(c.Maintainer, "@") {
			return &StepError{Step: "deb", Err: fmt.Errorf("%s: maintainer %q: Linux packages need \"Name <email>\" (set maintainer)", c.Path, c.Maintainer)}
		}
	}
	for _, t := range p.Targets {
		if t.OS == "windows" {
			r, err := winres.New(resourceOptions(p.Config))
			if err != nil {
				return &StepError{Step: "resources", Err: err}
			}
			p.resources = r
			break
		}
	}
	if windows && c.Service.Wrap {
		wc, err := c.WrapperConfig()
		if err != nil {
			return &StepError{Step: "svcwrap", Err: fmt.Errorf("%s: service.wrapper: %w", c.Path, err)}
		}
		p.wrapCfg = wc
		src, err := wrapperSource(context.Background(), p.goTool, c.Dir, debug.ReadBuildInfo)
		if err != nil {
			return &StepError{Step: "svcwrap", Err: err}
		}
		p.wrapSrc = src
		r, err := winres.New(wrapperResourceOptions(c))
		if err != nil {
			return &StepError{Step: "resources", Err: fmt.Errorf("service wrapper: %w", err)}
		}
		p.wrapRes = r
	}
	return nil
}

// packageSteps produce the packages from the binaries, in parallel.
func packageSteps() []Step {
	return []Step{
		perTarget("zip", isWindows, zipStep),
		perTarget("msi", isWindows, msiStep),
		linuxPackageStep("deb", KindDeb),
		linuxPackageStep("rpm", KindRPM),
		linuxPackageStep("apk", KindAPK),
		perTarget("tar.gz", isUnix, tarStep),
		perTarget("sbom", func(config.Target) bool { return true }, sbomStep),
	}
}

// archiveName is <name>_<version>_<os>_<arch>[_<variant>]<ext> (see
// config.Target.Slug).
func archiveName(c *config.Config, t config.Target, ext string) string {
	return fmt.Sprintf("%s_%s_%s%s", c.Name, c.Version, t.Slug(), ext)
}

// windowsService maps the config onto the Windows service of the install
// scripts and the MSI. With service.wrap, the service runs the wrapper,
// whose configuration carries the program's arguments and environment.
func (p *Plan) windowsService(t config.Target) winscripts.Service {
	c := p.Config
	s := c.Service
	ws := winscripts.Service{
		Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
		Exe: matrix.BinaryName(c.Name, t.OS), Args: s.Args, Start: s.Start, Account: s.Account,
		Env: s.Env, RestartDelay: s.Restart.Delay.Std(), ResetAfter: s.Restart.ResetAfter.Std(),
	}
	if p.wrapCfg != nil {
		ws.Wrapped = &winscripts.Wrapped{Program: ws.Exe, Args: s.Args, Env: s.Env, Config: config.WrapperConfigName, LogDir: p.wrapCfg.Logs.Dir}
		ws.Exe, ws.Args, ws.Env = config.WrapperExe, nil, nil
	}
	return ws
}

// extraFiles returns the configured files (and LICENSE) as archive entries
// under prefix.
func extraFiles(c *config.Config, prefix string) []archive.File {
	var out []archive.File
	for _, f := range c.Files {
		out = append(out, archive.File{Name: path.Join(prefix, f.Dst), Mode: 0o644, Src: c.Abs(f.Src)})
	}
	if c.LicenseFile != "" {
		out = append(out, archive.File{Name: path.Join(prefix, "LICENSE"), Mode: 0o644, Src: c.Abs(c.LicenseFile)})
	}
	return out
}

// zipStep writes <name>_<version>_windows_<arch>.zip: the exe, the service
// scripts, README.txt, configured files and LICENSE.
func zipStep(ctx context.Context, p *Plan, t config.Target) ([]Artifact, error) {
	c := p.Config
	if !c.Wants("zip") {
		return nil, errSkip
	}
	bin, err := p.Binary(t)
	if err != nil {
		return nil, err
	}
	svc := p.windowsService(t)
	install, err := winscripts.Install(svc)
	if err != nil {
		return nil, err
	}
	uninstall, err := winscripts.Uninstall(svc)
	if err != nil {
		return nil, err
	}
	var dsts []string
	for _, f := range c.Files {
		dsts = append(dsts, f.Dst)
	}
	readme, err := winscripts.Readme(svc, winscripts.ReadmeInfo{
		Version: c.Version, Arch: t.ArchName(), Files: dsts, License: c.License, Homepage: c.Homepage,
	})
	if err != nil {
		return nil, err
	}
	files := []archive.File{
		{Name: matrix.BinaryName(c.Name, t.OS), Mode: 0o755, Src: p.Abs(bin.Path)},
		{Name: "install-service.cmd", Mode: 0o644, Data: install},
		{Name: "uninstall-service.cmd", Mode: 0o644, Data: uninstall},
		{Name: "README.txt", Mode: 0o644, Data: readme},
	}
	wrapExe, wrapCfg, err := wrapperFiles(p, t)
	if err != nil {
		return nil, err
	}
	if wrapExe != "" {
		files = append(files,
			archive.File{Name: config.WrapperExe, Mode: 0o755, Src: wrapExe},
			archive.File{Name: config.WrapperConfigName, Mode: 0o644, Data: wrapCfg})
	}
	files = append(files, extraFiles(c, "")...)
	rel := archiveName(c, t, ".zip")
	a, err := p.archive(rel, KindZip, t, files, func(w io.Writer) error { return archive.WriteZip(w, files, c.Date) })
	if err != nil {
		return nil, err
	}
	return []Artifact{a}, nil
}

// archive produces a zip or tar.gz of files (cached by their names, modes,
// data and sources' content).
func (p *Plan) archive(rel string, kind Kind, t config.Target, files []archive.File, write func(io.Writer) error) (Artifact, error) {
	var srcs []string
	for _, f := range files {
		srcs = append(srcs, f.Src)
	}
	key, err := p.key(string(kind), struct {
		Files []archive.File
		Date  time.Time
	}{files, p.Config.Date}, srcs...)
	if err != nil {
		return Artifact{}, err
	}
	return p.produce(rel, kind, t, key, func(path string) error { return writeFileAtomic(path, 0o644, write) })
}
