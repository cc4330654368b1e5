package container

import (
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
)

func TestParseLimits(t *testing.T) {
	for _, tc := range []struct {
		memory, cpu string
		want        Limits
		err         string
	}{
		{memory: "512M", cpu: "80%", want: Limits{Memory: 512, MemoryUnit: "M", CPUPercent: 80}},
		{memory: "1048576", want: Limits{Memory: 1048576}},
		{memory: "infinity", cpu: "250%", want: Limits{CPUPercent: 250}},
		{memory: "50%", want: Limits{}},
		{memory: "0", err: "memory_max"},
		{memory: "8388608T", err: "memory_max"}, // 2^63 bytes
		{memory: "8388607T", want: Limits{Memory: 8388607, MemoryUnit: "T"}},
		{cpu: "0%", err: "cpu_quota"},
	} {
		got, err := ParseLimits(config.Linux{MemoryMax: tc.memory, CPUQuota: tc.cpu})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: %v, want an error about %s", tc.memory, tc.cpu, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %+v, %v; want %+v", tc.memory, tc.cpu, got, err, tc.want)
		}
	}
}

func TestHealthCheck(t *testing.T) {
	spec := func(h *config.WrapperHealth) *config.Spec {
		s := &config.Spec{}
		s.Service.Wrapper.Health = h
		return s
	}
	if h, err := HealthCheck(spec(nil)); h != nil || err != nil {
		t.Errorf("no health: %v %v", h, err)
	}
	for url, want := range map[string]Health{
		"http://127.0.0.1:8080/healthz?x=1": {Path: "/healthz?x=1", Port: 8080},
		"https://localhost/":                {Path: "/", Port: 443, HTTPS: true},
		"http://[::1]":                      {Path: "/", Port: 80},
		"http://0.0.0.0:9/a%20b":            {Path: "/a%20b", Port: 9},
	} {
		h, err := HealthCheck(spec(&config.WrapperHealth{URL: url}))
		want.Interval, want.Timeout, want.Failures = DefaultInterval, DefaultTimeout, DefaultFailures
		if err != nil || *h != want {
			t.Errorf("%s: %+v, %v; want %+v", url, h, err, want)
		}
	}
	for _, h := range []config.WrapperHealth{
		{URL: "http://example.com/healthz"}, {URL: "http://10.0.0.1/"}, {URL: "http://127.0.0.1:0/"},
		{URL: "http://127.0.0.1/", Interval: config.Duration(1 << 62)}, {URL: "http://127.0.0.1/", Timeout: -config.Duration(time.Second)},
	} {
		if _, err := HealthCheck(spec(&h)); err == nil {
			t.Errorf("%+v: no error", h)
		}
	}
}
