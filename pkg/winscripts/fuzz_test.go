package winscripts

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/svcpack/svcpack/internal/textread"
)

// FuzzInstallScript renders install-service.cmd from arbitrary values and
// reads it back the way cmd, sc and the program would: every value sits in
// a set line that cmd reads as exactly the value, and the command line sc
// registers splits into exactly the configured arguments.
func FuzzInstallScript(f *testing.F) {
	for _, s := range []string{"x", "a b", `a b\`, `x"y`, `"`, `\\"`, "100%", "%PATH%", "!x!", `^&|<>()`, "", `a"&b`, `"&"&"`, "é日本"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, arg, display string) {
		if !utf8.ValidString(arg) || !utf8.ValidString(display) {
			return
		}
		s := Service{Name: "svc", Exe: "svc.exe", DisplayName: display, Args: []string{arg, "next"}, Env: map[string]string{"V": arg},
			FailureCommand: []string{DirMark + "n.exe", arg, DirMark + arg}}
		b, err := Install(s)
		if err != nil {
			return
		}
		vars := map[string]string{}
		block := false // in the block of set lines that hold the values
		for _, l := range strings.Split(string(b), "\r\n") {
			if strings.HasPrefix(l, `set "SVC_NAME=`) {
				block = true
			}
			if !block || !strings.HasPrefix(l, `set "SVC_`) {
				block = false
				if display != "" && len(display) > 4 && strings.Contains(l, display) {
					t.Fatalf("the display name appears outside a set line: %s", l)
				}
				continue
			}
			if strings.HasPrefix(l, `set "SVC_EXE=`) || strings.HasPrefix(l, `set "SVC_KEY=`) || strings.HasPrefix(l, `set "SVC_NAME=`) ||
				strings.HasPrefix(l, `set "SVC_DIR=`) {
				continue
			}
			name, value, err := textread.CmdSet(l)
			if err != nil {
				t.Fatalf("cmd misreads %s: %v", l, err)
			}
			vars[name] = value
		}
		// sc takes binPath= "\"<exe>\"<SVC_ARGS>" as one argument.
		bin := textread.Argv(`sc create svc binPath= "\"C:\x\svc.exe\"` + vars["SVC_ARGS"] + `"`)
		if len(bin) != 5 {
			t.Fatalf("sc gets %q", bin)
		}
		if got := textread.Argv(bin[4]); !slices.Equal(got, []string{`C:\x\svc.exe`, arg, "next"}) {
			t.Errorf("the program gets %q, want [C:\\x\\svc.exe %q next]", got, arg)
		}
		want := display
		if want == "" {
			want = s.Name // the default
		}
		if got := textread.Argv(`sc x DisplayName= "` + vars["SVC_DISPLAY"] + `"`); len(got) != 4 || got[3] != want {
			t.Errorf("sc gets the display name %q, want %q", got, want)
		}
		// The failure command's pieces, joined around the folder once
		// delayed expansion is on, as sc's command=; the service manager
		// starts the program in the folder with the arguments.
		join := regexp.MustCompile(`(?m)^set "SVC_FAILCMD=(.*)"\r$`).FindStringSubmatch(string(b))
		if join == nil {
			t.Fatal("no join of the failure command")
		}
		cmd := regexp.MustCompile(`!([A-Z_0-9]+)!`).ReplaceAllStringFunc(join[1], func(v string) string {
			if v == "!SVC_DIR!" {
				return `C:\x\`
			}
			return vars[strings.Trim(v, "!")]
		})
		fail := textread.Argv(`sc failure svc command= "` + cmd + `" actions= run/0`)
		if len(fail) != 7 {
			t.Fatalf("sc failure gets %q", fail)
		}
		if got := textread.Argv(fail[4]); !slices.Equal(got, []string{`C:\x\n.exe`, arg, `C:\x\` + arg}) {
			t.Errorf("the failure command gets %q, want [C:\\x\\n.exe %q C:\\x\\%s]", got, arg, arg)
		}
		// The script joins the variables' pieces (one here) with \0.
		env := vars["SVC_EP1"]
		if got := textread.Argv(`reg add k /d "` + env + `"`); len(got) != 5 || got[4] != `V=`+arg {
			t.Errorf("reg gets the environment %q, want V=%s", got, arg)
		}
	})
}
