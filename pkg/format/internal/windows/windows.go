// Package windows maps the spec onto what every Windows format shares: the
// service as the zip's scripts and the MSI install it, its install-time
// settings, the wrapper's configuration and log folder, the MSIs the
// package managers' manifests point at, and the finishing of an exe
// (resources, icon, Authenticode) for the program and the wrapper alike.
package windows

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
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
	"github.com/svcpack/svcpack/pkg/svcwrap"
	"github.com/svcpack/svcpack/pkg/winscripts"
)

// The Windows service, as the zip's scripts and the MSI both install it:
// one mapping from the spec, shared by both packagers.

// Reads are the fields the Windows service is made from.
func Reads() []string {
	return []string{"name", "service.name", "service.display_name", "service.description", "service.args", "service.start",
		"service.account", "service.env", "service.restart", config.WrapField, "service.wrapper", "service.health", "service.depends_on"}
}

// Dependencies are the services the Windows service waits for: each of
// service.depends_on without a .service suffix, leaving out systemd-only
// units (names with another type suffix, or an @ or :), which check warns
// about.
func Dependencies(s *config.Spec) []string {
	var out []string
	for _, d := range s.Service.DependsOn {
		n := strings.TrimSuffix(d.Name, ".service")
		if strings.ContainsAny(n, ".@:") || !d.For("windows") {
			continue
		}
		out = append(out, n)
	}
	return out
}

// Service maps the spec onto the Windows service of the install
// scripts and the MSI, with its install-time settings. With service.wrap, the service runs the wrapper,
// whose configuration carries the program's arguments and environment.
func Service(s *config.Spec) (winscripts.Service, error) {
	sv := s.Service
	wc, err := Wrapper(s)
	// The places: the folder the service is installed in, as the scripts
	// and the MSI learn it at install time.
	args := make([]string, len(sv.Args))
	for i, a := range sv.Args {
		args[i] = installerText(a, winscripts.DirMark, wc)
	}
	var env map[string]string
	if sv.Env != nil {
		env = map[string]string{}
		for k, v := range sv.Env {
			env[k] = installerText(v, winscripts.DirMark, wc)
		}
	}
	ws := winscripts.Service{
		Name: sv.Name, DisplayName: sv.DisplayName, Description: sv.Description,
		Exe: matrix.BinaryName(s.Name, "windows"), Args: args, Start: sv.Start, Account: sv.Account,
		Env: env, RestartDelay: sv.Restart.Delay.Std(), ResetAfter: sv.Restart.ResetAfter.Std(),
		Writable: WritableFolders(s, wc), Dependencies: Dependencies(s),
		// Every service gets its event source: the wrapper writes to it,
		// and a program may too (eventlog.Open(service.name)).
		EventSource: true,
	}
	if cmd := sv.Restart.Command; len(cmd) > 0 {
		// Run by the service manager, never by the wrapper: places are
		// the installed folders.
		for _, a := range cmd {
			ws.FailureCommand = append(ws.FailureCommand, installerText(a, winscripts.DirMark, wc))
		}
		ws.CommandAfter = sv.Restart.CommandAfter
	}
	if err != nil {
		return ws, err
	}
	if wc != nil {
		ws.Wrapped = &winscripts.Wrapped{Program: ws.Exe, Args: args, Env: env, Config: config.WrapperConfigName, LogDir: wc.Logs.Dir,
			Preshutdown: wc.PreshutdownTimeout > 0,
			SplitLogs:   wc.Logs.Split, Rotate: wc.Logs.Rotate, Compress: wc.Logs.Compress}
		ws.Exe, ws.Args, ws.Env = config.WrapperExe, nil, nil
	}
	for _, st := range EnvSettings(s) {
		ws.Settings = append(ws.Settings, winscripts.Setting{Name: st[0], Env: st[1]})
	}
	ws.Settings = append(ws.Settings, winscripts.Setting{Name: ArgsSetting})
	return ws, nil
}

// Install-time settings: what an administrator may give to the MSI
// (msiexec /i x.msi PORT=9090) and to install-service.cmd (PORT=9090, or
// an environment variable of that name) to replace a default: each
// service.env variable under its name in upper case, and the arguments
// under ArgsSetting. Given values are recorded under the service's
// registry key (msi.RegistryKey) and kept by upgrades and repairs.
const ArgsSetting = "SERVICE_ARGS"

// settingName is the install-time setting of an environment variable.
func settingName(env string) string { return strings.ToUpper(env) }

// EnvSettings lists the service's environment variables in order, each
// with its setting's name.
func EnvSettings(s *config.Spec) [][2]string {
	var out [][2]string
	for _, k := range slices.Sorted(maps.Keys(s.Service.Env)) {
		out = append(out, [2]string{settingName(k), k})
	}
	return out
}

// CheckSettings reports environment variables whose setting cannot be a
// public MSI property or collides with another setting (the zip's script
// takes the same names).
func CheckSettings(s *config.Spec, probs *config.Problems) {
	taken := map[string]string{ArgsSetting: "the arguments"}
	for _, st := range EnvSettings(s) {
		field := "service.env." + st[1]
		if other, dup := taken[st[0]]; dup {
			probs.Add(field, "the name %q gives the install-time setting %s, which already sets %s (msiexec %s=..., install-service.cmd %s=...): rename the variable", st[1], st[0], other, st[0], st[0])
			continue
		}
		taken[st[0]] = st[1]
		if err := msi.CheckSettingProperty(st[0]); err != nil {
			probs.Add(field, "the name %q gives the install-time setting %s: %v; rename the variable", st[1], st[0], err)
		}
	}
}

// logFileNames are the names the wrapper's log files take (with their
// rotated copies), which uninstalling with PURGE=1 removes.
func logFileNames(wc *svcwrap.Config) []string {
	var out []string
	// Named for Wine, which ignores the MSI's wildcards (Windows removes
	// every file of the folder): the live files, split or not, and the
	// numbered names of older wrappers; stamped rotated files are only
	// removed by the wildcard.
	for _, name := range []string{wc.Service + ".log", wc.Service + ".out.log", wc.Service + ".err.log",
		wc.Service + "-svcwrap.log"} {
		out = append(out, name)
		for n := 1; n <= wc.Logs.Keep; n++ {
			out = append(out, svcwrap.RotatedName(name, n))
		}
	}
	return out
}

// WrapperJSON is svcwrap.json for the Windows packages, or nil without
// service.wrap.
func WrapperJSON(s *config.Spec) ([]byte, error) {
	wc, err := Wrapper(s)
	if wc == nil || err != nil {
		return nil, err
	}
	return wc.Marshal()
}

// Folders are the folders the MSI makes for the service's account: the
// wrapper's log folder and the WritableFolders.
func Folders(s *config.Spec, wc *svcwrap.Config) []msi.Folder {
	return append(WrapperFolders(s, wc), writableMSIFolders(s, wc)...)
}

// WrapperFolders is the log folder of the wrapper configured by wc (nil:
// not wrapped) for the MSI, when it lies inside the install folder, with
// write access for the service account.
func WrapperFolders(s *config.Spec, wc *svcwrap.Config) []msi.Folder {
	if wc == nil {
		return nil
	}
	// Config validation keeps a relative folder inside the install folder.
	dir := path.Clean(strings.ReplaceAll(wc.Logs.Dir, `\`, "/"))
	if path.IsAbs(dir) || strings.Contains(dir, ":") || dir == "." {
		return nil // absolute: the administrator's to prepare
	}
	f := WritableFolder(dir, s.Service.Account, s.Service.Name)
	f.Purge = logFileNames(wc)
	return []msi.Folder{f}
}

// InstallerMSI is what a package manager's manifest says of one MSI
// (winget, Chocolatey).
type InstallerMSI struct {
	Arch, URL, SHA256, ProductCode, UpgradeCode string
}

// PlannedMSIs are the MSIs a check validates the manifests with: for each
// target's MSI name, the URL the release would give it, and stand-ins for
// what only the built MSI holds (its digest and codes).
func PlannedMSIs(s *config.Spec, msis map[platform.Target]string) []InstallerMSI {
	var out []InstallerMSI
	targets := slices.SortedFunc(maps.Keys(msis), func(a, b platform.Target) int { return strings.Compare(a.String(), b.String()) })
	for _, t := range targets { // in one order, so check says the same each time
		name := msis[t]
		u, _ := packager.DownloadURL(s, t, name)
		out = append(out, InstallerMSI{Arch: t.Arch, URL: u, SHA256: strings.Repeat("0", 64), ProductCode: "{00000000-0000-0000-0000-000000000000}"})
	}
	return out
}

// MadeMSIs are the job's MSIs whose architecture keep accepts (nil: all),
// with their download URLs, digests and the codes their Property tables
// hold.
func MadeMSIs(j *packager.Job, keep func(arch string) bool) ([]InstallerMSI, error) {
	var out []InstallerMSI
	for _, a := range j.Inputs(packager.KindMSI) {
		if keep != nil && !keep(a.Arch) {
			continue
		}
		props, err := msiProperties(j.Path(a))
		if err != nil {
			return nil, err
		}
		u, err := packager.DownloadURL(j.Spec, a.Platform(), a.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, InstallerMSI{Arch: a.Arch, URL: u, SHA256: a.SHA256, ProductCode: props["ProductCode"], UpgradeCode: props["UpgradeCode"]})
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
