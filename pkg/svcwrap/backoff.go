package svcwrap

import (
	"math"
	"time"
)

// DelayFor returns the wait before the n-th consecutive restart (n = 0 for
// the first): Delay * Factor^n, at most MaxDelay.
func (r Restart) DelayFor(n int) time.Duration {
	d := float64(r.Delay)
	if n > 0 && r.Factor > 1 {
		d *= math.Pow(r.Factor, float64(n))
	}
	if maxd := float64(r.MaxDelay); r.MaxDelay > 0 && (d > maxd || math.IsInf(d, 1) || math.IsNaN(d)) {
		return r.MaxDelay.Std()
	}
	return time.Duration(d)
}

// Limiter counts restarts in a sliding window: more than Max within Window
// is too many.
type Limiter struct {
	// Max is the number of restarts allowed within Window.
	Max int
	// Window is the sliding period.
	Window time.Duration

	times []time.Time
}

// Allow records a restart at now and reports whether it is within the limit.
func (l *Limiter) Allow(now time.Time) bool {
	keep := l.times[:0]
	for _, t := range l.times {
		if now.Sub(t) < l.Window {
			keep = append(keep, t)
		}
	}
	l.times = append(keep, now)
	return len(l.times) <= l.Max
}
