package winscripts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// cmdSet reads a `set "NAME=value"` line as cmd.exe does with delayed
// expansion off: %% is one %, a lone % would expand a variable (an error
// here); outside quotes ^ escapes the next character and & | < > would end
// the command (an error); set takes the text up to the last quote.
func cmdSet(line string) (name, value string, err error) {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '%' {
			if i+1 < len(line) && line[i+1] == '%' {
				i++
			} else {
				return "", "", fmt.Errorf("a lone %% at %d", i)
			}
		}
		b.WriteByte(line[i])
	}
	p1 := b.String()
	b.Reset()
	in := false
	for i := 0; i < len(p1); i++ {
		c := p1[i]
		switch {
		case c == '"':
			in = !in
		case !in && c == '^' && i+1 < len(p1):
			i++
			c = p1[i]
		case !in && strings.IndexByte("&|<>", c) >= 0:
			return "", "", fmt.Errorf("%q outside quotes at %d", c, i)
		}
		b.WriteByte(c)
	}
	p2 := b.String()
	rest, ok := strings.CutPrefix(p2, `set "`)
	j := strings.LastIndexByte(rest, '"')
	if !ok || j < 0 {
		return "", "", fmt.Errorf("not a set line: %s", line)
	}
	name, value, _ = strings.Cut(rest[:j], "=")
	return name, value, nil
}

// argv splits a command line by the C runtime's (and CommandLineToArgvW's)
// rules: blanks separate outside quotes; 2n backslashes and a quote are n
// backslashes and a toggle, 2n+1 backslashes and a quote are n backslashes
// and a literal quote; other backslashes are literal.
func argv(cmdline string) []string {
	var args []string
	var w strings.Builder
	in, started := false, false
	for i := 0; i < len(cmdline); {
		c := cmdline[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(cmdline) && cmdline[i] == '\\' {
				n++
				i++
			}
			if i < len(cmdline) && cmdline[i] == '"' {
				w.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					w.WriteByte('"')
					i++
				}
			} else {
				w.WriteString(strings.Repeat(`\`, n))
			}
			started = true
			continue
		case c == '"':
			in = !in
			started = true
		case (c == ' ' || c == '\t') && !in:
			if started {
				args = append(args, w.String())
				w.Reset()
				started = false
			}
		default:
			w.WriteByte(c)
			started = true
		}
		i++
	}
	if started {
		args = append(args, w.String())
	}
	return args
}

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
		s := Service{Name: "svc", Exe: "svc.exe", DisplayName: display, Args: []string{arg, "next"}, Env: map[string]string{"V": arg}}
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
			if strings.HasPrefix(l, `set "SVC_EXE=`) || strings.HasPrefix(l, `set "SVC_KEY=`) || strings.HasPrefix(l, `set "SVC_NAME=`) {
				continue
			}
			name, value, err := cmdSet(l)
			if err != nil {
				t.Fatalf("cmd misreads %s: %v", l, err)
			}
			vars[name] = value
		}
		// sc takes binPath= "\"<exe>\"<SVC_ARGS>" as one argument.
		bin := argv(`sc create svc binPath= "\"C:\x\svc.exe\"` + vars["SVC_ARGS"] + `"`)
		if len(bin) != 5 {
			t.Fatalf("sc gets %q", bin)
		}
		if got := argv(bin[4]); !slices.Equal(got, []string{`C:\x\svc.exe`, arg, "next"}) {
			t.Errorf("the program gets %q, want [C:\\x\\svc.exe %q next]", got, arg)
		}
		want := display
		if want == "" {
			want = s.Name // the default
		}
		if got := argv(`sc x DisplayName= "` + vars["SVC_DISPLAY"] + `"`); len(got) != 4 || got[3] != want {
			t.Errorf("sc gets the display name %q, want %q", got, want)
		}
		// The script joins the variables' pieces (one here) with \0.
		env := vars["SVC_EP1"]
		if got := argv(`reg add k /d "` + env + `"`); len(got) != 5 || got[4] != `V=`+arg {
			t.Errorf("reg gets the environment %q, want V=%s", got, arg)
		}
	})
}
