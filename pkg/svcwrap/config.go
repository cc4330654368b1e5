// Package svcwrap is the portable core of svcpack's service wrapper
// (cmd/svcwrap): the wrapper's JSON configuration with defaults and
// validation, restart backoff and the restart limit, a rotating log writer
// that never splits or loses a line, an HTTP health checker and the
// Supervisor that runs the configured program as a child process, restarts
// it when it exits or turns unhealthy, and stops it (gracefully, then by
// force) when asked. The Windows parts (the SCM handler, the console, the job
// object) live in _windows.go files and in cmd/svcwrap; elsewhere the child
// runs in its own process group, so the supervisor also runs on Linux.
//
// Logs: the program's output goes to <service>.log, or with logs.split its
// standard output to <service>.out.log and its standard error to
// <service>.err.log, each through a pipe of its own; the wrapper's events go
// to <service>-svcwrap.log. Each file is rotated before a line that would
// take it past logs.max_size and, with logs.rotate, when a write (or the
// wrapper's minute tick) falls in a later hour or day than the file's last
// write; hours and days start at UTC boundaries, as the event lines' times
// are UTC, so a daylight-saving change neither repeats nor skips a period. A
// rotation closes the file, renames it to <base>.<yyyymmdd-hhmmss>.log,
// stamped with the UTC time of its last write (a second rotation within the
// same second adds _001, _002, ...), so names sort by time, and opens a new
// file: one rename, whatever is kept. Removing rotated files past logs.keep
// or older than logs.max_age (judged by the stamp: the age of the file's
// newest line) and gzipping them with logs.compress (<name>.gz, written as
// <name>.gz.tmp and renamed, so a crash leaves no half file under the final
// name) happen in a goroutine of each log, on closed files, so the
// program's pipes never wait for them; closing a log abandons a compression
// under way, and the next start resumes it. Files numbered by older wrappers
// (<service>.1.log ...) count as the oldest rotated files, their age taken
// from their modification time.
//
// Events: besides its event lines, the Supervisor hands the events an event
// log should hold (program started, exited, restarting, unhealthy, giving
// up, stopped, start failed) to Supervisor.Report, each with a severity and
// a stable EventID within 1..1000; cmd/svcwrap writes them to the Windows
// Application event log under the service's name.
package svcwrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the wrapper configuration, read from the JSON file beside the
// wrapper executable.
type Config struct {
	// Service is the service name, used in log file names and messages.
	Service string `json:"service"`
	// Program is the program to run, relative to the install folder (the
	// wrapper's directory) or absolute.
	Program string `json:"program"`
	// Args are the program's arguments.
	Args []string `json:"args,omitempty"`
	// Env is added to the wrapper's environment for the program.
	Env map[string]string `json:"env,omitempty"`
	// Restart sets how the program is restarted after it exits.
	Restart Restart `json:"restart"`
	// StopTimeout is how long a graceful stop may take before the program
	// and everything it started are ended.
	StopTimeout Duration `json:"stop_timeout"`
	// PreshutdownTimeout, when positive, makes the wrapper accept the
	// SCM's PRESHUTDOWN control and treat it as a stop; the installers set
	// the service's preshutdown timeout to it.
	PreshutdownTimeout Duration `json:"preshutdown_timeout,omitempty"`
	// Logs sets where output and wrapper events go.
	Logs Logs `json:"logs"`
	// Health, when set, is polled: the service reports RUNNING once it first
	// passes, and Failures consecutive failures restart the program.
	Health *Health `json:"health,omitempty"`
	// Folders, when set, names folders that Args and Env values name as
	// ${name}: the wrapper replaces each with the folder's absolute path (a
	// relative one is under the install folder, made if missing) and $$
	// with $. Without Folders, Args and Env are used as they are.
	Folders map[string]string `json:"folders,omitempty"`
}

// Restart is the restart policy: the n-th consecutive restart waits
// Delay*Factor^n, at most MaxDelay; more than MaxRestarts restarts within
// Window stop the wrapper with a failure exit code, so that the service
// manager's recovery actions apply.
type Restart struct {
	Delay       Duration `json:"delay"`
	Factor      float64  `json:"factor"`
	MaxDelay    Duration `json:"max_delay"`
	MaxRestarts int      `json:"max_restarts"`
	Window      Duration `json:"window"`
}

// Logs sets the log folder and rotation.
type Logs struct {
	// Dir is the log folder, relative to the install folder or absolute.
	Dir string `json:"dir"`
	// MaxSize is the size at which a log file is rotated.
	MaxSize Size `json:"max_size"`
	// Keep is the number of rotated files kept besides the current one.
	Keep int `json:"keep"`
	// Split writes the program's standard output and standard error to
	// <service>.out.log and <service>.err.log instead of <service>.log.
	Split bool `json:"split,omitempty"`
	// Rotate also rotates each file when the hour or day (UTC) changes:
	// RotateHourly or RotateDaily; empty rotates by size only.
	Rotate string `json:"rotate,omitempty"`
	// MaxAge, when set, removes rotated files whose last line is older.
	MaxAge Duration `json:"max_age,omitempty"`
	// Compress gzips rotated files, in the background.
	Compress bool `json:"compress,omitempty"`
}

// The values of Logs.Rotate.
const (
	RotateHourly = "hourly"
	RotateDaily  = "daily"
)

// Period is the time rotation's period: an hour, a day, or 0.
func (l Logs) Period() time.Duration {
	return map[string]time.Duration{RotateHourly: time.Hour, RotateDaily: 24 * time.Hour}[l.Rotate]
}

// Health is an HTTP health check.
type Health struct {
	// URL is requested with GET; a 2xx answer passes.
	URL string `json:"url"`
	// Interval is the time between checks.
	Interval Duration `json:"interval"`
	// Timeout bounds one check.
	Timeout Duration `json:"timeout"`
	// Failures is the number of consecutive failed checks that restart the
	// program.
	Failures int `json:"failures"`
	// AllowRemote lets URL name another host than this one; without it
	// the URL must be on loopback (localhost, 127.0.0.0/8, ::1), so a
	// health check cannot be turned into requests to anywhere.
	AllowRemote bool `json:"allow_remote,omitempty"`
}

// Defaults used for fields left empty.
const (
	DefaultRestartDelay = time.Second
	DefaultFactor       = 2.0
	DefaultMaxDelay     = time.Minute
	DefaultMaxRestarts  = 5
	DefaultWindow       = 5 * time.Minute
	DefaultStopTimeout  = 10 * time.Second
	// MaxPreshutdownTimeout bounds PreshutdownTimeout: Windows waits that
	// long at every shutdown for a service that does not stop.
	MaxPreshutdownTimeout = 10 * time.Minute
	DefaultLogDir         = "logs"
	DefaultMaxSize        = 10 << 20
	DefaultKeep           = 5
	DefaultInterval       = 10 * time.Second
	DefaultTimeout        = 5 * time.Second
	DefaultFailures       = 3
)

// Limits of the log settings: a partial line is held in memory up to the
// file size, and each rotation lists the rotated files.
const (
	MinMaxSize = 1 << 10
	MaxMaxSize = 1 << 30
	MaxKeep    = 1000
)

// Duration is a time.Duration written as a Go duration string ("5s").
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &valueError{fmt.Sprintf("got %s, want a duration string such as \"5s\" or \"2m\"", b)}
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return &valueError{fmt.Sprintf("%q is not a duration: want a Go duration such as \"5s\" or \"2m\"", s)}
	}
	*d = Duration(v)
	return nil
}

// Size is a byte count, written as a number or a string with a K, M or G
// suffix (powers of 1024; "KiB", "MB" and the like are read the same way).
type Size int64

// MarshalJSON writes the size as a number of bytes.
func (s Size) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(s), 10)), nil }

// UnmarshalJSON reads a number of bytes or a string such as "10M".
func (s *Size) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err == nil {
		*s = Size(n)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return &valueError{fmt.Sprintf("got %s, want a size such as \"10M\" or a number of bytes", b)}
	}
	v, err := ParseSize(str)
	if err != nil {
		return &valueError{err.Error()}
	}
	*s = Size(v)
	return nil
}

var sizeRE = regexp.MustCompile(`^([0-9]+)\s*([KMGkmg]?)(i?[Bb])?$`)

// ParseSize reads "10M", "512K", "1G", "4096" (K, M, G are powers of 1024).
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size: want a number of bytes with an optional K, M or G suffix, such as 10M", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: %w", s, err)
	}
	shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30}[strings.ToLower(m[2])]
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n << shift, nil
}

// FieldError is one problem in a configuration, naming the field (as a JSON
// path such as "restart.factor"), what is wrong and what would be valid.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ApplyDefaults fills the fields left empty.
func (c *Config) ApplyDefaults() {
	r := &c.Restart
	if r.Delay == 0 {
		r.Delay = Duration(DefaultRestartDelay)
	}
	if r.Factor == 0 {
		r.Factor = DefaultFactor
	}
	if r.MaxDelay == 0 {
		r.MaxDelay = Duration(max(DefaultMaxDelay, r.Delay.Std()))
	}
	if r.MaxRestarts == 0 {
		r.MaxRestarts = DefaultMaxRestarts
	}
	if r.Window == 0 {
		r.Window = Duration(DefaultWindow)
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = Duration(DefaultStopTimeout)
	}
	if c.Logs.Dir == "" {
		c.Logs.Dir = DefaultLogDir
	}
	if c.Logs.MaxSize == 0 {
		c.Logs.MaxSize = DefaultMaxSize
	}
	if c.Logs.Keep == 0 {
		c.Logs.Keep = DefaultKeep
	}
	if h := c.Health; h != nil {
		if h.Interval == 0 {
			h.Interval = Duration(DefaultInterval)
		}
		if h.Timeout == 0 {
			h.Timeout = Duration(min(DefaultTimeout, h.Interval.Std()))
		}
		if h.Failures == 0 {
			h.Failures = DefaultFailures
		}
	}
}

var (
	folderNameRE = regexp.MustCompile(`^[a-z]+$`)
	serviceRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Problems lists every problem of a configuration whose defaults are
// applied, in field order.
func (c *Config) Problems() []*FieldError {
	var out []*FieldError
	bad := func(field, format string, args ...any) {
		out = append(out, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !serviceRE.MatchString(c.Service) {
		bad("service", "%q is not a service name: want letters, digits, '.', '_' or '-'", c.Service)
	}
	if strings.TrimSpace(c.Program) == "" {
		bad("program", "is empty: want the program to run, relative to the install folder, such as hello.exe")
	}
	for i, a := range c.Args {
		if strings.ContainsRune(a, 0) {
			bad(fmt.Sprintf("args[%d]", i), "%q holds a NUL character, which no command line can carry", a)
		}
		if err := c.checkFolders(a); err != nil {
			bad(fmt.Sprintf("args[%d]", i), "%v", err)
		}
	}
	for _, k := range sortedKeys(c.Folders) {
		if !folderNameRE.MatchString(k) {
			bad("folders."+k, "%q is not a folder name: want lower-case letters", k)
		}
		if v := c.Folders[k]; v == "" || strings.ContainsAny(v, "\"<>|*?$") || strings.ContainsRune(v, 0) {
			bad("folders."+k, "%q is not a folder: want a path relative to the install folder, such as data, or absolute", v)
		}
	}
	for _, k := range sortedKeys(c.Env) {
		if err := c.checkFolders(c.Env[k]); err != nil {
			bad("env."+k, "%v", err)
		}
	}
	for _, k := range sortedKeys(c.Env) {
		if !envNameRE.MatchString(k) {
			bad("env."+k, "%q is not a valid variable name: want letters, digits and '_', not starting with a digit", k)
		}
		if strings.ContainsRune(c.Env[k], 0) {
			bad("env."+k, "the value holds a NUL character, which no environment can carry")
		}
	}
	r := c.Restart
	if r.Delay < 0 {
		bad("restart.delay", "%v is negative: want a duration such as \"1s\"", r.Delay.Std())
	}
	if r.Factor < 1 {
		bad("restart.factor", "%v is below 1: want 1 (constant delay) or more, such as 2", r.Factor)
	}
	if r.MaxDelay < r.Delay {
		bad("restart.max_delay", "%v is shorter than restart.delay %v: want at least the first delay", r.MaxDelay.Std(), r.Delay.Std())
	}
	if r.MaxRestarts < 1 {
		bad("restart.max_restarts", "%d is below 1: want the number of restarts allowed within restart.window, such as 5", r.MaxRestarts)
	}
	if r.Window <= 0 {
		bad("restart.window", "%v is not positive: want a duration such as \"5m\"", r.Window.Std())
	}
	if c.StopTimeout <= 0 {
		bad("stop_timeout", "%v is not positive: want a duration such as \"10s\"", c.StopTimeout.Std())
	}
	if p := c.PreshutdownTimeout.Std(); p != 0 && (p < time.Second || p > MaxPreshutdownTimeout) {
		bad("preshutdown_timeout", "%v is out of range: want 0 (off) or 1s to %v, such as \"30s\"", p, MaxPreshutdownTimeout)
	}
	switch {
	case c.Logs.MaxSize < MinMaxSize:
		bad("logs.max_size", "%d bytes is below 1K: want a size such as \"10M\"", c.Logs.MaxSize)
	case c.Logs.MaxSize > MaxMaxSize:
		bad("logs.max_size", "%d bytes is above the limit of 1G: want a size such as \"10M\" (keep more files for more history)", c.Logs.MaxSize)
	}
	switch {
	case c.Logs.Keep < 1:
		bad("logs.keep", "%d is below 1: want the number of rotated files to keep, such as 5", c.Logs.Keep)
	case c.Logs.Keep > MaxKeep:
		bad("logs.keep", "%d is above the limit of %d: want the number of rotated files to keep, such as 5", c.Logs.Keep, MaxKeep)
	}
	out = append(out, c.Logs.timeProblems()...)
	if strings.ContainsAny(c.Logs.Dir, "\"<>|*?") {
		bad("logs.dir", "%q holds one of \" < > | * ?, which no Windows path can", c.Logs.Dir)
	}
	if d := filepath.ToSlash(strings.ReplaceAll(c.Logs.Dir, `\`, "/")); !isAbs(c.Logs.Dir) {
		if clean := path.Clean(d); clean == ".." || strings.HasPrefix(clean, "../") || strings.HasPrefix(d, "/") {
			bad("logs.dir", "%q leaves the install folder: want a folder inside it (default logs), or an absolute path such as D:\\logs\\%s", c.Logs.Dir, c.Service)
		}
	}
	if h := c.Health; h != nil {
		u, err := url.Parse(h.URL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
			bad("health.url", "%q is not an http(s) URL: want one such as \"http://127.0.0.1:8080/healthz\"", h.URL)
		case !h.AllowRemote && !isLoopback(u.Hostname()):
			bad("health.url", "%q is not on this machine: the health check asks the program, at localhost, 127.0.0.1 or [::1]; set health.allow_remote: true to check another host", h.URL)
		}
		if h.Interval <= 0 {
			bad("health.interval", "%v is not positive: want a duration such as \"10s\"", h.Interval.Std())
		}
		if h.Timeout <= 0 {
			bad("health.timeout", "%v is not positive: want a duration such as \"5s\"", h.Timeout.Std())
		}
		if h.Failures < 1 {
			bad("health.failures", "%d is below 1: want the number of consecutive failures that restart the program, such as 3", h.Failures)
		}
	}
	return out
}

// timeProblems checks rotate and max_age. The messages are svcpack.yaml's
// own, word for word, so that `svcpack check` says each once.
func (l Logs) timeProblems() []*FieldError {
	var out []*FieldError
	switch l.Rotate {
	case "", RotateHourly, RotateDaily:
	default:
		out = append(out, &FieldError{"logs.rotate", fmt.Sprintf("%q is not valid: want daily or hourly", l.Rotate)})
	}
	switch age, period := l.MaxAge.Std(), l.Period(); {
	case age < 0:
		out = append(out, &FieldError{"logs.max_age", fmt.Sprintf("%s is negative: want the age of the oldest "+
			"rotated file to keep, such as \"168h\", or 0 to keep by count only", age)})
	case age > 0 && age < period:
		out = append(out, &FieldError{"logs.max_age", fmt.Sprintf("%s is shorter than the %s rotation: a file "+
			"would expire before it is rotated; want at least %s", age, l.Rotate, period)})
	}
	return out
}

// Validate returns the configuration's problems joined, or nil.
func (c *Config) Validate() error { return c.problems("") }

// problems joins the configuration's problems, each line starting with
// prefix (the file name, when there is one).
func (c *Config) problems(prefix string) error {
	var errs []error
	for _, p := range c.Problems() {
		errs = append(errs, fmt.Errorf("%s%w", prefix, p))
	}
	return errors.Join(errs...)
}

// isAbs reports an absolute Windows path (C:\x, \\server\x) or an
// absolute path of this system.
func isAbs(p string) bool {
	return filepath.IsAbs(p) || len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
}

// isLoopback reports whether host names this machine: localhost or a
// loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Parse decodes a configuration strictly (unknown fields are errors),
// applies defaults and validates it. name is the file name used in every
// message.
func Parse(data []byte, name string) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, decodeError(data, name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected data after the JSON object: want one object", name)
	}
	c.ApplyDefaults()
	if err := c.problems(name + ": "); err != nil {
		return nil, err
	}
	return &c, nil
}

// Load reads and parses the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("svcwrap config: %w (the wrapper reads the .json file named after its executable, beside it)", err)
	}
	return Parse(data, path)
}

// PathFor returns the configuration file of the wrapper executable exe:
// the same path with the extension .json (svcwrap.exe -> svcwrap.json).
func PathFor(exe string) string {
	return strings.TrimSuffix(exe, filepath.Ext(exe)) + ".json"
}

// decodeError turns encoding/json errors into file:line messages.
func decodeError(data []byte, name string, err error) error {
	line := func(off int64) int {
		if off > int64(len(data)) {
			off = int64(len(data))
		}
		return 1 + bytes.Count(data[:off], []byte("\n"))
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s:%d: %v: want valid JSON", name, line(se.Offset), se)
	case errors.As(err, &te):
		return fmt.Errorf("%s:%d: %s: got a JSON %s, want %s", name, line(te.Offset), te.Field, te.Value, te.Type)
	case errors.As(err, new(*valueError)):
		return fmt.Errorf("%s: %s: %v", name, badValueField(data), err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: the file is empty: want a JSON object with at least service and program", name)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return fmt.Errorf("%s: unknown field %s: valid fields are service, program, args, env, restart {delay, factor, max_delay, max_restarts, window}, stop_timeout, logs {dir, max_size, keep, split, rotate, max_age, compress}, health {url, interval, timeout, failures, allow_remote}", name, f)
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// valueError is a bad duration or size; decodeError finds its field.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

// badValueField names the first duration or size field of data that does
// not parse (encoding/json reports an Unmarshaler's error without its field).
func badValueField(data []byte) string {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return "a duration or size field"
	}
	for _, f := range []string{"restart.delay", "restart.max_delay", "restart.window", "stop_timeout", "logs.max_size", "logs.max_age", "health.interval", "health.timeout"} {
		var v any = m
		for _, k := range strings.Split(f, ".") {
			if mm, ok := v.(map[string]any); ok {
				v = mm[k]
			} else {
				v = nil
			}
		}
		if v == nil {
			continue
		}
		b, _ := json.Marshal(v)
		var err error
		if f == "logs.max_size" {
			err = new(Size).UnmarshalJSON(b)
		} else {
			err = new(Duration).UnmarshalJSON(b)
		}
		if err != nil {
			return f
		}
	}
	return "a duration or size field"
}

// Marshal writes c as indented JSON, the form the release writes beside the
// wrapper.
func (c *Config) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("svcwrap config: %w", err)
	}
	return append(b, '\n'), nil
}

// LogFiles returns the program's output log and the wrapper's event log
// for a wrapper whose install folder is dir: <logs.dir>/<service>.log and
// <logs.dir>/<service>-svcwrap.log, logs.dir taken relative to dir.
func (c *Config) LogFiles(dir string) (output, events string) {
	return filepath.Join(c.logDir(dir), c.Service+".log"), filepath.Join(c.logDir(dir), c.Service+"-svcwrap.log")
}

// OutputFiles returns the logs of the program's standard output and
// standard error: <service>.out.log and <service>.err.log with logs.split,
// else <service>.log for both.
func (c *Config) OutputFiles(dir string) (stdout, stderr string) {
	if !c.Logs.Split {
		out, _ := c.LogFiles(dir)
		return out, out
	}
	return filepath.Join(c.logDir(dir), c.Service+".out.log"), filepath.Join(c.logDir(dir), c.Service+".err.log")
}

// logDir is logs.dir, taken relative to the install folder dir.
func (c *Config) logDir(dir string) string {
	if filepath.IsAbs(c.Logs.Dir) {
		return c.Logs.Dir
	}
	return filepath.Join(dir, c.Logs.Dir)
}

// checkFolders checks the ${name} references of v when Folders is set.
func (c *Config) checkFolders(v string) error {
	if c.Folders == nil {
		return nil
	}
	_, err := expandFolders(v, func(name string) (string, bool) {
		_, ok := c.Folders[name]
		return "", ok
	})
	return err
}

// expandFolders replaces ${name} in v by folder(name) and $$ by $.
func expandFolders(v string, folder func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(v, '$')
		if i < 0 {
			b.WriteString(v)
			return b.String(), nil
		}
		b.WriteString(v[:i])
		v = v[i:]
		switch {
		case strings.HasPrefix(v, "$$"):
			b.WriteByte('$')
			v = v[2:]
		case strings.HasPrefix(v, "${"):
			end := strings.IndexByte(v, '}')
			if end < 0 {
				return "", fmt.Errorf("%q opens ${ without closing it: write $$ for a $", v)
			}
			dir, ok := folder(v[2:end])
			if !ok {
				return "", fmt.Errorf("${%s} is not one of the folders: write $$ for a $", v[2:end])
			}
			b.WriteString(dir)
			v = v[end+1:]
		default:
			return "", fmt.Errorf("%q: a $ starts ${folder} or $$ (a $) when folders are set", v)
		}
	}
}

// Expanded returns the configuration with the folders in Args and Env
// replaced by their paths under dir (the install folder); relative folders
// are made there when missing. It returns c itself without Folders.
func (c *Config) Expanded(dir string) (*Config, error) {
	if c.Folders == nil {
		return c, nil
	}
	// A folder is made the first time a value names it: one nothing names
	// is not left behind.
	made := map[string]string{}
	folder := func(name string) (string, bool) {
		if p, ok := made[name]; ok {
			return p, true
		}
		f, ok := c.Folders[name]
		if !ok {
			return "", false
		}
		p := filepath.FromSlash(f)
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		made[name] = p
		return p, true
	}
	out := *c
	out.Args = make([]string, len(c.Args))
	for i, a := range c.Args {
		v, err := expandFolders(a, folder)
		if err != nil {
			return nil, fmt.Errorf("svcwrap: args[%d]: %w", i, err)
		}
		out.Args[i] = v
	}
	out.Env = make(map[string]string, len(c.Env))
	for k, v := range c.Env {
		e, err := expandFolders(v, folder)
		if err != nil {
			return nil, fmt.Errorf("svcwrap: env.%s: %w", k, err)
		}
		out.Env[k] = e
	}
	for _, name := range sortedKeys(made) {
		if f := filepath.FromSlash(c.Folders[name]); !filepath.IsAbs(f) {
			if err := os.MkdirAll(made[name], 0o755); err != nil {
				return nil, fmt.Errorf("svcwrap: folder %s: %w", name, err)
			}
		}
	}
	return &out, nil
}
