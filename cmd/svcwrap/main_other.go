//go:build !windows

package main

import (
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// runService: only Windows has a service control manager to talk to; on
// Linux and macOS systemd or launchd run the wrapper like any program.
func runService(*wrapper) (bool, error) { return false, nil }

// reportSetupFailure has nowhere else to report to here: stderr has it.
func reportSetupFailure(error) {}

// stopSignals end a foreground run.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// applyServiceSettings: settings recorded at install time live in the
// Windows registry; elsewhere the configuration is all there is.
func applyServiceSettings(*svcwrap.Config) ([]string, error) { return nil, nil }

// stopService needs a service control manager.
func stopService(string, string, time.Duration) error {
	return errors.New("-stop-service stops a Windows service: there is none here")
}

// configureService needs a service control manager.
func configureService(string, time.Duration) (time.Duration, error) {
	return 0, errors.New("-configure-service configures a Windows service: there is none here")
}
