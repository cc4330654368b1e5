package windows

import (
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
