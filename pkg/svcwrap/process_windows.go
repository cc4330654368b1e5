//go:build windows

package svcwrap

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
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

// winProcess is a child started suspended in a new process group and
// assigned to a job object that kills every process in it when the job is
// terminated or its last handle closes (so even a crash of the wrapper
// leaves no orphan).
type winProcess struct {
	cmd  *exec.Cmd
	job  windows.Handle
	once sync.Once
}

// StartProcess starts the program in a new process group, inside a job
// object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE. The child starts
// suspended and is resumed once it is in the job, so nothing it starts can
// escape the job.
func StartProcess(program string, args, env []string, dir string, out io.Writer) (Process, error) {
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
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_SUSPENDED,
	}
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("starting %s: %w", program, err)
	}
	p := &winProcess{cmd: cmd, job: job}
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

func (p *winProcess) Wait() (int, error) {
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if err == nil || errors.As(err, &ee) {
		return p.cmd.ProcessState.ExitCode(), nil
	}
	return -1, err
}

// Interrupt sends CTRL_BREAK_EVENT to the child's process group. The
// wrapper must have a console the child shares (see AttachHiddenConsole).
func (p *winProcess) Interrupt() error {
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid())); err != nil {
		return fmt.Errorf("GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, %d): %w", p.Pid(), err)
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
	})
	return err
}

var (
	kernel32          = windows.NewLazySystemDLL("kernel32.dll")
	procAllocConsole  = kernel32.NewProc("AllocConsole")
	procGetConsoleWnd = kernel32.NewProc("GetConsoleWindow")
	user32            = windows.NewLazySystemDLL("user32.dll")
	procShowWindow    = user32.NewProc("ShowWindow")
)

// AttachHiddenConsole gives the wrapper a console, hidden, when it has
// none (a service has none): children inherit it, and
// GenerateConsoleCtrlEvent can only reach processes that share the
// caller's console.
func AttachHiddenConsole() error {
	if hwnd, _, _ := procGetConsoleWnd.Call(); hwnd != 0 {
		return nil
	}
	if r, _, err := procAllocConsole.Call(); r == 0 {
		return fmt.Errorf("AllocConsole: %w", err)
	}
	if hwnd, _, _ := procGetConsoleWnd.Call(); hwnd != 0 {
		const swHide = 0
		procShowWindow.Call(hwnd, swHide)
	}
	return nil
}
