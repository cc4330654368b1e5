//go:build !windows

package main

import (
	"os"
	"syscall"
)

// runService: only Windows has a service control manager to talk to; on
// Linux and macOS systemd or launchd run the wrapper like any program.
func runService(*wrapper) (bool, error) { return false, nil }

// reportSetupFailure has nowhere else to report to here: stderr has it.
func reportSetupFailure(error) {}

// stopSignals end a foreground run.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}
