package release

import (
	"cmp"
	"context"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/platform"
)

// The Linux packages (deb, rpm, apk) and the Linux tarball's unit share one
// mapping from the spec.

// linuxReads are the fields a Linux package is made from.
func linuxReads() []string {
	return []string{"name", "version", "maintainer", "vendor", "homepage", "license", "license_file", "description",
		"files", "date", "service.name", "service.description", "service.args", "service.env", "service.restart", "service.start", "service.linux", config.NotifyField}
}

// linuxOptions maps the spec onto a Linux package for target t, whose
// binary is at bin.
func linuxOptions(s *config.Spec, t platform.Target, bin string, format string) linuxpkg.Options {
	var files []linuxpkg.File
	for _, f := range s.Files {
		files = append(files, linuxpkg.File{Src: string(f.Src), Dst: f.Dst, Config: f.Config})
	}
	sv := s.Service
	return linuxpkg.Options{
		Name: s.Name, Version: packageVersion(s, format), Arch: t.Arch, Variant: t.Variant, Maintainer: s.Maintainer, Vendor: s.Vendor,
		Homepage: s.Homepage, License: s.License, Description: s.Description,
		Binary: bin, BinDir: sv.Linux.BinDir, Files: files, LicenseFile: string(s.LicenseFile), Date: s.Date,
		Service: linuxpkg.Service{
			Name: sv.Name, Description: sv.Description, Args: sv.Args, Env: sv.Env, User: sv.Linux.User,
			Restart: sv.Restart.Policy, RestartDelay: sv.Restart.Delay.Std(), Notify: sv.Contract.Notify.On,
			Manual:    sv.StartsByHand(),
			MemoryMax: sv.Linux.MemoryMax, CPUQuota: sv.Linux.CPUQuota, Port: port(s),
			Hardening: sv.Linux.HardeningOn(), HardeningOff: sv.Linux.HardeningOff, Overrides: sv.Linux.Unit,
		},
	}
}

// packageVersion is the spec's version in the format's own grammar ("" for
// an apk version apk cannot express: the apk packager's Check reports it).
func packageVersion(s *config.Spec, format string) string {
	v := s.Version
	switch format {
	case "deb":
		return v.Deb()
	case "rpm":
		return v.RPM()
	}
	apk, _ := v.APK()
	return apk
}

// port is the service's PORT setting, when it has one.
func port(s *config.Spec) int {
	p, _ := strconv.Atoi(s.Service.Env["PORT"])
	return p
}

// checkUnit checks what the systemd unit needs (the deb, rpm, apk and the
// Linux tarball all carry it) and where the program goes.
func checkUnit(s *config.Spec, p *config.Problems) {
	if strings.HasSuffix(s.Service.Description, `\`) {
		p.AddAt("service.description", []string{"description"}, "%q ends with a backslash, which systemd reads as the continuation of Description= onto the next line; remove it or end with another character", s.Service.Description)
	}
	l := s.Service.Linux
	valid := linuxpkg.HardeningDirectives()
	for i, d := range l.HardeningOff {
		if !slices.Contains(valid, d) {
			p.Add("service.linux.hardening_off["+strconv.Itoa(i)+"]", "%q is not a hardening directive svcpack sets; valid: %s", d, strings.Join(valid, ", "))
		}
		if _, ok := l.Unit[d]; ok {
			p.Add("service.linux.unit."+d, "is set, and service.linux.hardening_off leaves %s out: keep one of them", d)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(l.Unit)) {
		if owner := linuxpkg.OwnedDirective(k); owner != "" {
			p.Add("service.linux.unit."+k, "%s is what svcpack writes from the config's %s: set that instead (overridable: %s)", k, ownerField(k), strings.Join(linuxpkg.Overridable(), ", "))
		} else if err := linuxpkg.CheckOverride(k, l.Unit[k]); err != nil {
			p.Add("service.linux.unit."+k, "%v", strings.TrimPrefix(err.Error(), "linuxpkg: "))
		}
	}
	if l.BinDir != "" {
		if err := linuxpkg.CheckBinDir(l.BinDir); err != nil {
			p.Add("service.linux.bin_dir", "%v", strings.TrimPrefix(err.Error(), "linuxpkg: "))
		}
	}
	if owners := linuxpkg.Clash(l.BinDir, s.Name); owners != "" {
		dir := cmp.Or(l.BinDir, linuxpkg.DefaultBinDir)
		p.AddAt("name", []string{"service.linux.bin_dir"}, "%q would be installed as %s/%s, a program the base system already has (package %s in Debian or Alpine): dpkg refuses to overwrite it, and elsewhere it would replace the system's command. Rename the program (name: %s-server, say), or install it outside the PATH with service.linux.bin_dir: /usr/lib/%s",
			s.Name, dir, s.Name, owners, s.Name, s.Name)
	}
}

// ownerField names the config field a directive svcpack writes comes from.
func ownerField(directive string) string {
	switch directive {
	case "Type":
		return "service.linux.notify"
	case "ExecStart":
		return "service.args and service.linux.bin_dir"
	case "Restart", "RestartSec":
		return "service.restart"
	case "User", "Group", "DynamicUser":
		return "service.linux.user"
	case "Environment":
		return "service.env"
	case "MemoryMax":
		return "service.linux.memory_max"
	case "CPUQuota":
		return "service.linux.cpu_quota"
	}
	return "settings"
}

// linuxPackager is the deb, rpm or apk packager.
func linuxPackager(format, doc string) *Packager {
	return &Packager{
		Name: format, Default: true, Doc: doc,
		Applies: onOS("linux"),
		Reads:   append(linuxReads(), "gpg", "name_template.package", "commit"),
		Uses:    []Kind{KindBinary},
		Paths: func(s *config.Spec, t platform.Target) ([]string, error) {
			// The conventional name depends on no binary: a stand-in.
			name, err := packageName(s, t, format, linuxOptions(s, t, "", format))
			if err != nil {
				return nil, err
			}
			return []string{name}, nil
		},
		Check: func(s *config.Spec, p *config.Problems) {
			if !s.HasOS("linux") {
				return
			}
			before := p.Len()
			checkUnit(s, p)
			if format == "apk" {
				if _, err := s.Version.APK(); err != nil {
					p.Add(s.Version.Field(), "%v; release a version apk can express, or leave apk out of formats", err)
					return
				}
			}
			if s.Maintainer == "" {
				p.AddAt("maintainer", []string{"vendor", "formats", "targets"}, "is not set (and vendor %q is not \"Name <email>\"): Linux packages (deb, rpm, apk) need a maintainer such as \"Acme Ops <ops@example.com>\"; set maintainer, or leave the Linux package formats out", s.Vendor)
			}
			if p.Len() > before {
				return // the encoder would only repeat it, without the field
			}
			// The encoder's own validation, the last word: a problem here
			// is one the rules above should name by its field.
			o := linuxOptions(s, platform.Target{OS: "linux", Arch: "amd64"}, "", format)
			if err := o.Validate(format); err != nil {
				p.Add("service", "%v", err)
			}
		},
		Write: func(ctx context.Context, j *Job) error {
			bin, err := j.MustInput(KindBinary)
			if err != nil {
				return err
			}
			o := linuxOptions(j.Spec, j.Target, bin, format)
			if j.Spec.GPGSigns(format) {
				o.Signer = j.OpenPGP()
			}
			name, err := packageName(j.Spec, j.Target, format, o)
			if err != nil {
				return err
			}
			return j.Create(name, func(w io.Writer) error { return linuxpkg.Package(o, format, w) })
		},
	}
}
