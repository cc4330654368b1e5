package release

import (
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/msi"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/svcwrap"
	"github.com/svcpack/svcpack/pkg/winscripts"
)

// The Windows service, as the zip's scripts and the MSI both install it:
// one mapping from the spec, shared by both packagers.

// windowsReads are the fields the Windows service is made from.
func windowsReads() []string {
	return []string{"name", "service.name", "service.display_name", "service.description", "service.args", "service.start",
		"service.account", "service.env", "service.restart", config.WrapField, "service.wrapper_config"}
}

// windowsService maps the spec onto the Windows service of the install
// scripts and the MSI, with its install-time settings. With service.wrap, the service runs the wrapper,
// whose configuration carries the program's arguments and environment.
func windowsService(s *config.Spec) winscripts.Service {
	sv := s.Service
	ws := winscripts.Service{
		Name: sv.Name, DisplayName: sv.DisplayName, Description: sv.Description,
		Exe: matrix.BinaryName(s.Name, "windows"), Args: sv.Args, Start: sv.Start, Account: sv.Account,
		Env: sv.Env, RestartDelay: sv.Restart.Delay.Std(), ResetAfter: sv.Restart.ResetAfter.Std(),
	}
	if wc := sv.WrapperConfig; wc != nil {
		ws.Wrapped = &winscripts.Wrapped{Program: ws.Exe, Args: sv.Args, Env: sv.Env, Config: config.WrapperConfigName, LogDir: wc.Logs.Dir}
		ws.Exe, ws.Args, ws.Env = config.WrapperExe, nil, nil
	}
	for _, st := range envSettings(s) {
		ws.Settings = append(ws.Settings, winscripts.Setting{Name: st[0], Env: st[1]})
	}
	ws.Settings = append(ws.Settings, winscripts.Setting{Name: argsSetting})
	return ws
}

// Install-time settings: what an administrator may give to the MSI
// (msiexec /i x.msi PORT=9090) and to install-service.cmd (PORT=9090, or
// an environment variable of that name) to replace a default: each
// service.env variable under its name in upper case, and the arguments
// under argsSetting. Given values are recorded under the service's
// registry key (msi.RegistryKey) and kept by upgrades and repairs.
const argsSetting = "SERVICE_ARGS"

// settingName is the install-time setting of an environment variable.
func settingName(env string) string { return strings.ToUpper(env) }

// envSettings lists the service's environment variables in order, each
// with its setting's name.
func envSettings(s *config.Spec) [][2]string {
	var out [][2]string
	for _, k := range slices.Sorted(maps.Keys(s.Service.Env)) {
		out = append(out, [2]string{settingName(k), k})
	}
	return out
}

// checkSettings reports environment variables whose setting cannot be a
// public MSI property or collides with another setting (the zip's script
// takes the same names).
func checkSettings(s *config.Spec, p *config.Problems) {
	taken := map[string]string{argsSetting: "the arguments"}
	for _, st := range envSettings(s) {
		field := "service.env." + st[1]
		if other, dup := taken[st[0]]; dup {
			p.Add(field, "the name %q gives the install-time setting %s, which already sets %s (msiexec %s=..., install-service.cmd %s=...): rename the variable", st[1], st[0], other, st[0], st[0])
			continue
		}
		taken[st[0]] = st[1]
		if err := msi.CheckSettingProperty(st[0]); err != nil {
			p.Add(field, "the name %q gives the install-time setting %s: %v; rename the variable", st[1], st[0], err)
		}
	}
}

// logFileNames are the names the wrapper's log files take (with their
// rotated copies), which uninstalling with PURGE=1 removes.
func logFileNames(wc *svcwrap.Config) []string {
	var out []string
	for _, name := range []string{wc.Service + ".log", wc.Service + "-svcwrap.log"} {
		out = append(out, name)
		for n := 1; n <= wc.Logs.Keep; n++ {
			out = append(out, svcwrap.RotatedName(name, n))
		}
	}
	return out
}

// wrapperJSON is svcwrap.json for the Windows packages, or nil without
// service.wrap.
func wrapperJSON(s *config.Spec) ([]byte, error) {
	if s.Service.WrapperConfig == nil {
		return nil, nil
	}
	return s.Service.WrapperConfig.Marshal()
}

// wrapperFolders is the wrapper's log folder for the MSI, when it lies
// inside the install folder, with write access for the service account.
func wrapperFolders(s *config.Spec) []msi.Folder {
	wc := s.Service.WrapperConfig
	if wc == nil {
		return nil
	}
	// Config validation keeps a relative folder inside the install folder.
	dir := path.Clean(strings.ReplaceAll(wc.Logs.Dir, `\`, "/"))
	if path.IsAbs(dir) || strings.Contains(dir, ":") || dir == "." {
		return nil // absolute: the administrator's to prepare
	}
	return []msi.Folder{{Path: dir, SDDL: logFolderSDDL(s.Service.Account, s.Service.Name), Purge: logFileNames(wc)}}
}

// installerMSI is what a package manager's manifest says of one MSI
// (winget, Chocolatey).
type installerMSI struct {
	Arch, URL, SHA256, ProductCode, UpgradeCode string
}

// plannedMSIs are the MSIs a check validates the manifests with: for each
// target's MSI name, the URL the release would give it, and stand-ins for
// what only the built MSI holds (its digest and codes).
func plannedMSIs(s *config.Spec, msis map[platform.Target]string) []installerMSI {
	var out []installerMSI
	targets := slices.SortedFunc(maps.Keys(msis), func(a, b platform.Target) int { return strings.Compare(a.String(), b.String()) })
	for _, t := range targets { // in one order, so check says the same each time
		name := msis[t]
		u, _ := downloadURL(s, t, name)
		out = append(out, installerMSI{Arch: t.Arch, URL: u, SHA256: strings.Repeat("0", 64), ProductCode: "{00000000-0000-0000-0000-000000000000}"})
	}
	return out
}

// madeMSIs are the job's MSIs whose architecture keep accepts (nil: all),
// with their download URLs, digests and the codes their Property tables
// hold.
func madeMSIs(j *Job, keep func(arch string) bool) ([]installerMSI, error) {
	var out []installerMSI
	for _, a := range j.Inputs(KindMSI) {
		if keep != nil && !keep(a.Arch) {
			continue
		}
		props, err := msiProperties(j.Path(a))
		if err != nil {
			return nil, err
		}
		u, err := downloadURL(j.Spec, a.target(), a.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, installerMSI{Arch: a.Arch, URL: u, SHA256: a.SHA256, ProductCode: props["ProductCode"], UpgradeCode: props["UpgradeCode"]})
	}
	return out, nil
}

// msiProperties reads the Property table of the MSI at file.
func msiProperties(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	props, err := msi.ReadProperties(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if props["ProductCode"] == "" {
		return nil, fmt.Errorf("%s has no ProductCode", file)
	}
	return props, nil
}
