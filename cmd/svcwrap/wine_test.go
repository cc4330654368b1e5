//go:build !windows

// Wine tests run on a Linux host.

package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"

	"github.com/svcpack/svcpack/internal/winetest"
	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// hostPids returns the host PIDs of the prefix's processes whose command
// line names exe: Wine runs each Windows process as a Linux process, so a
// child that survived its wrapper shows up here.
func hostPids(t *testing.T, prefix, exe string) []int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !strings.Contains(strings.ToLower(string(cmdline)), strings.ToLower(exe)) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(p, "environ"))
		if err != nil || !strings.Contains(string(env), "WINEPREFIX="+prefix+"\x00") {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(p)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// wineProcesses counts the prefix's processes named exe.
func wineProcesses(t *testing.T, prefix, exe string) int { return len(hostPids(t, prefix, exe)) }

// wineRSS returns VmRSS of the prefix's host processes whose command line
// names exe (under Wine that includes Wine's own DLLs and loader mapped in
// the process).
func wineRSS(t *testing.T, prefix, exe string) string {
	t.Helper()
	var out []string
	for _, pid := range hostPids(t, prefix, exe) {
		st, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		for _, l := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
				out = append(out, strings.Join(strings.Fields(l), " "))
			}
		}
	}
	return strings.Join(out, ", ")
}

// waitNoProcess waits up to 10 s for no process of the prefix to name exe.
func waitNoProcess(t *testing.T, prefix, exe string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for wineProcesses(t, prefix, exe) > 0 {
		if time.Now().After(deadline) {
			t.Errorf("%d %s processes remain in the prefix", wineProcesses(t, prefix, exe), exe)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	body, err := winetest.PollHTTP(url, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(body)
}

// newPid waits until base/pid answers with a PID other than old.
func newPid(t *testing.T, base, old string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if body, err := winetest.PollHTTP(base+"/pid", time.Second); err == nil && strings.TrimSpace(body) != old {
			return strings.TrimSpace(body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no new program instance after pid %s", old)
	return ""
}

// pendingRE reads the checkpoint and wait hint of a STOP_PENDING service
// from sc query.
var pendingRE = regexp.MustCompile(`(?s)STOP_PENDING.*CHECK_?POINT\s*:\s*(0x[0-9a-fA-F]+|\d+).*WAIT_HINT\s*:\s*(0x[0-9a-fA-F]+|\d+)`)

// wineEventRE and wineEventTextRE read what Wine 8.0's ReportEventW stub
// prints: a fixme:advapi line with the event type and ID, then the string on
// the eventlog channel (trace for information, warn, err), from the same
// thread.
var (
	wineEventRE = regexp.MustCompile(
		`^([0-9a-f]+):fixme:advapi:ReportEventW \([0-9A-Fa-f]+,0x([0-9a-f]{4}),0x[0-9a-f]{4},0x([0-9a-f]{8}),`)
	wineEventTextRE = regexp.MustCompile(`^([0-9a-f]+):(?:trace|warn|err):eventlog:ReportEventW L"(.*)"$`)
)

// wineEvents returns the events a Wine trace holds, as svcwrap.Event
// prints them: "severity id: message".
func wineEvents(trace string) []string {
	types := map[string]string{"0001": "error", "0002": "warning", "0004": "info"}
	pending := map[string]string{} // by thread
	var out []string
	for _, l := range strings.Split(trace, "\n") {
		if m := wineEventRE.FindStringSubmatch(l); m != nil {
			id, _ := strconv.ParseUint(m[3], 16, 32)
			pending[m[1]] = fmt.Sprintf("%s %d: ", types[m[2]], id)
		} else if m := wineEventTextRE.FindStringSubmatch(l); m != nil && pending[m[1]] != "" {
			out = append(out, pending[m[1]]+strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(m[2]))
			delete(pending, m[1])
		}
	}
	return out
}

// TestWrapperInWine runs the plain test program under the wrapper as a Wine
// service: RUNNING once healthy, working directory and environment, restart
// after a crash, after the child is killed and after health failures, rotated output logs without a lost
// line, a graceful stop with the marker, a forced stop at the timeout of a
// program that ignores it (and of a grandchild it started), no process left
// either way, and a failure exit
// code after too many crashes. The events reach the event log under the
// service's name, with their types and IDs: read from Wine's trace of its
// ReportEventW stub, which records nothing.
// Processes are counted on the host: each Wine process is a Linux process.
func TestWrapperInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	trace := p.TraceServices("-all,+eventlog,fixme+advapi")
	const winDir = `C:\PlainSvc`
	dir := buildWrapped(t, p, winDir)
	port := testtool.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := &svcwrap.Config{
		Service: "plain", Program: "plainsvc.exe", Args: []string{"-marker", "stopped.txt"},
		Env:         map[string]string{"PORT": strconv.Itoa(port), "GREETING": "Hi & bye"},
		Restart:     svcwrap.Restart{Delay: svcwrap.Duration(200 * time.Millisecond), MaxRestarts: 3, Window: svcwrap.Duration(time.Minute)},
		StopTimeout: svcwrap.Duration(3 * time.Second),
		Logs:        svcwrap.Logs{MaxSize: 64 << 10, Keep: 3},
		Health: &svcwrap.Health{URL: base + "/healthz", Interval: svcwrap.Duration(500 * time.Millisecond),
			Timeout: svcwrap.Duration(time.Second), Failures: 2},
	}
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "svcwrap.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p.MustRun(time.Minute, "sc", "create", "plain", "binPath=", winDir+`\svcwrap.exe`)
	start := func() {
		t.Helper()
		p.MustRun(time.Minute, "sc", "start", "plain")
		p.WaitServiceState("plain", "RUNNING", time.Minute)
	}
	stop := func() {
		t.Helper()
		p.MustRun(time.Minute, "sc", "stop", "plain")
		p.WaitServiceState("plain", "STOPPED", time.Minute)
	}
	events := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "logs", "plain-svcwrap.log"))
		return string(b)
	}
	defer func() {
		if t.Failed() {
			t.Logf("wrapper events:\n%s", events())
		}
	}()

	start()
	pid1 := httpGet(t, base+"/pid")
	if got := httpGet(t, base+"/cwd"); !strings.EqualFold(got, winDir) {
		t.Errorf("working directory %q, want %q", got, winDir)
	}
	if got := httpGet(t, base+"/env?name=GREETING"); got != "Hi & bye" {
		t.Errorf("GREETING = %q", got)
	}

	// A crash, reported with its exit code, and a new child. Under a loaded
	// Wine a process's exit has stalled for seconds (its health checks time
	// out meanwhile and the wrapper ends it as unhealthy, exit code 1): the
	// crash is then tried once more, and its code must be in the log.
	pid2, retried := pid1, false
	for try := 1; ; try++ {
		crashed, before := time.Now(), pid2
		httpGet(t, base+"/crash?code=7")
		pid2 = newPid(t, base, before)
		t.Logf("crash request to the new child answering under Wine: %v (includes the program's 100 ms exit delay, the 200 ms restart delay and up to 100 ms of polling)",
			time.Since(crashed).Round(10*time.Millisecond))
		if strings.Contains(events(), "pid "+before+", exit code 7") {
			break
		}
		if try == 2 || !strings.Contains(events(), "health failure: pid "+before) {
			t.Errorf("wrapper log lacks the exit code 7 of pid %s", before)
			break
		}
		t.Logf("pid %s did not exit in time and was ended as unhealthy; crashing the next one", before)
		retried = true
	}
	if retried {
		// One restart more than the rest of the test counts on
		// (restart.max_restarts 3): a new wrapper starts over.
		stop()
		start()
		pid2 = httpGet(t, base+"/pid")
	}
	// Killed from outside (SIGKILL to its host process, like a crash the
	// program cannot report): a new instance answers.
	killed := hostPids(t, p.Dir, "plainsvc.exe")
	if len(killed) != 1 {
		t.Fatalf("%d plainsvc.exe processes, want 1", len(killed))
	}
	if err := syscall.Kill(killed[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	pid2 = newPid(t, base, pid2)

	httpGet(t, base+"/unhealthy")
	pid3 := newPid(t, base, pid2)
	if !strings.Contains(events(), "health failure: pid "+pid2) {
		t.Errorf("wrapper log lacks the health failure of pid %s", pid2)
	}
	if n := wineProcesses(t, p.Dir, "plainsvc.exe"); n != 1 {
		t.Errorf("%d plainsvc.exe processes after three restarts, want 1", n)
	}
	t.Logf("memory under Wine after three restarts (host processes, Wine's own mappings included): svcwrap.exe %s; for scale, the child plainsvc.exe %s",
		wineRSS(t, p.Dir, "svcwrap.exe"), wineRSS(t, p.Dir, "plainsvc.exe"))

	// Rotation: 30000 lines of about 14 bytes over 64 KiB files.
	const lines = 30000
	batch := httpGet(t, fmt.Sprintf("%s/print?n=%d", base, lines))
	stop()
	if b, err := os.ReadFile(filepath.Join(dir, "stopped.txt")); err != nil || !strings.Contains(string(b), "stopped "+pid3) {
		t.Errorf("graceful stop marker: %q, %v", b, err)
	}
	if !strings.Contains(events(), "stop: pid "+pid3+" exited with code 0") {
		t.Errorf("wrapper log lacks the graceful exit of pid %s", pid3)
	}
	waitNoProcess(t, p.Dir, "plainsvc.exe")
	if _, err := winetest.PollHTTP(base+"/healthz", time.Second); err == nil {
		t.Error("the port still answers after sc stop")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "logs", "plain*.log"))
	seen := map[int]int{}
	outFiles := 0
	for _, f := range files {
		if strings.Contains(f, "svcwrap") {
			continue
		}
		outFiles++
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 64<<10 {
			t.Errorf("%s is %d bytes, over max_size", f, len(b))
		}
		for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
			var bt, i int
			if n, _ := fmt.Sscanf(l, "print %d %d", &bt, &i); n == 2 && strconv.Itoa(bt) == batch {
				seen[i]++
			}
		}
	}
	// About 420 KB of lines over 64 KiB files: the oldest files were
	// deleted, keep of them remain beside the current one, and what they
	// hold is every line from some point up to the last, each once.
	if outFiles != cfg.Logs.Keep+1 {
		t.Errorf("%d output log files, want the current one and keep=%d rotated ones", outFiles, cfg.Logs.Keep)
	}
	first := lines
	for i := range seen {
		first = min(first, i)
	}
	if first == 0 {
		t.Errorf("line 0 is still in the logs: nothing was rotated away, so keep=%d was not exercised", cfg.Logs.Keep)
	}
	for i := first; i < lines; i++ {
		if seen[i] != 1 {
			t.Fatalf("line %d appears %d times in the logs (kept lines run from %d to %d)", i, seen[i], first, lines-1)
		}
	}
	t.Logf("%d lines printed; %d output files hold lines %d to %d", lines, outFiles, first, lines-1)

	// A program that ignores the stop is ended at the timeout.
	os.Remove(filepath.Join(dir, "stopped.txt"))
	start()
	pid4 := httpGet(t, base+"/pid")
	httpGet(t, base+"/ignore-stop")
	httpGet(t, base+"/spawn?inherit=1") // a grandchild that ignores stops too, holding the output pipe
	if n := wineProcesses(t, p.Dir, "plainsvc.exe"); n != 2 {
		t.Errorf("%d plainsvc.exe processes after /spawn, want 2", n)
	}
	began := time.Now()
	p.MustRun(time.Minute, "sc", "stop", "plain")
	// While the wrapper waits for the program, the SCM sees STOP_PENDING
	// with a wait hint and a checkpoint that only grows.
	var pending []string
	last := -1
	for time.Since(began) < time.Minute {
		out, err := p.Run(time.Minute, "sc", "query", "plain")
		if err != nil {
			t.Fatal(err)
		}
		m := pendingRE.FindStringSubmatch(out)
		if m == nil {
			if strings.Contains(out, "STOPPED") {
				break
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		cp, _ := strconv.ParseInt(m[1], 0, 64)
		hint, _ := strconv.ParseInt(m[2], 0, 64)
		pending = append(pending, fmt.Sprintf("checkpoint %d hint %d", cp, hint))
		if int(cp) < last || cp < 1 || hint <= 0 {
			t.Errorf("STOP_PENDING with checkpoint %d (previous %d), wait hint %d", cp, last, hint)
		}
		last = int(cp)
	}
	p.WaitServiceState("plain", "STOPPED", time.Minute)
	t.Logf("stop of a program ignoring CTRL_BREAK took %v (stop_timeout 3s); sc query saw STOP_PENDING %v", time.Since(began).Round(100*time.Millisecond), pending)
	if len(pending) == 0 {
		t.Error("sc query never saw STOP_PENDING during a 3 s stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "stopped.txt")); err == nil {
		t.Error("marker written by a program that ignored the stop")
	}
	if !strings.Contains(events(), "pid "+pid4+" still running after 3s; ending its process tree") {
		t.Errorf("wrapper log lacks the forced stop of pid %s", pid4)
	}
	waitNoProcess(t, p.Dir, "plainsvc.exe")

	// Too many crashes: the service stops with the failure exit code.
	start()
	pid := httpGet(t, base+"/pid")
	for i := 0; i < 4; i++ {
		httpGet(t, base+"/crash?code=9")
		if i < 3 {
			pid = newPid(t, base, pid)
		}
	}
	p.WaitServiceState("plain", "STOPPED", time.Minute)
	win32, code, out := p.ServiceExitCodes("plain")
	if win32 != "1066" || code != strconv.Itoa(svcwrap.ExitTooManyRestarts) {
		t.Errorf("sc query after too many crashes: want WIN32_EXIT_CODE 1066 (service-specific) and SERVICE_EXIT_CODE %d:\n%s", svcwrap.ExitTooManyRestarts, out)
	}
	if !strings.Contains(events(), "giving up") {
		t.Error("wrapper log lacks the give-up event")
	}
	if !p.Native() {
		checkWineEvents(t, trace(), `C:\PlainSvc\plainsvc.exe`, pid1, pid2, pid3)
	}
	waitNoProcess(t, p.Dir, "plainsvc.exe")
	t.Logf("wrapper events:\n%s", events())

	// A broken configuration stops the service with ExitConfig.
	if err := os.WriteFile(filepath.Join(dir, "svcwrap.json"), []byte(`{"service": "plain", "program": "plainsvc.exe", "stop_timeout": "soon"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// sc start may itself report the failure; the exit code is what counts.
	_, _ = p.Run(time.Minute, "sc", "start", "plain")
	p.WaitServiceState("plain", "STOPPED", time.Minute)
	if _, code, out := p.ServiceExitCodes("plain"); code != strconv.Itoa(svcwrap.ExitConfig) {
		t.Errorf("sc query after a bad configuration: want SERVICE_EXIT_CODE %d:\n%s", svcwrap.ExitConfig, out)
	}
}

// checkWineEvents checks that the wrapper of TestWrapperInWine reported its
// events to the event log, source plain: the start of pid1, a crash with
// exit code 7 and the restart, the health failure of pid2, the stop of pid3
// and the giving up.
func checkWineEvents(t *testing.T, trace, program, pid1, pid2, pid3 string) {
	t.Helper()
	if !strings.Contains(trace, `RegisterEventSourceW ((null),L"plain")`) {
		t.Error(`Wine's trace lacks RegisterEventSourceW of the source "plain"`)
	}
	got := wineEvents(trace)
	for _, want := range []string{
		"info 101: The program " + program + " was started (pid " + pid1 + ").",
		"warning 102: The program (pid ", // ... exited with exit code 7.
		"info 103: The program is restarted in 200ms (restart 1 within 1m0s, at most 3).",
		"warning 104: The program (pid " + pid2 + ") failed 2 health checks in a row (last: ",
		"info 106: The service was stopped; the program (pid " + pid3 + ") ended with exit code 0.",
		"error 105: Giving up: the program exited 4 times within 1m0s (last exit code 9); the service stops with exit code 3",
	} {
		if !slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, want) }) {
			t.Errorf("no event %q reported; Wine's trace shows:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if !slices.ContainsFunc(got, func(e string) bool { return strings.HasSuffix(e, ") exited with exit code 7.") }) {
		t.Errorf("no event of the exit code 7; Wine's trace shows:\n%s", strings.Join(got, "\n"))
	}
	t.Logf("events reported under Wine (%d):\n%s", len(got), strings.Join(got, "\n"))
}

// TestWrapperSplitLogsInWine runs the plain test program under the wrapper
// as a Wine service with logs.split and logs.compress: its stdout goes to
// splitsvc.out.log and its stderr to splitsvc.err.log, each holding only its
// stream's lines; the output log, rotated by size, leaves gzip files that
// read back, and no line is lost or doubled across them.
func TestWrapperSplitLogsInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	const winDir = `C:\SplitSvc`
	dir := buildWrapped(t, p, winDir)
	sc := newSplitScenario(t, dir, "plainsvc.exe")
	defer func() {
		if t.Failed() {
			events, _ := os.ReadFile(filepath.Join(sc.logs, "splitsvc-svcwrap.log"))
			t.Logf("files %v; wrapper events:\n%s", listLogs(sc.logs), events)
		}
	}()
	p.MustRun(time.Minute, "sc", "create", "splitsvc", "binPath=", winDir+`\svcwrap.exe`)
	p.MustRun(time.Minute, "sc", "start", "splitsvc")
	p.WaitServiceState("splitsvc", "RUNNING", time.Minute)
	sc.write(t)
	p.MustRun(time.Minute, "sc", "stop", "splitsvc")
	p.WaitServiceState("splitsvc", "STOPPED", time.Minute)
	waitNoProcess(t, p.Dir, "plainsvc.exe")
	sc.check(t)
}

// buildWrapped builds svcwrap.exe and the plain test program into the
// prefix's folder winDir and returns the folder on the host.
func buildWrapped(t *testing.T, p *winetest.Prefix, winDir string) string {
	t.Helper()
	dir := p.HostPath(winDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	winetest.BuildExe(t, filepath.Join(dir, "svcwrap.exe"), "../../cmd/svcwrap")
	winetest.BuildExe(t, filepath.Join(dir, "plainsvc.exe"), "../../internal/cmd/plainsvc")
	return dir
}

// listLogs lists the log folder's files.
func listLogs(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// readLogFile reads a log file, through compress/gzip when it ends with
// .gz.
func readLogFile(t *testing.T, file string) []byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(file, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return b
}
