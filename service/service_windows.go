//go:build windows

package service

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
)

// stopWait is the wait hint reported while the function shuts down.
const stopWait = 20 * time.Second

// runWindowsService runs fn under the SCM. handled is false when the process
// was not started by the SCM, so the caller runs it in console mode.
func runWindowsService(name string, fn NotifyFunc) (handled bool, err error) {
	h := &handler{fn: fn}
	err = svc.Run(name, h)
	if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	return true, h.err
}

type handler struct {
	fn  NotifyFunc
	err error
}

// Execute implements svc.Handler.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	status <- svc.Status{State: svc.StartPending, WaitHint: 30000}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readyc := make(chan struct{})
	ready := func() {
		select {
		case <-readyc:
		default:
			close(readyc)
		}
	}
	done := make(chan error, 1)
	go func() { done <- h.fn(ctx, ready) }()

	var current svc.Status
	for {
		select {
		case <-readyc:
			current = svc.Status{State: svc.Running, Accepts: accepts}
			status <- current
			readyc = nil // report once
		case err := <-done:
			h.err = err
			if err != nil {
				// A service-specific exit code makes the SCM treat this as a
				// failure, so recovery actions apply (with the failure flag).
				return true, 1
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32(stopWait / time.Millisecond)}
				cancel()
				h.err = <-done
				if h.err != nil {
					return true, 1
				}
				return false, 0
			default:
				status <- current
			}
		}
	}
}
