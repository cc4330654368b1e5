//go:build windows

package main

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"

	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// runService runs the wrapper under the SCM. svc.Run is called directly
// rather than guarded by svc.IsWindowsService, whose heuristic answers false
// under Wine; when the process was not started by the SCM, svc.Run fails
// with ERROR_FAILED_SERVICE_CONTROLLER_CONNECT and the caller runs in the
// foreground.
func runService(w *wrapper) (bool, error) {
	h := &handler{w: w}
	err := svc.Run(w.sup.Config.Service, h)
	if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	return true, h.err
}

// reportSetupFailure reports a configuration or log-folder error when the
// SCM started the wrapper: to the Application event log (source svcwrap,
// unregistered, so Event Viewer shows the text with a note) and to the SCM
// as STOPPED with the service-specific exit code ExitConfig, rather than
// the bare error 1053 a process that exits without a word would get.
func reportSetupFailure(err error) {
	if el, eerr := eventlog.Open("svcwrap"); eerr == nil {
		_ = el.Error(1, "svcwrap: "+err.Error())
		el.Close()
	}
	_ = svc.Run("", failHandler{})
}

// failHandler stops at once with ExitConfig.
type failHandler struct{}

// Execute implements svc.Handler.
func (failHandler) Execute(_ []string, _ <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	return true, svcwrap.ExitConfig
}

// stopSignals end a foreground run (Ctrl+C, Ctrl+Break).
var stopSignals = []os.Signal{os.Interrupt}

type handler struct {
	w   *wrapper
	err error
}

// tick is how often pending states are re-reported with a new checkpoint.
const tick = time.Second

// Execute implements svc.Handler: START_PENDING until the program is up,
// RUNNING, and on stop STOP_PENDING with an increasing checkpoint until the
// program and its tree are gone.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	sup := h.w.sup
	var checkpoint uint32
	pending := func(state svc.State, hint time.Duration) svc.Status {
		checkpoint++
		return svc.Status{State: state, CheckPoint: checkpoint, WaitHint: uint32(hint / time.Millisecond)}
	}
	status <- pending(svc.StartPending, 10*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readyc := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- h.w.sup.Run(ctx, func() { close(readyc) })
	}()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	current := svc.Status{State: svc.StartPending}
	stopHint := sup.Config.StopTimeout.Std() + 10*time.Second
	finish := func(err error) (bool, uint32) {
		h.err = err
		var tooMany *svcwrap.TooManyRestartsError
		switch {
		case errors.As(err, &tooMany):
			return true, svcwrap.ExitTooManyRestarts
		case err != nil:
			return true, 1
		}
		return false, 0
	}
	for {
		select {
		case <-readyc:
			readyc = nil
			if current.State == svc.StartPending {
				current = svc.Status{State: svc.Running, Accepts: accepts}
				status <- current
				sup.Logf("service RUNNING")
			}
		case <-ticker.C:
			switch current.State {
			case svc.StartPending:
				current = pending(svc.StartPending, 10*time.Second)
				status <- current
			case svc.StopPending:
				current = pending(svc.StopPending, stopHint)
				status <- current
			}
		case err := <-done:
			return finish(err)
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- current
			case svc.Stop, svc.Shutdown:
				if current.State != svc.StopPending {
					sup.Logf("service stop requested")
					current = pending(svc.StopPending, stopHint)
					status <- current
					cancel()
				}
			default:
				status <- current
			}
		}
	}
}
