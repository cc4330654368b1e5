package release

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Verbosity selects how much progress is printed.
type Verbosity int

// Verbosity levels.
const (
	// Quiet prints no progress: warnings only (the caller prints the
	// errors).
	Quiet Verbosity = iota - 1
	// Normal prints a line per step and target, and the artifact table.
	Normal
	// Verbose also prints every command run.
	Verbose
)

// reporter writes progress lines; it is safe for concurrent use.
type reporter struct {
	mu sync.Mutex
	w  io.Writer
	v  Verbosity
}

func (r *reporter) printf(level Verbosity, format string, args ...any) {
	if r == nil || r.w == nil || r.v < level {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format, args...)
}

// step reports a finished step for a target.
func (r *reporter) step(name, target string, d time.Duration) {
	if target == "" {
		target = "-"
	}
	r.printf(Normal, "  %-10s %-16s %6.2fs\n", name, target, d.Seconds())
}

// unchanged reports a step whose artifact was reused because its inputs
// did not change.
func (r *reporter) unchanged(name, target string) {
	r.printf(Normal, "  %-10s %-16s  unchanged\n", name, target)
}

// command reports a command line (verbose only).
func (r *reporter) command(args []string) {
	r.printf(Verbose, "    $ %s\n", strings.Join(args, " "))
}

// table prints the closing artifact table.
func (r *reporter) table(dist string, arts []Artifact) {
	if r == nil || r.w == nil || r.v < Normal {
		return
	}
	sorted := append([]Artifact(nil), arts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "artifacts in %s:\n", dist)
	tw := tabwriter.NewWriter(r.w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  KIND\tTARGET\tSIZE\tPATH\n")
	for _, a := range sorted {
		t := a.Target()
		if t == "" {
			t = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Kind, t, humanSize(a.Size), a.Path)
	}
	tw.Flush()
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// every calls fn with the time elapsed every interval until stop is called
// (which waits for a call in progress to end).
func (r *reporter) every(interval time.Duration, fn func(elapsed time.Duration)) (stop func()) {
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fn(time.Since(start))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
