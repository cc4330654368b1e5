package release

import (
	"strings"
	"testing"
)

// TestWrapperRules: the wrapper's own rules on service.wrapper (the svcwrap
// format's check, which owns the mapping onto svcwrap.json) reach check
// through Load, at their fields.
func TestWrapperRules(t *testing.T) {
	const base = "name: hello\nmain: ./examples/hello\ntargets: [windows/amd64]\nformats: [zip]\nservice:\n  name: hello\n  restart: {delay: 3s}\n"
	for _, tc := range []struct {
		name, from, to string
		want           []string // substrings of the error, with the line
	}{
		{"wrapper values", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper:\n    restart: {factor: 0.5, max_restarts: -1}\n    logs: {keep: -1}\n",
			[]string{"svcpack.yaml:10: service.wrapper.restart.factor: 0.5 is below 1", "svcpack.yaml:10: service.wrapper.restart.max_restarts: -1 is below 1",
				"svcpack.yaml:11: service.wrapper.logs.keep: -1 is below 1"}},
		{"wrapper log dir", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper: {logs: {dir: '..\\logs'}}\n",
			[]string{"svcpack.yaml:9: service.wrapper.logs.dir", `"..\\logs" leaves the install folder`}},
		{"wrapper log dir at a drive's root", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper: {logs: {dir: /delete}}\n",
			[]string{"svcpack.yaml:9: service.wrapper.logs.dir", `"/delete" is rooted at the current drive on Windows`, `D:\logs\hello`}},
		{"wrapper log size", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper: {logs: {max_size: huge}}\n",
			[]string{"svcpack.yaml:9: service.wrapper.logs.max_size:", `"huge" is not a size`}},
		{"wrapper delay", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper: {restart: {max_delay: 1s}}\n",
			[]string{"svcpack.yaml:9: service.wrapper.restart.max_delay: 1s is shorter than restart.delay 3s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("test bug: %q not in config", tc.from)
			}
			_, err := helloLoad(t, strings.Replace(base, tc.from, tc.to, 1), nil)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}
