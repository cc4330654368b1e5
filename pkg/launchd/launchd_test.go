package launchd

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
