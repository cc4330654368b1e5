// Package linuxpkg is the format of the Linux packages: deb, rpm and apk,
// made by nfpm through pkg/linuxpkg, each with the hardened systemd unit,
// maintainer scripts and config files kept across upgrades. The three
// share one mapping from the spec (pkg/format/internal/linux) and differ
// in their version grammar and file names.
package linuxpkg

import (
	"context"
	"io"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/linux"
	enc "github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/naming"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Deb writes the Debian package, with the hardened systemd unit,
// maintainer scripts and conffiles.
func Deb() *packager.Packager {
	return family{"deb"}.packager("Linux: a Debian package with the hardened systemd unit")
}

// RPM writes the RPM package, with the hardened systemd unit and
// %config(noreplace) files.
func RPM() *packager.Packager {
	return family{"rpm"}.packager("Linux: an RPM package with the hardened systemd unit")
}

// APK writes the Alpine package, with the systemd unit.
func APK() *packager.Packager {
	return family{"apk"}.packager("Linux: an Alpine package with the systemd unit")
}

// family is one of the Linux package formats: "deb", "rpm" or "apk".
type family struct{ format string }

func (f family) packager(doc string) *packager.Packager {
	return &packager.Packager{
		Name: f.format, Default: true, Doc: doc,
		Applies: packager.OnOS("linux"),
		Reads:   append(linux.Reads(), "gpg", "name_template.package", "commit"),
		Uses:    []packager.Kind{packager.KindBinary},
		Paths:   f.paths,
		Check:   f.check,
		Write:   f.write,
	}
}

func (f family) paths(s *config.Spec, t platform.Target) ([]string, error) {
	// The conventional name depends on no binary: a stand-in.
	name, err := Name(s, t, f.format, linux.Options(s, t, "", f.format))
	if err != nil {
		return nil, err
	}
	return []string{name}, nil
}

func (f family) check(s *config.Spec, _ []platform.Target, probs *config.Problems) {
	if !s.HasOS("linux") {
		return
	}
	before := probs.Len()
	linux.CheckUnit(s, probs)
	if f.format == "apk" {
		if _, err := s.Version.APK(); err != nil {
			probs.Add(s.Version.Field(), "%v; release a version apk can express, or leave apk out of formats", err)
			return
		}
	}
	if s.Maintainer == "" {
		probs.AddAt("maintainer", []string{"vendor", "formats", "targets"}, "is not set (and vendor %q is not \"Name <email>\"): Linux packages (deb, rpm, apk) need a maintainer such as \"Acme Ops <ops@example.com>\"; set maintainer, or leave the Linux package formats out", s.Vendor)
	}
	if f.format != "apk" {
		warnDistName(s, probs)
	}
	if probs.Len() > before {
		return // the encoder would only repeat it, without the field
	}
	// The encoder's own validation, the last word: a problem here is one
	// the rules above should name by its field.
	o := linux.Options(s, platform.Target{OS: "linux", Arch: "amd64"}, "", f.format)
	if err := o.Validate(f.format); err != nil {
		probs.Add("service", "%v", err)
	}
}

// warnDistName warns when the deb and rpm would carry the name of a Debian
// package: apt-get upgrade replaces such a package with Debian's whenever
// Debian's version is higher (and an rpm distribution that packages the
// name too may do the same). The deb and rpm say it once: one message.
func warnDistName(s *config.Spec, probs *config.Problems) {
	taken, err := enc.DebianPackage(s.Name)
	if err != nil {
		probs.Warn("name", "cannot compare it with Debian's package names: %v", err)
		return
	}
	if !taken {
		return
	}
	release, _ := enc.DebianRelease()
	probs.Warn("name", "%q is also the name of a package of %s: where users add your apt repository, apt-get upgrade "+
		"replaces your deb with Debian's whenever Debian's version is higher (an rpm distribution packaging %s may do the same). "+
		"Choose another package name (the name field sets it, and the program's: %s-server or acme-%s, say), or have users prefer your "+
		"repository: install.sh (formats: install.sh) pins it, as an apt preferences entry does, /etc/apt/preferences.d/%s: "+
		"\"Package: %s\", \"Pin: release o=<apt.origin>\", \"Pin-Priority: 990\" (above the 500 Debian's packages have)",
		s.Name, release, s.Name, s.Name, s.Name, s.Name, s.Name)
}

func (f family) write(_ context.Context, j *packager.Job) error {
	bin, err := j.MustInput(packager.KindBinary)
	if err != nil {
		return err
	}
	o := linux.Options(j.Spec, j.Target, bin, f.format)
	if j.Spec.GPGSigns(f.format) {
		o.Signer = j.OpenPGP()
	}
	name, err := Name(j.Spec, j.Target, f.format, o)
	if err != nil {
		return err
	}
	return j.Create(name, func(w io.Writer) error { return enc.Package(o, f.format, w) })
}

// Name is name_template.package rendered for t and the Linux package
// format ("deb", "rpm", "apk"), with the format's extension; o are the
// package's options, whose conventional file name the template sees as
// {{.Conventional}}.
func Name(s *config.Spec, t platform.Target, format string, o enc.Options) (string, error) {
	conv, err := enc.FileName(o, format)
	if err != nil {
		return "", err
	}
	ext := "." + format
	n, err := naming.Name(s.NameTemplate.Package, naming.Data{TemplateData: packager.TemplateData(s, t), Format: format, Conventional: strings.TrimSuffix(conv, ext)})
	if err != nil {
		return "", err
	}
	return n + ext, nil
}

// Options are the package options the format makes of the spec for target
// t, whose binary is at bin: what tests and tools that build a package
// beside the release's (a variant of it) start from.
func Options(s *config.Spec, t platform.Target, bin, format string) enc.Options {
	return linux.Options(s, t, bin, format)
}
