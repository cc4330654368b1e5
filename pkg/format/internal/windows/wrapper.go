package windows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// wrapperConfig returns the wrapper configuration for the Windows packages:
// the program <name>.exe with the service's arguments and environment, the
// service restart delay as the first backoff step, and the service.wrapper
// settings, with the wrapper's defaults applied. It reports the first bad
// log size as an error.
func wrapperConfig(c *config.Spec) (*svcwrap.Config, error) {
	s := c.Service
	w := s.Wrapper
	wc := &svcwrap.Config{
		Service: s.Name,
		Program: c.Name + ".exe",
		Args:    slices.Clone(s.Args),
		Env:     maps.Clone(s.Env),
		Restart: svcwrap.Restart{
			Delay:       svcwrap.Duration(s.Restart.Delay),
			Factor:      w.Restart.Factor,
			MaxDelay:    svcwrap.Duration(w.Restart.MaxDelay),
			MaxRestarts: w.Restart.MaxRestarts,
			Window:      svcwrap.Duration(w.Restart.Window),
		},
		StopTimeout:        svcwrap.Duration(w.StopTimeout),
		PreshutdownTimeout: svcwrap.Duration(w.PreshutdownTimeout),
	}
	var err error
	if wc.Logs, err = wrapperLogs(w.Logs); err != nil {
		return nil, err
	}
	if h, _ := s.WrapperHealthCheck(); h != nil {
		wc.Health = &svcwrap.Health{URL: h.URL, Interval: svcwrap.Duration(h.Interval), Timeout: svcwrap.Duration(h.Timeout), Failures: h.Failures, AllowRemote: h.AllowRemote}
	}
	wc.ApplyDefaults()
	if usesPlaces(c) {
		wc.Folders = wrapperFolders(wc)
		for i, a := range wc.Args {
			wc.Args[i] = wrapperText(a)
		}
		for k, v := range wc.Env {
			wc.Env[k] = wrapperText(v)
		}
	}
	return wc, nil
}

// wrapperLogs maps service.wrapper.logs onto the wrapper's log settings.
func wrapperLogs(l config.WrapperLogs) (svcwrap.Logs, error) {
	out := svcwrap.Logs{Dir: l.Dir, Keep: l.Keep, Split: l.Split, Rotate: l.Rotate, MaxAge: svcwrap.Duration(l.MaxAge),
		Compress: l.Compress}
	if l.MaxSize != "" {
		n, err := svcwrap.ParseSize(l.MaxSize)
		if err != nil {
			return out, err
		}
		if n == 0 { // the wrapper's JSON reads 0 as its default
			return out, fmt.Errorf("%q is zero: a log would rotate at every line; want a size of at least 1K "+
				"such as 10M, or leave max_size out for the default", l.MaxSize)
		}
		out.MaxSize = svcwrap.Size(n)
	}
	return out, nil
}

// wrapperField maps a field of the wrapper configuration to the
// svcpack.yaml field it comes from.
func wrapperField(s *config.Spec, f string) string {
	switch {
	case strings.HasPrefix(f, "health"):
		_, field := s.Service.WrapperHealthCheck()
		return field + strings.TrimPrefix(f, "health")
	case f == "service":
		return "service.name"
	case f == "program":
		return "name"
	case strings.HasPrefix(f, "args"), strings.HasPrefix(f, "env."):
		return "service." + f
	case f == "restart.delay":
		return "service.restart.delay"
	}
	return "service.wrapper." + f
}

// CheckWrapper validates service.wrapper through the wrapper's own
// validation, so both agree on what is valid, when the program is wrapped.
func CheckWrapper(s *config.Spec, probs *config.Problems) {
	if !s.Service.Contract.Wrap.On {
		return
	}
	wc, err := wrapperConfig(s)
	if err != nil {
		probs.Add("service.wrapper.logs.max_size", "%v", err)
		return
	}
	for _, fe := range wc.Problems() {
		probs.Add(wrapperField(s, fe.Field), "%s", fe.Msg)
	}
	warnLogNames(s, wc, probs)
	// On this (Linux or macOS) machine /logs is absolute; on Windows, where
	// the wrapper runs, it is the root of whatever drive is current.
	if d := s.Service.Wrapper.Logs.Dir; rootedWithoutDrive(d) {
		probs.Add("service.wrapper.logs.dir", "%q is rooted at the current drive on Windows, which the installers would "+
			"read as a folder of the install folder: want a folder inside it (default logs), or a path with a drive, "+
			"such as D:\\logs\\%s", d, s.Service.Name)
	}
}

// rootedWithoutDrive reports a Windows path that starts at a drive's root
// without naming the drive (\x or /x, not \\server\x or //server/x).
func rootedWithoutDrive(p string) bool {
	return (strings.HasPrefix(p, `\`) || strings.HasPrefix(p, "/")) &&
		!strings.HasPrefix(p, `\\`) && !strings.HasPrefix(p, "//")
}

// Wrapper is the wrapper's configuration (svcwrap.json) of a wrapped spec,
// nil when the program is not wrapped, or an error when its settings break
// the wrapper's rules: CheckWrapper names each of those at its field (the
// svcwrap format's check), so a release never gets one here.
func Wrapper(s *config.Spec) (*svcwrap.Config, error) {
	if !s.Service.Contract.Wrap.On {
		return nil, nil
	}
	wc, err := wrapperConfig(s)
	if err != nil {
		return nil, err
	}
	if ps := wc.Problems(); len(ps) > 0 {
		return nil, fmt.Errorf("%s: %s", wrapperField(s, ps[0].Field), ps[0].Msg)
	}
	return wc, nil
}

// usesPlaces reports whether the service's arguments or environment name
// a place.
func usesPlaces(s *config.Spec) bool {
	return slices.ContainsFunc(config.Places(), s.UsesPlace)
}

// warnLogNames warns about an argument or environment value that names one
// of the wrapper's own log files in {{.LogDir}}: the program and the wrapper
// would both write (and rotate) it.
func warnLogNames(s *config.Spec, wc *svcwrap.Config, probs *config.Problems) {
	names := []string{wc.Service + "-svcwrap.log"}
	if wc.Logs.Split {
		names = append(names, wc.Service+".out.log", wc.Service+".err.log")
	} else {
		names = append(names, wc.Service+".log")
	}
	check := func(field, v string) {
		for _, n := range names {
			for _, sep := range []string{"/", `\`} {
				if strings.Contains(strings.ToLower(v), strings.ToLower(config.LogDir.String()+sep+n)) {
					probs.Warn(field, "%q names %s, a file of the wrapper's own in the log folder: the program and "+
						"the wrapper would both write and rotate it; name another file", v, n)
					return
				}
			}
		}
	}
	for i, a := range s.Service.Args {
		check(fmt.Sprintf("service.args[%d]", i), a)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Service.Env)) {
		check("service.env."+k, s.Service.Env[k])
	}
}
