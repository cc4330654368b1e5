// Command svcwrap is svcpack's service wrapper: it runs a program that knows
// nothing of service managers as a service. On Windows the SCM starts
// svcwrap.exe (no arguments); it reads the JSON configuration named after
// itself, beside it (svcwrap.exe -> svcwrap.json), starts the configured
// program from the install folder with its arguments and environment, reports
// RUNNING once the program is up (or its health check first passes),
// restarts it with backoff when it exits or turns unhealthy, and on stop
// sends it CTRL_BREAK_EVENT, waits up to stop_timeout and then ends its whole
// process tree through a job object. The program's output (one file, or
// stdout and stderr apart with logs.split) and the wrapper's own events go to
// files in the log folder, rotated by size and, with logs.rotate, hourly or
// daily (see package svcwrap for the names, retention and compression).
// Under the SCM it also reports the program's start, exit (with its code),
// restarts, health failures, giving up and the stop to the Application event
// log, under the service's name as source (svcwrap.EventID lists the IDs).
//
// Started from a console (or on Linux and macOS, where it supervises the
// program in the foreground until SIGINT or SIGTERM), it runs the same
// supervisor without the SCM:
//
//	svcwrap [-config path/to/svcwrap.json]
//
// On Windows, settings given at install time (msiexec ... PORT=9090,
// install-service.cmd PORT=9090) are recorded under the service's registry
// key, Parameters: the wrapper reads them at start, each value of
// Parameters\Environment over the configuration's env, Parameters\Arguments
// (one command line) instead of its args. Uninstalling runs
//
//	svcwrap -stop-service <name> [-timeout 40s]
//
// which stops the service if it still runs and waits until it is STOPPED and
// no process runs a program of the wrapper's folder, so that the files can
// be removed (Windows Installer waits for STOPPED at most 30 seconds, Wine's
// not at all).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/svcwrap"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// wrapper is a loaded configuration with its open logs.
type wrapper struct {
	sup  *svcwrap.Supervisor
	logs *svcwrap.LogSet
}

func (w *wrapper) close() { w.logs.Close() }

// logTick is how often the logs check for the end of their period and for
// files past their age, when nothing writes to them.
const logTick = time.Minute

// tickLogs ticks the logs until ctx ends.
func (w *wrapper) tickLogs(ctx context.Context) {
	t := time.NewTicker(logTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.logs.Tick()
		}
	}
}

// setup finds and loads the configuration and opens the log files.
func setup(args []string, stderr io.Writer) (*wrapper, error) {
	fs := flag.NewFlagSet("svcwrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the executable's name with .json, beside it)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("svcwrap: cannot find its own executable: %w", err)
	}
	dir := filepath.Dir(exe)
	if *cfgPath == "" {
		*cfgPath = svcwrap.PathFor(exe)
	} else if *cfgPath, err = filepath.Abs(*cfgPath); err != nil {
		return nil, err
	}
	cfg, err := svcwrap.Load(*cfgPath)
	if err != nil {
		return nil, err
	}
	base := filepath.Dir(*cfgPath)
	if base != dir && !filepath.IsAbs(cfg.Program) {
		// A config given with -config names the program relative to itself.
		dir = base
	}
	// The folders first: the settings an administrator recorded at install
	// time are used as they are.
	if cfg, err = cfg.Expanded(dir); err != nil {
		return nil, err
	}
	applied, err := applyServiceSettings(cfg)
	if err != nil {
		return nil, fmt.Errorf("svcwrap: the settings recorded for service %s: %w", cfg.Service, err)
	}
	logs, err := cfg.OpenLogs(dir, nil)
	if err != nil {
		return nil, fmt.Errorf("svcwrap: %w (set logs.dir in %s to a folder the service account may write)", err, *cfgPath)
	}
	stdout, stderr := logs.Outputs()
	w := &wrapper{
		sup:  &svcwrap.Supervisor{Config: cfg, Dir: dir, Output: stdout, Stderr: stderr, Events: logs.Events},
		logs: logs,
	}
	if len(applied) > 0 {
		w.sup.Logf("settings recorded at install time: %s", strings.Join(applied, ", "))
	}
	return w, nil
}

// run loads the configuration and runs the wrapper, as a service when the
// SCM started it, else in the foreground; it returns the exit code.
func run(args []string, stderr io.Writer) int {
	if len(args) > 0 && strings.TrimLeft(args[0], "-") == "stop-service" {
		return runStopService(args, stderr)
	}
	if len(args) > 0 && strings.TrimLeft(args[0], "-") == "configure-service" {
		return runConfigureService(args, stderr)
	}
	w, err := setup(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		reportSetupFailure(err)
		return svcwrap.ExitConfig
	}
	defer w.close()
	ctx, stopTicks := context.WithCancel(context.Background())
	defer stopTicks()
	go w.tickLogs(ctx)
	handled, err := runService(w)
	if !handled {
		err = runForeground(w)
	}
	var tooMany *svcwrap.TooManyRestartsError
	switch {
	case errors.As(err, &tooMany):
		fmt.Fprintln(stderr, "svcwrap:", err)
		return svcwrap.ExitTooManyRestarts
	case err != nil:
		w.sup.Logf("error: %v", err)
		fmt.Fprintln(stderr, "svcwrap:", err)
		return 1
	}
	w.sup.Logf("stopped")
	return 0
}

// runStopService parses -stop-service <name> [-timeout d] and stops the
// service, waiting for its processes to end.
func runStopService(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("svcwrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("stop-service", "", "stop this service and wait until no program of the wrapper's folder runs")
	timeout := fs.Duration("timeout", time.Minute, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "svcwrap: usage: svcwrap -stop-service <name> [-timeout 40s]")
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "svcwrap: cannot find its own executable:", err)
		return 1
	}
	if err := stopService(*name, filepath.Dir(exe), *timeout); err != nil {
		fmt.Fprintln(stderr, "svcwrap:", err)
		return 1
	}
	return 0
}

// eventLog is where the wrapper writes its events when the SCM runs it:
// the Windows Application event log (golang.org/x/sys/windows/svc/eventlog's
// Log), under the service's name.
type eventLog interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// reportTo returns a Supervisor.Report that writes each event to l with
// its severity and ID; a failed write is noted in the wrapper's event lines
// (logf), once, as the next would most likely fail alike.
func reportTo(l eventLog, logf func(string, ...any)) func(svcwrap.Event) {
	failed := false
	return func(e svcwrap.Event) {
		write := l.Info
		switch e.Severity {
		case svcwrap.Warning:
			write = l.Warning
		case svcwrap.Error:
			write = l.Error
		}
		if err := write(uint32(e.ID), e.Message); err != nil && !failed {
			failed = true
			logf("event log: cannot write event %d: %v (events go on in this file only)", e.ID, err)
		}
	}
}

// runConfigureService parses -configure-service <name> [-config path] and
// gives the service the settings of the wrapper's configuration that only
// the SCM holds (the preshutdown timeout), which install-service.cmd cannot
// set with sc; it prints what the SCM reports back.
func runConfigureService(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("svcwrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("configure-service", "", "apply the configuration's SCM settings to this service")
	cfgPath := fs.String("config", "", "configuration file (default: the executable's name with .json, beside it)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "svcwrap: usage: svcwrap -configure-service <name> [-config svcwrap.json]")
		return 2
	}
	if *cfgPath == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(stderr, "svcwrap: cannot find its own executable:", err)
			return 1
		}
		*cfgPath = svcwrap.PathFor(exe)
	}
	cfg, err := svcwrap.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return svcwrap.ExitConfig
	}
	got, err := configureService(*name, cfg.PreshutdownTimeout.Std())
	if err != nil {
		fmt.Fprintf(stderr, "svcwrap: service %s: %v\n", *name, err)
		return 1
	}
	fmt.Fprintf(stderr, "svcwrap: service %s: preshutdown timeout %v\n", *name, got)
	return 0
}

// runForeground supervises until one of stopSignals arrives.
func runForeground(w *wrapper) error {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	return w.sup.Run(ctx, func() { w.sup.Logf("ready") })
}
