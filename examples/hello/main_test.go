package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestServeAndGracefulStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	readyc := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- serve(ctx, "127.0.0.1:0", "Hi", log.New(io.Discard, "", 0), func() { close(readyc) })
	}()
	select {
	case <-readyc:
	case err := <-errc:
		t.Fatalf("serve: %v", err)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("serve returned %v after stop, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestHandler(t *testing.T) {
	h := handler("Hi")
	for _, tc := range []struct{ path, want string }{
		{"/", "Hi from hello " + version},
		{"/healthz", "ok"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GET %s = %d %q, want 200 containing %q", tc.path, rec.Code, rec.Body.String(), tc.want)
		}
	}
}
