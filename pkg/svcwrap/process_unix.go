//go:build !windows

package svcwrap

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// lookupEnv finds a configured variable by name (case-sensitive here).
func lookupEnv(env map[string]string, k string) (string, bool) {
	v, ok := env[k]
	return v, ok
}

// unixProcess is a child in its own process group: signals reach the
// group, so the child's own children are stopped with it.
type unixProcess struct {
	cmd  *exec.Cmd
	pipe *outputPipe
}

// startProcess starts the program in a new process group.
func startProcess(program string, args, env []string, dir string, stdout, stderr io.Writer) (Process, error) {
	cmd := exec.Command(program, args...)
	cmd.Env, cmd.Dir = env, dir
	pipe, err := newOutputPipe(stdout, stderr)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pipe.stdout, pipe.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	pipe.started()
	if err != nil {
		pipe.drain(time.Second)
		return nil, fmt.Errorf("starting %s: %w", program, err)
	}
	return &unixProcess{cmd: cmd, pipe: pipe}, nil
}

func (p *unixProcess) Pid() int { return p.cmd.Process.Pid }

func (p *unixProcess) Wait() (int, error) { return waitExit(p.cmd) }

func (p *unixProcess) Interrupt() error { return syscall.Kill(-p.Pid(), syscall.SIGINT) }

func (p *unixProcess) Kill() error {
	if err := syscall.Kill(-p.Pid(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// Close ends whatever is left in the group and lets its last output reach
// the log.
func (p *unixProcess) Close() error {
	err := p.Kill()
	p.pipe.drain(5 * time.Second)
	return err
}

// NewStartFunc returns the platform's StartFunc: here, each child in a new
// process group (on Windows, in a job object with a console of its own).
func NewStartFunc() StartFunc { return startProcess }
