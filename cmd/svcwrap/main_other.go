//go:build !windows

package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// runService: only Windows has a service control manager to talk to; on
// Linux and macOS systemd or launchd run the wrapper like any program.
func runService(*wrapper) (bool, error) { return false, nil }

// reportSetupFailure has nowhere else to report to here: stderr has it.
func reportSetupFailure(error) {}

// runForeground supervises until SIGINT or SIGTERM.
func runForeground(w *wrapper) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return supervise(ctx, w, func() { w.sup.Logf("ready") })
}
