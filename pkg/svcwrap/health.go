package svcwrap

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Checker performs one HTTP health check.
type Checker struct {
	// URL is requested with GET; a 2xx answer passes.
	URL string
	// Timeout bounds one check.
	Timeout time.Duration
	// Client is used for the request; nil means a client with no
	// keep-alive connections (the program may restart between checks).
	Client *http.Client
}

// Check returns nil when URL answers 2xx within Timeout.
func (c *Checker) Check(ctx context.Context) error {
	client := c.Client
	if client == nil {
		client = noKeepAliveClient()
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("health check: GET %s: %s", c.URL, resp.Status)
	}
	return nil
}

// noKeepAliveClient is an HTTP client that opens a fresh connection for
// every request and uses no proxy: the program behind the URL may have
// restarted since the last check.
func noKeepAliveClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
}
