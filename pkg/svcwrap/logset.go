package svcwrap

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"time"
)

// LogSet is a wrapper's open logs: the program's output (one file, or with
// logs.split one for stdout and one for stderr) and the wrapper's events.
type LogSet struct {
	// Stdout is the program's output log; Stderr its error log, the same
	// writer unless split.
	Stdout, Stderr *RotatingWriter
	// Events is the wrapper's event log.
	Events *RotatingWriter

	now func() time.Time
	mu  sync.Mutex // guards Events for reports made while opening
}

// OpenLogs opens the logs of a wrapper whose install folder is dir, rotated
// as c.Logs says, with the clock now (nil: time.Now). Errors of their
// background work (compression, removal, a failed rotation) become event
// lines.
func (c *Config) OpenLogs(dir string, now func() time.Time) (*LogSet, error) {
	if now == nil {
		now = time.Now
	}
	l := &LogSet{now: now}
	o := RotateOptions{MaxSize: int64(c.Logs.MaxSize), Keep: c.Logs.Keep, Period: c.Logs.Period(),
		MaxAge: c.Logs.MaxAge.Std(), Compress: c.Logs.Compress, Now: now, OnError: l.report}
	_, eventsPath := c.LogFiles(dir)
	stdoutPath, stderrPath := c.OutputFiles(dir)
	events, err := OpenRotating(eventsPath, o)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.Events = events
	l.mu.Unlock()
	if l.Stdout, err = OpenRotating(stdoutPath, o); err != nil {
		events.Close()
		return nil, err
	}
	l.Stderr = l.Stdout
	if stderrPath != stdoutPath {
		if l.Stderr, err = OpenRotating(stderrPath, o); err != nil {
			l.Stdout.Close()
			events.Close()
			return nil, err
		}
	}
	return l, nil
}

// report writes a log's background error to the event log.
func (l *LogSet) report(err error) {
	l.mu.Lock()
	events := l.Events
	l.mu.Unlock()
	if events != nil {
		var b bytes.Buffer // one Write: one line, whole
		writeEvent(&b, l.now(), "logs: "+err.Error())
		_, _ = events.Write(b.Bytes())
	}
}

// Outputs returns the writers for Supervisor.Output and Supervisor.Stderr:
// stderr is nil (the program's stderr shares stdout's pipe) unless split.
func (l *LogSet) Outputs() (stdout, stderr io.Writer) {
	if l.Stderr == l.Stdout {
		return l.Stdout, nil
	}
	return l.Stdout, l.Stderr
}

// writers are the distinct writers of the set.
func (l *LogSet) writers() []*RotatingWriter {
	if l.Stderr == l.Stdout {
		return []*RotatingWriter{l.Stdout, l.Events}
	}
	return []*RotatingWriter{l.Stdout, l.Stderr, l.Events}
}

// Tick ticks each log (see RotatingWriter.Tick).
func (l *LogSet) Tick() {
	for _, w := range l.writers() {
		w.Tick()
	}
}

// Close closes every log.
func (l *LogSet) Close() error {
	var errs []error
	for _, w := range l.writers() {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}
