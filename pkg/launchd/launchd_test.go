package launchd

import (
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
// started by hand (Manual) is disabled and not bootstrapped, so launchd
// runs it neither now nor at boot; otherwise it is enabled and
// bootstrapped.
func TestInstallScriptStart(t *testing.T) {
	sh := testtool.Need(t, "sh", "dash")
	for _, manual := range []bool{false, true} {
		o := example()
		o.Manual = manual
		b, err := InstallScript(o)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		calls := filepath.Join(dir, "calls")
		script := filepath.Join(dir, "install.sh")
		os.WriteFile(script, b, 0o755)
		bin := filepath.Join(dir, "bin")
		os.Mkdir(bin, 0o755)
		for name, body := range map[string]string{
			"launchctl": `echo "launchctl $*" >> "$CALLS"; [ "$1" != print ]`,
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
			t.Fatalf("manual=%v: %v\n%s", manual, err, out)
		}
		got, _ := os.ReadFile(calls)
		has := func(s string) bool { return strings.Contains(string(got), s) }
		plist := "/Library/LaunchDaemons/com.example.hello.plist"
		if manual {
			if !has("launchctl disable system/com.example.hello") || has("launchctl bootstrap") || has("launchctl enable") {
				t.Errorf("manual: want disabled and not bootstrapped; calls:\n%s", got)
			}
			if !strings.Contains(string(out), "sudo launchctl bootstrap system "+plist) {
				t.Errorf("manual: install.sh does not say how to start it:\n%s", out)
			}
		} else if !has("launchctl enable system/com.example.hello") || !has("launchctl bootstrap system "+plist) {
			t.Errorf("want enabled and bootstrapped; calls:\n%s", got)
		}
	}
}
