//go:build windows

package svcwrap

import (
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// lookupEnv finds a configured variable by name, ignoring case as Windows
// does.
func lookupEnv(env map[string]string, k string) (string, bool) {
	for name, v := range env {
		if strings.EqualFold(name, k) {
			return v, true
		}
	}
	return "", false
}

// winProcess is a child started suspended with a console of its own
// (hidden) and assigned to a job object that kills every process in it when
// the job is terminated or its last handle closes (so even a crash of the
// wrapper leaves no orphan).
type winProcess struct {
	cmd   *exec.Cmd
	job   windows.Handle
	once  sync.Once
	guard *ctrlGuard
	pipe  *outputPipe
}

// NewStartFunc returns the StartFunc that starts the program with a new,
// hidden console, inside a job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE.
// The child starts suspended and is resumed once it is in the job, so
// nothing it starts can escape the job. Its own console is what lets the
// wrapper signal it (see Interrupt): a service has no console to share, and
// only the processes on that console receive the event. The processes of
// one StartFunc share one console control guard, so the wrapper installs a
// single handler however often the program restarts.
func NewStartFunc() StartFunc {
	guard := &ctrlGuard{}
	return func(program string, args, env []string, dir string, stdout, stderr io.Writer) (Process, error) {
		return startProcess(program, args, env, dir, stdout, stderr, guard)
	}
}

func startProcess(program string, args, env []string, dir string, stdout, stderr io.Writer, guard *ctrlGuard) (Process, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("CreateJobObject: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("SetInformationJobObject: %w", err)
	}
	cmd := exec.Command(program, args...)
	cmd.Env, cmd.Dir = env, dir
	pipe, err := newOutputPipe(stdout, stderr)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pipe.stdout, pipe.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// No CREATE_NEW_PROCESS_GROUP: it would turn Ctrl+C off in the
		// child, and its own console already confines the events to it.
		CreationFlags: windows.CREATE_NEW_CONSOLE | windows.CREATE_SUSPENDED,
		HideWindow:    true,
	}
	err = cmd.Start()
	pipe.started()
	if err != nil {
		pipe.drain(time.Second)
		windows.CloseHandle(job)
		return nil, fmt.Errorf("starting %s: %w", program, err)
	}
	p := &winProcess{cmd: cmd, job: job, guard: guard, pipe: pipe}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid))
	if err == nil {
		err = windows.AssignProcessToJobObject(job, h)
		windows.CloseHandle(h)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		windows.CloseHandle(job)
		return nil, fmt.Errorf("assigning pid %d to a job object: %w", cmd.Process.Pid, err)
	}
	if err := resumeThreads(uint32(cmd.Process.Pid)); err != nil {
		_ = p.Kill()
		_ = cmd.Wait()
		p.Close()
		return nil, err
	}
	return p, nil
}

// resumeThreads resumes the (single, suspended) thread of a new process.
func resumeThreads(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("resuming pid %d: CreateToolhelp32Snapshot: %w", pid, err)
	}
	defer windows.CloseHandle(snap)
	var te windows.ThreadEntry32
	te.Size = uint32(unsafe.Sizeof(te))
	resumed := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if err != nil {
			return fmt.Errorf("resuming pid %d: OpenThread: %w", pid, err)
		}
		_, err = windows.ResumeThread(th)
		windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("resuming pid %d: ResumeThread: %w", pid, err)
		}
		resumed++
	}
	if resumed == 0 {
		return fmt.Errorf("resuming pid %d: no thread found", pid)
	}
	return nil
}

func (p *winProcess) Pid() int { return p.cmd.Process.Pid }

func (p *winProcess) Wait() (int, error) { return waitExit(p.cmd) }

// Interrupt attaches the wrapper to the child's console and sends
// CTRL_BREAK_EVENT to every process on it, which is the child's tree (and
// the wrapper, which swallows it); Go programs see os.Interrupt. Wine 8
// implements only CTRL_C_EVENT (CTRL_BREAK_EVENT fails there with "invalid
// handle", measured), so when the break cannot be sent CTRL_C_EVENT follows.
// The wrapper then detaches again.
func (p *winProcess) Interrupt() error {
	if err := p.guard.install(); err != nil {
		return err
	}
	p.guard.swallow.Store(true)
	defer func() {
		// Events are delivered on threads of their own: wait before
		// accepting them again.
		time.Sleep(200 * time.Millisecond)
		procFreeConsole.Call()
		procAttachConsole.Call(attachParentProcess) // a console the wrapper was started from, if any
		p.guard.swallow.Store(false)
	}()
	procFreeConsole.Call()
	if r, _, err := procAttachConsole.Call(uintptr(p.Pid())); r == 0 {
		return fmt.Errorf("AttachConsole(%d): %w", p.Pid(), err)
	}
	breakErr := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, 0)
	if breakErr == nil {
		return nil
	}
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_C_EVENT, 0); err != nil {
		return fmt.Errorf("GenerateConsoleCtrlEvent on the console of pid %d: CTRL_BREAK_EVENT: %v; CTRL_C_EVENT: %w", p.Pid(), breakErr, err)
	}
	return nil
}

// Kill terminates every process in the job.
func (p *winProcess) Kill() error {
	if err := windows.TerminateJobObject(p.job, 1); err != nil {
		return fmt.Errorf("TerminateJobObject: %w", err)
	}
	return nil
}

// Close terminates what is left in the job and closes it.
func (p *winProcess) Close() error {
	var err error
	p.once.Do(func() {
		_ = windows.TerminateJobObject(p.job, 1)
		err = windows.CloseHandle(p.job)
		p.pipe.drain(5 * time.Second)
	})
	return err
}

var (
	kernel32           = windows.NewLazySystemDLL("kernel32.dll")
	procFreeConsole    = kernel32.NewProc("FreeConsole")
	procAttachConsole  = kernel32.NewProc("AttachConsole")
	procSetCtrlHandler = kernel32.NewProc("SetConsoleCtrlHandler")
)

// attachParentProcess is ATTACH_PARENT_PROCESS for AttachConsole.
const attachParentProcess = ^uintptr(0)

// ctrlGuard swallows console control events that reach the wrapper while it
// is attached to a child's console to signal it (the event goes to every
// process on that console, the sender included: unhandled, Go's default
// would end the wrapper).
type ctrlGuard struct {
	once     sync.Once
	swallow  atomic.Bool
	callback uintptr
	err      error
}

func (g *ctrlGuard) install() error {
	g.once.Do(func() {
		g.callback = windows.NewCallback(func(event uint32) uintptr {
			if g.swallow.Load() {
				return 1
			}
			return 0
		})
		if r, _, err := procSetCtrlHandler.Call(g.callback, 1); r == 0 {
			g.err = fmt.Errorf("SetConsoleCtrlHandler: %w", err)
		}
	})
	return g.err
}
