package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/svcwrap"
)

func TestRunConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, json string
		want       []string
	}{
		{"missing", "", []string{"missing.json", "no such file", "the .json file named after its executable"}},
		{"bad field", `{"service": "x", "program": "x", "restart": {"factor": 0}, "health": {"url": "nope"}}`,
			[]string{"bad field.json: health.url:", `"nope" is not an http(s) URL`}},
		{"unknown field", `{"service": "x", "program": "x", "stop_timout": "1s"}`, []string{`unknown field "stop_timout"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".json")
			if tc.json != "" {
				if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stderr bytes.Buffer
			if code := run([]string{"-config", path}, &stderr); code != svcwrap.ExitConfig {
				t.Errorf("exit code %d, want %d", code, svcwrap.ExitConfig)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestRunLogFolderError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "w.json")
	cfg := `{"service": "x", "program": "x", "logs": {"dir": "` + filepath.ToSlash(filepath.Join(blocker, "logs")) + `"}}`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-config", path}, &stderr); code != svcwrap.ExitConfig {
		t.Errorf("exit code %d, want %d", code, svcwrap.ExitConfig)
	}
	if !strings.Contains(stderr.String(), "set logs.dir in "+path) {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// TestStopServiceUsage: the installers' modes refuse what they cannot use.
func TestStopServiceUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-stop-service"}, 2, "flag needs an argument"},
		{[]string{"-stop-service", "x", "extra"}, 2, "usage: svcwrap -stop-service <name>"},
		{[]string{"-stop-service", "x", "-timeout", "soon"}, 2, "invalid value"},
		{[]string{"-configure-service"}, 2, "flag needs an argument"},
		{[]string{"-configure-service", "x", "extra"}, 2, "usage: svcwrap -configure-service <name>"},
		{[]string{"-configure-service", "x", "-config", "/nonexistent/svcwrap.json"}, 2, "/nonexistent/svcwrap.json"},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, want %d; stderr %q lacks %q", tc.args, code, tc.code, stderr.String(), tc.want)
		}
	}
}

// fakeEventLog records what reportTo writes, as "type id: message".
type fakeEventLog struct {
	lines []string
	err   error
}

func (l *fakeEventLog) write(typ string, eid uint32, msg string) error {
	l.lines = append(l.lines, fmt.Sprintf("%s %d: %s", typ, eid, msg))
	return l.err
}

func (l *fakeEventLog) Info(eid uint32, msg string) error    { return l.write("Info", eid, msg) }
func (l *fakeEventLog) Warning(eid uint32, msg string) error { return l.write("Warning", eid, msg) }
func (l *fakeEventLog) Error(eid uint32, msg string) error   { return l.write("Error", eid, msg) }

// TestReportTo: each severity goes to its event log type with the event's
// ID; a failing log is noted once in the event lines.
func TestReportTo(t *testing.T) {
	l := &fakeEventLog{}
	var notes []string
	report := reportTo(l, func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) })
	report(svcwrap.Event{Severity: svcwrap.Info, ID: svcwrap.EventStarted, Message: "started"})
	report(svcwrap.Event{Severity: svcwrap.Warning, ID: svcwrap.EventExited, Message: "exited"})
	report(svcwrap.Event{Severity: svcwrap.Error, ID: svcwrap.EventGivingUp, Message: "gave up"})
	got, want := strings.Join(l.lines, "\n"), "Info 101: started\nWarning 102: exited\nError 105: gave up"
	if got != want {
		t.Errorf("event log got\n%s\nwant\n%s", got, want)
	}
	l.err = errors.New("log full")
	report(svcwrap.Event{Severity: svcwrap.Info, ID: svcwrap.EventStopped, Message: "stopped"})
	report(svcwrap.Event{Severity: svcwrap.Info, ID: svcwrap.EventStopped, Message: "stopped"})
	if len(notes) != 1 || !strings.Contains(notes[0], "cannot write event 106: log full") {
		t.Errorf("notes of the failing log: %q", notes)
	}
}
