package svcwrap

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestChecker(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
		case "/slow":
			time.Sleep(2 * time.Second)
		default:
			http.Error(w, "no", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path string
		ok   bool
	}{{"/ok", true}, {"/bad", false}, {"/slow", false}} {
		c := &Checker{URL: srv.URL + tc.path, Timeout: 300 * time.Millisecond}
		if err := c.Check(context.Background()); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.path, err, tc.ok)
		}
	}
	c := &Checker{URL: "http://127.0.0.1:1/none", Timeout: time.Second}
	if err := c.Check(context.Background()); err == nil {
		t.Error("closed port passed")
	}
}

var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func newGet(ctx context.Context, url string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
}
