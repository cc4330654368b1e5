//go:build !windows

// The Windows supervisor is tested in Wine by cmd/svcwrap.

package svcwrap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

// buildPlain builds the test program internal/cmd/plainsvc for this machine.
func buildPlain(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "plainsvc")
	cmd := exec.Command("go", "build", "-o", exe, "../../internal/cmd/plainsvc")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build plainsvc: %v\n%s", err, out)
	}
	return exe
}

// get returns the body of a 200 answer, or "" and the error.
func get(url string) (string, error) {
	cmdCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := newGet(cmdCtx, url)
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return strings.TrimSpace(b.String()), nil
}

// waitFor polls until cond holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

type harness struct {
	t      *testing.T
	base   string
	events *testtool.Buffer
	out    *testtool.Buffer
	cancel context.CancelFunc
	done   chan error
	ready  chan struct{}
	dir    string
}

func startSupervisor(t *testing.T, exe string, c *Config) *harness {
	t.Helper()
	c.Program = exe
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, events: &testtool.Buffer{}, out: &testtool.Buffer{}, done: make(chan error, 1), ready: make(chan struct{}), dir: t.TempDir()}
	s := &Supervisor{Config: c, Dir: h.dir, Output: h.out, Events: h.events}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- s.Run(ctx, func() { close(h.ready) }) }()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	return h
}

func (h *harness) pid() int {
	h.t.Helper()
	var pid int
	waitFor(h.t, "the program to answer /pid", func() bool {
		body, err := get(h.base + "/pid")
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(body, &pid)
		return err == nil
	})
	return pid
}

// newPid waits for the program to answer with a PID other than old.
func (h *harness) newPid(old int) int {
	h.t.Helper()
	defer func() {
		if h.t.Failed() {
			h.t.Logf("events:\n%s", h.events)
		}
	}()
	var pid int
	waitFor(h.t, "a new program instance", func() bool {
		body, err := get(h.base + "/pid")
		if err != nil {
			return false
		}
		fmt.Sscan(body, &pid)
		return pid != old
	})
	return pid
}

// TestSupervisor runs the portable supervisor over the plain test program:
// environment and working directory, restart after a crash, restart after
// health failures, graceful stop with the marker, and a stop at the timeout
// of a program that ignores it, with no process left behind.
func TestSupervisor(t *testing.T) {
	exe := buildPlain(t)
	port := testtool.FreePort(t)
	c := &Config{
		Service: "plain",
		Args:    []string{"-marker", "stopped.txt"},
		Env:     map[string]string{"PORT": fmt.Sprint(port), "GREETING": "Hi & bye"},
		Restart: Restart{Delay: Duration(100 * time.Millisecond), MaxRestarts: 10, Window: Duration(time.Minute)},
		Health: &Health{URL: fmt.Sprintf("http://127.0.0.1:%d/healthz", port), Interval: Duration(200 * time.Millisecond),
			Timeout: Duration(time.Second), Failures: 2},
		StopTimeout: Duration(2 * time.Second),
	}
	h := startSupervisor(t, exe, c)
	h.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	select {
	case <-h.ready:
	case err := <-h.done:
		t.Fatalf("supervisor ended: %v\n%s", err, h.events)
	case <-time.After(20 * time.Second):
		t.Fatalf("not ready\n%s", h.events)
	}
	pid1 := h.pid()
	if got, _ := get(h.base + "/env?name=GREETING"); got != "Hi & bye" {
		t.Errorf("GREETING = %q", got)
	}
	if got, _ := get(h.base + "/cwd"); got != h.dir {
		t.Errorf("working directory %q, want %q", got, h.dir)
	}

	get(h.base + "/crash?code=7")
	pid2 := h.newPid(pid1)
	if !strings.Contains(h.events.String(), fmt.Sprintf("child exited: pid %d, exit code 7", pid1)) {
		t.Errorf("events lack the exit code:\n%s", h.events)
	}

	get(h.base + "/unhealthy")
	pid3 := h.newPid(pid2)
	if !strings.Contains(h.events.String(), fmt.Sprintf("health failure: pid %d", pid2)) {
		t.Errorf("events lack the health failure:\n%s", h.events)
	}
	if alive(pid2) {
		t.Errorf("unhealthy pid %d still alive", pid2)
	}

	get(h.base + "/print?n=3")
	get(h.base + "/stderr?msg=to-stderr-1")
	h.cancel()
	if err := <-h.done; err != nil {
		t.Fatal(err)
	}
	h.done <- nil // for the cleanup
	marker, err := os.ReadFile(filepath.Join(h.dir, "stopped.txt"))
	if err != nil || !strings.Contains(string(marker), fmt.Sprint(pid3)) {
		t.Errorf("graceful stop marker: %q, %v\n%s", marker, err, h.events)
	}
	if alive(pid3) {
		t.Errorf("pid %d alive after stop", pid3)
	}
	for _, want := range []string{"print 1 0", "print 1 2", "to-stderr-1", "got interrupt, stopping"} {
		if !strings.Contains(h.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, h.out)
		}
	}
}

func TestSupervisorKillsAtTimeout(t *testing.T) {
	exe := buildPlain(t)
	port := testtool.FreePort(t)
	c := &Config{Service: "plain", Args: []string{"-ignore-stop", "-addr", fmt.Sprintf("127.0.0.1:%d", port)}, StopTimeout: Duration(time.Second)}
	h := startSupervisor(t, exe, c)
	h.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	pid := h.pid()
	began := time.Now()
	h.cancel()
	if err := <-h.done; err != nil {
		t.Fatal(err)
	}
	h.done <- nil
	t.Logf("stopped after %v", time.Since(began))
	if alive(pid) {
		t.Errorf("pid %d alive after the stop timeout", pid)
	}
	ev := h.events.String()
	if !strings.Contains(ev, "still running after 1s; ending its process tree") {
		t.Errorf("events:\n%s", ev)
	}
	if !strings.Contains(h.out.String(), "ignoring it") {
		t.Errorf("the program did not see the interrupt:\n%s", h.out)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "plainsvc-stopped.txt")); err == nil {
		t.Error("marker written by a program that ignored the stop")
	}
}

// TestSupervisorGrandchildHoldsOutput: a grandchild that inherited the
// child's stdout and outlives it must neither delay the restart nor
// survive the child.
func TestSupervisorGrandchildHoldsOutput(t *testing.T) {
	exe := buildPlain(t)
	port := testtool.FreePort(t)
	c := &Config{Service: "plain", Args: []string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)},
		Restart: Restart{Delay: Duration(50 * time.Millisecond), MaxRestarts: 5, Window: Duration(time.Minute)}}
	h := startSupervisor(t, exe, c)
	h.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	pid := h.pid()
	body, err := get(h.base + "/spawn?inherit=1")
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	if _, err := fmt.Sscan(body, &grandchild); err != nil {
		t.Fatalf("/spawn answered %q", body)
	}
	// Should the supervisor fail to end it, the test does, by its PID.
	t.Cleanup(func() { _ = syscall.Kill(grandchild, syscall.SIGKILL) })
	waitFor(t, "the grandchild's first line", func() bool { return strings.Contains(h.out.String(), "plainsvc: pid "+body) })
	get(h.base + "/crash?code=4")
	h.newPid(pid)
	waitFor(t, "the grandchild to be ended with its parent", func() bool { return !alive(grandchild) })
	if !strings.Contains(h.events.String(), fmt.Sprintf("child exited: pid %d, exit code 4", pid)) {
		t.Errorf("events:\n%s", h.events)
	}
}

func TestSupervisorTooManyRestarts(t *testing.T) {
	exe := buildPlain(t)
	port := testtool.FreePort(t)
	c := &Config{Service: "plain", Args: []string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)},
		Restart: Restart{Delay: Duration(50 * time.Millisecond), MaxRestarts: 2, Window: Duration(time.Minute)}}
	h := startSupervisor(t, exe, c)
	h.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	pid := h.pid()
	for i := 0; i < 3; i++ {
		get(h.base + "/crash?code=5")
		if i < 2 {
			pid = h.newPid(pid)
		}
	}
	select {
	case err := <-h.done:
		h.done <- nil
		var tm *TooManyRestartsError
		if !errors.As(err, &tm) || tm.LastExit != 5 || tm.Restarts != 3 {
			t.Fatalf("Run = %v, want too many restarts with exit code 5", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("supervisor still running\n%s", h.events)
	}
	if !strings.Contains(h.events.String(), "giving up") {
		t.Errorf("events:\n%s", h.events)
	}
}

func TestSupervisorStartFailure(t *testing.T) {
	c := &Config{Service: "plain", Restart: Restart{Delay: Duration(10 * time.Millisecond), MaxRestarts: 1, Window: Duration(time.Minute)}}
	h := startSupervisor(t, filepath.Join(t.TempDir(), "missing"), c)
	err := <-h.done
	h.done <- nil
	var tm *TooManyRestartsError
	if !errors.As(err, &tm) {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(h.events.String(), "start failed") {
		t.Errorf("events:\n%s", h.events)
	}
}

func TestEnvironMerge(t *testing.T) {
	s := &Supervisor{Config: &Config{Env: map[string]string{"B": "new", "C": "c"}}, Environ: []string{"A=a", "B=old", "=C:=x"}}
	got := strings.Join(s.environ(), " ")
	if got != "A=a =C:=x B=new C=c" {
		t.Errorf("environ = %q", got)
	}
}

// TestStartSplitsStreams: a child's stdout and stderr reach the split logs
// through a pipe each, every line in its stream's file; unsplit, they share
// one pipe, so one file holds them in the order they were written.
func TestStartSplitsStreams(t *testing.T) {
	const script = `i=0; while [ $i -lt 500 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done`
	for _, split := range []bool{true, false} {
		dir := t.TempDir()
		l, err := logConfig(dir, Logs{Split: split, MaxSize: 4096, Keep: 1000}).OpenLogs(t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		stdout, stderr := l.Outputs()
		p, err := NewStartFunc()("/bin/sh", []string{"-c", script}, os.Environ(), dir, stdout, stderr)
		if err != nil {
			t.Fatal(err)
		}
		if code, err := p.Wait(); code != 0 || err != nil {
			t.Fatalf("sh: exit code %d, %v", code, err)
		}
		p.Close() // lets the last lines through
		l.Close()
		if !split {
			got := readLog(t, filepath.Join(dir, "app.log"), 0)
			for i := 0; i < 1000; i++ {
				if want := fmt.Sprintf("%s %d", []string{"out", "err"}[i%2], i/2); i >= len(got) || got[i] != want {
					t.Fatalf("unsplit: line %d is not %q (%d lines)", i, want, len(got))
				}
			}
			continue
		}
		streamLines(t, "app.out.log", readLog(t, filepath.Join(dir, "app.out.log"), 0), 500, "out")
		streamLines(t, "app.err.log", readLog(t, filepath.Join(dir, "app.err.log"), 0), 500, "err")
	}
}
