package winscripts

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
	"github.com/svcpack/svcpack/pkg/winargv"
)

// TestScriptsInWine installs, reinstalls and uninstalls the example service
// with the rendered scripts, from a folder under Program Files whose name has
// spaces and an ampersand.
func TestScriptsInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	dir := `C:\Program Files\Hello Svc & Co`
	hostDir := p.HostPath(dir)
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	winetest.BuildExe(t, filepath.Join(hostDir, "hello.exe"), "../../examples/hello")
	port := testtool.FreePort(t)

	s := example()
	s.Start = "auto"
	// Wine ignores the Environment value, so the port also rides in the args.
	s.Args = []string{"run", "-addr", fmt.Sprintf("127.0.0.1:%d", port)}
	s.Env = map[string]string{"PORT": fmt.Sprint(port), "GREETING": "Hi & bye ^ there"}
	s.Description = "Says hello & more ^ here"
	s.DisplayName = "Hello & Co ^ Service"
	for name, render := range map[string]func(Service) ([]byte, error){"install-service.cmd": Install, "uninstall-service.cmd": Uninstall} {
		b, err := render(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hostDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install := func() string {
		t.Helper()
		out, err := p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "install-service.cmd")
		if err != nil {
			t.Fatalf("install-service.cmd: %v", err)
		}
		return out
	}

	out := install()
	if !strings.Contains(out, "hello is RUNNING") {
		t.Errorf("install output lacks RUNNING:\n%s", out)
	}
	p.WaitServiceState("hello", "RUNNING", 30*time.Second)
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	winetest.WaitHTTP(t, url, 30*time.Second)

	reg := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`)
	for _, want := range []string{
		fmt.Sprintf(`ImagePath    REG_SZ    "%s\hello.exe" run -addr 127.0.0.1:%d`, dir, port),
		`DisplayName    REG_SZ    Hello & Co ^ Service`,
		`Start    REG_DWORD    0x2`,
		`ObjectName    REG_SZ    NT AUTHORITY\LocalService`,
		`Description    REG_SZ    Says hello & more ^ here`,
		fmt.Sprintf(`Environment    REG_MULTI_SZ    GREETING=Hi & bye ^ there\0PORT=%d`, port),
	} {
		if !strings.Contains(reg, want) {
			t.Errorf("registry lacks %q:\n%s", want, reg)
		}
	}

	// The event source, as eventlog.InstallAsEventCreate registers one.
	eventKey := `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\hello`
	events := p.MustRun(time.Minute, "reg", "query", eventKey)
	for _, want := range []string{
		`EventMessageFile    REG_EXPAND_SZ    %SystemRoot%\System32\EventCreate.exe`,
		`TypesSupported    REG_DWORD    0x7`,
		`CustomSource    REG_DWORD    0x1`,
	} {
		if !strings.Contains(events, want) {
			t.Errorf("event source lacks %q:\n%s", want, events)
		}
	}

	// Again: updates in place, one service, running.
	out = install()
	if !strings.Contains(out, "exists") || !strings.Contains(out, "RUNNING") {
		t.Errorf("second install output:\n%s", out)
	}
	list := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services`)
	if n := strings.Count(strings.ToLower(list), `\services\hello`+"\n"); n != 1 {
		t.Errorf("%d services named hello after a second install", n)
	}
	winetest.WaitHTTP(t, url, 30*time.Second)

	// Install-time settings: arguments (NAME=value; in quotes when the
	// value has spaces), then an environment variable; the script
	// records them and uses them again when run without them. Wine ignores
	// the Environment value, so the service shows the new port through
	// SERVICE_ARGS; the registry shows the rest.
	port2 := testtool.FreePort(t)
	args2 := fmt.Sprintf("run -addr 127.0.0.1:%d", port2)
	key := `HKLM\System\CurrentControlSet\Services\hello`
	if out, err := p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "install-service.cmd", fmt.Sprintf("PORT=%d", port2), "SERVICE_ARGS="+args2); err != nil || !strings.Contains(out, "setting PORT recorded") {
		t.Fatalf("install-service.cmd with settings: %v\n%s", err, out)
	}
	url2 := fmt.Sprintf("http://127.0.0.1:%d/healthz", port2)
	winetest.WaitHTTP(t, url2, 30*time.Second)
	env := exec.Command("wine", "cmd", "/c", "install-service.cmd")
	env.Dir, env.Env = hostDir, append(p.Env(), "GREETING=From the environment")
	if out, err := env.CombinedOutput(); err != nil {
		t.Fatalf("install-service.cmd with GREETING in the environment: %v\n%s", err, out)
	}
	winetest.WaitHTTP(t, url2, 30*time.Second) // the recorded arguments again
	for name, want := range map[string]string{
		"ImagePath":   fmt.Sprintf(`"%s\hello.exe" %s`, dir, args2),
		"Environment": fmt.Sprintf(`GREETING=From the environment\0PORT=%d`, port2),
	} {
		if got := regValue(t, p, key, name); got != want {
			t.Errorf("%s %q, want %q", name, got, want)
		}
	}
	if got := regValue(t, p, key+`\Parameters\Environment`, "PORT"); got != fmt.Sprint(port2) {
		t.Errorf("recorded PORT %q", got)
	}
	if got := regValue(t, p, key+`\Parameters`, "Arguments"); got != args2 {
		t.Errorf("recorded Arguments %q", got)
	}
	if out, err := p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "install-service.cmd", "NOPE=1"); err == nil || !strings.Contains(out, `unknown setting "NOPE": the settings are GREETING PORT SERVICE_ARGS`) {
		t.Errorf("an unknown setting: %v\n%s", err, out)
	}
	url = url2

	out, err := p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd")
	if err != nil || !strings.Contains(out, "hello removed") {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	if _, err := winetest.PollHTTP(url, 3*time.Second); err == nil {
		t.Error("port still answers after uninstall")
	}
	if _, err := p.Run(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`); err == nil {
		t.Error("service key still present after uninstall")
	}
	if out, err := p.Run(time.Minute, "reg", "query", eventKey); err == nil {
		t.Errorf("event source still present after uninstall:\n%s", out)
	}
	out, err = p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd")
	if err != nil || !strings.Contains(out, "not installed") {
		t.Fatalf("second uninstall: %v\n%s", err, out)
	}
}

// regValue reads one value of a registry key with reg query: the text after
// the type column (reg prints REG_MULTI_SZ entries joined with \0).
func regValue(t *testing.T, p *winetest.Prefix, key, name string) string {
	t.Helper()
	out := p.MustRun(time.Minute, "reg", "query", key, "/v", name)
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n") {
		for _, typ := range []string{"REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ"} {
			if rest, ok := strings.CutPrefix(strings.TrimLeft(line, " "), name+"    "+typ+"    "); ok {
				return rest
			}
		}
	}
	t.Fatalf("reg query %s /v %s: no value in\n%s", key, name, out)
	return ""
}

// TestScriptsCarryValuesExactly installs a test service that records its
// argv (internal/cmd/argvsvc) with hostile arguments, display name,
// description and environment, from a folder whose name cmd.exe would
// misread, and compares what the program and the registry got with what was
// configured, exactly: Windows' own parsers (cmd, sc, reg, the program's
// command line) are the readers. Under Wine, whose cmd expands %VAR% and
// !VAR! again inside variable values and whose service start loses
// characters outside the ANSI code page (Windows does neither), those
// values are left out of what the program is asked to receive; the registry
// still shows the non-ASCII ones. The windows CI job runs the whole set on
// Windows (SVCPACK_NATIVE_WINDOWS=1).
func TestScriptsCarryValuesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	dir := `C:\Program Files\Odd (x86) & ^caret Café's`
	if p.Native() {
		dir = `C:\Program Files\Odd (x86) & 100% !bang! ^caret Café's`
	}
	hostDir := p.HostPath(dir)
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(hostDir) })
	winetest.BuildExe(t, filepath.Join(hostDir, "argvsvc.exe"), "../../internal/cmd/argvsvc")
	// The folder first: in the old set line it came right after a quote
	// that ended the quoted part, where its & split the line.
	args := []string{DirMark + `conf\app.yaml`, "-dir=" + DirMark, DirMark, "plain", "a b", `a b\`, `C:\path with space\`, `x"y`, `"`, `\\"`, "100%", `^&|<>()`, "",
		`--flag="v 1"`, `\\server\share\`, `a\\b`, "'single'", "semi;colon", `"quoted & spaced"`}
	windowsOnly := []string{`%PATH%`, `!PATH!`, `%%`, "a!b", "é日本"}
	if p.Native() {
		args = append(args, windowsOnly...)
	}
	s := Service{
		Name: "argvsvc", Exe: "argvsvc.exe", Start: "auto", Account: "LocalSystem", Args: args,
		DisplayName: `Q "quoted" & ^ 100% (y) é 日本 \`,
		Description: `D: a & b | c < d > e ^ %PATH% "q" trailing\`,
		Env: map[string]string{"A": `a & "b" ^ %PATH% (z)`, "B": "é日本", "C": `ends in backslash\`,
			"E": DirMark + `data "x"`},
	}
	// The failure command: the program in the folder, arguments hostile to
	// cmd, sc and the command line (one %: Wine's cmd would pair two).
	failArgs := []string{`a "b" & ^ (c) | <d>`, `trailing\`, `C:\path with space\`, "", `x"y`, `\\"`, DirMark, DirMark + `logs\x.log`}
	s.FailureCommand = append([]string{DirMark + `notify (1) & ^.exe`}, failArgs...)
	s.CommandAfter, s.RestartDelay, s.ResetAfter = 2, 7*time.Second, time.Hour
	if p.Native() {
		s.DisplayName += " !x!"
		s.Description += " !PATH!"
		s.Env["D"] = "!PATH! %%"
	}
	for name, render := range map[string]func(Service) ([]byte, error){"install-service.cmd": Install, "uninstall-service.cmd": Uninstall} {
		b, err := render(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hostDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// sc as the script calls it: a recorder that cmd finds first, in the
	// folder, and that runs the system's sc.exe with what it got.
	winetest.BuildExe(t, filepath.Join(hostDir, "sc.exe"), "../../internal/cmd/screcord")
	out, err := p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "install-service.cmd")
	if err != nil || !strings.Contains(out, "argvsvc is RUNNING") {
		t.Fatalf("install-service.cmd: %v\n%s", err, out)
	}
	defer p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd")
	checkFailureCall(t, filepath.Join(hostDir, "sc-calls.jsonl"), dir+`\`, s, failArgs)
	data, err := os.ReadFile(filepath.Join(hostDir, "argv.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Args []string }
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	placed := func(v string) string { return strings.ReplaceAll(v, DirMark, dir+`\`) }
	wantArgs := make([]string, len(s.Args))
	for i, a := range s.Args {
		wantArgs[i] = placed(a)
	}
	if len(got.Args) != len(s.Args) {
		t.Errorf("the program got %d arguments, want %d:\n%q\nwant\n%q", len(got.Args), len(s.Args), got.Args, wantArgs)
	}
	for i := range min(len(got.Args), len(s.Args)) {
		if got.Args[i] != wantArgs[i] {
			t.Errorf("argument %d: got %q, want %q", i, got.Args[i], wantArgs[i])
		}
	}
	key := `HKLM\System\CurrentControlSet\Services\argvsvc`
	image := regValue(t, p, key, "ImagePath")
	// reg prints the folder's é in another code page under Wine: the
	// program's own argv (above) has the folder exactly.
	if !strings.HasSuffix(ascii(image), ascii(`\argvsvc.exe" `+strings.Join(quoted(wantArgs), " "))) {
		t.Errorf("ImagePath %s does not end with the quoted arguments", image)
	}
	if v := regValue(t, p, key, "DisplayName"); v != s.DisplayName {
		t.Errorf("DisplayName %q, want %q", v, s.DisplayName)
	}
	if v := regValue(t, p, key, "Description"); v != s.Description {
		t.Errorf("Description %q, want %q", v, s.Description)
	}
	var env []string
	for _, k := range []string{"A", "B", "C", "D", "E"} {
		if v, ok := s.Env[k]; ok {
			env = append(env, k+"="+placed(v))
		}
	}
	gotEnv := strings.Split(regValue(t, p, key, "Environment"), `\0`)
	for i, want := range env {
		if i >= len(gotEnv) || gotEnv[i] != want && !(strings.HasPrefix(want, "E=") && ascii(gotEnv[i]) == ascii(want)) {
			t.Errorf("Environment %q, want %q", gotEnv, env)
			break
		}
	}
	if out, err := p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd"); err != nil || !strings.Contains(out, "argvsvc removed") {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
}

// ascii is s with every other character (or byte that is not UTF-8) as '?'.
func ascii(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= utf8.RuneSelf {
			return '?'
		}
		return r
	}, s)
}

// quoted is winargv.Quote of each argument: how the command line in the
// registry spells them.
func quoted(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, winargv.Quote(a))
	}
	return out
}

// checkFailureCall reads the sc failure call the recorder saw: the reset
// period, the actions (restarts, then the command for every later
// failure) and the command line, whose program is the one in dir (which
// ends in a backslash) and whose arguments read back exactly as args, with
// DirMark as dir.
func checkFailureCall(t *testing.T, calls, dir string, s Service, args []string) {
	t.Helper()
	data, err := os.ReadFile(calls)
	if err != nil {
		t.Fatalf("the recording sc ran not: %v", err)
	}
	var call []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c []string
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if len(c) > 0 && c[0] == "failure" {
			call = c
		}
	}
	ms := "7000"
	if len(call) != 8 || call[1] != s.Name || call[2] != "reset=" || call[3] != "3600" || call[4] != "command=" ||
		call[6] != "actions=" || call[7] != "restart/"+ms+"/restart/"+ms+"/run/"+ms {
		t.Fatalf("sc failure got %q", call)
	}
	prog := `"` + dir + `notify (1) & ^.exe" `
	rest, ok := strings.CutPrefix(call[5], prog)
	if !ok {
		t.Fatalf("the failure command %q does not start with %q", call[5], prog)
	}
	var want []string
	for _, a := range args {
		want = append(want, strings.ReplaceAll(a, DirMark, dir))
	}
	if got := winargv.Split(rest); !slices.Equal(got, want) {
		t.Errorf("the failure command's arguments read\n%q, want\n%q", got, want)
	}
}
