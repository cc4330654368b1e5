//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

// TestForegroundSplitLogs runs the wrapper as Linux's service managers run
// it (in the foreground, until SIGTERM) with the same log settings as
// TestWrapperSplitLogsInWine: the program's stdout and stderr go to their
// own files, the output log rotates by size into gzip files that read back,
// and no line is lost or doubled across them.
func TestForegroundSplitLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two programs")
	}
	dir := t.TempDir()
	for exe, pkg := range map[string]string{"svcwrap": ".", "plainsvc": "../../internal/cmd/plainsvc"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, exe), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	sc := newSplitScenario(t, dir, "plainsvc")
	logs := sc.logs
	wrap := exec.Command(filepath.Join(dir, "svcwrap"))
	var stderr testtool.Buffer
	wrap.Stderr = &stderr
	if err := wrap.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- wrap.Wait() }()
	defer func() {
		if wrap.ProcessState == nil {
			_ = wrap.Process.Kill()
			<-exited
		}
		if t.Failed() {
			events, _ := os.ReadFile(filepath.Join(logs, "splitsvc-svcwrap.log"))
			t.Logf("files %v; stderr %s; wrapper events:\n%s", listLogs(logs), stderr.String(), events)
		}
	}()
	httpGet(t, sc.base+"/healthz") // polls until the program answers
	sc.write(t)
	if err := wrap.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("svcwrap after SIGTERM: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("svcwrap still runs a minute after SIGTERM")
	}
	sc.check(t)
}
