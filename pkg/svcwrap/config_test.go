package svcwrap

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(`{"service": "hello", "program": "hello.exe", "health": {"url": "http://127.0.0.1:8080/healthz"}}`), "svcwrap.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.Restart.Delay.Std() != DefaultRestartDelay || c.Restart.Factor != DefaultFactor || c.Restart.MaxDelay.Std() != DefaultMaxDelay ||
		c.Restart.MaxRestarts != DefaultMaxRestarts || c.Restart.Window.Std() != DefaultWindow {
		t.Errorf("restart defaults: %+v", c.Restart)
	}
	if c.StopTimeout.Std() != DefaultStopTimeout || c.Logs.Dir != "logs" || c.Logs.MaxSize != DefaultMaxSize || c.Logs.Keep != DefaultKeep {
		t.Errorf("defaults: stop %v logs %+v", c.StopTimeout.Std(), c.Logs)
	}
	if h := c.Health; h.Interval.Std() != DefaultInterval || h.Timeout.Std() != DefaultTimeout || h.Failures != DefaultFailures {
		t.Errorf("health defaults: %+v", h)
	}
}

func TestParseRoundTrip(t *testing.T) {
	in := &Config{
		Service: "hello", Program: "hello.exe", Args: []string{"run", "-addr", "127.0.0.1:1 2"},
		Env:         map[string]string{"PORT": "8080", "GREETING": "Hi & bye"},
		Restart:     Restart{Delay: Duration(2 * time.Second), Factor: 1.5, MaxDelay: Duration(time.Minute), MaxRestarts: 3, Window: Duration(time.Hour)},
		StopTimeout: Duration(7 * time.Second),
		Logs:        Logs{Dir: `C:\logs`, MaxSize: 1 << 20, Keep: 2},
		Health:      &Health{URL: "http://127.0.0.1:8080/healthz", Interval: Duration(time.Second), Timeout: Duration(time.Second), Failures: 2},
	}
	b, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse(b, "x.json")
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	b2, _ := out.Marshal()
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n%s", b, b2)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       []string
	}{
		{"empty", ``, []string{"svcwrap.json: the file is empty"}},
		{"syntax", "{\n\"service\": \"a\",\n}", []string{"svcwrap.json:3:", "want valid JSON"}},
		{"unknown", `{"service": "a", "program": "a.exe", "restrat": {}}`, []string{`unknown field "restrat"`, "valid fields are"}},
		{"type", "{\"service\": \"a\",\n\"program\": 5}", []string{"svcwrap.json:2: program: got a JSON number, want string"}},
		{"duration", `{"service": "a", "program": "a.exe", "restart": {"delay": "soon"}}`, []string{`restart.delay: "soon" is not a duration`}},
		{"size", `{"service": "a", "program": "a.exe", "logs": {"max_size": "big"}}`, []string{`logs.max_size: "big" is not a size`}},
		{"program", `{"service": "a"}`, []string{"svcwrap.json: program: is empty: want the program to run"}},
		{"service", `{"service": "a b", "program": "a.exe"}`, []string{`service: "a b" is not a service name`}},
		{"env", `{"service": "a", "program": "a.exe", "env": {"1X": "y"}}`, []string{`env.1X: "1X" is not a valid variable name`}},
		{"factor", `{"service": "a", "program": "a.exe", "restart": {"factor": 0.5}}`, []string{"restart.factor: 0.5 is below 1"}},
		{"max_delay", `{"service": "a", "program": "a.exe", "restart": {"delay": "2m", "max_delay": "1m"}}`, []string{"restart.max_delay: 1m0s is shorter than restart.delay 2m0s"}},
		{"negative", `{"service": "a", "program": "a.exe", "restart": {"max_restarts": -1, "window": "-1s"}, "stop_timeout": "-1s"}`,
			[]string{"restart.max_restarts: -1 is below 1", "restart.window: -1s is not positive", "stop_timeout: -1s is not positive"}},
		{"preshutdown", `{"service": "a", "program": "a.exe", "preshutdown_timeout": "500ms"}`,
			[]string{`preshutdown_timeout: 500ms is out of range: want 0 (off) or 1s to 10m0s, such as "30s"`}},
		{"logs", `{"service": "a", "program": "a.exe", "logs": {"max_size": 10, "keep": -2}}`, []string{"logs.max_size: 10 bytes is below 1K", "logs.keep: -2 is below 1"}},
		{"log limits", `{"service": "a", "program": "a.exe", "logs": {"max_size": "2G", "keep": 100000000}}`, []string{"logs.max_size: 2147483648 bytes is above the limit of 1G", "logs.keep: 100000000 is above the limit of 1000"}},
		{"log dir outside", `{"service": "a", "program": "a.exe", "logs": {"dir": "..\\..\\.."}}`, []string{`logs.dir: "..\\..\\.." leaves the install folder`}},
		{"log dir rooted", `{"service": "a", "program": "a.exe", "logs": {"dir": "\\logs"}}`, []string{"leaves the install folder"}},
		{"remote health", `{"service": "a", "program": "a.exe", "health": {"url": "http://example.com/healthz"}}`, []string{`health.url: "http://example.com/healthz" is not on this machine`, "allow_remote"}},
		{"credentials in health url", `{"service": "a", "program": "a.exe", "health": {"url": "http://u:p@127.0.0.1/x"}}`, []string{"is not an http(s) URL"}},
		{"health", `{"service": "a", "program": "a.exe", "health": {"url": "ftp://x", "failures": -1}}`, []string{`health.url: "ftp://x" is not an http(s) URL`, "health.failures: -1 is below 1"}},
		{"trailing", `{"service": "a", "program": "a.exe"} {}`, []string{"unexpected data after the JSON object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json), "svcwrap.json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4096", 4096, true}, {"10K", 10 << 10, true}, {"10M", 10 << 20, true}, {"1G", 1 << 30, true},
		{"10MB", 10 << 20, true}, {"10MiB", 10 << 20, true}, {"2 k", 2 << 10, true},
		{"", 0, false}, {"10X", 0, false}, {"-1", 0, false}, {"1.5M", 0, false}, {"99999999999999999999G", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestPathFor(t *testing.T) {
	for in, want := range map[string]string{`C:\x\svcwrap.exe`: `C:\x\svcwrap.json`, "/opt/x/svcwrap": "/opt/x/svcwrap.json", "a/hello-svc.exe": "a/hello-svc.json"} {
		if got := PathFor(in); got != want {
			t.Errorf("PathFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDelayFor(t *testing.T) {
	r := Restart{Delay: Duration(time.Second), Factor: 2, MaxDelay: Duration(10 * time.Second)}
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := r.DelayFor(n); got != want {
			t.Errorf("DelayFor(%d) = %v, want %v", n, got, want)
		}
	}
	if got := r.DelayFor(5000); got != 10*time.Second {
		t.Errorf("DelayFor(5000) = %v, want the maximum", got)
	}
	flat := Restart{Delay: Duration(3 * time.Second), Factor: 1, MaxDelay: Duration(time.Minute)}
	if got := flat.DelayFor(7); got != 3*time.Second {
		t.Errorf("factor 1: DelayFor(7) = %v", got)
	}
}

func TestLimiter(t *testing.T) {
	l := &Limiter{Max: 2, Window: time.Minute}
	t0 := time.Unix(1000, 0)
	for i, tc := range []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {10 * time.Second, true}, {20 * time.Second, false},
		// The first two leave the window: allowed again.
		{70 * time.Second, true}, {75 * time.Second, false}, {200 * time.Second, true},
	} {
		if got := l.Allow(t0.Add(tc.at)); got != tc.want {
			t.Errorf("%d: Allow(+%v) = %v, want %v", i, tc.at, got, tc.want)
		}
	}
}

// TestAllowedConfigs: absolute log folders, loopback health URLs in each
// spelling, and a remote one that says so are all valid.
func TestAllowedConfigs(t *testing.T) {
	for _, js := range []string{
		`{"service": "a", "program": "a.exe", "logs": {"dir": "D:\\logs\\a"}}`,
		`{"service": "a", "program": "a.exe", "logs": {"dir": "logs/sub"}}`,
		`{"service": "a", "program": "a.exe", "health": {"url": "http://localhost:1/x"}}`,
		`{"service": "a", "program": "a.exe", "health": {"url": "http://[::1]:1/x"}}`,
		`{"service": "a", "program": "a.exe", "health": {"url": "https://127.0.0.2/x"}}`,
		`{"service": "a", "program": "a.exe", "health": {"url": "http://db.example.com/x", "allow_remote": true}}`,
	} {
		if _, err := Parse([]byte(js), "svcwrap.json"); err != nil {
			t.Errorf("%s: %v", js, err)
		}
	}
}

// TestFolders: with Folders, ${name} in args and env values is the folder's
// path under the install folder (made when missing) and $$ a $; an unknown
// name or a lone $ is a problem; without Folders, text stays as it is.
func TestFolders(t *testing.T) {
	dir := t.TempDir()
	c := &Config{Service: "s", Program: "p.exe", Args: []string{"-rules", "${config}" + string(filepath.Separator) + "rules.json", "-cost=$$5"},
		Env: map[string]string{"DATA": "${state}"}, Folders: map[string]string{"config": ".", "state": "data"}}
	c.ApplyDefaults()
	if p := c.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	got, err := c.Expanded(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"-rules", filepath.Join(dir, "rules.json"), "-cost=$5"}; !slices.Equal(got.Args, want) {
		t.Errorf("args %q, want %q", got.Args, want)
	}
	if got.Env["DATA"] != filepath.Join(dir, "data") {
		t.Errorf("DATA = %q", got.Env["DATA"])
	}
	if fi, err := os.Stat(filepath.Join(dir, "data")); err != nil || !fi.IsDir() {
		t.Errorf("the state folder was not made: %v", err)
	}
	c.Folders["logs"] = "logs"
	if _, err := c.Expanded(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs")); !os.IsNotExist(err) {
		t.Errorf("a folder nothing names was made: %v", err)
	}
	if c.Args[1] != "${config}"+string(filepath.Separator)+"rules.json" {
		t.Error("Expanded changed the configuration it was called on")
	}
	for _, bad := range []string{"${nope}", "a $ b", "${config"} {
		c.Args = []string{bad}
		if p := c.Problems(); len(p) == 0 {
			t.Errorf("%q: no problem", bad)
		}
	}
	plain := &Config{Args: []string{"$HOME ${config}"}}
	if got, err := plain.Expanded(dir); err != nil || got.Args[0] != "$HOME ${config}" {
		t.Errorf("without folders: %q, %v", got.Args, err)
	}
}

// TestLogsFields: split, rotate, max_age and compress are read and written
// back, and left out of the JSON when unset.
func TestLogsFields(t *testing.T) {
	c, err := Parse([]byte(`{"service": "a", "program": "a.exe",
		"logs": {"split": true, "rotate": "hourly", "max_age": "168h", "compress": true}}`), "svcwrap.json")
	if err != nil {
		t.Fatal(err)
	}
	want := Logs{Dir: "logs", MaxSize: DefaultMaxSize, Keep: DefaultKeep, Split: true, Rotate: RotateHourly,
		MaxAge: Duration(168 * time.Hour), Compress: true}
	if c.Logs != want || c.Logs.Period() != time.Hour {
		t.Errorf("logs %+v, want %+v", c.Logs, want)
	}
	b, _ := c.Marshal()
	if !strings.Contains(string(b), `"split": true,
    "rotate": "hourly",
    "max_age": "168h0m0s",
    "compress": true`) {
		t.Errorf("marshalled:\n%s", b)
	}
	c.Logs = Logs{Dir: "logs", MaxSize: 1024, Keep: 1}
	b, _ = c.Marshal()
	for _, f := range []string{"split", "rotate", "max_age", "compress"} {
		if strings.Contains(string(b), f) {
			t.Errorf("unset %s written:\n%s", f, b)
		}
	}
	stdout, stderr := (&Config{Service: "a", Logs: Logs{Dir: "logs", Split: true}}).OutputFiles("/srv")
	if stdout != filepath.Join("/srv", "logs", "a.out.log") || stderr != filepath.Join("/srv", "logs", "a.err.log") {
		t.Errorf("split output files %s, %s", stdout, stderr)
	}
	if stdout, stderr := (&Config{Service: "a", Logs: Logs{Dir: "/var/log/a"}}).OutputFiles("/srv"); stdout != "/var/log/a/a.log" || stderr != stdout {
		t.Errorf("output files %s, %s", stdout, stderr)
	}
}

func TestLogsFieldErrors(t *testing.T) {
	for _, tc := range []struct{ logs, want string }{
		{`{"rotate": "weekly"}`, `logs.rotate: "weekly" is not valid: want daily or hourly`},
		{`{"rotate": "daily", "max_age": "1h"}`, "logs.max_age: 1h0m0s is shorter than the daily rotation: a file " +
			"would expire before it is rotated; want at least 24h0m0s"},
		{`{"max_age": "-1h"}`, "logs.max_age: -1h0m0s is negative"},
		{`{"max_age": "soon"}`, `logs.max_age: "soon" is not a duration`},
		{`{"spilt": true}`, "split, rotate, max_age, compress"},
	} {
		_, err := Parse([]byte(`{"service": "a", "program": "a.exe", "logs": `+tc.logs+`}`), "svcwrap.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.logs, err, tc.want)
		}
	}
	if _, err := Parse([]byte(`{"service": "a", "program": "a.exe", "logs": {"rotate": "hourly", "max_age": "1h"}}`), "x.json"); err != nil {
		t.Errorf("max age of one period: %v", err)
	}
}
