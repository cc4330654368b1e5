package svcwrap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// logConfig is a configuration whose logs go to dir, with l's settings.
func logConfig(dir string, l Logs) *Config {
	l.Dir = dir
	c := &Config{Service: "app", Program: "app.exe", Logs: l}
	c.ApplyDefaults()
	return c
}

// streamLines checks that lines hold, in order, exactly n lines
// "<stream> <i> ..." of each stream named.
func streamLines(t *testing.T, what string, lines []string, n int, streams ...string) {
	t.Helper()
	next := map[string]int{}
	for _, l := range lines {
		var s string
		var i int
		fmt.Sscanf(l, "%s %d", &s, &i)
		if !slices.Contains(streams, s) || i != next[s] {
			t.Fatalf("%s: line %q (want lines of %q, %v next)", what, l, streams, next)
		}
		next[s]++
	}
	for _, s := range streams {
		if next[s] != n {
			t.Errorf("%s: %d lines of %s, want %d", what, next[s], s, n)
		}
	}
}

// writeStreams writes n numbered lines of "out" to stdout and of "err" to
// stderr, from two goroutines at once.
func writeStreams(stdout, stderr *RotatingWriter, n int) {
	var wg sync.WaitGroup
	for _, s := range []struct {
		name string
		w    *RotatingWriter
	}{{"out", stdout}, {"err", stderr}} {
		wg.Go(func() {
			for _, l := range numbered(s.name, n) {
				s.w.Write([]byte(l))
			}
		})
	}
	wg.Wait()
}

// TestLogSetSplit: with split, each stream has files of its own
// (app.out.log, app.err.log), rotated apart, holding that stream's lines
// only, all of them, in order, though both are written at once.
func TestLogSetSplit(t *testing.T) {
	dir := t.TempDir()
	clock := newClock(t, "2024-01-02T13:00:00Z")
	clock.step = time.Millisecond
	c := logConfig(dir, Logs{Split: true, MaxSize: 2048, Keep: 1000, Compress: true})
	l, err := c.OpenLogs(t.TempDir(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if stdout, stderr := l.Outputs(); stdout != l.Stdout || stderr != l.Stderr || l.Stdout == l.Stderr {
		t.Fatal("split logs share a writer")
	}
	writeStreams(l.Stdout, l.Stderr, 2000)
	for _, w := range l.writers() {
		w.jan.settle()
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	streamLines(t, "app.out.log", readLog(t, filepath.Join(dir, "app.out.log"), 2048), 2000, "out")
	streamLines(t, "app.err.log", readLog(t, filepath.Join(dir, "app.err.log"), 2048), 2000, "err")
	var out, errs int
	for _, n := range names(t, dir) {
		switch {
		case strings.HasPrefix(n, "app.out."):
			out++
		case strings.HasPrefix(n, "app.err."):
			errs++
		case n != "app-svcwrap.log":
			t.Errorf("unexpected file %s", n)
		}
	}
	if out < 3 || errs < 3 {
		t.Errorf("%d out and %d err files: want each rotated", out, errs)
	}
}

// TestLogSetUnsplit: without split both streams share app.log, and each
// stream's lines are all there, in order.
func TestLogSetUnsplit(t *testing.T) {
	dir := t.TempDir()
	c := logConfig(dir, Logs{MaxSize: 2048, Keep: 1000})
	l, err := c.OpenLogs(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if stdout, stderr := l.Outputs(); stdout != l.Stdout || stderr != nil || l.Stderr != l.Stdout {
		t.Fatal("unsplit logs: want one writer, and no stderr for the supervisor")
	}
	writeStreams(l.Stdout, l.Stderr, 2000)
	l.Close()
	streamLines(t, "app.log", readLog(t, filepath.Join(dir, "app.log"), 2048), 2000, "out", "err")
	if _, err := os.Stat(filepath.Join(dir, "app.out.log")); err == nil {
		t.Error("app.out.log made without split")
	}
}

// TestLogSetReportsErrors: a failed rotation of the output log is an event
// line in the wrapper's log.
func TestLogSetReportsErrors(t *testing.T) {
	dir := t.TempDir()
	rename = func(string, string) error { return errors.New("sharing violation") }
	defer func() { rename = os.Rename }()
	l, err := logConfig(dir, Logs{MaxSize: 1024, Keep: 5}).OpenLogs(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, line := range numbered("line", 100) {
		l.Stdout.Write([]byte(line))
	}
	l.Stdout.jan.settle()
	b, _ := os.ReadFile(filepath.Join(dir, "app-svcwrap.log"))
	if !strings.Contains(string(b), "Z logs: log rotation: sharing violation; writing on to ") {
		t.Errorf("events:\n%s", b)
	}
}
