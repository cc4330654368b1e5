package release

import (
	"path"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/msi"
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
// scripts and the MSI. With service.wrap, the service runs the wrapper,
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
	return ws
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
	return []msi.Folder{{Path: dir, SDDL: logFolderSDDL(s.Service.Account, s.Service.Name)}}
}
