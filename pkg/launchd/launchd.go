// Package launchd renders what a macOS daemon needs: a launchd property list
// for /Library/LaunchDaemons (reverse-DNS Label, ProgramArguments,
// RunAtLoad, KeepAlive restarting only on failure unless told to always
// restart, ThrottleInterval as the restart delay, log paths, UserName) and an
// install.sh that places it and starts it with launchctl bootstrap (the
// legacy load/unload fail on macOS 13 and later).
package launchd

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/svcpack/svcpack/templates"
)

// Options describes the daemon.
type Options struct {
	// Name is the program's file name (installed as /usr/local/bin/<Name>;
	// logs go to /Library/Logs/<Name>).
	Name string
	// Label is the daemon's reverse-DNS launchd label, such as
	// com.example.hello; the plist is <Label>.plist.
	Label string
	// Args follow the program in ProgramArguments.
	Args []string
	// Env is EnvironmentVariables.
	Env map[string]string
	// UserName runs the daemon as that user (root when empty).
	UserName string
	// Always restarts after any exit; otherwise only after a failure.
	Always bool
	// Manual installs the daemon disabled (launchctl disable): launchd
	// starts it neither now nor at boot until it is enabled and
	// bootstrapped, as install.sh says.
	Manual bool
	// RestartDelay is ThrottleInterval (at least 1 s).
	RestartDelay time.Duration
	// Configs are configuration file paths relative to the folder, installed
	// under /usr/local/etc/<name> unless already there.
	Configs []string
}

// labelRE is what launchd labels and the plist file name can hold.
var labelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate reports what Plist and InstallScript would reject.
func (o Options) Validate() error {
	_, err := o.data()
	return err
}

// xmlText escapes s for the text of a plist element.
func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// shellWord is s as one POSIX shell word in single quotes.
func shellWord(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	userRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// check refuses what the plist and install.sh cannot carry as data: names
// outside their grammar (they become file names and paths), and control
// characters (XML 1.0 cannot hold most of them, escaped or not, and a line
// break would end a shell word's line).
func (o Options) check() error {
	if !labelRE.MatchString(o.Label) {
		return fmt.Errorf("launchd: label %q: want letters, digits, '.', '_' or '-' (a reverse-DNS name such as com.example.hello)", o.Label)
	}
	if !nameRE.MatchString(o.Name) {
		return fmt.Errorf("launchd: name %q: want letters, digits, '.', '_' or '-'", o.Name)
	}
	if o.UserName != "" && !userRE.MatchString(o.UserName) {
		return fmt.Errorf("launchd: user %q: want a macOS account name", o.UserName)
	}
	texts := append(append([]string(nil), o.Args...), o.Configs...)
	for k, v := range o.Env {
		texts = append(texts, k, v)
	}
	for _, v := range texts {
		for _, r := range v {
			if r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0xfffe || r == 0xffff {
				return fmt.Errorf("launchd: %q holds the control character %U, which a plist cannot carry", v, r)
			}
		}
	}
	for _, c := range o.Configs {
		if strings.HasPrefix(c, "/") || strings.Contains("/"+c+"/", "/../") {
			return fmt.Errorf("launchd: config file %q: want a path inside the folder", c)
		}
	}
	return nil
}

// BinDir is where install.sh puts the program.
const BinDir = "/usr/local/bin"

// ConfDir is where install.sh puts the configuration files of name.
func ConfDir(name string) string { return "/usr/local/etc/" + name }

// StateDir is the daemon's working directory, which install.sh makes and
// gives to its user.
func StateDir(name string) string { return "/usr/local/var/lib/" + name }

// LogDir is where the daemon's output goes, which install.sh makes and
// gives to its user.
func LogDir(name string) string { return "/Library/Logs/" + name }

func (o Options) data() (map[string]any, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	bin := BinDir + "/" + o.Name
	type kv struct{ K, V string }
	var env []kv
	for _, k := range slices.Sorted(maps.Keys(o.Env)) {
		env = append(env, kv{k, o.Env[k]})
	}
	throttle := int(o.RestartDelay.Seconds())
	if throttle < 1 {
		throttle = 1
	}
	return map[string]any{
		"Name": o.Name, "Label": o.Label, "Program": append([]string{bin}, o.Args...), "Env": env,
		"UserName": o.UserName, "Always": o.Always, "Manual": o.Manual, "Throttle": throttle,
		"Bin": bin, "ConfDir": ConfDir(o.Name), "LogDir": LogDir(o.Name),
		"WorkingDirectory": StateDir(o.Name), "Configs": o.Configs,
	}, nil
}

func render(name string, o Options) ([]byte, error) {
	d, err := o.data()
	if err != nil {
		return nil, err
	}
	t, err := templates.Parse(name, template.FuncMap{"x": xmlText, "sh": shellWord})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("launchd: %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// Plist renders <Label>.plist: every value is XML-escaped.
func Plist(o Options) ([]byte, error) { return render("launchd.plist.tmpl", o) }

// InstallScript renders install.sh: every value is a single-quoted shell
// word.
func InstallScript(o Options) ([]byte, error) { return render("darwin-install.sh.tmpl", o) }
