// Package winscripts renders the scripts that ride in the Windows zip:
// install-service.cmd (sc create or update, description, recovery with
// sc failure and sc failureflag, the service environment, the event source,
// start and wait for RUNNING), uninstall-service.cmd (stop, wait, delete, the
// event source too; a no-op when the service is gone) and README.txt.
//
// Quoting, from the inside out. A service's command line is parsed by the
// program with CommandLineToArgvW's rules, so each argument is quoted by
// them (winargv.Quote: backslashes are doubled before a quote and at the end).
// sc.exe and reg.exe take their own arguments by the C runtime's same
// rules, so what they receive inside double quotes is escaped once more
// (winargv.Escape). cmd.exe then reads each value exactly once, in a
// `set "VAR=value"` line with delayed expansion off, where % is doubled and
// & | < > ^ ( ) are caret-escaped wherever a quote inside the value leaves
// them outside quotes (SetLine); commands use the values as !VAR! with
// delayed expansion on, expanded after cmd has split the line, so no value
// can inject a command, and neither can the folder the script runs from
// (%~dp0 may hold & or parentheses). A value holding a control character is
// rejected by Validate.
package winscripts

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/winargv"
	"github.com/svcpack/svcpack/templates"
)

// DirMark stands, in a service's Args and Env values, for the folder the
// scripts are run from, where the service is installed (cmd's %~dp0, which
// ends in a backslash). It is made of control characters, which no other
// text may hold.
const DirMark = "\x00DIR\x00"

// unmarked is v without DirMark, for the checks of its own text.
func unmarked(v string) string { return strings.ReplaceAll(v, DirMark, "") }

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
	// FailureCommand, when set, is a program and its arguments that the
	// service manager runs (sc failure command=, as the service's account)
	// on every failure after the first CommandAfter ones within
	// ResetAfter, which restart the service: the actions are per failure
	// count and the last repeats. The program may start with DirMark and
	// may not hold a double quote; the arguments may hold DirMark.
	FailureCommand []string
	// CommandAfter is the number of restarts before FailureCommand runs.
	CommandAfter int
	// StartTimeout bounds the wait for RUNNING (default 60 s).
	StartTimeout time.Duration
	// StopTimeout bounds the wait for STOPPED (default 60 s).
	StopTimeout time.Duration
	// Dependencies are the services that must run before this one (sc
	// create depend=).
	Dependencies []string
	// Writable lists folders, relative to the install folder, that
	// install-service.cmd makes and lets the service's account write (its
	// data folder, say); the wrapper's log folder is made anyway.
	Writable []string
	// Wrapped, when set, says that Exe is svcpack's service wrapper, which
	// runs the program described there; Args and Env are then empty (the
	// wrapper's configuration file carries them).
	Wrapped *Wrapped
	// Settings can be given to install-service.cmd as NAME=value
	// arguments or as environment variables of the same names, to replace
	// a default: an environment variable's value, or the arguments (one
	// command line). The script records what it was given under the
	// service's Parameters registry key (Arguments, Environment\<variable>)
	// and uses it again when run again without it; svcpack's service
	// wrapper reads it from there, the service's Environment value and
	// command line carry it otherwise. The script uses such values as they
	// are (cmd cannot escape them for sc and reg at run time, and Wine's
	// cmd lacks the means): they may not hold a double quote or end in a
	// backslash.
	Settings []Setting
	// EventSource registers an event source named after the service in the
	// Application event log, with EventCreate.exe's message table (IDs 1 to
	// 1000), as x/sys's eventlog.InstallAsEventCreate does;
	// uninstall-service.cmd removes it.
	EventSource bool
}

// Setting is one install-time setting.
type Setting struct {
	// Name is what the administrator writes: upper-case letters, digits
	// and '_'.
	Name string
	// Env is the environment variable it sets; "" means the arguments.
	Env string
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
	// Preshutdown says the wrapper's configuration has a preshutdown
	// timeout, which sc cannot set: the script has the wrapper set it
	// (svcwrap -configure-service).
	Preshutdown bool
	// SplitLogs says the program's standard output and standard error go
	// to <name>.out.log and <name>.err.log instead of <name>.log.
	SplitLogs bool
	// Rotate is "hourly" or "daily" when the logs are also rotated when the
	// hour or day (UTC) changes; "" rotates them by size only.
	Rotate string
	// Compress says rotated logs are gzipped.
	Compress bool
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

// Validate rejects what the scripts cannot carry as data (control
// characters; \0 in an environment value, which reg.exe reads as a
// separator; names outside their grammar), naming the field, the value and
// what is allowed. Everything else is escaped.
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
		for _, r := range v {
			if r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 {
				bad(field, v, "holds a control character, which would end a line of the script; remove it")
				break
			}
		}
	}
	check("display name", s.DisplayName)
	check("description", s.Description)
	for i, a := range s.Args {
		check(fmt.Sprintf("args[%d]", i), unmarked(a))
	}
	for i, a := range s.FailureCommand {
		check(fmt.Sprintf("failure command[%d]", i), unmarked(a))
	}
	if len(s.FailureCommand) > 0 {
		if prog := s.FailureCommand[0]; unmarked(prog) == "" || strings.ContainsAny(prog, `"`) {
			bad("failure command program", prog, "want a file name without double quotes")
		}
		if s.CommandAfter < 0 || s.CommandAfter > maxCommandAfter {
			bad("failure command after", fmt.Sprint(s.CommandAfter), fmt.Sprintf("want 0 to %d restarts", maxCommandAfter))
		}
	}
	for _, d := range s.Dependencies {
		if !nameRE.MatchString(d) || strings.HasPrefix(d, "-") || strings.HasPrefix(d, ".") {
			bad("dependency", d, "want a service name of letters, digits, '.', '_' or '-'")
		}
	}
	for _, w := range s.Writable {
		check("writable folder", w)
		if w == "" || IsAbs(w) || strings.ContainsAny(w, `"%!:*?<>|`) || slices.Contains(strings.FieldsFunc(w, isSep), "..") {
			bad("writable folder", w, `want a folder inside the install folder, such as data`)
		}
	}
	for k, v := range s.Env {
		v = unmarked(v)
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
		if strings.Contains(w.LogDir, `"`) {
			bad("log folder", w.LogDir, "holds a double quote, which no Windows path can")
		}
		if w.Rotate != "" && w.Rotate != "hourly" && w.Rotate != "daily" {
			bad("log rotation", w.Rotate, `want "hourly", "daily" or "" (by size only)`)
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
	env := s.Env
	if s.Wrapped != nil {
		env = s.Wrapped.Env
	}
	seen := map[string]bool{}
	for _, st := range s.Settings {
		if !settingRE.MatchString(st.Name) || seen[st.Name] {
			bad("setting", st.Name, "want upper-case letters, digits and '_', each name once")
		}
		seen[st.Name] = true
		if _, ok := env[st.Env]; st.Env != "" && !ok {
			bad("setting "+st.Name, st.Env, "is not among the service's environment variables")
		}
	}
	return errors.Join(errs...)
}

var settingRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// The accounts besides the built-in ones: a group managed service account
// and a domain or local user, in names of plain characters.
var (
	managedAccountRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,14}\\[A-Za-z0-9_][A-Za-z0-9_.-]{0,13}\$$`)
	userAccountRE    = regexp.MustCompile(`^(\.|[A-Za-z0-9][A-Za-z0-9-]{0,14})\\[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}$`)
)

// maxCommandAfter bounds Service.CommandAfter: sc failure takes a
// restart for each, then the command.
const maxCommandAfter = 100

// failureActions is sc failure's actions= value: restarts, then the
// failure command when there is one (the last action repeats), each after
// the restart delay.
func failureActions(s Service) string {
	actions := []string{"restart", "restart", "restart"}
	if len(s.FailureCommand) > 0 {
		actions = append(slices.Repeat([]string{"restart"}, s.CommandAfter), "run")
	}
	ms := fmt.Sprint(s.RestartDelay.Milliseconds())
	return strings.Join(actions, "/"+ms+"/") + "/" + ms
}

// NeedsPassword reports whether the account is a user's, whose password
// the installers take at install time (SERVICE_PASSWORD).
func NeedsPassword(acct string) bool { return userAccountRE.MatchString(acct) }

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
	switch {
	case managedAccountRE.MatchString(acct): // Windows manages its password
		return `"` + acct + `"`, "", nil
	case userAccountRE.MatchString(acct): // its password from SERVICE_PASSWORD, checked first
		return `"` + acct + `"`, ` password= "!SVC_PASSWORD!"`, nil
	}
	return "", "", fmt.Errorf(`winscripts: account %q: want LocalSystem, LocalService, NetworkService, NT SERVICE\%s, `+
		`DOMAIN\name$ or DOMAIN\user`, acct, name)
}

// Percent doubles % for a batch file.
func Percent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// crtInner is winargv.EscapeMarked without doubling the backslashes at the
// end: for a part of an argument that more text follows.
func crtInner(s string) string {
	return strings.TrimSuffix(winargv.EscapeMarked(s+"x", DirMark), "x")
}

// SetLine returns a batch line `set "NAME=value"` that sets NAME to
// exactly value when delayed expansion is off: % is doubled (cmd expands
// %VAR% first, inside quotes too), and where a quote inside value leaves
// the rest outside quotes, & | < > ^ ( ) are escaped with ^ (cmd only
// honours carets outside quotes). set takes everything up to the last quote
// on the line.
func SetLine(name, value string) string {
	return `set "` + name + "=" + setBody(value) + `"`
}

// setBody escapes value for SetLine's quotes (see there).
func setBody(value string) string {
	var b strings.Builder
	inQuotes := true // the quote before NAME opened
	for _, r := range value {
		switch {
		case r == '"':
			inQuotes = !inQuotes
		case r == '%':
			b.WriteByte('%')
		case !inQuotes && strings.ContainsRune("&|<>^()", r):
			b.WriteByte('^')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// binPath builds sc's binPath= argument from variables set by setLines: the
// exe's path in quotes, then the arguments quoted for the program and
// escaped for sc (SVC_ARGS, which an install-time setting may replace).
func binPath(s Service) string {
	if len(s.Args) == 0 && !hasArgsSetting(s) {
		return `"\"!SVC_EXE!\""`
	}
	return `"\"!SVC_EXE!\"!SVC_ARGS!"`
}

func hasArgsSetting(s Service) bool {
	return s.Wrapped == nil && slices.ContainsFunc(s.Settings, func(st Setting) bool { return st.Env == "" })
}

// setLines returns the `set "VAR=value"` lines that hold every configured
// value, each escaped for where it is used: sc and reg take them inside
// double quotes (winargv.Escape); and the joins that put together, once
// delayed expansion is on, the values that name the script's folder
// (markedSet).
func setLines(s Service) (lines, joins []string) {
	lines = []string{
		SetLine("SVC_DISPLAY", winargv.Escape(s.DisplayName)),
		SetLine("SVC_DESCRIPTION", winargv.Escape(s.Description)),
	}
	marked := func(name, value string) {
		sets, join := markedSet(name, value)
		for _, l := range sets {
			if !slices.Contains(lines, l) { // SVC_DIR, once
				lines = append(lines, l)
			}
		}
		if join != "" {
			joins = append(joins, join)
		}
	}
	if len(s.Args) > 0 {
		var cmdline strings.Builder
		for _, a := range s.Args { // %~dp0 may hold spaces and ends in a backslash
			cmdline.WriteString(" " + winargv.QuoteMarked(a, DirMark))
		}
		marked("SVC_ARGS", winargv.EscapeMarked(cmdline.String(), DirMark))
	}
	if len(s.FailureCommand) > 0 {
		marked("SVC_FAILCMD", failureCommand(s.FailureCommand))
	}
	_, pairs := envList(s.Env)
	for i, pair := range pairs {
		// Joined with \0 at run time, when settings may have replaced
		// some: only the last one ends the argument reg reads.
		body := crtInner(pair)
		if i == len(pairs)-1 {
			body = winargv.EscapeMarked(pair, DirMark)
		}
		marked(fmt.Sprintf("SVC_EP%d", i+1), body)
	}
	if w := s.Wrapped; w != nil {
		// %~dp0 (the script's folder, ending in \) is expanded inside the
		// quotes; the configured folder is escaped like any value.
		dir := strings.TrimRight(strings.ReplaceAll(w.LogDir, "/", `\`), `\`)
		prefix := ""
		if !IsAbs(dir) {
			prefix = "%~dp0"
		}
		lines = append(lines, `set "SVC_LOGS=`+prefix+setBody(dir)+`"`)
	}
	for i, w := range s.Writable {
		dir := strings.TrimRight(strings.ReplaceAll(w, "/", `\`), `\`)
		lines = append(lines, fmt.Sprintf(`set "SVC_W%d=%%~dp0%s"`, i+1, setBody(dir)))
	}
	return lines, joins
}

// failureCommand is the failure command's line for CreateProcess, escaped
// for sc's command= (which takes it in double quotes).
func failureCommand(cmd []string) string {
	line := winargv.QuoteProgram(cmd[0])
	for _, a := range cmd[1:] {
		line += " " + winargv.QuoteMarked(a, DirMark)
	}
	return winargv.EscapeMarked(line, DirMark)
}

// markedSet sets name to value, in which DirMark stands for the script's
// folder, without cmd ever parsing the folder outside quotes (where a & or
// ^ in it would act): the pieces between the marks and the folder are set
// each in a line of its own while delayed expansion is off, and join, run
// once it is on, puts them together (!VAR! is expanded after cmd has parsed
// the line). A value without DirMark is one plain line and no join.
func markedSet(name, value string) (sets []string, join string) {
	if !strings.Contains(value, DirMark) {
		return []string{SetLine(name, value)}, ""
	}
	sets = []string{`set "SVC_DIR=%~dp0"`}
	var b strings.Builder
	for i, piece := range strings.Split(value, DirMark) {
		if i > 0 {
			b.WriteString("!SVC_DIR!")
		}
		if piece != "" { // an unset variable would not expand to nothing everywhere
			part := fmt.Sprintf("%s_%d", name, i+1)
			sets = append(sets, SetLine(part, piece))
			b.WriteString("!" + part + "!")
		}
	}
	return sets, `set "` + name + "=" + b.String() + `"`
}

// writableIndexes numbers the writable folders as setLines names them
// (SVC_W1, ...).
func writableIndexes(ws []string) []int {
	var out []int
	for i := range ws {
		out = append(out, i+1)
	}
	return out
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

func isSep(r rune) bool { return r == '/' || r == '\\' }

// IsAbs reports whether p is an absolute Windows path (C:\x, \\server\x),
// whatever the system svcpack runs on.
func IsAbs(p string) bool {
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
	if managedAccountRE.MatchString(acct) || userAccountRE.MatchString(acct) {
		// icacls looks a name up as LookupAccountName does, which knows no
		// "." domain: a local account goes by its name alone.
		return strings.TrimPrefix(acct, `.\`)
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
	depend := ""
	if len(s.Dependencies) > 0 {
		depend = " depend= " + strings.Join(s.Dependencies, "/") // names of [A-Za-z0-9_.-] (Validate)
	}
	type setting struct {
		I                  int
		Name, Env, Value   string
		Key                string // the registry key under the service's, where it is recorded
		Args, ServiceValue bool   // sets the arguments; is written to the service's registration
	}
	var settings []setting
	var settingNames []string
	bySetting := map[string]int{}
	for i, x := range s.Settings {
		v := setting{I: i + 1, Name: x.Name, Env: x.Env, Value: x.Env, Key: `Parameters\Environment`, ServiceValue: s.Wrapped == nil}
		if x.Env == "" {
			v.Value, v.Key, v.Args = "Arguments", "Parameters", true
		} else {
			bySetting[x.Env] = i + 1
		}
		settings = append(settings, v)
		settingNames = append(settingNames, x.Name)
	}
	type piece struct {
		I, Setting int
		Key        string
	}
	var pieces []piece
	var join []string
	for i, k := range names {
		pieces = append(pieces, piece{I: i + 1, Setting: bySetting[k], Key: k})
		join = append(join, fmt.Sprintf("!SVC_EP%d!", i+1))
	}
	sets, joinLines := setLines(s)
	argsSetting := 0
	for _, v := range settings {
		if v.Args && v.ServiceValue {
			argsSetting = v.I
		}
	}
	return map[string]any{
		"Name":                s.Name,
		"DisplayName":         Percent(s.DisplayName),
		"Exe":                 s.Exe,
		"BinPath":             binPath(s),
		"Depend":              depend,
		"StartType":           st,
		"Start":               s.Start != "disabled" && s.Start != "manual",
		"Obj":                 obj,
		"PasswordAccount":     NeedsPassword(s.Account),
		"Password":            pw,
		"Sets":                sets,
		"Joins":               joinLines,
		"RestartDelayMS":      s.RestartDelay.Milliseconds(),
		"FailureActions":      failureActions(s),
		"FailureCommand":      len(s.FailureCommand) > 0,
		"CommandAfter":        s.CommandAfter,
		"ResetSeconds":        int64(s.ResetAfter.Seconds()),
		"Env":                 len(pairs) > 0,
		"EnvNames":            strings.Join(names, " "),
		"StartTimeoutSeconds": int64(s.StartTimeout.Seconds()),
		"StopTimeoutSeconds":  int64(s.StopTimeout.Seconds()),
		"Wrapped":             s.Wrapped != nil,
		"Preshutdown":         s.Wrapped != nil && s.Wrapped.Preshutdown,
		"Writable":            writableIndexes(s.Writable),
		"LogAccount":          logAccount(s.Account, s.Name),
		"Settings":            settings,
		"SettingNames":        strings.Join(settingNames, " "),
		"EnvPieces":           pieces,
		"EnvJoin":             strings.Join(join, `\0`),
		"ArgsSetting":         argsSetting,
		"EventSource":         s.EventSource,
	}, nil
}

func render(name string, data any) ([]byte, error) {
	t, err := templates.Parse(name, template.FuncMap{"argv": winargv.Quote})
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

// rotation says in README.txt when the wrapper rotates a log.
func rotation(rotate string) string {
	switch rotate {
	case "hourly":
		return "at its maximum size and when the hour (UTC) changes"
	case "daily":
		return "at its maximum size and when the day (UTC) changes"
	}
	return "at its maximum size"
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
	shown := func(v string) string {
		if !strings.Contains(v, DirMark) {
			return v
		}
		// The "." that keeps a folder argument from ending in a backslash
		// is for the C runtime, not for the reader.
		return strings.TrimSuffix(strings.ReplaceAll(v, DirMark, `<this folder>\`), `\.`)
	}
	shownAll := func(vs []string) []string {
		var out []string
		for _, v := range vs {
			out = append(out, shown(v))
		}
		return out
	}
	_, pairs := envList(s.Env)
	var wrapped map[string]any
	if w := s.Wrapped; w != nil {
		_, wpairs := envList(w.Env)
		pairs = wpairs
		wrapped = map[string]any{"Program": w.Program, "Args": shownAll(w.Args), "Config": w.Config, "LogDir": w.LogDir,
			"Split": w.SplitLogs, "Rotation": rotation(w.Rotate), "Compress": w.Compress}
	}
	pairs = shownAll(pairs)
	return render("windows-readme.txt.tmpl", map[string]any{
		"Wrapped": wrapped, "Password": NeedsPassword(s.Account), "EventSource": s.EventSource,
		"Name": s.Name, "DisplayName": s.DisplayName, "Description": s.Description, "Exe": s.Exe,
		"Args": shownAll(s.Args), "Account": acct, "StartType": st,
		"RestartDelay": s.RestartDelay.String(), "ResetAfter": s.ResetAfter.String(),
		"Version": info.Version, "Arch": info.Arch, "Files": info.Files, "Env": pairs,
		"License": info.License, "Homepage": info.Homepage, "Settings": s.Settings,
	})
}
