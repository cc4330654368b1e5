package windows

import (
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// WrapperConfig returns the wrapper configuration for the Windows packages:
// the program <name>.exe with the service's arguments and environment, the
// service restart delay as the first backoff step, and the service.wrapper
// settings, with the wrapper's defaults applied. It reports the first bad
// log size as an error.
func WrapperConfig(c *config.Spec) (*svcwrap.Config, error) {
	s := c.Service
	w := s.Wrapper
	wc := &svcwrap.Config{
		Service: s.Name,
		Program: c.Name + ".exe",
		Args:    s.Args,
		Env:     s.Env,
		Restart: svcwrap.Restart{
			Delay:       svcwrap.Duration(s.Restart.Delay),
			Factor:      w.Restart.Factor,
			MaxDelay:    svcwrap.Duration(w.Restart.MaxDelay),
			MaxRestarts: w.Restart.MaxRestarts,
			Window:      svcwrap.Duration(w.Restart.Window),
		},
		StopTimeout: svcwrap.Duration(w.StopTimeout),
		Logs:        svcwrap.Logs{Dir: w.Logs.Dir, Keep: w.Logs.Keep},
	}
	if w.Logs.MaxSize != "" {
		n, err := svcwrap.ParseSize(w.Logs.MaxSize)
		if err != nil {
			return nil, err
		}
		wc.Logs.MaxSize = svcwrap.Size(n)
	}
	if h := w.Health; h != nil {
		wc.Health = &svcwrap.Health{URL: h.URL, Interval: svcwrap.Duration(h.Interval), Timeout: svcwrap.Duration(h.Timeout), Failures: h.Failures, AllowRemote: h.AllowRemote}
	}
	wc.ApplyDefaults()
	return wc, nil
}

// wrapperField maps a field of the wrapper configuration to the
// svcpack.yaml field it comes from.
func wrapperField(f string) string {
	switch {
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
	wc, err := WrapperConfig(s)
	if err != nil {
		probs.Add("service.wrapper.logs.max_size", "%v", err)
		return
	}
	for _, fe := range wc.Problems() {
		probs.Add(wrapperField(fe.Field), "%s", fe.Msg)
	}
}

// WrapperValid reports whether the wrapper's settings pass its rules (or
// the program is not wrapped): CheckWrapper reports them at their fields,
// so the service's own validation need not repeat them under "service".
func WrapperValid(s *config.Spec) bool {
	if !s.Service.Contract.Wrap.On {
		return true
	}
	wc, err := WrapperConfig(s)
	return err == nil && len(wc.Problems()) == 0
}
