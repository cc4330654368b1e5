// Package scoop writes a Scoop app manifest (JSON) for zip archives that
// carry a program with scripts that register and remove its Windows
// service: one archive per architecture with its SHA-256, the scripts run
// by the post_install and pre_uninstall hooks, configuration files
// persisted across updates, and autoupdate rules that make the next
// version's URLs and find its hashes in a checksums file.
package scoop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/svcpack/svcpack/pkg/powershell"
)

// Manifest is what the Scoop manifest says.
type Manifest struct {
	// Version is the app's version (letters, digits, . - + _).
	Version string
	// Description, Homepage and License (an SPDX identifier) describe it.
	Description, Homepage, License string
	// Archives are the zips, one per architecture.
	Archives []Archive
	// Bin is the program in the archive that Scoop puts on the PATH, or "".
	Bin string
	// Persist are files of the archive (paths with /) kept across updates
	// in Scoop's persist folder: the configuration files.
	Persist []string
	// InstallScript and UninstallScript are the scripts in the archive
	// that register and remove the service: the first runs after the app
	// is installed (post_install), the second before it is removed or
	// updated (pre_uninstall). Both need an administrator.
	InstallScript, UninstallScript string
	// Autoupdate, when set, lets Scoop's tools write the next version's
	// manifest.
	Autoupdate *Autoupdate
	// GitHub is the project's https://github.com/OWNER/REPO, from which
	// checkver reads the latest release, or "".
	GitHub string
}

// Archive is the zip of one architecture.
type Archive struct {
	// Arch is its GOARCH: 386, amd64 or arm64.
	Arch string
	// URL is where Scoop downloads it; SHA256 its hex digest.
	URL, SHA256 string
}

// Autoupdate holds the URLs of the next version: $version stands for the
// version in them, as Scoop substitutes it.
type Autoupdate struct {
	// URLs are the archives' URLs by GOARCH.
	URLs map[string]string
	// ChecksumsURL is a sha256sum-style file (hash, spaces, file name per
	// line) listing each archive.
	ChecksumsURL string
}

// Arch maps a GOARCH onto Scoop's architecture names.
func Arch(goarch string) (string, error) {
	switch goarch {
	case "386":
		return "32bit", nil
	case "amd64":
		return "64bit", nil
	case "arm64":
		return "arm64", nil
	}
	return "", fmt.Errorf("scoop: Scoop has no architecture for GOARCH %q (it knows 386, amd64 and arm64)", goarch)
}

var (
	versionRE = regexp.MustCompile(`^[\w.+-]+$`)
	sha256RE  = regexp.MustCompile(`^[a-fA-F0-9]{64}$`)
	urlRE     = regexp.MustCompile(`^https?://[^\s"]+$`)
)

// Validate reports what Scoop's schema or Scoop itself would refuse.
func (m Manifest) Validate() error {
	switch {
	case !versionRE.MatchString(m.Version):
		return fmt.Errorf("scoop: version %q: want letters, digits, '.', '-', '+' and '_'", m.Version)
	case m.Homepage == "":
		return fmt.Errorf("scoop: a manifest needs a homepage")
	case !urlRE.MatchString(m.Homepage):
		return fmt.Errorf("scoop: homepage %q: want an http(s) URL", m.Homepage)
	case m.License == "":
		return fmt.Errorf("scoop: a manifest needs a license")
	case len(m.Archives) == 0:
		return fmt.Errorf("scoop: no archives")
	}
	seen := map[string]bool{}
	for _, a := range m.Archives {
		arch, err := Arch(a.Arch)
		if err != nil {
			return err
		}
		if seen[arch] {
			return fmt.Errorf("scoop: two archives for %s: a manifest takes one per architecture", arch)
		}
		seen[arch] = true
		if !urlRE.MatchString(a.URL) || strings.Contains(a.URL, "$") {
			return fmt.Errorf("scoop: archive URL %q: want an http(s) URL without $", a.URL)
		}
		if !sha256RE.MatchString(a.SHA256) {
			return fmt.Errorf("scoop: archive SHA-256 %q: want 64 hex digits", a.SHA256)
		}
		if u := m.Autoupdate; u != nil && !urlRE.MatchString(u.URLs[a.Arch]) {
			return fmt.Errorf("scoop: autoupdate URL %q for %s: want an http(s) URL", u.URLs[a.Arch], arch)
		}
	}
	if u := m.Autoupdate; u != nil && !urlRE.MatchString(u.ChecksumsURL) {
		return fmt.Errorf("scoop: autoupdate checksums URL %q: want an http(s) URL", u.ChecksumsURL)
	}
	for _, p := range m.Persist {
		if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
			return fmt.Errorf("scoop: persisted file %q: want a path inside the app", p)
		}
	}
	return nil
}

// The manifest's JSON, in the order Scoop's own manifests use.
type manifestJSON struct {
	Version      string              `json:"version"`
	Description  string              `json:"description,omitempty"`
	Homepage     string              `json:"homepage"`
	License      string              `json:"license"`
	Notes        []string            `json:"notes,omitempty"`
	Architecture map[string]archJSON `json:"architecture"`
	Bin          string              `json:"bin,omitempty"`
	Persist      []string            `json:"persist,omitempty"`
	PostInstall  []string            `json:"post_install,omitempty"`
	PreUninstall []string            `json:"pre_uninstall,omitempty"`
	Checkver     *checkverJSON       `json:"checkver,omitempty"`
	Autoupdate   *autoupdateJSON     `json:"autoupdate,omitempty"`
}

type archJSON struct {
	URL  string `json:"url"`
	Hash string `json:"hash,omitempty"`
}

type checkverJSON struct {
	GitHub string `json:"github"`
}

type autoupdateJSON struct {
	Architecture map[string]archJSON `json:"architecture"`
	Hash         hashJSON            `json:"hash"`
}

type hashJSON struct {
	URL   string `json:"url"`
	Regex string `json:"regex"`
}

// hook is the PowerShell that runs script (a .cmd in the app's folder,
// $dir) and warns, without failing Scoop, when it fails.
func hook(script, why string) []string {
	return []string{
		"& (Join-Path $dir " + powershell.Quote(script) + ")",
		"if ($LASTEXITCODE -ne 0) { Write-Warning (" + powershell.Quote(script+" failed (exit code ") + " + $LASTEXITCODE + " + powershell.Quote("): "+why) + ") }",
	}
}

// JSON returns the manifest.
func (m Manifest) JSON() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	out := manifestJSON{
		Version: m.Version, Description: m.Description, Homepage: m.Homepage, License: m.License,
		Architecture: map[string]archJSON{}, Bin: m.Bin,
	}
	for _, p := range m.Persist {
		out.Persist = append(out.Persist, strings.ReplaceAll(p, "/", `\`))
	}
	for _, a := range m.Archives {
		arch, _ := Arch(a.Arch) // checked by Validate
		out.Architecture[arch] = archJSON{URL: a.URL, Hash: strings.ToLower(a.SHA256)}
	}
	if m.InstallScript != "" {
		out.PostInstall = hook(m.InstallScript, "the service is not registered; install from an elevated prompt (scoop install --global), or run the script there")
		out.Notes = append(out.Notes, "The service is registered by "+m.InstallScript+" when Scoop installs the app, which needs an administrator: install with `scoop install --global` from an elevated prompt.")
	}
	if m.UninstallScript != "" {
		out.PreUninstall = hook(m.UninstallScript, "the service was not removed; run the script from an elevated prompt")
		out.Notes = append(out.Notes, "Updating or removing the app runs "+m.UninstallScript+" first, which stops and removes the service; an update registers it again with the default settings.")
	}
	if m.GitHub != "" {
		out.Checkver = &checkverJSON{GitHub: m.GitHub}
	}
	if u := m.Autoupdate; u != nil {
		au := &autoupdateJSON{Architecture: map[string]archJSON{}, Hash: hashJSON{URL: u.ChecksumsURL, Regex: `(?m)^$sha256\s+$basename$`}}
		for _, a := range m.Archives {
			arch, _ := Arch(a.Arch)
			au.Architecture[arch] = archJSON{URL: u.URLs[a.Arch]}
		}
		out.Autoupdate = au
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("scoop: %w", err)
	}
	return b.Bytes(), nil
}
