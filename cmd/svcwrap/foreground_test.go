//go:build !windows

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/svcwrap"
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
	port := testtool.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := &svcwrap.Config{
		Service: "splitsvc", Program: "plainsvc", Args: []string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)},
		StopTimeout: svcwrap.Duration(3 * time.Second),
		Logs:        svcwrap.Logs{MaxSize: 64 << 10, Keep: 100, Split: true, Compress: true},
	}
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "svcwrap.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs")
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
	httpGet(t, base+"/healthz") // polls until the program answers

	const lines = 20000 // about 280 KB: four rotations of 64 KiB
	batch := httpGet(t, fmt.Sprintf("%s/print?n=%d", base, lines))
	for i := 1; i <= 3; i++ {
		httpGet(t, fmt.Sprintf("%s/stderr?msg=to-stderr-%d", base, i))
	}
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(listLogs(logs), func(n string) bool { return strings.HasSuffix(n, ".log.gz") }) {
		if time.Now().After(deadline) {
			t.Fatalf("no compressed log within a minute: %v", listLogs(logs))
		}
		time.Sleep(200 * time.Millisecond)
	}
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
	checkSplitLogs(t, logs, "splitsvc", batch, lines)
}

// checkSplitLogs checks the log folder of a wrapped plainsvc run with
// logs.split and logs.compress after one /print batch of lines and three
// /stderr lines: each stream in its own files, some output compressed, every
// printed line exactly once, and no temporary or merged log left.
func checkSplitLogs(t *testing.T, logs, service, batch string, lines int) {
	t.Helper()
	seen := map[int]int{}
	var stderrLines []string
	gz := 0
	for _, name := range listLogs(logs) {
		if strings.HasSuffix(name, ".gz.tmp") || name == service+".log" {
			t.Errorf("%s in the log folder", name)
		}
		if strings.HasSuffix(name, ".gz") {
			gz++
		}
		text := strings.ReplaceAll(string(readLogFile(t, filepath.Join(logs, name))), "\r\n", "\n")
		switch {
		case strings.HasPrefix(name, service+".out."):
			if strings.Contains(text, "to-stderr") {
				t.Errorf("%s holds stderr lines", name)
			}
			for _, l := range strings.Split(text, "\n") {
				var bt, i int
				if n, _ := fmt.Sscanf(l, "print %d %d", &bt, &i); n == 2 && strconv.Itoa(bt) == batch {
					seen[i]++
				}
			}
		case strings.HasPrefix(name, service+".err."):
			stderrLines = append(stderrLines, strings.Fields(text)...)
		}
	}
	if strings.Join(stderrLines, " ") != "to-stderr-1 to-stderr-2 to-stderr-3" {
		t.Errorf("stderr log holds %q, want the three stderr lines alone", stderrLines)
	}
	for i := 0; i < lines; i++ {
		if seen[i] != 1 {
			t.Fatalf("print line %d appears %d times in the output logs", i, seen[i])
		}
	}
	if gz == 0 {
		t.Error("no compressed log")
	}
	t.Logf("log folder: %v", listLogs(logs))
}
