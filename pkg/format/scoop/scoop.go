// Package scoop is the format that writes scoop/<name>.json, a Scoop
// manifest for the Windows zips: each with its URL and SHA-256,
// install-service.cmd run after installing and uninstall-service.cmd before
// removing or updating, the configuration files persisted, and autoupdate
// rules.
package scoop

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	enc "github.com/svcpack/svcpack/pkg/manifests/scoop"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/naming"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Packager writes the Scoop manifest of the release.
func Packager() *packager.Packager {
	return &packager.Packager{
		Name: "scoop", Kind: packager.KindScoop, ReleaseWide: true,
		Doc: "Windows: a Scoop manifest for the zips, registering the service after install and removing it before uninstall, with autoupdate",
		Reads: []string{"name", "version", "commit", "date", "description", "homepage", "license", "files",
			"download_url", "name_template.archive"},
		Uses:  []packager.Kind{packager.KindZip},
		Check: check,
		Paths: paths,
		Write: write,
	}
}

func scoopPath(s *config.Spec) string { return "scoop/" + s.Name + ".json" }

// scoopManifest maps the spec onto the manifest, without archives.
func scoopManifest(s *config.Spec) enc.Manifest {
	m := enc.Manifest{
		Version: s.Version.NuGet(), Description: s.Description, Homepage: s.Homepage, License: s.License,
		Bin: matrix.BinaryName(s.Name, "windows"), InstallScript: "install-service.cmd", UninstallScript: "uninstall-service.cmd",
		GitHub: githubRepo(s.Homepage),
	}
	if m.GitHub == "" {
		m.GitHub = githubRepo(s.DownloadURL)
	}
	m.Persist = packager.ConfigFiles(s)
	return m
}

// githubRepo is https://github.com/OWNER/REPO when u is a URL of that
// repository, else "".
func githubRepo(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host != "github.com" {
		return ""
	}
	parts := strings.Split(strings.Trim(p.Path, "/"), "/")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" || strings.Contains(parts[0]+parts[1], "{") {
		return ""
	}
	return "https://github.com/" + parts[0] + "/" + parts[1]
}

// scoopVersion stands for the version in the names and URLs of the next
// releases, which Scoop writes as $version.
const scoopVersion = "SVCPACKNEXTVERSION"

// scoopAutoupdate renders the next versions' URLs of the zips of targets
// and of checksums.txt, refusing templates that show the commit or the
// date (the next release's are unknown).
func scoopAutoupdate(s *config.Spec, targets []platform.Target) (*enc.Autoupdate, error) {
	next := func(t platform.Target, file func(d matrix.TemplateData) (string, error), commit, date string) (string, error) {
		d := packager.TemplateData(s, t)
		d.Version, d.Commit, d.Date = scoopVersion, commit, date
		f, err := file(d)
		if err != nil {
			return "", err
		}
		u, err := naming.URL(s.DownloadURL, naming.URLData{TemplateData: d, File: f})
		return strings.ReplaceAll(u, scoopVersion, "$version"), err
	}
	both := func(t platform.Target, file func(d matrix.TemplateData) (string, error)) (string, error) {
		a, err := next(t, file, "c1", "d1")
		if err != nil {
			return "", err
		}
		if b, err := next(t, file, "c2", "d2"); err != nil || a != b {
			return "", fmt.Errorf("download_url or name_template.archive shows {{.Commit}} or {{.Date}}: Scoop's autoupdate makes the next version's URLs from the version alone; leave them out, or leave scoop out of formats")
		}
		return a, nil
	}
	zip := func(d matrix.TemplateData) (string, error) {
		n, err := naming.Name(s.NameTemplate.Archive, naming.Data{TemplateData: d})
		return n + ".zip", err
	}
	au := &enc.Autoupdate{URLs: map[string]string{}}
	for _, t := range targets {
		u, err := both(t, zip)
		if err != nil {
			return nil, err
		}
		au.URLs[t.Arch] = u
	}
	u, err := both(platform.Target{}, func(matrix.TemplateData) (string, error) { return packager.ChecksumsName, nil })
	if err != nil {
		return nil, err
	}
	au.ChecksumsURL = u
	return au, nil
}

// windowsZips are the Windows targets and their zips' names, refusing
// architectures Scoop does not know and two targets of one architecture.
func windowsZips(s *config.Spec, probs *config.Problems) map[platform.Target]string {
	out := map[platform.Target]string{}
	byArch := map[string]platform.Target{}
	for i, t := range s.Targets {
		if t.OS != "windows" {
			continue
		}
		field := fmt.Sprintf("targets[%d]", i)
		if _, err := enc.Arch(t.Arch); err != nil {
			probs.Add(field, "%v: leave %s out, or leave scoop out of formats", err, t)
			continue
		}
		if other, dup := byArch[t.Arch]; dup {
			probs.Add(field, "%s and %s are both %s: the Scoop manifest takes one zip per architecture; keep one of them, or leave scoop out of formats", other, t, t.Arch)
			continue
		}
		byArch[t.Arch] = t
		if name, err := packager.ArchiveName(s, t, ".zip"); err == nil {
			out[t] = name
		}
	}
	return out
}

func check(s *config.Spec, planned []platform.Target, probs *config.Problems) {
	if !s.HasOS("windows") || !s.Wants("zip") {
		probs.AddAt("formats", []string{"targets"}, "scoop is set, and the Scoop manifest installs the Windows zips: add zip to formats and a windows target, or leave scoop out")
		return
	}
	if !packager.ArchiveNamesRender(s, planned) {
		return
	}
	before := probs.Len()
	zips := windowsZips(s, probs)
	packager.CheckDownloadURL(s, probs, "scoop", zips)
	packager.RequireFields(probs, "scoop", []packager.Required{
		{Field: "homepage", Value: s.Homepage, Why: "a Scoop manifest names the home page"},
		{Field: "license", Value: s.License, Why: "a Scoop manifest names the licence"},
	})
	if probs.Len() > before {
		return
	}
	var targets []platform.Target
	m := scoopManifest(s)
	for t, name := range zips {
		targets = append(targets, t)
		u, _ := packager.DownloadURL(s, t, name)
		m.Archives = append(m.Archives, enc.Archive{Arch: t.Arch, URL: u, SHA256: strings.Repeat("0", 64)})
	}
	au, err := scoopAutoupdate(s, targets)
	if err != nil {
		probs.Add("download_url", "%v", err)
		return
	}
	m.Autoupdate = au
	if _, err := m.JSON(); err != nil {
		probs.Add("scoop", "%v", err)
	}
}

func write(ctx context.Context, j *packager.Job) error {
	s := j.Spec
	m := scoopManifest(s)
	var targets []platform.Target
	for _, a := range j.Inputs(packager.KindZip) {
		u, err := packager.DownloadURL(s, a.Platform(), a.Path)
		if err != nil {
			return err
		}
		m.Archives = append(m.Archives, enc.Archive{Arch: a.Arch, URL: u, SHA256: a.SHA256})
		targets = append(targets, a.Platform())
	}
	au, err := scoopAutoupdate(s, targets)
	if err != nil {
		return err
	}
	m.Autoupdate = au
	data, err := m.JSON()
	if err != nil {
		return err
	}
	return j.Create(scoopPath(s), packager.WriteBytes(data))
}

func paths(s *config.Spec, _ platform.Target) ([]string, error) {
	return []string{scoopPath(s)}, nil
}
