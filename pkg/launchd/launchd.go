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
	"regexp"
	"sort"
	"strings"
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

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// shellSafe rejects what the single-quoted install.sh cannot carry.
func shellSafe(field, v string) error {
	if strings.ContainsAny(v, "'\n\r\x00") {
		return fmt.Errorf("launchd: %s %q holds a quote or line break, which install.sh cannot carry", field, v)
	}
	return nil
}

func (o Options) data() (map[string]any, error) {
	if !labelRE.MatchString(o.Label) {
		return nil, fmt.Errorf("launchd: label %q: want letters, digits, '.', '_' or '-' (a reverse-DNS name such as com.example.hello)", o.Label)
	}
	for f, v := range map[string]string{"name": o.Name, "user": o.UserName} {
		if err := shellSafe(f, v); err != nil {
			return nil, err
		}
	}
	for _, c := range o.Configs {
		if err := shellSafe("config file", c); err != nil {
			return nil, err
		}
	}
	bin := "/usr/local/bin/" + o.Name
	program := []string{esc(bin)}
	for _, a := range o.Args {
		program = append(program, esc(a))
	}
	type kv struct{ K, V string }
	var env []kv
	keys := make([]string, 0, len(o.Env))
	for k := range o.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, kv{esc(k), esc(o.Env[k])})
	}
	throttle := int(o.RestartDelay.Seconds())
	if throttle < 1 {
		throttle = 1
	}
	return map[string]any{
		"Name": o.Name, "Label": o.Label, "Program": program, "Env": env,
		"UserName": esc(o.UserName), "Always": o.Always, "Throttle": throttle,
		"Bin": bin, "ConfDir": "/usr/local/etc/" + o.Name, "LogDir": "/Library/Logs/" + o.Name,
		"WorkingDirectory": "/usr/local/var/lib/" + o.Name, "Configs": o.Configs,
	}, nil
}

func render(name string, o Options) ([]byte, error) {
	d, err := o.data()
	if err != nil {
		return nil, err
	}
	t, err := templates.Parse(name, nil)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("launchd: %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// Plist renders <Label>.plist.
func Plist(o Options) ([]byte, error) { return render("launchd.plist.tmpl", o) }

// InstallScript renders install.sh.
func InstallScript(o Options) ([]byte, error) { return render("darwin-install.sh.tmpl", o) }
