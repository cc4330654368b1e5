package windows

import (
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
)

// TestWrapperConfig: the wrapper's configuration (svcwrap.json) as the
// Windows packages ship it, from the service and service.wrapper fields,
// with the wrapper's defaults filled.
func TestWrapperConfig(t *testing.T) {
	s := &config.Spec{Name: "hello"}
	sv := &s.Service
	sv.Name, sv.Args, sv.Env = "hello", []string{"run", "-v"}, map[string]string{"PORT": "8080"}
	sv.Restart.Delay = config.Duration(3 * time.Second)
	sv.Contract.Wrap.On = true
	sv.Wrapper = config.Wrapper{
		StopTimeout: config.Duration(20 * time.Second),
		Restart:     config.WrapperRestart{Factor: 1.5, MaxDelay: config.Duration(30 * time.Second), MaxRestarts: 4, Window: config.Duration(10 * time.Minute)},
		Logs:        config.WrapperLogs{Dir: `D:\logs`, MaxSize: "2M", Keep: 3},
		Health:      &config.WrapperHealth{URL: "http://127.0.0.1:8080/healthz", Interval: config.Duration(5 * time.Second)},
	}
	got, err := WrapperJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "service": "hello",
  "program": "hello.exe",
  "args": [
    "run",
    "-v"
  ],
  "env": {
    "PORT": "8080"
  },
  "restart": {
    "delay": "3s",
    "factor": 1.5,
    "max_delay": "30s",
    "max_restarts": 4,
    "window": "10m0s"
  },
  "stop_timeout": "20s",
  "logs": {
    "dir": "D:\\logs",
    "max_size": 2097152,
    "keep": 3
  },
  "health": {
    "url": "http://127.0.0.1:8080/healthz",
    "interval": "5s",
    "timeout": "5s",
    "failures": 3
  }
}
`
	if string(got) != want {
		t.Errorf("wrapper config:\n%s\nwant:\n%s", got, want)
	}
	// Not wrapped: no configuration.
	sv.Contract.Wrap.On = false
	if got, err := WrapperJSON(s); got != nil || err != nil {
		t.Errorf("not wrapped: %s, %v", got, err)
	}
}

func TestRootedWithoutDrive(t *testing.T) {
	for p, want := range map[string]bool{
		"/delete": true, `\logs`: true, "logs": false, `D:\logs`: false, `\\server\share`: false, "//server/share": false, "": false,
	} {
		if got := rootedWithoutDrive(p); got != want {
			t.Errorf("rootedWithoutDrive(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestWrapperLogs: service.wrapper.logs' split, rotate, max_age and
// compress reach svcwrap.json, and a bad value is refused at its
// svcpack.yaml field with the words of svcpack.yaml's own check (so that
// check says it once).
func TestWrapperLogs(t *testing.T) {
	s := &config.Spec{Name: "hello"}
	s.Service.Name = "hello"
	s.Service.Contract.Wrap.On = true
	s.Service.Wrapper.Logs = config.WrapperLogs{Split: true, Rotate: "daily", MaxAge: config.Duration(30 * 24 * time.Hour), Compress: true}
	got, err := WrapperJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `  "logs": {
    "dir": "logs",
    "max_size": 10485760,
    "keep": 5,
    "split": true,
    "rotate": "daily",
    "max_age": "720h0m0s",
    "compress": true
  }`
	if !strings.Contains(string(got), want) {
		t.Errorf("wrapper config:\n%s\nwant:\n%s", got, want)
	}
	// The zip's README.txt tells of the same logs.
	ws, err := Service(s)
	if w := ws.Wrapped; err != nil || w == nil || !w.SplitLogs || w.Rotate != "daily" || !w.Compress {
		t.Errorf("the scripts' service does not carry the log settings: %+v, %v", w, err)
	}
	for _, tc := range []struct {
		logs config.WrapperLogs
		want string
	}{
		{config.WrapperLogs{MaxSize: "0K"}, `"0K" is zero: a log would rotate at every line; ` +
			`want a size of at least 1K such as 10M, or leave max_size out for the default`},
		{config.WrapperLogs{MaxSize: "512"}, `service.wrapper.logs.max_size: 512 bytes is below 1K: want a size such as "10M"`},
		{config.WrapperLogs{Rotate: "weekly"}, `service.wrapper.logs.rotate: "weekly" is not valid: want daily or hourly`},
		{config.WrapperLogs{Rotate: "hourly", MaxAge: config.Duration(30 * time.Minute)},
			"service.wrapper.logs.max_age: 30m0s is shorter than the hourly rotation: a file would expire before it is rotated; want at least 1h0m0s"},
	} {
		s.Service.Wrapper.Logs = tc.logs
		if _, err := Wrapper(s); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %s", tc.logs, err, tc.want)
		}
	}
}

// TestWrapperHealthFallsBack: the wrapper checks service.health unless
// service.wrapper.health sets its own, and a bad value is reported at the
// field it came from.
func TestWrapperHealthFallsBack(t *testing.T) {
	s := &config.Spec{Name: "hello"}
	s.Service.Name = "hello"
	s.Service.Contract.Wrap.On = true
	s.Service.Health = &config.WrapperHealth{URL: "http://127.0.0.1:8080/healthz", Failures: 4}
	wc, err := Wrapper(s)
	if err != nil {
		t.Fatal(err)
	}
	if wc.Health == nil || wc.Health.URL != "http://127.0.0.1:8080/healthz" || wc.Health.Failures != 4 {
		t.Errorf("from service.health: %+v", wc.Health)
	}
	s.Service.Wrapper.Health = &config.WrapperHealth{URL: "http://127.0.0.1:9090/ready"}
	if wc, err = Wrapper(s); err != nil || wc.Health == nil || wc.Health.URL != "http://127.0.0.1:9090/ready" {
		t.Errorf("with service.wrapper.health too: %+v, %v", wc, err)
	}
	s.Service.Wrapper.Health = nil
	s.Service.Health.URL = "http://10.0.0.1:8080/healthz"
	if _, err := Wrapper(s); err == nil || !strings.HasPrefix(err.Error(), "service.health.url: ") {
		t.Errorf("a remote service.health URL: %v", err)
	}
	s.Service.Health.AllowRemote = true
	if wc, err = Wrapper(s); err != nil || wc.Health == nil || !wc.Health.AllowRemote {
		t.Errorf("a remote service.health URL with allow_remote: %+v, %v", wc, err)
	}
}
