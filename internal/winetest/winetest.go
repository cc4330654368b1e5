// Package winetest runs Windows programs under Wine for tests: each Prefix is
// an isolated WINEPREFIX in a temporary directory, initialised with
// `wineboot -i`, given a bcryptprimitives.dll shim (Wine 8.0 lacks ProcessPrng,
// which Go >= 1.22 programs need), and served by a persistent wineserver so
// that services outlive the command that started them. Cleanup kills only
// that prefix's wineserver.
//
// Tests that use it are skipped when wine or mingw-w64 is missing, or fail
// when SVCPACK_REQUIRE_TOOLS=1 (see internal/testtool).
//
// On Windows itself, with SVCPACK_NATIVE_WINDOWS=1 (a disposable machine such
// as a CI runner: the tests install services), a Prefix is the machine:
// programs run directly and paths are their own. Native reports which, for
// the few things Wine does differently (Faithful).
package winetest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

//go:embed shim/processprng.c
var shimSource []byte

// Prefix is one isolated Wine prefix, or the Windows machine itself.
type Prefix struct {
	// Dir is the WINEPREFIX directory on the host ("" on Windows).
	Dir    string
	t      testing.TB
	env    []string
	native bool
}

// Native reports whether the prefix is a real Windows machine rather than
// Wine: what Wine does not do as Windows does (cmd.exe expands %VAR% and
// !VAR! again inside variable values; a service's command line loses
// characters outside the ANSI code page) can be checked only there.
func (p *Prefix) Native() bool { return p.native }

// New creates an initialised Wine prefix for the test and registers its
// cleanup. It skips (or fails, per testtool) when Wine is not installed.
func New(t testing.TB) *Prefix {
	t.Helper()
	if runtime.GOOS == "windows" {
		if os.Getenv("SVCPACK_NATIVE_WINDOWS") != "1" {
			t.Skip("on Windows these tests install services on this machine: set SVCPACK_NATIVE_WINDOWS=1 on a disposable one")
		}
		return &Prefix{t: t, env: os.Environ(), native: true}
	}
	testtool.Need(t, "wine", "wine")
	testtool.Need(t, "wineserver", "wine")
	gcc := testtool.Need(t, "x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64")

	dir := filepath.Join(t.TempDir(), "wineprefix")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &Prefix{Dir: dir, t: t}
	p.env = append(os.Environ(),
		"WINEPREFIX="+dir,
		"WINEDEBUG=-all",
		"WINEARCH=win64",
		"WINEDLLOVERRIDES=mscoree,mshtml=", // no Mono/Gecko install prompts
		"DISPLAY=",
	)
	// A persistent wineserver first, so that services started by one
	// command keep running after it exits.
	// Its output goes to a file, not a pipe: daemons inherit the
	// descriptors and would keep a pipe open forever.
	if out, err := p.runLogged(time.Minute, "wineserver", "-p"); err != nil {
		t.Fatalf("winetest: wineserver -p: %v\n%s", err, out)
	}
	t.Cleanup(p.kill)
	if out, err := p.runLogged(3*time.Minute, "wineboot", "-i"); err != nil {
		t.Fatalf("winetest: wineboot -i in %s: %v\n%s", dir, err, out)
	}
	// Creating a prefix leaves two services.exe running (measured with Wine
	// 8.0): `sc create` then reaches one and `sc start` the other, which
	// answers 1060 (no such service). Restarting the prefix's wineserver
	// once leaves a single services.exe that reads the registry.
	p.Restart()

	src := filepath.Join(t.TempDir(), "processprng.c")
	if err := os.WriteFile(src, shimSource, 0o644); err != nil {
		t.Fatal(err)
	}
	dll := p.HostPath(`C:\windows\system32\bcryptprimitives.dll`)
	cc := exec.Command(gcc, "-shared", "-O2", "-s", "-o", dll, src, "-ladvapi32")
	if out, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("winetest: building ProcessPrng shim: %v\n%s", err, out)
	}
	return p
}

// Restart stops every process of the prefix and starts a fresh persistent
// wineserver, as after a reboot. (Note, measured with Wine 8.0: services.exe
// ignores a service's Environment registry value, before or after a restart;
// tests pass such settings on the command line instead.)
func (p *Prefix) Restart() {
	p.t.Helper()
	if p.native {
		return
	}
	p.kill()
	if out, err := p.runLogged(time.Minute, "wineserver", "-p"); err != nil {
		p.t.Fatalf("winetest: wineserver -p: %v\n%s", err, out)
	}
}

// TraceServices restarts the prefix's wineserver and starts its services.exe
// with WINEDEBUG=channels and its standard error in a file of the test's:
// services started from then on inherit both from services.exe (measured
// with Wine 8.0), so what Wine's debug channels print in a service (its event
// log stub, for one: -all,+eventlog,fixme+advapi) can be read back with the
// returned function. On Windows the function returns "".
func (p *Prefix) TraceServices(channels string) func() string {
	p.t.Helper()
	if p.native {
		return func() string { return "" }
	}
	p.Restart()
	path := filepath.Join(p.t.TempDir(), "services-trace.log")
	f, err := os.Create(path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer f.Close()
	// The first Wine process after the restart starts services.exe, which
	// keeps this command's environment and standard error.
	cmd := exec.Command("wine", "cmd", "/c", "exit")
	cmd.Env = append(p.Env(), "WINEDEBUG="+channels)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("winetest: starting services.exe with WINEDEBUG=%s: %v", channels, err)
	}
	return func() string {
		b, _ := os.ReadFile(path)
		return strings.ReplaceAll(string(b), "\r\n", "\n")
	}
}

// kill stops this prefix's wineserver (and with it every Wine process of the
// prefix) and waits for it to go.
func (p *Prefix) kill() {
	if p.native {
		return
	}
	cmd := exec.Command("wineserver", "-k")
	cmd.Env = p.env
	_ = cmd.Run()
	wait := exec.Command("wineserver", "-w")
	wait.Env = p.env
	done := make(chan struct{})
	go func() { _ = wait.Run(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		if wait.Process != nil {
			_ = wait.Process.Kill()
		}
	}
}

// Env returns the environment that selects this prefix.
func (p *Prefix) Env() []string { return append([]string(nil), p.env...) }

// Command returns a command that runs `wine program args...` in this prefix.
// program may be a host path to an .exe or a Windows program name such as
// "sc" or "msiexec". Give it file (not pipe) outputs, or rely on its
// WaitDelay: Wine daemons started by it may inherit a pipe and hold it open.
func (p *Prefix) Command(ctx context.Context, program string, args ...string) *exec.Cmd {
	name, args := p.wine(program, args)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.env
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs `wine program args...` with a timeout and returns its combined
// output. A non-zero exit is returned as an error carrying the output.
func (p *Prefix) Run(timeout time.Duration, program string, args ...string) (string, error) {
	name, args := p.wine(program, args)
	return p.runLogged(timeout, name, args...)
}

// wine is the command line that runs program in the prefix: under wine, or
// as itself on Windows.
func (p *Prefix) wine(program string, args []string) (string, []string) {
	if p.native {
		return program, args
	}
	return "wine", append([]string{program}, args...)
}

// RunIn is Run with the working directory set to the host directory dir,
// which Wine maps to its DOS path: `cmd /c install-service.cmd` run there
// finds the script the way an admin's Command Prompt would.
func (p *Prefix) RunIn(dir string, timeout time.Duration, program string, args ...string) (string, error) {
	name, args := p.wine(program, args)
	return p.runLoggedIn(dir, timeout, name, args...)
}

// runLogged runs a host command in the prefix's environment with its output
// in a temporary file rather than a pipe: Wine's daemons (wineserver,
// services.exe, winedevice.exe) inherit the descriptors of whatever starts
// them, and a pipe they hold would make Wait block until the prefix dies.
func (p *Prefix) runLogged(timeout time.Duration, name string, args ...string) (string, error) {
	return p.runLoggedIn("", timeout, name, args...)
}

func (p *Prefix) runLoggedIn(dir string, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	f, err := os.CreateTemp("", "winetest-out-*")
	if err != nil {
		return "", fmt.Errorf("winetest: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.env
	cmd.Dir = dir
	cmd.Stdout = f
	cmd.Stderr = f
	runErr := cmd.Run()
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return "", fmt.Errorf("winetest: %w", err)
	}
	// Wine writes CRLF; tests compare lines.
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if runErr != nil {
		return text, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), runErr, text)
	}
	return text, nil
}

// MustRun is Run that fails the test on error.
func (p *Prefix) MustRun(timeout time.Duration, program string, args ...string) string {
	p.t.Helper()
	out, err := p.Run(timeout, program, args...)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// HostPath maps a path on the prefix's C: drive (`C:\Program Files\x`) to
// the host path of that file.
func (p *Prefix) HostPath(winPath string) string {
	if p.native {
		return winPath
	}
	rest := winPath
	if len(rest) >= 2 && rest[1] == ':' {
		if !strings.EqualFold(rest[:1], "c") {
			p.t.Fatalf("winetest: HostPath: only drive C: is mapped, got %q", winPath)
		}
		rest = rest[2:]
	}
	rest = strings.TrimLeft(strings.ReplaceAll(rest, `\`, "/"), "/")
	return filepath.Join(p.Dir, "drive_c", filepath.FromSlash(rest))
}

// ServiceState returns the STATE word `sc query name` reports (RUNNING,
// STOPPED, START_PENDING, ...), or "" with the output when the query fails.
func (p *Prefix) ServiceState(name string) (string, string) {
	out, err := p.Run(time.Minute, "sc", "query", name)
	if err != nil {
		return "", out
	}
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 4 && fields[0] == "STATE" {
			return fields[3], out
		}
	}
	return "", out
}

// ServiceExitCodes returns the WIN32_EXIT_CODE and SERVICE_EXIT_CODE that
// sc query reports for the service (as decimal text, "" when absent), and
// sc's output.
func (p *Prefix) ServiceExitCodes(name string) (win32, service, out string) {
	out = p.MustRun(time.Minute, "sc", "query", name)
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch f := strings.Fields(v); strings.TrimSpace(k) {
		case "WIN32_EXIT_CODE":
			if len(f) > 0 {
				win32 = f[0]
			}
		case "SERVICE_EXIT_CODE":
			if len(f) > 0 {
				service = f[0]
			}
		}
	}
	return win32, service, out
}

// WaitServiceState polls `sc query` until the service reaches want or the
// timeout passes, and fails the test with the last output in that case.
func (p *Prefix) WaitServiceState(name, want string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var state, out string
	for time.Now().Before(deadline) {
		state, out = p.ServiceState(name)
		if state == want {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	p.t.Fatalf("winetest: service %s is %q after %v, want %s\n%s", name, state, timeout, want, out)
}

// WaitServiceGone polls `sc query` until the service no longer exists or
// the timeout passes, and returns the last state ("" once it is gone) and
// sc's output. Wine's msiexec /x returns while a service it stopped may
// still be STOP_PENDING (Windows waits for STOPPED): the service is deleted
// once it has stopped.
func (p *Prefix) WaitServiceGone(name string, timeout time.Duration) (string, string) {
	deadline := time.Now().Add(timeout)
	state, out := p.ServiceState(name)
	for state != "" && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		state, out = p.ServiceState(name)
	}
	return state, out
}

// WaitHTTP polls url until it answers 200 or the timeout passes and returns
// the body; it fails the test on timeout.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) string {
	t.Helper()
	body, err := PollHTTP(url, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// PollHTTP polls url until it answers 200 or the timeout passes.
func PollHTTP(url string, timeout time.Duration) (string, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			var b bytes.Buffer
			_, err = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				return b.String(), nil
			}
			if err == nil {
				err = fmt.Errorf("status %s", resp.Status)
			}
		}
		lastErr = err
		time.Sleep(250 * time.Millisecond)
	}
	return "", fmt.Errorf("GET %s: no 200 answer within %v: %v", url, timeout, lastErr)
}

// BuildExe builds the Go main package pkg (a folder or a file, as go build
// takes it, relative to the test's folder) for windows/amd64 with cgo off
// and -trimpath into out, with flags (such as -ldflags=...) before the
// package; a failure ends the test with the compiler's output.
func BuildExe(t testing.TB, out, pkg string, flags ...string) {
	t.Helper()
	args := append(append([]string{"build", "-trimpath", "-o", out}, flags...), pkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}
