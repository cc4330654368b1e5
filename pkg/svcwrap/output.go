package svcwrap

import (
	"fmt"
	"io"
	"os"
	"time"
)

// outputPipe carries a child's stdout and stderr to the log. The child
// inherits the write end as a file, so exec.Cmd.Wait returns when the child
// exits, not when every process holding the pipe has closed it: a
// grandchild that inherited the child's output would otherwise keep Wait
// (and with it the restart) blocked for as long as it lives.
type outputPipe struct {
	w    *os.File // the child's end; closed by the wrapper once started
	done chan struct{}
}

// newOutputPipe starts copying everything written to the pipe into out.
func newOutputPipe(out io.Writer) (*outputPipe, error) {
	if out == nil {
		out = io.Discard
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	o := &outputPipe{w: w, done: make(chan struct{})}
	go func() {
		defer close(o.done)
		defer r.Close()
		_, _ = io.Copy(out, r)
	}()
	return o, nil
}

// started closes the wrapper's copy of the write end, once the child has
// its own.
func (o *outputPipe) started() { o.w.Close() }

// drain waits, at most timeout, for the copy to end: after the process tree
// is gone, the last lines it wrote reach the log.
func (o *outputPipe) drain(timeout time.Duration) {
	o.w.Close()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-o.done:
	case <-t.C:
	}
}
