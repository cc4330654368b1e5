package svcwrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Process is a started child process with everything it starts.
type Process interface {
	// Pid is the child's process ID.
	Pid() int
	// Wait waits for the child to exit and returns its exit code.
	Wait() (int, error)
	// Interrupt asks the child to stop gracefully (CTRL_BREAK_EVENT to its
	// process group on Windows, SIGINT to its process group elsewhere).
	Interrupt() error
	// Kill ends the child and every process it started.
	Kill() error
	// Close releases what the process holds; it ends any process left in
	// the child's tree.
	Close() error
}

// StartFunc starts a program with its arguments, environment (complete,
// KEY=value) and working directory, with its standard output to stdout and
// its standard error to stderr (nil: to stdout, through the same pipe, so
// that the lines of both keep their order).
type StartFunc func(program string, args, env []string, dir string, stdout, stderr io.Writer) (Process, error)

// TooManyRestartsError is returned by Supervisor.Run when the program
// exited more often than the restart limit allows.
type TooManyRestartsError struct {
	Restarts int
	Window   time.Duration
	LastExit int
}

func (e *TooManyRestartsError) Error() string {
	return fmt.Sprintf("the program exited %d times within %v (last exit code %d): giving up so that the service manager's recovery applies", e.Restarts, e.Window, e.LastExit)
}

// ExitTooManyRestarts is the service-specific exit code the wrapper reports
// when it gives up after too many restarts; ExitConfig when its
// configuration is unusable.
const (
	ExitConfig          = 2
	ExitTooManyRestarts = 3
)

// Supervisor runs the configured program and keeps it running.
type Supervisor struct {
	// Config is the validated configuration.
	Config *Config
	// Dir is the install folder: the program's working directory and the
	// base of relative paths.
	Dir string
	// Output receives the program's stdout, and its stderr unless Stderr is
	// set.
	Output io.Writer
	// Stderr, when set, receives the program's stderr apart (logs.split).
	Stderr io.Writer
	// Events receives the wrapper's own event lines; nil discards them.
	Events io.Writer
	// Report, when set, receives the events an event log should hold:
	// program started, exited, restarting, unhealthy, giving up, stopped,
	// start failed. Run calls it from its own goroutine, one event at a
	// time.
	Report func(Event)
	// Start starts a process; nil means NewStartFunc() (the platform's way,
	// with the process tree bound to the wrapper).
	Start StartFunc
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Environ is the base environment; nil means os.Environ().
	Environ []string

	mu sync.Mutex
}

// Logf writes one timestamped event line.
func (s *Supervisor) Logf(format string, args ...any) {
	if s.Events == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeEvent(s.Events, s.now(), fmt.Sprintf(format, args...))
}

// writeEvent writes one event line, stamped with t in UTC.
func writeEvent(w io.Writer, t time.Time, msg string) {
	fmt.Fprintf(w, "%s %s\n", t.UTC().Format("2006-01-02T15:04:05.000Z"), msg)
}

func (s *Supervisor) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ProgramPath returns the program's absolute path.
func (s *Supervisor) ProgramPath() string {
	if filepath.IsAbs(s.Config.Program) {
		return s.Config.Program
	}
	return filepath.Join(s.Dir, s.Config.Program)
}

// environ merges the configured variables into the base environment
// (case-insensitively on Windows, where names are).
func (s *Supervisor) environ() []string {
	base := s.Environ
	if base == nil {
		base = os.Environ()
	}
	out := make([]string, 0, len(base)+len(s.Config.Env))
	for _, kv := range base {
		k, _, _ := cutEnv(kv)
		if _, set := lookupEnv(s.Config.Env, k); !set {
			out = append(out, kv)
		}
	}
	for _, k := range sortedKeys(s.Config.Env) {
		out = append(out, k+"="+s.Config.Env[k])
	}
	return out
}

// cutEnv splits KEY=value; Windows has variables such as "=C:" whose name
// starts with '='.
func cutEnv(kv string) (string, string, bool) {
	for i := 1; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

type exitResult struct {
	code int
	err  error
}

// Run starts the program and supervises it until ctx is cancelled, then
// stops it and returns nil. ready is called once, when the first child is
// up (or, with a health check, once the check first passes). It returns a
// *TooManyRestartsError when the restart limit is exceeded.
func (s *Supervisor) Run(ctx context.Context, ready func()) error {
	c := s.Config
	start := s.Start
	if start == nil {
		start = NewStartFunc() // one per run: restarts share its state
	}
	var once sync.Once
	readyOnce := func() {
		once.Do(func() {
			if ready != nil {
				ready()
			}
		})
	}
	limit := &Limiter{Max: c.Restart.MaxRestarts, Window: c.Restart.Window.Std()}
	attempt := 0
	program := s.ProgramPath()
	s.Logf("start: service %s, program %s %q, folder %s", c.Service, program, c.Args, s.Dir)
	for {
		lastExit := -1
		p, err := start(program, c.Args, s.environ(), s.Dir, s.Output, s.Stderr)
		if err != nil {
			s.Logf("start failed: %v", err)
			s.report(Error, EventStartFailed, "The program %s could not be started: %v", program, err)
		} else {
			began := s.now()
			s.Logf("child started: pid %d", p.Pid())
			s.report(Info, EventStarted, "The program %s was started (pid %d).", program, p.Pid())
			exited := make(chan exitResult, 1)
			go func() {
				code, err := p.Wait()
				exited <- exitResult{code, err}
			}()
			hctx, cancelHealth := context.WithCancel(ctx)
			unhealthy := make(chan error, 1)
			if c.Health == nil {
				readyOnce()
			} else {
				go s.watchHealth(hctx, readyOnce, unhealthy)
			}
			select {
			case <-ctx.Done():
				cancelHealth()
				code := s.stop(p, exited, "service stop")
				s.report(Info, EventStopped, "The service was stopped; the program (pid %d) ended with exit code %d.",
					p.Pid(), code)
				return nil
			case r := <-exited:
				cancelHealth()
				lastExit = r.code
				if r.err != nil {
					s.Logf("child exited: pid %d: %v", p.Pid(), r.err)
					s.report(Warning, EventExited, "The program (pid %d) ended; its exit code could not be read: %v", p.Pid(), r.err)
				} else {
					s.Logf("child exited: pid %d, exit code %d", p.Pid(), r.code)
					s.report(Warning, EventExited, "The program (pid %d) exited with exit code %d.", p.Pid(), r.code)
				}
				if err := p.Close(); err != nil {
					s.Logf("cleanup of pid %d: %v", p.Pid(), err)
				}
			case herr := <-unhealthy:
				cancelHealth()
				s.Logf("health failure: pid %d: %d consecutive failed checks, last: %v; restarting it", p.Pid(), c.Health.Failures, herr)
				s.report(Warning, EventUnhealthy,
					"The program (pid %d) failed %d health checks in a row (last: %v); it is restarted.",
					p.Pid(), c.Health.Failures, herr)
				lastExit = s.stop(p, exited, "health failure")
			}
			if s.now().Sub(began) >= c.Restart.Window.Std() {
				attempt = 0 // it ran well for a whole window: start over
			}
		}
		if !limit.Allow(s.now()) {
			err := &TooManyRestartsError{Restarts: len(limit.times), Window: limit.Window, LastExit: lastExit}
			s.Logf("giving up: %v", err)
			s.report(Error, EventGivingUp, "Giving up: the program exited %d times within %v (last exit code %d); "+
				"the service stops with exit code %d so that its recovery actions apply.",
				err.Restarts, err.Window, err.LastExit, ExitTooManyRestarts)
			return err
		}
		d := c.Restart.DelayFor(attempt)
		attempt++
		s.Logf("restart in %v (restart %d within %v, at most %d)", d, len(limit.times), limit.Window, limit.Max)
		s.report(Info, EventRestarting, "The program is restarted in %v (restart %d within %v, at most %d).",
			d, len(limit.times), limit.Window, limit.Max)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			s.Logf("stop: service stop while waiting to restart")
			s.report(Info, EventStopped, "The service was stopped while the program was waiting to be restarted.")
			return nil
		case <-t.C:
		}
	}
}

// watchHealth checks the program's health: every 250 ms until the first
// pass (which calls ready), then every interval. A failed check counts once
// per interval, also before the first pass, so a program gets Failures
// intervals to come up; Failures counted failures in a row are sent to
// unhealthy.
func (s *Supervisor) watchHealth(ctx context.Context, ready func(), unhealthy chan<- error) {
	h := s.Config.Health
	interval := h.Interval.Std()
	// One client without keep-alive for the program's lifetime: each check
	// opens a fresh connection, as a new client would.
	client := noKeepAliveClient()
	defer client.CloseIdleConnections()
	chk := &Checker{URL: h.URL, Timeout: h.Timeout.Std(), Client: client}
	passed := false
	fails := 0
	lastCounted := s.now()
	for {
		wait := interval
		if !passed {
			wait = min(wait, 250*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		err := chk.Check(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			if !passed {
				s.Logf("health: check passed")
				ready()
			}
			passed, fails, lastCounted = true, 0, s.now()
			continue
		}
		if passed || s.now().Sub(lastCounted) >= interval {
			fails++
			lastCounted = s.now()
			s.Logf("health: check failed (%d of %d): %v", fails, h.Failures, err)
			if fails >= h.Failures {
				unhealthy <- err
				return
			}
		}
	}
}

// stop asks the child to stop, waits up to the stop timeout, then ends its
// whole tree; it returns the child's exit code.
func (s *Supervisor) stop(p Process, exited <-chan exitResult, why string) int {
	timeout := s.Config.StopTimeout.Std()
	s.Logf("stop: %s: asking pid %d to stop (timeout %v)", why, p.Pid(), timeout)
	code := -1
	if err := p.Interrupt(); err != nil {
		s.Logf("stop: cannot interrupt pid %d: %v; ending it", p.Pid(), err)
	} else {
		t := time.NewTimer(timeout)
		select {
		case r := <-exited:
			t.Stop()
			code = r.code
			s.Logf("stop: pid %d exited with code %d", p.Pid(), r.code)
			exited = nil
		case <-t.C:
			s.Logf("stop: pid %d still running after %v; ending its process tree", p.Pid(), timeout)
		}
	}
	if exited != nil {
		if err := p.Kill(); err != nil {
			s.Logf("stop: ending pid %d: %v", p.Pid(), err)
		}
		t := time.NewTimer(10 * time.Second)
		select {
		case r := <-exited:
			code = r.code
			s.Logf("stop: pid %d ended (exit code %d)", p.Pid(), r.code)
		case <-t.C:
			s.Logf("stop: pid %d did not end within 10s of being killed", p.Pid())
		}
		t.Stop()
	}
	if err := p.Close(); err != nil {
		s.Logf("stop: cleanup of pid %d: %v", p.Pid(), err)
	}
	return code
}

// waitExit waits for cmd and returns its exit code; an error only when the
// wait itself failed (an exit with a non-zero code is not one).
func waitExit(cmd *exec.Cmd) (int, error) {
	err := cmd.Wait()
	var ee *exec.ExitError
	if err == nil || errors.As(err, &ee) {
		return cmd.ProcessState.ExitCode(), nil
	}
	return -1, err
}
