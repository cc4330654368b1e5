package svcwrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeProcess is a child that exits when told to (exit), when interrupted
// (exit code 0) or when killed (exit code 1).
type fakeProcess struct {
	pid  int
	once sync.Once
	code chan int
}

func newFakeProcess(pid int) *fakeProcess { return &fakeProcess{pid: pid, code: make(chan int, 1)} }

func (p *fakeProcess) exit(code int) { p.once.Do(func() { p.code <- code }) }

func (p *fakeProcess) Pid() int           { return p.pid }
func (p *fakeProcess) Wait() (int, error) { return <-p.code, nil }
func (p *fakeProcess) Interrupt() error   { p.exit(0); return nil }
func (p *fakeProcess) Kill() error        { p.exit(1); return nil }
func (p *fakeProcess) Close() error       { return nil }

// fakeStarts is a StartFunc whose processes get PIDs 1, 2, ...; each start
// is sent on started, and then runs as first told (exits with a code).
type fakeStarts struct {
	mu      sync.Mutex
	n       int
	started chan *fakeProcess
	// onStart, when set, is called with each process as it starts.
	onStart func(*fakeProcess)
}

func (f *fakeStarts) start(string, []string, []string, string, io.Writer, io.Writer) (Process, error) {
	f.mu.Lock()
	f.n++
	p := newFakeProcess(f.n)
	f.mu.Unlock()
	if f.onStart != nil {
		f.onStart(p)
	}
	f.started <- p
	return p, nil
}

// eventRun runs a supervisor of c over fake processes, with a clock that
// moves 1 ms at each reading (a health check's failure counts once per
// interval; no restart falls out of a window of minutes), collecting the
// events it reports.
type eventRun struct {
	t       *testing.T
	program string // the program's path, as the events name it
	starts  *fakeStarts
	cancel  context.CancelFunc
	done    chan error
	mu      sync.Mutex
	events  []Event
	// reported gets one value per event.
	reported chan struct{}
}

func startEventRun(t *testing.T, c *Config, onStart func(*fakeProcess)) *eventRun {
	t.Helper()
	c.Service, c.Program = "evt", "evt.exe"
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	r := &eventRun{t: t, starts: &fakeStarts{started: make(chan *fakeProcess, 10), onStart: onStart},
		done:     make(chan error, 1),
		reported: make(chan struct{}, 100)}
	clock := newClock(t, "2024-01-02T13:00:00Z")
	clock.step = time.Millisecond
	s := &Supervisor{Config: c, Dir: t.TempDir(), Start: r.starts.start, Now: clock.Now,
		Environ: []string{}, Report: func(e Event) {
			r.mu.Lock()
			r.events = append(r.events, e)
			r.mu.Unlock()
			r.reported <- struct{}{}
		}}
	r.program = s.ProgramPath()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- s.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// next waits for the next start (a guard against a hang, not a timing
// check).
func (r *eventRun) next() *fakeProcess {
	r.t.Helper()
	select {
	case p := <-r.starts.started:
		return p
	case <-time.After(20 * time.Second):
		r.t.Fatalf("no start; events:\n%s", r.log())
		return nil
	}
}

// end waits for Run to return and returns its error.
func (r *eventRun) end() error {
	r.t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(20 * time.Second):
		r.t.Fatalf("Run did not return; events:\n%s", r.log())
		return nil
	}
}

func (r *eventRun) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}

// check compares the events with want, one "severity id: message"
// prefix each.
func (r *eventRun) check(want ...string) {
	r.t.Helper()
	got := strings.Split(strings.TrimSuffix(r.log(), "\n"), "\n")
	if len(got) != len(want) {
		r.t.Fatalf("%d events, want %d:\n%s", len(got), len(want), r.log())
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			r.t.Errorf("event %d is %q, want it to begin with %q", i+1, got[i], want[i])
		}
	}
}

// TestEventsGivingUp: a program that exits three times with restart.max_restarts
// 2 is started, exits and is restarted twice, then the wrapper gives up.
func TestEventsGivingUp(t *testing.T) {
	c := &Config{Restart: Restart{Delay: Duration(time.Nanosecond), MaxRestarts: 2, Window: Duration(time.Minute)}}
	r := startEventRun(t, c, func(p *fakeProcess) { p.exit(3) })
	for range 3 {
		r.next()
	}
	var tm *TooManyRestartsError
	if err := r.end(); !errors.As(err, &tm) {
		t.Fatalf("Run = %v, want too many restarts", err)
	}
	started := "info 101: The program " + r.program + " was started (pid "
	r.check(
		started+"1).",
		"warning 102: The program (pid 1) exited with exit code 3.",
		"info 103: The program is restarted in 1ns (restart 1 within 1m0s, at most 2).",
		started+"2).",
		"warning 102: The program (pid 2) exited with exit code 3.",
		"info 103: The program is restarted in 2ns (restart 2 within 1m0s, at most 2).", // restart.factor 2
		started+"3).",
		"warning 102: The program (pid 3) exited with exit code 3.",
		"error 105: Giving up: the program exited 3 times within 1m0s (last exit code 3); the service stops with exit code 3",
	)
}

// TestEventsHealthFailure: a program failing its health check is restarted
// (it exits with 0 when interrupted); the new one passes, and a stop ends
// it.
func TestEventsHealthFailure(t *testing.T) {
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !healthy.Load() {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c := &Config{
		Restart: Restart{Delay: Duration(time.Nanosecond), MaxRestarts: 5, Window: Duration(time.Minute)},
		Health: &Health{URL: srv.URL, Interval: Duration(time.Millisecond), Timeout: Duration(10 * time.Second),
			Failures: 1},
	}
	r := startEventRun(t, c, func(p *fakeProcess) { healthy.Store(p.pid > 1) })
	r.next()
	r.next()
	r.cancel()
	if err := r.end(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	r.check(
		"info 101: ",
		"warning 104: The program (pid 1) failed 1 health checks in a row (last: ",
		"info 103: The program is restarted in 1ns (restart 1 within 1m0s, at most 5).",
		"info 101: ",
		"info 106: The service was stopped; the program (pid 2) ended with exit code 0.",
	)
}

// TestEventsStop: a stop while the program runs, and one while the wrapper
// waits to restart it.
func TestEventsStop(t *testing.T) {
	r := startEventRun(t, &Config{}, nil)
	r.next()
	r.cancel()
	if err := r.end(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	r.check("info 101: ", "info 106: The service was stopped; the program (pid 1) ended with exit code 0.")

	c := &Config{Restart: Restart{Delay: Duration(time.Hour), MaxRestarts: 5, Window: Duration(time.Minute)}}
	var once sync.Once
	r = startEventRun(t, c, func(p *fakeProcess) { once.Do(func() { p.exit(2) }) })
	r.next()
	r.wait(3) // started, exited, restarting: the wrapper waits an hour
	r.cancel()
	if err := r.end(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	r.check("info 101: ", "warning 102: The program (pid 1) exited with exit code 2.",
		"info 103: The program is restarted in 1h0m0s",
		"info 106: The service was stopped while the program was waiting to be restarted.")
}

// wait waits until n events were reported (a guard against a hang, not a
// timing check).
func (r *eventRun) wait(n int) {
	r.t.Helper()
	for range n {
		select {
		case <-r.reported:
		case <-time.After(20 * time.Second):
			r.t.Fatalf("fewer than %d events:\n%s", n, r.log())
		}
	}
}
