package svcwrap

import "fmt"

// Severity is how an event is shown in an event log.
type Severity int

// The severities, as the Windows event log's information, warning and
// error types.
const (
	Info Severity = iota
	Warning
	Error
)

// String names the severity.
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// EventID identifies a kind of event, stable across versions, so that
// filters and alerts can name it. The IDs are within 1..1000: the event
// source installers register uses EventCreate.exe's message table, whose
// generic "%1" message covers those IDs only. They start at 101, leaving
// the low ones to the program itself should it write under the same source.
type EventID uint32

// The wrapper's events.
const (
	EventStarted     EventID = 101 // the program was started (info)
	EventExited      EventID = 102 // the program exited, with its exit code (warning)
	EventRestarting  EventID = 103 // the program is restarted after a delay (info)
	EventUnhealthy   EventID = 104 // the health check failed often enough to restart it (warning)
	EventGivingUp    EventID = 105 // too many restarts: the wrapper stops with a failure code (error)
	EventStopped     EventID = 106 // the service was stopped, and the program with it (info)
	EventStartFailed EventID = 107 // the program could not be started (error)
)

// Event is one of the wrapper's events, as an event log records it.
type Event struct {
	Severity Severity
	ID       EventID
	Message  string
}

// String is the event as one line: severity, ID and message.
func (e Event) String() string { return fmt.Sprintf("%s %d: %s", e.Severity, e.ID, e.Message) }

// report sends an event to s.Report, when set.
func (s *Supervisor) report(sev Severity, id EventID, format string, args ...any) {
	if s.Report != nil {
		s.Report(Event{Severity: sev, ID: id, Message: fmt.Sprintf(format, args...)})
	}
}
