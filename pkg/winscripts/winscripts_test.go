package winscripts

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/winargv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func example() Service {
	return Service{
		Name: "hello", DisplayName: "Hello & Co ^ 100%", Description: `Says hello; path C:\data\`,
		Exe: "hello.exe", Args: []string{"run", "-addr", "127.0.0.1:8080", "with space"},
		Start: "delayed", Account: "LocalService",
		Env:          map[string]string{"PORT": "8080", "GREETING": "Hi & bye ^ 5%"},
		RestartDelay: 5 * time.Second, ResetAfter: 24 * time.Hour,
		Settings:    []Setting{{Name: "GREETING", Env: "GREETING"}, {Name: "PORT", Env: "PORT"}, {Name: "SERVICE_ARGS"}},
		EventSource: true,
	}
}

// wrapped is example() run under the service wrapper.
func wrapped() Service {
	s := example()
	s.Wrapped = &Wrapped{Program: s.Exe, Args: s.Args, Env: s.Env, Config: "svcwrap.json", LogDir: "logs"}
	s.Exe, s.Args, s.Env = "svcwrap.exe", nil, nil
	return s
}

func TestGolden(t *testing.T) {
	golden(t, "", example())
	golden(t, "-wrap", wrapped())
}

func golden(t *testing.T, variant string, s Service) {
	t.Helper()
	for name, render := range map[string]func() ([]byte, error){
		"install-service" + variant + ".cmd": func() ([]byte, error) { return Install(s) },
		"README" + variant + ".txt": func() ([]byte, error) {
			return Readme(s, ReadmeInfo{Version: "1.2.3", Arch: "amd64", Files: []string{"config.yaml"}, License: "MIT"})
		},
		"uninstall-service.cmd": func() ([]byte, error) { return Uninstall(s) }, // the same either way
	} {
		got, err := render()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Contains(bytes.ReplaceAll(got, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("%s has bare LF line endings", name)
		}
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run go test -update after checking the change)", name, golden)
		}
	}
}

func TestEscaping(t *testing.T) {
	for _, tc := range []struct{ in, set, crt, argv string }{
		{`plain`, `set "X=plain"`, `plain`, `plain`},
		{`a & b | c < d > e ^ f !x!`, `set "X=a & b | c < d > e ^ f !x!"`, `a & b | c < d > e ^ f !x!`, `"a & b | c < d > e ^ f !x!"`},
		{`100%`, `set "X=100%%"`, `100%`, `100%`},
		{`%PATH%`, `set "X=%%PATH%%"`, `%PATH%`, `%PATH%`},
		{`C:\dir\`, `set "X=C:\dir\"`, `C:\dir\\`, `C:\dir\`},
		{`a b\`, `set "X=a b\"`, `a b\\`, `"a b\\"`},
		{`say "hi" & go`, `set "X=say "hi" & go"`, `say \"hi\" & go`, `"say \"hi\" & go"`},
		{`a"&b|c^d`, `set "X=a"^&b^|c^^d"`, `a\"&b|c^d`, `"a\"&b|c^d"`},
		{`x\"y`, `set "X=x\"y"`, `x\\\"y`, `"x\\\"y"`},
		{`(a)`, `set "X=(a)"`, `(a)`, `(a)`},
	} {
		if got := SetLine("X", tc.in); got != tc.set {
			t.Errorf("SetLine(%q) = %s, want %s", tc.in, got, tc.set)
		}
		if got := winargv.Escape(tc.in); got != tc.crt {
			t.Errorf("winargv.Escape(%q) = %s, want %s", tc.in, got, tc.crt)
		}
		if got := winargv.Quote(tc.in); got != tc.argv {
			t.Errorf("winargv.Quote(%q) = %s, want %s", tc.in, got, tc.argv)
		}
	}
	s := example()
	install, err := Install(s)
	if err != nil {
		t.Fatal(err)
	}
	text := string(install)
	for _, want := range []string{
		`sc create "%SVC_NAME%" binPath= "\"!SVC_EXE!\"!SVC_ARGS!" start= delayed-auto obj= "NT AUTHORITY\LocalService" password= "" DisplayName= "!SVC_DISPLAY!"`,
		`set "SVC_DISPLAY=Hello & Co ^ 100%%"`,
		`set "SVC_DESCRIPTION=Says hello; path C:\data\\"`,
		`set "SVC_ARGS= run -addr 127.0.0.1:8080 \"with space\""`,
		`sc description "%SVC_NAME%" "!SVC_DESCRIPTION!"`,
		`sc failure "%SVC_NAME%" reset= 86400 actions= restart/5000/restart/5000/restart/5000`,
		`sc failureflag "%SVC_NAME%" 1`,
		`set "SVC_EP1=GREETING=Hi & bye ^ 5%%"`,
		`set "SVC_EP2=PORT=8080"`,
		`set "SVC_ENV=!SVC_EP1!\0!SVC_EP2!"`,
		`/v Environment /t REG_MULTI_SZ /d "!SVC_ENV!" /f`,
		`net session`,
		`set "SVC_EXE=%~dp0hello.exe"`,
		`chcp 65001`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("install-service.cmd lacks\n%s", want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Service)
		want string
	}{
		{"line separator in display name", func(s *Service) { s.DisplayName = "a\u2028b" }, "control character"},
		{"tab in arg", func(s *Service) { s.Args = []string{"a\tb"} }, "args[0]"},
		{"newline in description", func(s *Service) { s.Description = "a\nb" }, "control character"},
		{"separator in env", func(s *Service) { s.Env = map[string]string{"A": `x\0y`} }, `\0`},
		{"start", func(s *Service) { s.Start = "sometimes" }, "want auto, delayed, manual or disabled"},
		{"account", func(s *Service) { s.Account = `DOMAIN\bob smith` }, `NT SERVICE\hello`},
		{"other virtual account", func(s *Service) { s.Account = `NT SERVICE\other` }, "account"},
		{"exe", func(s *Service) { s.Exe = `..\evil.exe` }, "exe"},
		{"setting name", func(s *Service) { s.Settings[0].Name = "greeting" }, "upper-case"},
		{"setting twice", func(s *Service) { s.Settings[1].Name = "GREETING" }, "each name once"},
		{"setting of no variable", func(s *Service) { s.Settings[0].Env = "NOPE" }, "not among the service's environment variables"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := example()
			tc.mod(&s)
			_, err := Install(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestDirMark: arguments and environment values naming the install folder
// take cmd's %~dp0 (outside the escaping that keeps every other % literal),
// quoted since the folder may hold spaces; README.txt shows the folder in
// words; writable folders are made and granted to the account.
func TestDirMark(t *testing.T) {
	s := example()
	s.Args = []string{"run", "-config", DirMark + `conf\app 100%.yaml`}
	s.Env = map[string]string{"DATA": DirMark + "data"}
	s.Settings = nil
	s.Writable = []string{"data"}
	b, err := Install(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// The folder is never parsed outside quotes: set alone, joined
		// once delayed expansion is on.
		`set "SVC_DIR=%~dp0"`,
		`set "SVC_ARGS_1= run -config \""`,
		`set "SVC_ARGS_2=conf\app 100%%.yaml\""`,
		`set "SVC_ARGS=!SVC_ARGS_1!!SVC_DIR!!SVC_ARGS_2!"`,
		`set "SVC_EP1_1=DATA="`,
		`set "SVC_EP1_2=data"`,
		`set "SVC_EP1=!SVC_EP1_1!!SVC_DIR!!SVC_EP1_2!"`,
		`set "SVC_W1=%~dp0data"`,
		`if not exist "!SVC_W1!\" mkdir "!SVC_W1!"`,
		`icacls "!SVC_W1!" /grant "NT AUTHORITY\LocalService:(OI)(CI)M"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("install-service.cmd lacks %s", want)
		}
	}
	if bytes.Contains(b, []byte("\x00")) {
		t.Error("a mark is left in the script")
	}
	r, err := Readme(s, ReadmeInfo{Version: "1", Arch: "amd64"})
	if err != nil || !bytes.Contains(r, []byte(`"<this folder>\conf\app 100%.yaml"`)) {
		t.Errorf("README.txt: %v\n%s", err, r)
	}
	s.Writable = []string{`..\x`}
	if _, err := Install(s); err == nil {
		t.Error("a writable folder outside the install folder was accepted")
	}
}

// TestOptionNames feeds names that cmd's commands (sc, reg, icacls,
// mkdir) or a Unix one would read as options: a service or program name
// so made is refused; every other value is set once, in a set line, and
// reaches a command only as a variable standing where the command takes a
// value (after DisplayName=, /d, the service's name) or, as a folder,
// anchored in the script's folder (%~dp0\-rf, an absolute path).
func TestOptionNames(t *testing.T) {
	for _, v := range []string{"/delete", "-x", "--help", "/?"} {
		for field, edit := range map[string]func(*Service){
			"name": func(s *Service) { s.Name = v }, "exe": func(s *Service) { s.Exe = v + ".exe" },
		} {
			s := example()
			edit(&s)
			if _, err := Install(s); err == nil {
				t.Errorf("Install took the %s %q", field, v)
			}
			if _, err := Uninstall(s); err == nil {
				t.Errorf("Uninstall took the %s %q", field, v)
			}
		}
	}
	for _, logs := range []string{"", "/delete", "-x"} {
		s := example()
		if logs != "" {
			s = wrapped()
			s.Wrapped.LogDir = logs
		} else {
			s.Env["GREETING"] = "/delete"
		}
		s.DisplayName, s.Description = "/delete", "-rf"
		s.Writable = []string{"-rf", "/delete", "--help", `\x`}
		b, err := Install(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\r\n") {
			if !strings.Contains(line, "/delete") && !strings.Contains(line, "-rf") && !strings.Contains(line, "-x") &&
				!strings.Contains(line, "--help") {
				continue
			}
			if strings.Contains(line, "echo ") || strings.HasPrefix(line, "rem ") {
				continue
			}
			name, value, ok := strings.Cut(strings.TrimPrefix(line, `set "`), "=")
			if !ok || !strings.HasPrefix(line, `set "`) {
				t.Errorf("a command line holds an option-like value itself: %s", line)
				continue
			}
			if (strings.HasPrefix(name, "SVC_W") || name == "SVC_LOGS") && !strings.HasPrefix(value, `%~dp0`) {
				t.Errorf("folder %s is not anchored in the script's folder: %s", name, line)
			}
		}
		for _, want := range []string{`DisplayName= "!SVC_DISPLAY!"`, `sc description "%SVC_NAME%" "!SVC_DESCRIPTION!"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("install-service.cmd lacks %s", want)
			}
		}
		for _, line := range strings.Split(string(b), "\r\n") {
			if strings.Contains(line, "echo ") || strings.HasPrefix(line, "rem ") {
				continue
			}
			for _, cmd := range []string{"mkdir ", "icacls "} {
				if i := strings.Index(line, cmd); i >= 0 && !strings.HasPrefix(line[i+len(cmd):], `"!SVC_`) {
					t.Errorf("%s is given something other than a folder variable: %s", cmd, line)
				}
			}
		}
	}
}

// TestPreshutdown: sc cannot set a preshutdown timeout, so a wrapped
// service's script has the wrapper set it, and only when configured.
func TestPreshutdown(t *testing.T) {
	s := example()
	s.Exe, s.Args, s.Env, s.Settings = "svcwrap.exe", nil, nil, nil
	s.Wrapped = &Wrapped{Program: "hello.exe", Config: "svcwrap.json", LogDir: "logs"}
	const line = `"!SVC_EXE!" -configure-service "%SVC_NAME%"`
	for _, on := range []bool{false, true} {
		s.Wrapped.Preshutdown = on
		b, err := Install(s)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(line)) != on {
			t.Errorf("preshutdown %v: the script runs %s: %v", on, line, !on)
		}
	}
}

// TestAccountFolders: the folders install-service.cmd makes are granted to
// the service's account whatever its form; a local account goes by its name,
// which icacls looks up.
func TestAccountFolders(t *testing.T) {
	for acct, want := range map[string]string{
		"LocalService": `NT AUTHORITY\LocalService`, `NT SERVICE\hello`: `NT SERVICE\hello`,
		`.\svcuser`: "svcuser", `CORP\svc-web`: `CORP\svc-web`, `CORP\web$`: `CORP\web$`, "LocalSystem": "",
	} {
		s := example()
		s.Account, s.Writable, s.Settings = acct, []string{"data"}, nil
		b, err := Install(s)
		if err != nil {
			t.Fatal(err)
		}
		line := `icacls "!SVC_W1!" /grant "` + want + `:(OI)(CI)M"`
		if got := bytes.Contains(b, []byte(line)); got != (want != "") {
			t.Errorf("%s: the script grants %q: %v", acct, want, got)
		}
	}
}

// TestReadmeLogs checks that README.txt names the log files the wrapper
// writes, when it rotates and compresses them, the event source, and where a
// user account's password comes from.
func TestReadmeLogs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		edit      func(*Service)
		want, not []string
	}{
		{"default", func(*Service) {},
			[]string{`logs\hello.log`, `logs\hello-svcwrap.log`, "rotated at its maximum size: it is renamed",
				`Windows Logs > Application, source "hello"`, "the event source install-service.cmd registers"},
			[]string{".out.log", ".err.log", "gzipped", "SERVICE_PASSWORD", "(UTC) changes"}},
		{"split", func(s *Service) { s.Wrapped.SplitLogs = true },
			[]string{`standard output goes to logs\hello.out.log`, `standard error to` + "\r\n" + `logs\hello.err.log`},
			[]string{`logs\hello.log`}},
		{"hourly", func(s *Service) { s.Wrapped.Rotate = "hourly" },
			[]string{"maximum size and when the hour (UTC) changes"}, []string{"gzipped"}},
		{"daily compressed", func(s *Service) { s.Wrapped.Rotate, s.Wrapped.Compress = "daily", true },
			[]string{"maximum size and when the day (UTC) changes", ", then gzipped\r\n(hello-svcwrap.20240102-130501.log.gz);"},
			nil},
		{"local user", func(s *Service) { s.Account = `.\svc` },
			[]string{"SERVICE_PASSWORD", "when install-service.cmd runs", "SERVICEPASSWORD="}, nil},
		{"domain user", func(s *Service) { s.Account = `ACME\svc` }, []string{"SERVICE_PASSWORD"}, nil},
		{"managed account", func(s *Service) { s.Account = `ACME\svc$` }, nil, []string{"SERVICE_PASSWORD"}},
	} {
		s := wrapped()
		tc.edit(&s)
		b, err := Readme(s, ReadmeInfo{Version: "1", Arch: "amd64"})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, w := range tc.want {
			if !bytes.Contains(b, []byte(w)) {
				t.Errorf("%s: README.txt lacks %q:\n%s", tc.name, w, b)
			}
		}
		for _, w := range tc.not {
			if bytes.Contains(b, []byte(w)) {
				t.Errorf("%s: README.txt says %q:\n%s", tc.name, w, b)
			}
		}
	}
	s := example()
	if b, err := Readme(s, ReadmeInfo{}); err != nil || !bytes.Contains(b, []byte(`registers the event source "hello"`)) {
		t.Errorf("README.txt of an unwrapped service does not name its event source: %v\n%s", err, b)
	}
	s = wrapped()
	s.Wrapped.Rotate = "weekly"
	if _, err := Readme(s, ReadmeInfo{}); err == nil || !strings.Contains(err.Error(), "weekly") {
		t.Errorf("a rotation of weekly was accepted: %v", err)
	}
}
