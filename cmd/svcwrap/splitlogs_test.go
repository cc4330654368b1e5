//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// splitScenario is the wrapped plain test program with split, size-rotated,
// compressed logs (svcwrap.json written in its folder), run by
// TestForegroundSplitLogs and TestWrapperSplitLogsInWine alike.
type splitScenario struct {
	base, logs, batch string
}

// splitLines is what write prints: about 280 KB, four rotations of 64 KiB.
const splitLines = 20000

// newSplitScenario writes svcwrap.json into dir for the program (its file
// name there) on a free port.
func newSplitScenario(t *testing.T, dir, program string) *splitScenario {
	t.Helper()
	port := testtool.FreePort(t)
	cfg := &svcwrap.Config{
		Service: "splitsvc", Program: program, Args: []string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)},
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
	return &splitScenario{base: fmt.Sprintf("http://127.0.0.1:%d", port), logs: filepath.Join(dir, "logs")}
}

// write has the running program print a batch to stdout and three lines
// to stderr, then waits for the first compressed log: compression runs in
// the background, and a stop abandons a compression under way.
func (sc *splitScenario) write(t *testing.T) {
	t.Helper()
	sc.batch = httpGet(t, fmt.Sprintf("%s/print?n=%d", sc.base, splitLines))
	for i := 1; i <= 3; i++ {
		httpGet(t, fmt.Sprintf("%s/stderr?msg=to-stderr-%d", sc.base, i))
	}
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(listLogs(sc.logs), func(n string) bool { return strings.HasSuffix(n, ".log.gz") }) {
		if time.Now().After(deadline) {
			t.Fatalf("no compressed log within a minute: %v", listLogs(sc.logs))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// check checks the log folder once the program stopped: each stream in its
// own files, some output compressed, every printed line exactly once, and
// no temporary or merged log left.
func (sc *splitScenario) check(t *testing.T) {
	t.Helper()
	logs, service, batch, lines := sc.logs, "splitsvc", sc.batch, splitLines
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
