// Package winscripts renders the scripts that ride in the Windows zip:
// install-service.cmd (sc create or update, description, recovery with
// sc failure and sc failureflag, the service environment, start and wait for
// RUNNING), uninstall-service.cmd (stop, wait, delete; a no-op when the
// service is gone) and README.txt.
//
// Quoting: every configured value is assigned once, inside the quotes of a
// `set "VAR=value"` line with delayed expansion off, where & | < > ^ ! are
// literal and only % needs doubling. Commands then use the values as !VAR!
// with delayed expansion on: cmd expands those after it has split the line
// at & and |, so no value can inject a command, including the folder the
// script runs from (%~dp0 may hold & or parentheses). sc.exe and reg.exe
// split their command line with the C runtime's rules, so trailing
// backslashes are doubled and quotes inside binPath are written \". A value
// holding a double quote or a control character cannot be carried safely
// and is rejected by Validate.
package winscripts

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/svcpack/svcpack/templates"
)

// Service describes the service the scripts install.
type Service struct {
	// Name is the service name (letters, digits, '.', '_', '-').
	Name string
	// DisplayName and Description are shown in services.msc.
	DisplayName, Description string
	// Exe is the program's file name in the unpacked folder (hello.exe).
	Exe string
	// Args are passed to the program by the SCM.
	Args []string
	// Start is auto, delayed, manual or disabled.
	Start string
	// Account is LocalSystem, LocalService, NetworkService or NT SERVICE\<Name>.
	Account string
	// Env is written to the service's Environment registry value.
	Env map[string]string
	// RestartDelay is the wait before each restart after a failure.
	RestartDelay time.Duration
	// ResetAfter resets the failure count.
	ResetAfter time.Duration
	// StartTimeout bounds the wait for RUNNING (default 60 s).
	StartTimeout time.Duration
	// StopTimeout bounds the wait for STOPPED (default 60 s).
	StopTimeout time.Duration
	// Wrapped, when set, says that Exe is svcpack's service wrapper, which
	// runs the program described there; Args and Env are then empty (the
	// wrapper's configuration file carries them).
	Wrapped *Wrapped
}

// Wrapped describes the program the service wrapper runs.
type Wrapped struct {
	// Program is the program's file name in the folder (hello.exe).
	Program string
	// Args and Env are what the wrapper passes to it.
	Args []string
	Env  map[string]string
	// Config is the wrapper's configuration file name (svcwrap.json).
	Config string
	// LogDir is the log folder, relative to the folder or absolute.
	LogDir string
}

// ReadmeInfo is what README.txt says besides the service.
type ReadmeInfo struct {
	// Version and Arch of the release.
	Version, Arch string
	// Files lists configuration files in the folder.
	Files []string
	// License names the license; Homepage is the project URL.
	License, Homepage string
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate rejects what the scripts cannot carry safely, naming the field,
// the value and what is allowed.
func (s Service) Validate() error {
	var errs []error
	bad := func(field, v, why string) {
		errs = append(errs, fmt.Errorf("winscripts: %s %q: %s", field, v, why))
	}
	if !nameRE.MatchString(s.Name) {
		bad("service name", s.Name, "want letters, digits, '.', '_' or '-'")
	}
	if !nameRE.MatchString(strings.TrimSuffix(s.Exe, ".exe")) || !strings.HasSuffix(s.Exe, ".exe") {
		bad("exe", s.Exe, "want a plain file name ending in .exe")
	}
	check := func(field, v string) {
		if strings.ContainsAny(v, "\"") {
			bad(field, v, `holds a double quote, which cmd.exe cannot carry inside a quoted argument; remove it`)
		}
		for _, r := range v {
			if r < 0x20 || r == 0x7f {
				bad(field, v, "holds a control character; remove it")
				break
			}
		}
	}
	check("display name", s.DisplayName)
	check("description", s.Description)
	for i, a := range s.Args {
		check(fmt.Sprintf("args[%d]", i), a)
	}
	for k, v := range s.Env {
		check("env "+k, v)
		if strings.Contains(v, `\0`) {
			bad("env "+k, v, `holds \0, which reg.exe reads as the separator of REG_MULTI_SZ values`)
		}
		if strings.ContainsAny(k, "=\"%") || k == "" {
			bad("env name", k, "want letters, digits and '_'")
		}
	}
	if w := s.Wrapped; w != nil {
		check("log folder", w.LogDir)
		if strings.ContainsAny(w.LogDir, "%!") {
			bad("log folder", w.LogDir, "holds % or !, which the install script cannot carry; choose a plain path")
		}
		if len(s.Args) > 0 || len(s.Env) > 0 {
			errs = append(errs, errors.New("winscripts: a wrapped service takes its args and env from the wrapper's configuration, not the service's command line"))
		}
	}
	if _, err := startType(s.Start); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := account(s.Account, s.Name); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// startType maps config start values to sc's start= values.
func startType(start string) (string, error) {
	switch start {
	case "auto", "":
		return "auto", nil
	case "delayed":
		return "delayed-auto", nil
	case "manual":
		return "demand", nil
	case "disabled":
		return "disabled", nil
	}
	return "", fmt.Errorf("winscripts: start %q: want auto, delayed, manual or disabled", start)
}

// account maps config accounts to sc's obj= value and password argument.
func account(acct, name string) (obj, password string, err error) {
	switch acct {
	case "LocalSystem", "":
		return "LocalSystem", "", nil
	case "LocalService":
		return `"NT AUTHORITY\LocalService"`, ` password= ""`, nil
	case "NetworkService":
		return `"NT AUTHORITY\NetworkService"`, ` password= ""`, nil
	case `NT SERVICE\` + name:
		return `"NT SERVICE\` + name + `"`, "", nil
	}
	return "", "", fmt.Errorf(`winscripts: account %q: want LocalSystem, LocalService, NetworkService or NT SERVICE\%s`, acct, name)
}

// Percent doubles % for a batch file.
func Percent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

func doubleTrailingBackslashes(s string) string {
	n := len(s) - len(strings.TrimRight(s, `\`))
	return s + strings.Repeat(`\`, n)
}

// binPath builds sc's binPath= argument from variables set by setLines: the
// exe path and the arguments, each in \" when it holds a space. It holds
// only literal text we write and !VAR! references.
func binPath(s Service) string {
	var b strings.Builder
	b.WriteString(`"\"!SVC_EXE!\"`)
	for i, a := range s.Args {
		ref := fmt.Sprintf("!SVC_ARG%d!", i+1)
		if a == "" || strings.ContainsAny(a, " \t") {
			b.WriteString(` \"` + ref + `\"`)
		} else {
			b.WriteString(" " + ref)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// setLines returns the `set "VAR=value"` lines that hold every configured
// value, escaped for a batch file with delayed expansion off: % doubled, and
// trailing backslashes doubled for the C runtime's parsing in sc and reg,
// where each value is followed by a quote.
func setLines(s Service) []string {
	set := func(name, v string) string {
		return `set "` + name + "=" + Percent(doubleTrailingBackslashes(v)) + `"`
	}
	lines := []string{
		set("SVC_DISPLAY", s.DisplayName),
		set("SVC_DESCRIPTION", s.Description),
	}
	for i, a := range s.Args {
		lines = append(lines, set(fmt.Sprintf("SVC_ARG%d", i+1), a))
	}
	if _, pairs := envList(s.Env); len(pairs) > 0 {
		lines = append(lines, set("SVC_ENV", strings.Join(pairs, `\0`)))
	}
	if w := s.Wrapped; w != nil {
		// Validate rejects % and ! in the folder; %~dp0 (the script's
		// folder, ending in \) is expanded inside the quotes.
		dir := strings.TrimRight(strings.ReplaceAll(w.LogDir, "/", `\`), `\`)
		if !isAbsWindows(dir) {
			dir = "%~dp0" + dir
		}
		lines = append(lines, `set "SVC_LOGS=`+dir+`"`)
	}
	return lines
}

func envList(env map[string]string) (names []string, pairs []string) {
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		pairs = append(pairs, k+"="+env[k])
	}
	return names, pairs
}

// isAbsWindows reports whether p is an absolute Windows path (C:\x, \\server\x).
func isAbsWindows(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
}

// logAccount is the account icacls grants write access to the log folder:
// LocalSystem can write anywhere.
func logAccount(acct, name string) string {
	switch acct {
	case "LocalService":
		return `NT AUTHORITY\LocalService`
	case "NetworkService":
		return `NT AUTHORITY\NetworkService`
	case `NT SERVICE\` + name:
		return acct
	}
	return ""
}

func (s Service) withDefaults() Service {
	if s.StartTimeout <= 0 {
		s.StartTimeout = 60 * time.Second
	}
	if s.StopTimeout <= 0 {
		s.StopTimeout = 60 * time.Second
	}
	if s.DisplayName == "" {
		s.DisplayName = s.Name
	}
	return s
}

func (s Service) data() (map[string]any, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	st, _ := startType(s.Start)
	obj, pw, _ := account(s.Account, s.Name)
	names, pairs := envList(s.Env)
	return map[string]any{
		"Name":                s.Name,
		"DisplayName":         Percent(s.DisplayName),
		"Exe":                 s.Exe,
		"BinPath":             binPath(s),
		"StartType":           st,
		"Start":               s.Start != "disabled" && s.Start != "manual",
		"Obj":                 obj,
		"Password":            pw,
		"Sets":                setLines(s),
		"RestartDelayMS":      s.RestartDelay.Milliseconds(),
		"ResetSeconds":        int64(s.ResetAfter.Seconds()),
		"Env":                 len(pairs) > 0,
		"EnvNames":            strings.Join(names, " "),
		"StartTimeoutSeconds": int64(s.StartTimeout.Seconds()),
		"StopTimeoutSeconds":  int64(s.StopTimeout.Seconds()),
		"Wrapped":             s.Wrapped != nil,
		"LogAccount":          logAccount(s.Account, s.Name),
	}, nil
}

func render(name string, data any) ([]byte, error) {
	t, err := templates.Parse(name, nil)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("winscripts: %s: %w", name, err)
	}
	return crlf(b.Bytes()), nil
}

// crlf converts line endings: cmd.exe mis-parses labels in LF-only files.
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

// Install renders install-service.cmd.
func Install(s Service) ([]byte, error) {
	d, err := s.data()
	if err != nil {
		return nil, err
	}
	return render("install-service.cmd.tmpl", d)
}

// Uninstall renders uninstall-service.cmd.
func Uninstall(s Service) ([]byte, error) {
	d, err := s.data()
	if err != nil {
		return nil, err
	}
	return render("uninstall-service.cmd.tmpl", d)
}

// Readme renders README.txt.
func Readme(s Service, info ReadmeInfo) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	st, _ := startType(s.Start)
	acct := s.Account
	if acct == "" {
		acct = "LocalSystem"
	}
	_, pairs := envList(s.Env)
	var wrapped map[string]any
	if w := s.Wrapped; w != nil {
		_, wpairs := envList(w.Env)
		pairs = wpairs
		wrapped = map[string]any{"Program": w.Program, "Args": w.Args, "Config": w.Config, "LogDir": w.LogDir}
	}
	return render("windows-readme.txt.tmpl", map[string]any{
		"Wrapped": wrapped,
		"Name":    s.Name, "DisplayName": s.DisplayName, "Description": s.Description, "Exe": s.Exe,
		"Args": s.Args, "Account": acct, "StartType": st,
		"RestartDelay": s.RestartDelay.String(), "ResetAfter": s.ResetAfter.String(),
		"Version": info.Version, "Arch": info.Arch, "Files": info.Files, "Env": pairs,
		"License": info.License, "Homepage": info.Homepage,
	})
}
