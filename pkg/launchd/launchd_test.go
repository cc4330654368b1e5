package launchd

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

func example() Options {
	return Options{
		Name: "hello", Label: "com.example.hello", Args: []string{"run", "-addr", "127.0.0.1:8080"},
		Env: map[string]string{"PORT": "8080", "GREETING": "Hi & <bye>"}, UserName: "_hello",
		RestartDelay: 5 * time.Second, Configs: []string{"config.yaml"},
	}
}

// readPlist reads the plist at p with Python's plistlib.
func readPlist(t *testing.T, py, p string) map[string]any {
	t.Helper()
	out, err := exec.Command(py, "-c", "import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],'rb'))))", p).CombinedOutput()
	if err != nil {
		t.Fatalf("plistlib: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPlistParses reads the plist with Python's plistlib (an independent
// parser) and checks the keys.
func TestPlistParses(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		testtool.Missing(t, "/usr/bin/python3 (Debian package python3)")
	}
	b, err := Plist(example())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "x.plist")
	os.WriteFile(p, b, 0o644)
	got := readPlist(t, py, p)
	want := map[string]any{
		"Label":                "com.example.hello",
		"ProgramArguments":     []any{"/usr/local/bin/hello", "run", "-addr", "127.0.0.1:8080"},
		"RunAtLoad":            true,
		"KeepAlive":            map[string]any{"SuccessfulExit": false},
		"UserName":             "_hello",
		"StandardOutPath":      "/Library/Logs/hello/hello.log",
		"StandardErrorPath":    "/Library/Logs/hello/hello.err.log",
		"ThrottleInterval":     float64(5),
		"EnvironmentVariables": map[string]any{"PORT": "8080", "GREETING": "Hi & <bye>"},
	}
	for k, v := range want {
		gj, _ := json.Marshal(got[k])
		wj, _ := json.Marshal(v)
		if string(gj) != string(wj) {
			t.Errorf("%s = %s, want %s", k, gj, wj)
		}
	}
	o := example()
	o.Always, o.Label, o.UserName = true, "local.hello", ""
	b, _ = Plist(o)
	if !strings.Contains(string(b), "<string>local.hello</string>") || strings.Contains(string(b), "UserName") || !strings.Contains(string(b), "<key>KeepAlive</key>\n\t<true/>") {
		t.Errorf("always/no user/local label plist:\n%s", b)
	}
}

func TestInstallScript(t *testing.T) {
	sh := testtool.Need(t, "sh", "dash")
	b, err := InstallScript(example())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "install.sh")
	os.WriteFile(p, b, 0o755)
	if out, err := exec.Command(sh, "-n", p).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s", err, out)
	}
	s := string(b)
	for _, want := range []string{"launchctl bootstrap system", "launchctl bootout", "/Library/LaunchDaemons/$LABEL.plist", "-o root -g wheel", "LABEL='com.example.hello'"} {
		if !strings.Contains(s, want) {
			t.Errorf("install.sh lacks %q", want)
		}
	}
	if strings.Contains(s, "launchctl load") {
		t.Error("install.sh uses the legacy launchctl load")
	}
	o := example()
	o.UserName = "bad'user"
	if _, err := InstallScript(o); err == nil {
		t.Error("a quote in the user name was accepted")
	}
}

// TestInstallScriptStart runs install.sh against stand-ins of launchctl,
// id, install and chown that record what they are asked: a daemon
// started by hand (Manual) is, on a first install, disabled and not
// bootstrapped, so launchd runs it neither now nor at boot; an upgrade of
// one keeps it running if it ran, and touches nothing if not. Otherwise it
// is enabled and bootstrapped.
func TestInstallScriptStart(t *testing.T) {
	sh := testtool.Need(t, "sh", "dash")
	for _, tc := range []struct {
		name            string
		manual, upgrade bool
		running         bool
		want, wantNot   []string
	}{
		{"auto", false, false, false, []string{"launchctl enable", "launchctl bootstrap"}, []string{"launchctl disable"}},
		{"auto upgrade", false, true, true, []string{"launchctl bootout", "launchctl enable", "launchctl bootstrap"}, []string{"launchctl disable"}},
		{"manual", true, false, false, []string{"launchctl disable"}, []string{"launchctl bootstrap", "launchctl enable"}},
		{"manual upgrade, running", true, true, true, []string{"launchctl bootout", "launchctl bootstrap"}, []string{"launchctl disable", "launchctl enable"}},
		{"manual upgrade, stopped", true, true, false, nil, []string{"launchctl disable", "launchctl enable", "launchctl bootstrap"}},
	} {
		o := example()
		o.Manual = tc.manual
		b, err := InstallScript(o)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		daemons := filepath.Join(dir, "LaunchDaemons")
		os.Mkdir(daemons, 0o755)
		b = bytes.ReplaceAll(b, []byte("/Library/LaunchDaemons"), []byte(daemons))
		plist := filepath.Join(daemons, "com.example.hello.plist")
		if tc.upgrade {
			os.WriteFile(plist, nil, 0o644)
		}
		calls := filepath.Join(dir, "calls")
		script := filepath.Join(dir, "install.sh")
		os.WriteFile(script, b, 0o755)
		bin := filepath.Join(dir, "bin")
		os.Mkdir(bin, 0o755)
		print := `[ "$1" != print ]`
		if tc.running {
			print = "true"
		}
		for name, body := range map[string]string{
			"launchctl": `echo "launchctl $*" >> "$CALLS"; ` + print,
			"id":        `echo 0`,
			"install":   `echo "install $*" >> "$CALLS"`,
			"chown":     `echo "chown $*" >> "$CALLS"`,
		} {
			os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755)
		}
		cmd := exec.Command(sh, script)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CALLS="+calls)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, out)
		}
		got, _ := os.ReadFile(calls)
		for _, w := range tc.want {
			if !strings.Contains(string(got), w) {
				t.Errorf("%s: launchctl was not asked to %q; calls:\n%s", tc.name, w, got)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(string(got), w) {
				t.Errorf("%s: launchctl was asked to %q; calls:\n%s", tc.name, w, got)
			}
		}
		if tc.manual && !tc.running && !strings.Contains(string(out), "sudo launchctl bootstrap system "+plist) {
			t.Errorf("%s: install.sh does not say how to start it:\n%s", tc.name, out)
		}
	}
}

// optionNames are configured names a command would read as options if
// they reached it first.
var optionNames = []string{"-rf", "--help", "-x"}

// TestInstallScriptOptionNames runs install.sh, in a temporary root, with
// configuration files named like options (-rf, --help, -x): stand-ins for
// install, chown, id, rm and launchctl record each call's argv (install
// and rm then run the real commands, so the files land). Every argument
// made of such a name must come after -- and be anchored (./-rf or an
// absolute path). Names the encoder cannot anchor (the program, label and
// user) it refuses.
func TestInstallScriptOptionNames(t *testing.T) {
	sh := testtool.Need(t, "sh", "dash")
	realInstall, realRm := testtool.Need(t, "install", "coreutils"), testtool.Need(t, "rm", "coreutils")
	o := example()
	o.Configs = append(append([]string(nil), optionNames...), "conf/-y")
	b, err := InstallScript(o)
	if err != nil {
		t.Fatal(err)
	}
	dir, root := t.TempDir(), t.TempDir()
	for _, p := range []string{"/usr/local/", "/Library/"} {
		b = bytes.ReplaceAll(b, []byte(p), []byte(root+p))
	}
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	for _, f := range append(o.Configs, "hello", "com.example.hello.plist") {
		os.WriteFile(filepath.Join(dir, f), []byte("file "+f+"\n"), 0o644)
	}
	script := filepath.Join(dir, "install.sh")
	os.WriteFile(script, b, 0o755)
	if out, err := exec.Command(sh, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "bin")
	os.Mkdir(bin, 0o755)
	record := `printf '%s' "$(basename "$0")" >> "$CALLS"; printf '\037%s' "$@" >> "$CALLS"; echo >> "$CALLS"` + "\n"
	for name, body := range map[string]string{
		"launchctl": `[ "$1" != print ]`,
		"id":        `[ $# != 1 ] || echo 0`,
		"chown":     `true`,
		"install":   `for a; do [ "$a" != -o ] || exit 0; done; exec ` + realInstall + ` "$@"`,
		"rm":        `exec ` + realRm + ` "$@"`,
	} {
		os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+record+body+"\n"), 0o755)
	}
	calls := filepath.Join(t.TempDir(), "calls")
	for _, args := range [][]string{nil, {"--uninstall"}} {
		cmd := exec.Command(sh, append([]string{script}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CALLS="+calls)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("install.sh %v: %v\n%s", args, err, out)
		}
	}
	for _, f := range o.Configs {
		got, err := os.ReadFile(filepath.Join(root, "usr/local/etc/hello", f))
		if string(got) != "file "+f+"\n" {
			t.Errorf("configuration file %s was not installed: %q, %v", f, got, err)
		}
	}
	data, _ := os.ReadFile(calls)
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		argv := strings.Split(line, "\037")
		end := slices.Index(argv, "--")
		if argv[0] != "launchctl" && !(argv[0] == "id" && len(argv) == 2) && end < 0 {
			t.Errorf("%s was given no --: %q", argv[0], argv)
		}
		for i, a := range argv[1:] {
			for _, v := range append(optionNames, "-y") {
				if a != v && !strings.HasSuffix(a, "/"+v) {
					continue
				}
				seen[v] = true
				if i+1 <= end || strings.HasPrefix(a, "-") {
					t.Errorf("%s reads %q as an option: %q", argv[0], a, argv)
				}
			}
		}
	}
	for _, v := range append(optionNames, "-y") {
		if !seen[v] {
			t.Errorf("no command was given %s; calls:\n%s", v, data)
		}
	}
	for _, v := range append(optionNames, "/delete") {
		for field, edit := range map[string]func(*Options){
			"name": func(o *Options) { o.Name = v }, "label": func(o *Options) { o.Label = v },
			"user": func(o *Options) { o.UserName = v },
		} {
			o := example()
			edit(&o)
			if _, err := InstallScript(o); err == nil {
				t.Errorf("%s %q was accepted", field, v)
			}
		}
	}
}
