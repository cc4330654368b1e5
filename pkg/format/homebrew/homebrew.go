// Package homebrew is the format that writes homebrew/<name>.rb, a Homebrew
// formula that installs the program from the darwin and Linux tarballs
// (amd64 and arm64; the universal tarball for every Mac when universal is
// on), each with its SHA-256, and runs it with brew services as the service
// section says: arguments, environment, restart policy and delay.
package homebrew

import (
	"context"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	enc "github.com/svcpack/svcpack/pkg/manifests/homebrew"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager writes the Homebrew formula of the release.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "homebrew", Kind: packager.KindHomebrew, ReleaseWide: true,
		Doc: "darwin and Linux: a Homebrew formula for the tarballs (the universal one for every Mac when made), with a `service do` block",
		Reads: []string{"name", "version", "commit", "date", "description", "homepage", "license", "files", "download_url",
			"service.args", "service.env", "service.restart"},
		Uses:  []packager.Kind{packager.KindTarGz},
		Check: check,
		Paths: paths,
		Write: write,
	}
}

func homebrewName(s *config.Spec) string { return strings.ToLower(s.Name) }

func homebrewPath(s *config.Spec) string { return "homebrew/" + homebrewName(s) + ".rb" }

// brewDir marks each place for the formula, which writes it as the
// folder Homebrew gives it.
func brewDir(p config.Place) string {
	switch p {
	case config.ConfigDir:
		return enc.EtcMark
	case config.StateDir:
		return enc.StateMark
	case config.LogDir:
		return enc.LogMark
	}
	return enc.BinMark
}

// homebrewFormula maps the spec onto the formula, without tarballs.
func homebrewFormula(s *config.Spec) enc.Formula {
	f := enc.Formula{
		Name: homebrewName(s), Desc: s.Description, Homepage: s.Homepage, Version: s.Version.String(), License: s.License,
		Binary: s.Name,
		Service: &enc.Service{
			Args: packager.RenderArgs(s.Service.Args, brewDir), Always: s.Service.Restart.Policy == "always",
			RestartDelay: s.Service.Restart.Delay.Std(), Env: packager.RenderEnv(s.Service.Env, brewDir),
		},
	}
	f.Configs = packager.ConfigFiles(s)
	return f
}

// homebrewTargets are the targets whose tarballs the formula installs, of
// targets (the plan's): per OS, amd64 and arm64 (the one without a
// variant, else the first), and on darwin the universal target alone when
// there is one.
func homebrewTargets(targets []platform.Target) []platform.Target {
	var out []platform.Target
	for _, goos := range []string{"darwin", "linux"} {
		if goos == "darwin" && slices.Contains(targets, platform.Universal()) {
			out = append(out, platform.Universal())
			continue
		}
		for _, arch := range []string{"amd64", "arm64"} {
			var pick platform.Target
			for _, t := range targets {
				if t.OS == goos && t.Arch == arch && (pick.IsZero() || pick.Variant != "" && t.Variant == "") {
					pick = t
				}
			}
			if !pick.IsZero() {
				out = append(out, pick)
			}
		}
	}
	return out
}

func check(s *config.Spec, planned []platform.Target, probs *config.Problems) {
	if !s.Wants("tar.gz") {
		probs.AddAt("formats", []string{"targets"}, "homebrew is set, and the Homebrew formula installs the tarballs: add tar.gz to formats, or leave homebrew out")
		return
	}
	if !packager.ArchiveNamesRender(s, planned) {
		return
	}
	before := probs.Len()
	targets := homebrewTargets(planned)
	if len(targets) == 0 {
		probs.AddAt("targets", []string{"formats"}, "has no darwin or linux target of amd64 or arm64: Homebrew installs one of those tarballs; add one, or leave homebrew out of formats")
		return
	}
	files := map[platform.Target]string{}
	for _, t := range targets {
		if name, err := packager.ArchiveName(s, t, ".tar.gz"); err == nil {
			files[t] = name
		}
	}
	packager.CheckDownloadURL(s, probs, "homebrew", files)
	packager.RequireFields(probs, "homebrew", []packager.Required{
		{Field: "homepage", Value: s.Homepage, Why: "a formula names its home page"},
		{Field: "description", Value: s.Description, Why: "a formula carries a description"},
	})
	if probs.Len() > before {
		return
	}
	f := homebrewFormula(s)
	for t, name := range files {
		u, _ := packager.DownloadURL(s, t, name)
		a := enc.Archive{Arch: t.Arch, URL: u, SHA256: strings.Repeat("0", 64)}
		if t.OS == "darwin" {
			f.MacOS = append(f.MacOS, a)
		} else {
			f.Linux = append(f.Linux, a)
		}
	}
	if _, err := f.Ruby(); err != nil {
		probs.Add("homebrew", "%v", err)
	}
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	f := homebrewFormula(s)
	var targets []platform.Target
	tarballs := map[platform.Target]packager.Artifact{}
	for _, a := range j.Inputs(packager.KindTarGz) {
		targets = append(targets, a.Platform())
		tarballs[a.Platform()] = a
	}
	for _, t := range homebrewTargets(targets) {
		a := tarballs[t]
		u, err := packager.DownloadURL(s, t, a.Path)
		if err != nil {
			return err
		}
		arch := enc.Archive{Arch: t.Arch, URL: u, SHA256: a.SHA256}
		if t.OS == "darwin" {
			f.MacOS = append(f.MacOS, arch)
		} else {
			f.Linux = append(f.Linux, arch)
		}
	}
	data, err := f.Ruby()
	if err != nil {
		return err
	}
	return j.Create(homebrewPath(s), packager.WriteBytes(data))
}

func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	return []string{homebrewPath(s)}, nil
}
