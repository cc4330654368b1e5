package msi

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"

	"github.com/svcpack/svcpack/internal/winetest"
)

// TestWineInstallUpgradeRemove installs the example service with msiexec
// under Wine, checks that it runs and answers /healthz, upgrades it in
// place to a new version, and removes it.
func TestWineInstallUpgradeRemove(t *testing.T) {
	if testing.Short() {
		t.Skip("Wine test skipped in -short mode")
	}
	p := winetest.New(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "hello.exe")
	build := exec.Command("go", "build", "-trimpath", "-o", exe, "./examples/hello")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	conf := filepath.Join(dir, "config.yaml")

	pkg := func(version string, port int) string {
		if err := os.WriteFile(conf, []byte("version: "+version+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		pk := Package{
			Product: Product{
				Name: "Hello Service", Manufacturer: "Acme Corp", Version: version,
				UpgradeCode: "6b2a1e7c-5d4f-4e3a-9b2c-1d0e8f7a6b5c", URL: "https://example.com/hello",
				Arch: "amd64", InstallDir: `Acme\Hello`,
			},
			Files: []File{{Name: "hello.exe", Src: exe}, {Name: "config.yaml", Src: conf}},
			Service: &Service{
				Name: "hello", DisplayName: "Hello Service", Description: "Says hello over HTTP",
				// Wine ignores the Environment value: the port goes in the arguments.
				Args:  []string{"run", "-addr", "127.0.0.1:" + strconv.Itoa(port)},
				Start: "auto", Account: "LocalSystem",
				Env:          map[string]string{"PORT": strconv.Itoa(port)},
				RestartDelay: 5 * time.Second, ResetAfter: 24 * time.Hour,
			},
			Date: time.Unix(1700000000, 0),
		}
		return buildPackage(t, pk)
	}
	installed := p.HostPath(`C:\Program Files\Acme\Hello\hello.exe`)
	config := p.HostPath(`C:\Program Files\Acme\Hello\config.yaml`)

	port1 := testtool.FreePort(t)
	v1 := pkg("1.0.0", port1)
	p.MustRun(3*time.Minute, "msiexec", "/i", v1, "/qn")
	if got, err := os.ReadFile(installed); err != nil {
		t.Fatalf("not installed under Program Files: %v", err)
	} else if want, _ := os.ReadFile(exe); string(got) != string(want) {
		t.Fatal("installed hello.exe differs from the source")
	}
	p.WaitServiceState("hello", "RUNNING", time.Minute)
	winetest.WaitHTTP(t, "http://127.0.0.1:"+strconv.Itoa(port1)+"/healthz", 30*time.Second)
	if out, err := p.Run(time.Minute, "reg", "query", `HKLM\SYSTEM\CurrentControlSet\Services\hello`, "/v", "Environment"); err != nil ||
		!strings.Contains(out, "REG_MULTI_SZ") || !strings.Contains(out, "PORT="+strconv.Itoa(port1)) {
		t.Errorf("service Environment value: %v\n%s", err, out)
	}
	if out, err := p.Run(time.Minute, "reg", "query", `HKLM\SYSTEM\CurrentControlSet\Services\hello`, "/v", "ImagePath"); err != nil ||
		!strings.Contains(out, `\Acme\Hello\hello.exe`) || !strings.Contains(out, " run -addr 127.0.0.1:"+strconv.Itoa(port1)) {
		t.Errorf("service ImagePath: %v\n%s", err, out)
	}

	port2 := testtool.FreePort(t)
	v2 := pkg("1.0.1", port2)
	p.MustRun(3*time.Minute, "msiexec", "/i", v2, "/qn")
	if got, err := os.ReadFile(config); err != nil || !strings.Contains(string(got), "1.0.1") {
		t.Fatalf("upgrade did not replace config.yaml: %q, %v", got, err)
	}
	p.WaitServiceState("hello", "RUNNING", time.Minute)
	winetest.WaitHTTP(t, "http://127.0.0.1:"+strconv.Itoa(port2)+"/healthz", 30*time.Second)
	// In place: the old product is unregistered, the new one registered.
	ns, _ := parseGUID("6b2a1e7c-5d4f-4e3a-9b2c-1d0e8f7a6b5c")
	const uninstall = `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\`
	if out, err := p.Run(time.Minute, "reg", "query", uninstall+productCode(ns, "amd64", "1.0.1")); err != nil || !strings.Contains(out, "1.0.1") {
		t.Errorf("version 1.0.1 is not registered: %v\n%s", err, out)
	}
	if out, err := p.Run(time.Minute, "reg", "query", uninstall+productCode(ns, "amd64", "1.0.0")); err == nil {
		t.Errorf("version 1.0.0 is still registered after the upgrade:\n%s", out)
	}
	if _, err := winetest.PollHTTP("http://127.0.0.1:"+strconv.Itoa(port1)+"/healthz", time.Second); err == nil {
		t.Errorf("the 1.0.0 service still answers on port %d", port1)
	}
	// A downgrade is refused by the launch condition.
	if out, err := p.Run(3*time.Minute, "msiexec", "/i", v1, "/qn"); err == nil {
		t.Errorf("downgrade to 1.0.0 succeeded:\n%s", out)
	} else {
		t.Logf("downgrade refused: %v", err) // 1603 & 0xFF: fatal error from the launch condition
	}

	p.MustRun(3*time.Minute, "msiexec", "/x", v2, "/qn")
	if state, out := p.ServiceState("hello"); state != "" {
		t.Errorf("service still present after msiexec /x: %s\n%s", state, out)
	}
	if _, err := os.Stat(installed); !os.IsNotExist(err) {
		t.Errorf("hello.exe still present after msiexec /x: %v", err)
	}
	if _, err := os.Stat(config); !os.IsNotExist(err) {
		t.Errorf("config.yaml still present after msiexec /x: %v", err)
	}
}
