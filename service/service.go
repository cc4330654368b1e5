// Package service is the runtime side of the svcpack service contract: a
// program packaged by svcpack calls Run (or RunNotify) from main, and the
// function it passes runs until the service manager asks it to stop.
//
// On Windows, Run connects to the Service Control Manager with svc.Run from
// golang.org/x/sys/windows/svc, reports START_PENDING, RUNNING, STOP_PENDING
// and STOPPED, and cancels the context on Stop or Shutdown. When the process
// was not started by the SCM (run from a console), svc.Run fails at once with
// ERROR_FAILED_SERVICE_CONTROLLER_CONNECT and Run falls back to console mode.
// No detection heuristic (svc.IsWindowsService) is used: it answers false
// under Wine, where the service would then never report RUNNING.
//
// Elsewhere, Run cancels the context on SIGINT or SIGTERM and, when
// NOTIFY_SOCKET is set (systemd Type=notify), sends READY=1 once the program
// is ready and STOPPING=1 when it stops.
package service

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Func is the body of a service: it runs until ctx is cancelled and returns
// nil for a clean stop or an error for a failure (a non-zero exit, which lets
// the service manager's restart policy act).
type Func func(ctx context.Context) error

// NotifyFunc is a Func that calls ready once it serves (for example after its
// listener is bound), so that the service manager reports it as running only
// then.
type NotifyFunc func(ctx context.Context, ready func()) error

// Run runs fn as the service called name, reporting it ready as soon as fn
// starts. See the package doc for what happens on each platform.
func Run(name string, fn Func) error {
	return RunNotify(name, func(ctx context.Context, ready func()) error {
		ready()
		return fn(ctx)
	})
}

// RunNotify runs fn as the service called name; the service is reported
// running when fn calls ready.
func RunNotify(name string, fn NotifyFunc) error {
	if name == "" {
		return errors.New("service: empty service name")
	}
	handled, err := runWindowsService(name, fn)
	if handled {
		return err
	}
	return runConsole(fn)
}

// runConsole runs fn until SIGINT or SIGTERM, with systemd notifications
// when NOTIFY_SOCKET is set.
func runConsole(fn NotifyFunc) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	socket := os.Getenv("NOTIFY_SOCKET")
	ready := func() {
		if socket != "" {
			_ = sdNotify(socket, "READY=1")
		}
	}
	err := fn(ctx, ready)
	if socket != "" {
		_ = sdNotify(socket, "STOPPING=1")
	}
	return err
}
