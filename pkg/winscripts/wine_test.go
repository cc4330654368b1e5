package winscripts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"

	"github.com/svcpack/svcpack/internal/winetest"
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
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(hostDir, "hello.exe"), "../../examples/hello")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
	out, err = p.RunIn(hostDir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd")
	if err != nil || !strings.Contains(out, "not installed") {
		t.Fatalf("second uninstall: %v\n%s", err, out)
	}
}
