package config

import (
	"strings"
	"testing"
)

// TestFailureCommand: the failure command's program is one the service
// manager finds from System32 (absolute, under {{.InstallDir}}, or a name
// Windows searches for), its count of restarts is in range, and each error
// names the field, the value and the fix.
func TestFailureCommand(t *testing.T) {
	const from = "  restart: {delay: 3s}\n"
	for _, tc := range []struct {
		name, restart string
		want          []string // substrings of the error; none: loads
		warn          string
	}{
		{"install dir", `{command: ["{{.InstallDir}}/tools/notify.exe", "--state", "{{.StateDir}}", "a \"b\" 100% & ^"]}`, nil, ""},
		{"absolute", `{command: ['C:\Tools\notify.exe'], command_after: 0}`, nil, ""},
		{"unc", `{command: ['\\server\share\notify.exe']}`, nil, ""},
		{"bare name", `{command: [cmd.exe, /c, "echo failed"], command_after: 3}`, nil, ""},
		{"relative", `{command: [tools/notify.exe]}`,
			[]string{"service.restart.command[0]", `"tools/notify.exe" is a relative path`, "System32",
				"write {{.InstallDir}}/tools/notify.exe"}, ""},
		{"dot relative", `{command: ['.\notify.exe']}`, []string{`is a relative path`, "{{.InstallDir}}/notify.exe"}, ""},
		{"shipped bare name", `{command: [hello.exe, notify]}`,
			[]string{`"hello.exe" is shipped in the install folder`, "write {{.InstallDir}}/hello.exe"}, ""},
		{"shipped file", `{command: [conf.yaml]}`, []string{`"conf.yaml" is shipped`}, ""},
		{"other place", `{command: ["{{.StateDir}}/x.exe"]}`, []string{"names {{.StateDir}}", "only {{.InstallDir}}, at its start"}, ""},
		{"place inside", `{command: ["C:/x{{.InstallDir}}"]}`, []string{"only {{.InstallDir}}, at its start"}, ""},
		{"folder", `{command: ["{{.InstallDir}}"]}`, []string{"names the install folder without a file"}, ""},
		{"folder slash", `{command: ["{{.InstallDir}}/"]}`, []string{"ends in a separator"}, ""},
		{"quote", `{command: ['C:\a"b.exe']}`, []string{`holds one of " * ? < > |`}, ""},
		{"empty", `{command: [""]}`, []string{`service.restart.command[0]: "" is empty`}, ""},
		{"control", `{command: [cmd.exe, "a\rb"]}`, []string{"service.restart.command", "control character"}, ""},
		{"bad variable", `{command: [cmd.exe, "{{.Version}}"]}`, []string{"service.restart.command", "{{.Version}}", "not a place variable"}, ""},
		{"after range", `{command: [cmd.exe], command_after: 11}`,
			[]string{"service.restart.command_after", "11 is out of range", "0 to 10"}, ""},
		{"after negative", `{command: [cmd.exe], command_after: -1}`, []string{"-1 is out of range"}, ""},
		{"after alone", `{command_after: 1}`, nil, "service.restart.command_after: warning: is set, but service.restart.command is not"},
		{"cmd with a script and arguments", `{command: ['C:\Windows\System32\CMD.EXE', /C, "{{.InstallDir}}/x.cmd", "{{.LogDir}}"]}`,
			nil, "service.restart.command: warning: runs cmd /C with 2 arguments: cmd reads the rest of its line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(good, from, "  restart: "+tc.restart+"\n", 1)
			s, err := load(project(t, yaml), env())
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				w := strings.Join(s.Warnings, "\n")
				if tc.warn != "" && !strings.Contains(w, tc.warn) {
					t.Errorf("warnings %q lack %q", w, tc.warn)
				} else if tc.warn == "" && strings.Contains(w, "service.restart.command") {
					t.Errorf("warnings %q, want none of service.restart.command", w)
				}
				return
			}
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestFailureCommandDefaults: command_after is 2 unless written, and 0
// written stays 0; a command without a Windows target is a warning.
func TestFailureCommandDefaults(t *testing.T) {
	const from = "  restart: {delay: 3s}\n"
	for restart, want := range map[string]int{"{command: [cmd.exe]}": 2, "{command: [cmd.exe], command_after: 0}": 0} {
		s, err := load(project(t, strings.Replace(good, from, "  restart: "+restart+"\n", 1)), env())
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Service.Restart.CommandAfter; got != want {
			t.Errorf("%s: command_after %d, want %d", restart, got, want)
		}
	}
	yaml := strings.Replace(good, from, "  restart: {command: [cmd.exe]}\n", 1)
	yaml = strings.Replace(yaml, "[linux/amd64, windows/amd64]", "[linux/amd64]", 1)
	s, err := load(project(t, yaml), env())
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(s.Warnings, "\n"); !strings.Contains(w, "service.restart.command: warning: is set, but no Windows "+
		"target is planned") || !strings.Contains(w, "OnFailure=") {
		t.Errorf("warnings %q", w)
	}
}
