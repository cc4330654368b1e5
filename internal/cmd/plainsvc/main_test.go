package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/release"
)

func TestEndpoints(t *testing.T) {
	out := &testtool.Buffer{}
	exited := make(chan int, 1)
	s := &server{out: out, errOut: out, exit: func(code int) { exited <- code }}
	srv := httptest.NewServer(s.routes())
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/healthz", 200, "ok"},
		{"/print?n=3", 200, "1"},
		{"/print?n=x", 400, "want n=<count>"},
		{"/unhealthy", 200, "unhealthy"},
		{"/healthz", 500, "unhealthy"},
		{"/env?name=PLAINSVC_TEST", 200, "value"},
	} {
		t.Setenv("PLAINSVC_TEST", "value")
		if code, body := get(tc.path); code != tc.code || body != tc.body {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, code, body, tc.code, tc.body)
		}
	}
	if !strings.Contains(out.String(), "print 1 0\nprint 1 1\nprint 1 2\n") {
		t.Errorf("output:\n%s", out)
	}
	get("/crash?code=9")
	if code := <-exited; code != 9 {
		t.Errorf("crash exit code %d", code)
	}
}

// TestReleaseConfig keeps the checked-in release config that CI installs
// on Windows valid.
func TestReleaseConfig(t *testing.T) {
	c, err := release.Load("svcpack.yaml", config.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Service.Contract.Wrap; !w.On || !strings.Contains(w.Why, "does not speak to the Windows SCM") || c.Service.Account != "LocalService" {
		t.Errorf("wrap %+v, account %s", w, c.Service.Account)
	}
	// The config's dist stays in its folder; CI names the repository's
	// dist/plainsvc on the command line.
	if wd, _ := os.Getwd(); c.Dist != filepath.Join(wd, "dist") {
		t.Errorf("dist %s", c.Dist)
	}
}
