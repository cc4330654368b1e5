package config

import (
	"path"
	"strings"
)

// MaxCommandAfter bounds service.restart.command_after: the restarts the
// Windows service manager tries before the failure command runs.
const MaxCommandAfter = 10

// DefaultCommandAfter is service.restart.command_after's default.
const DefaultCommandAfter = 2

// checkFailureCommand checks service.restart.command: a program the
// Windows service manager can find whatever its working directory
// (System32), and arguments that are data. The texts' own rule (places,
// control characters) is in textRules.
func (c *Spec) checkFailureCommand(p *Problems) {
	r := c.Service.Restart
	if n := r.CommandAfter; n < 0 || n > MaxCommandAfter {
		p.Add("service.restart.command_after", "%d is out of range: want the number of restarts before "+
			"service.restart.command runs, 0 to %d (default %d)", n, MaxCommandAfter, DefaultCommandAfter)
	}
	if len(r.Command) == 0 {
		if c.lines["service.restart.command_after"] > 0 {
			p.Warn("service.restart.command_after", "is set, but service.restart.command is not: "+
				"name the command to run after %d restarts, or remove command_after", r.CommandAfter)
		}
		return
	}
	if !c.HasOS("windows") {
		p.Warn("service.restart.command", "is set, but no Windows target is planned: only the Windows "+
			"installers run a command on failure (systemd's counterpart is OnFailure= in a drop-in)")
	}
	if msg := c.failureProgram(r.Command[0]); msg != "" {
		p.Add("service.restart.command[0]", "%q %s", r.Command[0], msg)
	}
	if i := cmdSwitch(r.Command); i > 0 && len(r.Command) > i+2 {
		p.Warn("service.restart.command", "runs cmd %s with %d arguments: cmd reads the rest of its line its own "+
			"way and strips the first and last quote of it, which breaks quoted arguments; name the script "+
			"itself as the program ({{.InstallDir}}/on-failure.cmd)", r.Command[i], len(r.Command)-i-1)
	}
}

// cmdSwitch is the index of cmd.exe's /c or /k in a command run by cmd,
// or 0.
func cmdSwitch(cmd []string) int {
	if base := strings.ToLower(path.Base(strings.ReplaceAll(cmd[0], `\`, "/"))); base != "cmd" && base != "cmd.exe" {
		return 0
	}
	for i, a := range cmd[1:] {
		if strings.EqualFold(a, "/c") || strings.EqualFold(a, "/k") {
			return i + 1
		}
	}
	return 0
}

// failureProgram is what is wrong with the failure command's program, or
// "". The service manager starts it with CreateProcess from System32, so a
// relative path would name a file there: the program is an absolute
// path, a path under {{.InstallDir}}, or a bare name Windows searches for.
func (c *Spec) failureProgram(v string) string {
	const want = "want an absolute path (C:\\Tools\\notify.exe), a path under the install folder " +
		"({{.InstallDir}}/notify.exe, or a script itself: {{.InstallDir}}/on-failure.cmd) or a program Windows " +
		"finds by name (powershell.exe -File for a .ps1)"
	if v == "" {
		return "is empty: " + want
	}
	t, err := ParsePlaces(v)
	if err != nil {
		return "" // the text rule says why
	}
	if strings.ContainsAny(t.Render(func(Place) string { return "" }, nil), `"*?<>|`) {
		return `holds one of " * ? < > |, which no Windows file name can: ` + want
	}
	if strings.HasSuffix(v, `\`) || strings.HasSuffix(v, "/") {
		return "ends in a separator, so it names a folder: " + want
	}
	for i, part := range t {
		if part.Place != 0 && (part.Place != InstallDir || i != 0) {
			return "names " + part.Place.String() + ": the program may name only {{.InstallDir}}, at its start; " + want
		}
	}
	if t.Uses(InstallDir) {
		if len(t) < 2 || !strings.HasPrefix(t[1].Text, "/") && !strings.HasPrefix(t[1].Text, `\`) ||
			strings.Trim(t[1].Text, `/\`) == "" {
			return "names the install folder without a file in it: " + want
		}
		return ""
	}
	if absWindows(v) {
		return ""
	}
	if strings.ContainsAny(v, `/\`) || strings.HasPrefix(v, ".") {
		return "is a relative path, which the service manager would look up from System32, not the install " +
			"folder: write {{.InstallDir}}/" + strings.TrimLeft(strings.ReplaceAll(v, `\`, "/"), "./") + ", or " + want
	}
	if c.shipsFile(v) {
		return "is shipped in the install folder, but a bare name is looked up in System32 and the PATH: " +
			"write {{.InstallDir}}/" + v
	}
	return ""
}

// absWindows reports whether v is an absolute Windows path: C:\x or
// \\server\share\x.
func absWindows(v string) bool {
	return len(v) >= 3 && v[1] == ':' && (v[2] == '\\' || v[2] == '/') && isLetter(v[0]) ||
		strings.HasPrefix(v, `\\`)
}

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// shipsFile reports whether name is a file the Windows packages put in the
// install folder: the program, the wrapper, a files[].dst at its top.
func (c *Spec) shipsFile(name string) bool {
	shipped := []string{c.Name + ".exe", WrapperExe}
	for _, f := range c.Files {
		shipped = append(shipped, path.Clean(DstPath(f.Dst)))
	}
	for _, s := range shipped {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}
