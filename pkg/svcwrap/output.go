package svcwrap

import (
	"fmt"
	"io"
	"os"
	"time"
)

// outputPipe carries a child's stdout and stderr to the logs: through one
// pipe, so that their lines keep their order in one file, or through one
// pipe each when they go to two. The child inherits the write ends as files,
// so exec.Cmd.Wait returns when the child exits, not when every process
// holding a pipe has closed it: a grandchild that inherited the child's
// output would otherwise keep Wait (and with it the restart) blocked for as
// long as it lives.
type outputPipe struct {
	stdout, stderr *os.File // the child's ends (one file unless split); closed by the wrapper once started
	done           []chan struct{}
}

// newOutputPipe starts copying what the child writes to its standard output
// into stdout, and its standard error into stderr (nil: into stdout,
// through the same pipe).
func newOutputPipe(stdout, stderr io.Writer) (*outputPipe, error) {
	o := &outputPipe{}
	var err error
	if o.stdout, err = o.copyTo(stdout); err != nil {
		return nil, err
	}
	o.stderr = o.stdout
	if stderr != nil {
		if o.stderr, err = o.copyTo(stderr); err != nil {
			o.stdout.Close()
			return nil, err
		}
	}
	return o, nil
}

// copyTo makes a pipe and copies what is written to it into out; it returns
// the write end.
func (o *outputPipe) copyTo(out io.Writer) (*os.File, error) {
	if out == nil {
		out = io.Discard
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	done := make(chan struct{})
	o.done = append(o.done, done)
	go func() {
		defer close(done)
		defer r.Close()
		drainInto(out, r)
	}()
	return w, nil
}

// drainInto copies r into out until r ends, reading on when out fails (a
// log that cannot be written), so that the child never blocks on a full
// pipe nor fails writing to a closed one.
func drainInto(out io.Writer, r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = out.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// started closes the wrapper's copies of the write ends, once the child has
// its own.
func (o *outputPipe) started() {
	o.stdout.Close()
	o.stderr.Close()
}

// drain waits, at most timeout, for the copies to end: after the process
// tree is gone, the last lines it wrote reach the logs.
func (o *outputPipe) drain(timeout time.Duration) {
	o.started()
	t := time.NewTimer(timeout)
	defer t.Stop()
	for _, done := range o.done {
		select {
		case <-done:
		case <-t.C:
			return
		}
	}
}
