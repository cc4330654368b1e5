// Package install is the format that writes install.sh (pkg/installsh): the
// one script a person runs as root to install the service from the
// release's signed repositories, published beside them (svcpack publish
// commits it to pages with the apt and dnf trees):
//
//	curl -fsSL https://example.com/hello/install.sh | sudo sh
//
// It adds the apt repository at apt.url on Debian and Ubuntu, the dnf
// repository at dnf.url on Fedora and RHEL-likes (each with the release
// key, embedded in the script, and a pin or priority over the
// distribution's packages), and falls back to the Linux or darwin tarball
// at download_url elsewhere, checked against checksums.txt and its
// signature.
package install

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"path"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/internal/linux"
	"github.com/svcpack/svcpack/pkg/installsh"
	enc "github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/pgpsign"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/rpmrepo"
)

// Name is the script's path in dist/ and its format's name.
const Name = "install.sh"

// Packager writes install.sh.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: Name, Kind: packager.KindInstallSh, ReleaseWide: true,
		Doc: "Linux and macOS: `install.sh`, one script (`curl ... | sudo sh`) that adds the apt or dnf " +
			"repository with its key and a pin over the distribution's package, or installs the checked tarball",
		Applies: func(s *config.Spec, _ platform.Target) bool { return s.HasOS("linux") || s.HasOS("darwin") },
		Reads: append(packager.NameReads("name_template.archive"), "formats", "targets", "gpg", "service.name",
			"service.linux.bin_dir", "apt.url", "apt.suite", "apt.component", "apt.origin", "dnf.url",
			"download_url", "files"),
		Check: check,
		Paths: func(*config.Spec, platform.Target) ([]string, error) { return []string{Name}, nil },
		Write: write,
	}
}

func check(s *config.Spec, planned []platform.Target, probs *config.Problems) {
	if !s.Wants("apt") && !s.Wants("dnf") {
		probs.AddAt("formats", nil, "has install.sh without apt or dnf: the script installs from the release's "+
			"repositories; add apt and/or dnf, or leave install.sh out")
	}
	if s.Wants("apt") && s.Apt.URL == "" {
		probs.AddAt("formats", []string{"apt.url"}, "has install.sh and apt: set apt.url to where dist/apt/ is "+
			"served, such as https://example.com/apt/, for the sources the script writes")
	}
	if s.GPG == nil || !s.GPGSigns("checksums") {
		probs.AddAt("formats", []string{"gpg.sign"}, "has install.sh, which checks the tarballs against "+
			"checksums.txt and its signature: set gpg.key_file and add checksums to gpg.sign")
	}
	if !s.Wants("tar.gz") {
		probs.AddAt("formats", nil, "has install.sh without tar.gz: the script installs the tarball where no "+
			"repository fits; add tar.gz")
		return
	}
	if !packager.ArchiveNamesRender(s, planned) {
		return
	}
	files := map[platform.Target]string{}
	for _, t := range tarTargets(planned) {
		if name, err := packager.ArchiveName(s, t, ".tar.gz"); err == nil {
			files[t] = name
		}
	}
	packager.CheckDownloadURL(s, probs, Name, files)
	if probs.Len() > 0 {
		return
	}
	signer, err := pgpsign.Load(string(s.GPG.KeyFile), s.GPG.Passphrase, s.Date)
	if err != nil {
		return // the gpg check reports it
	}
	if _, err := script(s, planned, signer); err != nil {
		probs.Add("formats", "install.sh: %v", err)
	}
}

// tarTargets are the targets whose tarball the script may install: Linux
// and darwin, not the universal one (the script picks by architecture).
func tarTargets(planned []platform.Target) []platform.Target {
	var out []platform.Target
	for _, t := range planned {
		if (t.OS == "linux" || t.OS == "darwin") && t.Arch != "universal" {
			out = append(out, t)
		}
	}
	return out
}

func write(_ context.Context, j *packager.Job) error {
	data, err := script(j.Spec, j.Spec.Targets, j.OpenPGP())
	if err != nil {
		return err
	}
	return j.Create(Name, packager.WriteBytes(data))
}

// script renders install.sh for the spec and the key.
func script(s *config.Spec, targets []platform.Target, signer *pgpsign.Signer) ([]byte, error) {
	sc := installsh.Script{Name: s.Name, Service: s.Service.Name, Version: s.Version.String(), KeyName: s.Name}
	if err := key(&sc, signer); err != nil {
		return nil, err
	}
	var arches []string
	for _, t := range targets {
		if t.OS == "linux" {
			if a := enc.DebArch(linux.Options(s, t, "", "deb")); !slices.Contains(arches, a) {
				arches = append(arches, a)
			}
		}
	}
	if s.Wants("apt") {
		sc.Apt = &installsh.Apt{URL: s.Apt.URL, Suite: s.Apt.Suite, Component: s.Apt.Component, Origin: s.Apt.Origin,
			Architectures: arches}
	}
	if s.Wants("dnf") {
		sc.Dnf = &installsh.Dnf{URL: s.Dnf.URL, Priority: rpmrepo.PreferredPriority}
	}
	var err error
	if sc.ChecksumsURL, err = packager.DownloadURL(s, platform.Target{}, packager.ChecksumsName); err != nil {
		return nil, err
	}
	if sc.SignatureURL, err = packager.DownloadURL(s, platform.Target{}, packager.SignatureName); err != nil {
		return nil, err
	}
	for _, t := range tarTargets(targets) {
		tb, err := tarball(s, t)
		if err != nil {
			return nil, err
		}
		sc.Tarballs = append(sc.Tarballs, tb)
	}
	var b bytes.Buffer
	if err := sc.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// tarball is target t's tarball as the targz format lays it out: the
// program and the unit at its top (Linux), or the program and install.sh
// (darwin).
func tarball(s *config.Spec, t platform.Target) (installsh.Tarball, error) {
	name, err := packager.ArchiveName(s, t, ".tar.gz")
	if err != nil {
		return installsh.Tarball{}, err
	}
	u, err := packager.DownloadURL(s, t, name)
	if err != nil {
		return installsh.Tarball{}, err
	}
	tb := installsh.Tarball{OS: t.OS, Arch: t.Arch, URL: u, File: path.Base(name), Binary: s.Name}
	if t.OS == "darwin" {
		tb.Installer = "install.sh"
	} else {
		tb.Unit = s.Service.Name + ".service"
		tb.BinPath = path.Join(cmp.Or(s.Service.Linux.BinDir, enc.DefaultBinDir), s.Name)
		for _, f := range s.Files { // where the Linux packages put them
			dst := f.Dst
			if !path.IsAbs(dst) {
				dst = path.Join("/etc", s.Name, dst)
			}
			tb.Files = append(tb.Files, installsh.TarballFile{Src: strings.TrimPrefix(f.Dst, "/"), Dst: dst,
				Config: f.Config})
		}
	}
	return tb, nil
}

// key embeds the signer's public key and fingerprint.
func key(sc *installsh.Script, signer *pgpsign.Signer) error {
	if signer == nil {
		return errors.New("install.sh: no gpg key: the script carries the repositories' public key")
	}
	pub, err := signer.PublicKeyBinary()
	if err != nil {
		return err
	}
	sc.Key, sc.Fingerprint = pub, signer.Fingerprint()
	return nil
}
