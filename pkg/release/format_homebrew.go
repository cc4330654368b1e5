package release

import (
	"context"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/manifests/homebrew"
	"github.com/svcpack/svcpack/pkg/platform"
)

// homebrewPackager writes homebrew/<name>.rb, a Homebrew formula that
// installs the program from the darwin and Linux tarballs (amd64 and
// arm64; the universal tarball for every Mac when universal is on), each
// with its SHA-256, and runs it with brew services as the service section
// says: arguments, environment, restart policy and delay.
func homebrewPackager() *Packager {
	return &Packager{
		Name: "homebrew", Kind: KindHomebrew, Once: true,
		Doc: "darwin and Linux: a Homebrew formula for the tarballs (the universal one for every Mac when made), with a `service do` block",
		Reads: []string{"name", "version", "commit", "date", "description", "homepage", "license", "files", "download_url",
			"service.args", "service.env", "service.restart"},
		Uses:  []Kind{KindTarGz},
		Check: checkHomebrew,
		Paths: func(s *config.Spec, _ platform.Target) ([]string, error) {
			return []string{homebrewPath(s)}, nil
		},
		Write: writeHomebrew,
	}
}

func homebrewName(s *config.Spec) string { return strings.ToLower(s.Name) }

func homebrewPath(s *config.Spec) string { return "homebrew/" + homebrewName(s) + ".rb" }

// homebrewFormula maps the spec onto the formula, without tarballs.
func homebrewFormula(s *config.Spec) homebrew.Formula {
	f := homebrew.Formula{
		Name: homebrewName(s), Desc: s.Description, Homepage: s.Homepage, Version: s.Version.String(), License: s.License,
		Binary: s.Name,
		Service: &homebrew.Service{
			Args: s.Service.Args, Always: s.Service.Restart.Policy == "always", RestartDelay: s.Service.Restart.Delay.Std(), Env: s.Service.Env,
		},
	}
	f.Configs = configFiles(s)
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

func checkHomebrew(s *config.Spec, p *config.Problems) {
	if !s.Wants("tar.gz") {
		p.AddAt("formats", []string{"targets"}, "homebrew is set, and the Homebrew formula installs the tarballs: add tar.gz to formats, or leave homebrew out")
		return
	}
	if !archiveNamesRender(s) {
		return
	}
	before := p.Len()
	targets := homebrewTargets(planTargets(s, s.Targets, packagers()))
	if len(targets) == 0 {
		p.AddAt("targets", []string{"formats"}, "has no darwin or linux target of amd64 or arm64: Homebrew installs one of those tarballs; add one, or leave homebrew out of formats")
		return
	}
	files := map[platform.Target]string{}
	for _, t := range targets {
		if name, err := archiveName(s, t, ".tar.gz"); err == nil {
			files[t] = name
		}
	}
	checkDownloadURL(s, p, "homebrew", files)
	requireFields(p, "homebrew", []required{
		{"homepage", s.Homepage, "a formula names its home page"},
		{"description", s.Description, "a formula carries a description"},
	})
	if p.Len() > before {
		return
	}
	f := homebrewFormula(s)
	for t, name := range files {
		u, _ := downloadURL(s, t, name)
		a := homebrew.Archive{Arch: t.Arch, URL: u, SHA256: strings.Repeat("0", 64)}
		if t.OS == "darwin" {
			f.MacOS = append(f.MacOS, a)
		} else {
			f.Linux = append(f.Linux, a)
		}
	}
	if _, err := f.Ruby(); err != nil {
		p.Add("homebrew", "%v", err)
	}
}

func writeHomebrew(ctx context.Context, j *Job) error {
	s := j.Spec
	f := homebrewFormula(s)
	var targets []platform.Target
	tarballs := map[platform.Target]Artifact{}
	for _, a := range j.Inputs(KindTarGz) {
		targets = append(targets, a.target())
		tarballs[a.target()] = a
	}
	for _, t := range homebrewTargets(targets) {
		a := tarballs[t]
		u, err := downloadURL(s, t, a.Path)
		if err != nil {
			return err
		}
		arch := homebrew.Archive{Arch: t.Arch, URL: u, SHA256: a.SHA256}
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
	return j.Create(homebrewPath(s), writeBytes(data))
}
