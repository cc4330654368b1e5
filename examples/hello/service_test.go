package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"

	"github.com/svcpack/svcpack/internal/winetest"
)

// buildHello cross-compiles this package with a stamped version.
func buildHello(t *testing.T, goos, goarch, out, version string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version="+version, "-o", out, ".")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s/%s: %v\n%s", goos, goarch, err, b)
	}
}

// TestLinuxBinaryServesAndStops runs the real binary: /healthz and / answer,
// and SIGTERM ends it cleanly with exit status 0.
func TestLinuxBinaryServesAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	exe := filepath.Join(t.TempDir(), "hello")
	buildHello(t, "linux", "amd64", exe, "9.8.7")
	port := testtool.FreePort(t)
	cmd := exec.Command(exe, "run")
	cmd.Env = append(os.Environ(), fmt.Sprintf("ADDR=127.0.0.1:%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if body := winetest.WaitHTTP(t, base+"/healthz", 20*time.Second); strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %q", body)
	}
	if body := winetest.WaitHTTP(t, base+"/", 5*time.Second); !strings.Contains(body, "hello 9.8.7") {
		t.Errorf("/ = %q, want the stamped version", body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop on SIGTERM")
	}
}

// TestWindowsServiceUnderWine registers hello.exe with the SCM under Wine,
// starts it, checks it reaches RUNNING and answers /healthz on the port given
// in its command line, then stops it and checks it exits 0 and the port closes.
func TestWindowsServiceUnderWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	dir := `C:\Program Files\Hello Svc`
	exe := p.HostPath(dir + `\hello.exe`)
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	buildHello(t, "windows", "amd64", exe, "1.2.3")
	port := testtool.FreePort(t)
	key := `HKLM\System\CurrentControlSet\Services\hello`

	// The port rides on the command line: Wine 8.0 ignores the service's
	// Environment registry value (measured), so PORT cannot be set there.
	binPath := fmt.Sprintf(`"%s\hello.exe" run -addr 127.0.0.1:%d`, dir, port)
	p.MustRun(time.Minute, "sc", "create", "hello", "binPath=", binPath, "start=", "demand", "DisplayName=", "Hello Service")
	qc := p.MustRun(time.Minute, "reg", "query", key, "/v", "ImagePath")
	if !strings.Contains(qc, binPath) {
		t.Fatalf("ImagePath not quoted as given:\n%s", qc)
	}
	p.MustRun(time.Minute, "sc", "start", "hello")
	p.WaitServiceState("hello", "RUNNING", 60*time.Second)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if body := winetest.WaitHTTP(t, url+"/healthz", 30*time.Second); strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %q", body)
	}
	if body := winetest.WaitHTTP(t, url+"/", 5*time.Second); !strings.Contains(body, "hello 1.2.3") {
		t.Errorf("/ = %q", body)
	}
	p.MustRun(time.Minute, "sc", "stop", "hello")
	p.WaitServiceState("hello", "STOPPED", 60*time.Second)
	// A clean stop reports exit code 0, and the listener is gone.
	if _, out := p.ServiceState("hello"); !strings.Contains(out, "WIN32_EXIT_CODE    : 0") {
		t.Errorf("service did not stop cleanly:\n%s", out)
	}
	if _, err := winetest.PollHTTP(url+"/healthz", 2*time.Second); err == nil {
		t.Error("port still answers after sc stop")
	}
	p.MustRun(time.Minute, "sc", "delete", "hello")
}
