//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

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
// program and its tree are gone. With a preshutdown timeout it also accepts
// PRESHUTDOWN, which Windows sends before it shuts other services down, and
// stops the program on it as on a stop. The supervisor's events go to the
// Application event log under the service's name, the source the installers
// register.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	sup := h.w.sup
	accepts := accepted(sup.Config)
	var checkpoint uint32
	pending := func(state svc.State, hint time.Duration) svc.Status {
		checkpoint++
		return svc.Status{State: state, CheckPoint: checkpoint, WaitHint: uint32(hint / time.Millisecond)}
	}
	status <- pending(svc.StartPending, 10*time.Second)
	if el, err := eventlog.Open(sup.Config.Service); err != nil {
		sup.Logf("event log: cannot open source %s: %v (events go on in this file only)", sup.Config.Service, err)
	} else {
		defer el.Close() // after Run has returned: Execute returns only then
		sup.Report = reportTo(el, sup.Logf)
	}

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
			case svc.Stop, svc.Shutdown, svc.PreShutdown:
				if current.State != svc.StopPending {
					sup.Logf("service stop requested (%s)", controlName(c.Cmd))
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

// accepted are the controls the service accepts once RUNNING: stop and
// shutdown, and preshutdown when cfg has a preshutdown timeout (the SCM
// sends PRESHUTDOWN only to services that accept it).
func accepted(cfg *svcwrap.Config) svc.Accepted {
	a := svc.AcceptStop | svc.AcceptShutdown
	if cfg.PreshutdownTimeout > 0 {
		a |= svc.AcceptPreShutdown
	}
	return a
}

// controlName names a stop control for the events log.
func controlName(c svc.Cmd) string {
	switch c {
	case svc.Shutdown:
		return "shutdown"
	case svc.PreShutdown:
		return "preshutdown"
	}
	return "stop"
}

// preshutdownInfo is SERVICE_PRESHUTDOWN_INFO, which x/sys does not
// define: the timeout in milliseconds.
type preshutdownInfo struct{ Timeout uint32 }

// configureService sets the service's preshutdown timeout (when timeout is
// positive; 0 leaves Windows' default) and returns the timeout the SCM
// reports back.
func configureService(name string, timeout time.Duration) (time.Duration, error) {
	m, err := mgr.Connect()
	if err != nil {
		return 0, fmt.Errorf("connecting to the service control manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if timeout > 0 {
		info := preshutdownInfo{uint32(timeout.Milliseconds())}
		if err := windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_PRESHUTDOWN_INFO,
			(*byte)(unsafe.Pointer(&info))); err != nil {
			return 0, fmt.Errorf("setting the preshutdown timeout: %w", err)
		}
	}
	var got preshutdownInfo
	var needed uint32
	if err := windows.QueryServiceConfig2(s.Handle, windows.SERVICE_CONFIG_PRESHUTDOWN_INFO,
		(*byte)(unsafe.Pointer(&got)), uint32(unsafe.Sizeof(got)), &needed); err != nil {
		return 0, fmt.Errorf("reading the preshutdown timeout back: %w", err)
	}
	return time.Duration(got.Timeout) * time.Millisecond, nil
}

// parametersKey is where installers record the settings given at install
// time (msi.RegistryKey, winscripts): Arguments, and Environment\<name>.
func parametersKey(service string) string {
	return `SYSTEM\CurrentControlSet\Services\` + service + `\Parameters`
}

// applyServiceSettings reads the settings recorded for the service at
// install time and applies them over cfg: each value of
// Parameters\Environment to Env, Parameters\Arguments (a command line) as
// Args. It returns what it applied. The wrapper reads them itself rather than
// through the service's Environment value so that they override its own
// configuration (and because Wine ignores that value).
func applyServiceSettings(cfg *svcwrap.Config) ([]string, error) {
	var applied []string
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, parametersKey(cfg.Service), registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf(`HKLM\%s: %w`, parametersKey(cfg.Service), err)
	}
	defer k.Close()
	if line, _, err := k.GetStringValue("Arguments"); err == nil {
		args, err := windows.DecomposeCommandLine(line)
		if err != nil {
			return nil, fmt.Errorf(`HKLM\%s, Arguments %q: %w`, parametersKey(cfg.Service), line, err)
		}
		cfg.Args = args
		applied = append(applied, "arguments")
	} else if !errors.Is(err, registry.ErrNotExist) {
		return nil, fmt.Errorf(`HKLM\%s, Arguments: %w`, parametersKey(cfg.Service), err)
	}
	env, err := registry.OpenKey(k, "Environment", registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return applied, nil
	}
	if err != nil {
		return nil, fmt.Errorf(`HKLM\%s\Environment: %w`, parametersKey(cfg.Service), err)
	}
	defer env.Close()
	names, err := env.ReadValueNames(0)
	if err != nil {
		return nil, fmt.Errorf(`HKLM\%s\Environment: %w`, parametersKey(cfg.Service), err)
	}
	sort.Strings(names)
	for _, name := range names {
		v, _, err := env.GetStringValue(name)
		if err != nil {
			return nil, fmt.Errorf(`HKLM\%s\Environment, %s: %w`, parametersKey(cfg.Service), name, err)
		}
		if cfg.Env == nil {
			cfg.Env = map[string]string{}
		}
		for k := range cfg.Env { // names are case-insensitive on Windows
			if strings.EqualFold(k, name) {
				delete(cfg.Env, k)
			}
		}
		cfg.Env[name] = v
		applied = append(applied, name)
	}
	return applied, nil
}

// stopService stops the service if it runs and waits, up to timeout, until
// the SCM reports it STOPPED (or it is gone) and no process other than this
// one runs an executable from dir (the wrapper, the program and whatever it
// started from there): what removing the files needs.
func stopService(name, dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connecting to the service control manager: %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(name); err == nil {
		err = waitStopped(s, deadline)
		s.Close()
		if err != nil {
			return err
		}
	} else if !errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return fmt.Errorf("service %s: %w", name, err)
	}
	for {
		running, err := processesIn(dir)
		if err != nil {
			return err
		}
		if len(running) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v these still run from %s: %s", timeout, dir, strings.Join(running, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitStopped asks the service to stop, unless it is stopped or stopping
// (again while it is starting and cannot take the request yet), and waits
// until it is STOPPED.
func waitStopped(s *mgr.Service, deadline time.Time) error {
	for {
		st, err := s.Query()
		if err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
		if st.State == svc.Stopped {
			return nil
		}
		if st.State != svc.StopPending {
			if _, err := s.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) &&
				!errors.Is(err, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL) {
				return fmt.Errorf("stopping service %s: %w", s.Name, err)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s is still in state %d", s.Name, st.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processesIn lists the processes, other than this one, whose executable is
// in dir or below it, as "name (pid N)".
func processesIn(dir string) ([]string, error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	defer windows.CloseHandle(snap)
	prefix := strings.ToLower(filepath.Clean(dir)) + `\`
	self := windows.GetCurrentProcessId()
	var out []string
	var pe windows.ProcessEntry32
	pe.Size = uint32(unsafe.Sizeof(pe))
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		if pe.ProcessID == self || pe.ProcessID == 0 {
			continue
		}
		h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pe.ProcessID)
		if err != nil {
			continue // gone, or not ours to look at
		}
		buf := make([]uint16, windows.MAX_LONG_PATH)
		n := uint32(len(buf))
		err = windows.QueryFullProcessImageName(h, 0, &buf[0], &n)
		windows.CloseHandle(h)
		if err != nil {
			continue
		}
		if image := windows.UTF16ToString(buf[:n]); strings.HasPrefix(strings.ToLower(image), prefix) {
			out = append(out, fmt.Sprintf("%s (pid %d)", filepath.Base(image), pe.ProcessID))
		}
	}
	return out, nil
}
