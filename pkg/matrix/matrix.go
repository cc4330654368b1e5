// Package matrix cross-compiles a main package for a list of GOOS/GOARCH
// targets: one `go build` per target with CGO_ENABLED=0, -trimpath and
// templated ldflags, run in parallel up to a bound (GOMAXPROCS by default).
// A program built in a git repository carries go build's version control
// stamps (vcs.revision, vcs.time, vcs.modified, which debug.ReadBuildInfo
// reads), unless Options.NoVCS or GOFLAGS=-buildvcs=false says otherwise.
// The first failure cancels the builds still running and is reported with the
// compiler's output for the failing target.
//
// Each build writes its final path directly: the go command links in its own
// work directory and moves only a finished binary into place, so a failed or
// cancelled build never leaves a partial file, and when the file there is
// already the one the inputs would produce (same build ID), go build skips
// the link. Building to a temporary name instead would defeat that check and
// made a warm rebuild of the default matrix 2.4 times slower (bench/build).
package matrix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/svcpack/svcpack/pkg/platform"
)

// TemplateData is what ldflags templates see (and the artifact name
// templates, which add their own variables to these).
type TemplateData struct {
	// Name is the binary name.
	Name string
	// Version is the resolved release version (no leading v).
	Version string
	// Commit is the git commit, or "".
	Commit string
	// Date is the build date in RFC 3339 (UTC).
	Date string
	// Os and Arch are the target's GOOS and GOARCH.
	Os, Arch string
	// Variant is the target's variant (the GOARM, GOAMD64, ... value), or
	// "".
	Variant string
	// ArchName is the architecture as artifact names show it, with the
	// variant ("armv7", "amd64_v3"; see platform.Target.ArchName).
	ArchName string
}

// For returns d with the target's fields (Os, Arch, Variant, ArchName) set.
func (d TemplateData) For(t platform.Target) TemplateData {
	d.Os, d.Arch, d.Variant, d.ArchName = t.OS, t.Arch, t.Variant, t.ArchName()
	return d
}

// Options configures a matrix build.
type Options struct {
	// Dir is the directory go build runs in (the module containing Main).
	Dir string
	// Main is the main package, as go build takes it (./cmd/x).
	Main string
	// Name is the binary base name.
	Name string
	// OutDir receives <name>_<os>_<arch>/<name>[.exe].
	OutDir string
	// Targets to build.
	Targets []platform.Target
	// Ldflags are text/templates over TemplateData.
	Ldflags []string
	// Tags are build tags.
	Tags []string
	// Data fills the templates; Os and Arch are set per target.
	Data TemplateData
	// Parallelism bounds concurrent builds; 0 means GOMAXPROCS.
	Parallelism int
	// GoTool is the go command; default "go".
	GoTool string
	// NoVCS builds without the version control information go build
	// otherwise stamps into a binary built in a repository
	// (-buildvcs=false).
	NoVCS bool
	// Env is the base environment; nil means os.Environ().
	Env []string
	// OnStart, when set, is called before each build with the full command
	// line (for -v output).
	OnStart func(t platform.Target, args []string)
	// OnDone, when set, is called after each successful build.
	OnDone func(r Result)
	// OnProgress, when set, is called with each line go build prints while
	// it works (go: downloading ..., and with -v, which BuildOne then adds,
	// each package it compiles), so that a long first build shows what it
	// is doing.
	OnProgress func(t platform.Target, line string)
}

// Result is one built binary.
type Result struct {
	// Target built.
	Target platform.Target
	// Path is the absolute path of the binary.
	Path string
	// Duration of the go build.
	Duration time.Duration
}

// BuildError is the failure of one target, carrying the compiler output.
type BuildError struct {
	// Target that failed.
	Target platform.Target
	// Output is the go command's combined output.
	Output string
	// Err is the underlying error.
	Err error
}

func (e *BuildError) Error() string {
	out := strings.TrimSpace(e.Output)
	if out == "" {
		return fmt.Sprintf("build %s: %v", e.Target, e.Err)
	}
	return fmt.Sprintf("build %s: %v\n%s", e.Target, e.Err, out)
}

func (e *BuildError) Unwrap() error { return e.Err }

// BinaryName returns name, with .exe for Windows.
func BinaryName(name, goos string) string {
	if goos == "windows" {
		return name + ".exe"
	}
	return name
}

// OutputPath returns where the binary for t goes under outDir.
func OutputPath(outDir, name string, t platform.Target) string {
	return filepath.Join(outDir, name+"_"+t.Slug(), BinaryName(name, t.OS))
}

// Args returns the go build arguments (after "go") for target t, with the
// ldflags templates executed. It is exported so benchmarks and -v output use
// exactly what Build runs.
func (o *Options) Args(t platform.Target, output string) ([]string, error) {
	flags, err := o.RenderLdflags(t)
	if err != nil {
		return nil, err
	}
	args := []string{"build", "-trimpath", "-o", output}
	if o.NoVCS {
		args = append(args, "-buildvcs=false")
	}
	if len(flags) > 0 {
		// Entries are joined with spaces, so "-X main.version=1.0" is the two
		// linker arguments it reads as; a value with spaces needs its own
		// quotes, as on the go command line.
		args = append(args, "-ldflags="+strings.Join(flags, " "))
	}
	if len(o.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(o.Tags, ","))
	}
	return append(args, o.Main), nil
}

// RenderLdflags returns the ldflags templates executed for target t, one
// string for each.
func (o *Options) RenderLdflags(t platform.Target) ([]string, error) {
	data := o.Data.For(t)
	var flags []string
	for _, f := range o.Ldflags {
		tmpl, err := template.New("ldflags").Option("missingkey=error").Parse(f)
		if err != nil {
			return nil, fmt.Errorf("ldflags %q: %w", f, err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("ldflags %q: %w", f, err)
		}
		flags = append(flags, b.String())
	}
	return flags, nil
}

// env returns the environment for building target t.
func (o *Options) env(t platform.Target) []string {
	base := o.Env
	if base == nil {
		base = os.Environ()
	}
	return Env(base, t)
}

// Env returns base with the target's build settings in force: GOOS, GOARCH,
// CGO_ENABLED=0 and the target's variant variable. Those variables, and
// every other variant variable (GOARM, GOAMD64, ...), are dropped from base
// first: one inherited from the shell would change a build the config does
// not describe. Extra names in drop are removed too.
func Env(base []string, t platform.Target, drop ...string) []string {
	skip := map[string]bool{"GOOS": true, "GOARCH": true, "CGO_ENABLED": true}
	for _, v := range append(platform.VariantVars(), drop...) {
		skip[v] = true
	}
	env := make([]string, 0, len(base)+4)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !skip[k] {
			env = append(env, kv)
		}
	}
	env = append(env, "GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED=0")
	return append(env, t.Env()...)
}

// Build compiles every target and returns the results in target order. On
// the first failure the remaining builds are cancelled and that failure (a
// *BuildError) is returned; binaries of targets that did finish stay in
// OutDir, each complete.
func Build(ctx context.Context, o Options) ([]Result, error) {
	if len(o.Targets) == 0 {
		return nil, errors.New("matrix: no targets")
	}
	n := o.Parallelism
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	results := make([]Result, len(o.Targets))
	// Workers take targets in order from a queue, so builds start in target
	// order and a failure stops every target not yet started.
	queue := make(chan int)
	go func() {
		defer close(queue)
		for i := range o.Targets {
			select {
			case queue <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range min(n, len(o.Targets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				if ctx.Err() != nil {
					return
				}
				r, err := o.BuildOne(ctx, o.Targets[i])
				if err != nil {
					once.Do(func() { firstErr = err; cancel(err) })
					return
				}
				results[i] = r
				if o.OnDone != nil {
					o.OnDone(r)
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	return results, nil
}

// BuildOne compiles one target (o.Targets and o.Parallelism are not used):
// for callers that schedule the builds themselves.
func (o *Options) BuildOne(ctx context.Context, t platform.Target) (Result, error) {
	final := OutputPath(o.OutDir, o.Name, t)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Result{}, &BuildError{Target: t, Err: err}
	}
	args, err := o.Args(t, final)
	if err != nil {
		return Result{}, &BuildError{Target: t, Err: err}
	}
	gotool := o.GoTool
	if gotool == "" {
		gotool = "go"
	}
	if o.OnProgress != nil {
		// -v names each package as it is compiled; it changes nothing in
		// what is built.
		args = append(args[:1:1], append([]string{"-v"}, args[1:]...)...)
	}
	if o.OnStart != nil {
		o.OnStart(t, append([]string{gotool}, args...))
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, gotool, args...)
	cmd.Dir = o.Dir
	cmd.Env = o.env(t)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	var lw *lineWriter
	if o.OnProgress != nil {
		// One writer for both streams: exec then gives them one pipe. Two
		// writers onto one buffer race (the stdout copier's ReadFrom
		// truncates what stderr wrote meanwhile) and lose the compiler's
		// message.
		lw = &lineWriter{to: &output, line: func(l string) { o.OnProgress(t, l) }}
		cmd.Stdout, cmd.Stderr = lw, lw
	}
	err = cmd.Run()
	if lw != nil {
		lw.flush() // a last line without a newline
	}
	out := output.Bytes()
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, context.Cause(ctx)
		}
		if bytes.Contains(out, []byte("error obtaining VCS status")) {
			err = fmt.Errorf("%w (go build stamps the repository's state, read with git, into the binary: "+
				"make git work in %s, or set GOFLAGS=-buildvcs=false to build without the stamps)", err, o.Dir)
		}
		return Result{}, &BuildError{Target: t, Output: string(out), Err: err}
	}
	return Result{Target: t, Path: final, Duration: time.Since(start)}, nil
}

// lineWriter calls line with each complete line it is given, and copies
// to another writer the lines that are not -v's bare package paths (a
// line without a space), so that a build error holds what go build said
// about it and not the list of packages compiled.
type lineWriter struct {
	to      io.Writer
	line    func(string)
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
}

func (w *lineWriter) emit(l string) {
	w.line(l)
	if strings.Contains(l, " ") {
		io.WriteString(w.to, l+"\n")
	}
}

func (w *lineWriter) flush() {
	if len(w.partial) > 0 {
		w.emit(string(w.partial))
		w.partial = nil
	}
}
