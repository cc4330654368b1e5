package config

import (
	"strings"

	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// wrapperConfig returns the wrapper configuration for the Windows packages:
// the program <name>.exe with the service's arguments and environment, the
// service restart delay as the first backoff step, and the service.wrapper
// settings, with the wrapper's defaults applied. It reports the first bad
// log size as an error.
func (c *Spec) wrapperConfig() (*svcwrap.Config, error) {
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

// resolveWrapper sets Service.WrapperConfig when the program is wrapped
// and the wrapper's settings are valid.
func (c *Spec) resolveWrapper(p *Problems) {
	if !c.Service.Contract.Wrap.On {
		return
	}
	wc, err := c.wrapperConfig()
	if err != nil {
		return // reported by checkWrapper
	}
	c.Service.WrapperConfig = wc
}

// checkWrapper validates service.wrapper through the wrapper's own
// validation, so both agree on what is valid, when the program is wrapped.
func (c *Spec) checkWrapper(p *Problems) {
	s := c.Service
	if !s.Contract.Wrap.On {
		if w := s.Contract.Wrap; c.lines["service.wrapper"] > 0 && w.Why != "" {
			p.Add("service.wrapper", "is set, but the program is not wrapped (%s): set `wrap: true` to run it under the service wrapper, or remove service.wrapper", w.Why)
		}
		return
	}
	if strings.EqualFold(c.Name+".exe", WrapperExe) {
		p.Add("name", "%q collides with the service wrapper's %s in the Windows packages: choose another name", c.Name, WrapperExe)
	}
	wc, err := c.wrapperConfig()
	if err != nil {
		p.Add("service.wrapper.logs.max_size", "%v", err)
		return
	}
	for _, fe := range wc.Problems() {
		p.Add(wrapperField(fe.Field), "%s", fe.Msg)
	}
}
