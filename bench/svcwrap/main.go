// Command svcwrap measures svcpack's service wrapper (cmd/svcwrap) on this
// machine, with the portable supervisor it shares with the Windows service:
//
//	go run ./bench/svcwrap [-rounds 10] [-supervise 10s]
//
// It builds cmd/svcwrap and the plain test program (internal/cmd/plainsvc)
// for the host, starts the wrapper in the foreground with a configuration
// that runs the program (printing a line every 10 ms into the rotated log,
// health-checked every second), and reports:
//
//   - the wrapper's own memory: VmRSS after supervising for -supervise, and
//     its peak VmHWM over the whole run including the restarts, read from
//     /proc/<pid>/status of the wrapper process only (the child is a
//     separate process and not counted). Goal: under 15 MiB.
//   - restart latency: for each round, the time from the old child's exit
//     (its PID gone, polled every millisecond) to the first answer of the
//     new child on its port, minus the configured restart delay, i.e. the
//     wrapper's reaction plus the new child's start-up. Goal: under 1 s.
//
// Linux only (it reads /proc); the Windows service adds the SCM handler and
// the job object, which this does not measure.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/svcpack/svcpack/internal/benchutil"
)

func main() {
	rounds := flag.Int("rounds", 10, "crash/restart rounds")
	supervise := flag.Duration("supervise", 10*time.Second, "supervision time before the RSS reading")
	delay := flag.Duration("delay", 500*time.Millisecond, "configured restart delay")
	flag.Parse()
	if err := run(*rounds, *supervise, *delay); err != nil {
		fmt.Fprintln(os.Stderr, "bench/svcwrap:", err)
		os.Exit(1)
	}
}

func build(pkg, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// status returns a field of /proc/<pid>/status in bytes.
func status(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

var client = &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func get(url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s", resp.Status)
	}
	return strings.TrimSpace(string(b)), err
}

func waitPid(base string, not string, timeout time.Duration) (string, time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if pid, err := get(base + "/pid"); err == nil && pid != not {
			return pid, time.Now(), nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return "", time.Time{}, errors.New("no new program instance answered")
}

func run(rounds int, supervise, delay time.Duration) error {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		return fmt.Errorf("needs Linux /proc: %w", err)
	}
	dir, err := os.MkdirTemp("", "svcpack-bench-svcwrap-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	wrapper, program := filepath.Join(dir, "svcwrap"), filepath.Join(dir, "plainsvc")
	if err := build("./cmd/svcwrap", wrapper); err != nil {
		return err
	}
	if err := build("./internal/cmd/plainsvc", program); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := map[string]any{
		"service": "bench", "program": "plainsvc", "args": []string{"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-tick", "10ms"},
		"restart":      map[string]any{"delay": delay.String(), "factor": 1, "max_restarts": rounds + 10, "window": "1h"},
		"stop_timeout": "5s",
		"logs":         map[string]any{"max_size": "1M", "keep": 3},
		"health":       map[string]any{"url": base + "/healthz", "interval": "1s"},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "svcwrap.json"), b, 0o644); err != nil {
		return err
	}
	cmd := exec.Command(wrapper)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	pid, _, err := waitPid(base, "", 20*time.Second)
	if err != nil {
		return err
	}
	time.Sleep(supervise)
	rss, err := status(cmd.Process.Pid, "VmRSS")
	if err != nil {
		return err
	}
	var lat []time.Duration
	for i := 0; i < rounds; i++ {
		old, _ := strconv.Atoi(pid)
		if _, err := get(base + "/crash?code=3"); err != nil {
			return err
		}
		// The old child exits 100 ms after answering: wait for its PID to go.
		for syscall.Kill(old, 0) == nil {
			time.Sleep(time.Millisecond)
		}
		gone := time.Now()
		var answered time.Time
		if pid, answered, err = waitPid(base, pid, 20*time.Second); err != nil {
			return err
		}
		lat = append(lat, answered.Sub(gone)-delay)
	}
	peak, err := status(cmd.Process.Pid, "VmHWM")
	if err != nil {
		return err
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	fmt.Printf("wrapper RSS after %v supervising (child printing every 10 ms, health check every 1 s): %s; peak over the run: %s (goal < 15 MiB)\n", supervise, mib(rss), mib(peak))
	fmt.Printf("crash -> new child answering, minus the %v restart delay, %d rounds: median %v, min %v, max %v (goal < 1s)\n",
		delay, rounds, benchutil.Median(lat).Round(time.Millisecond), lat[0].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	return nil
}
