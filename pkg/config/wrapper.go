package config

import (
	"strings"
)

// checkWrapper checks what service.wrapper means beside the other fields:
// set for a program that is not wrapped, or a name that collides with the
// wrapper's; and warns about a health check nothing reads.
func (c *Spec) checkWrapper(p *Problems) {
	s := c.Service
	if s.Health != nil && !s.Contract.Wrap.On && !c.Wants("helm") {
		p.Warn("service.health", "nothing here reads it: the Windows service wrapper checks it when the program "+
			"is wrapped (it is not), and the helm format's probes (helm is not in formats); systemd and the "+
			"Windows SCM have no HTTP check of their own")
	}
	if !s.Contract.Wrap.On {
		if w := s.Contract.Wrap; c.lines["service.wrapper"] > 0 && w.Why != "" {
			hint := ""
			if s.Wrapper.Health != nil {
				hint = " (a health check for the containers' probes goes in service.health, wrapped or not)"
			}
			p.Add("service.wrapper", "is set, but the program is not wrapped (%s): set `wrap: true` to run it under "+
				"the service wrapper, or remove service.wrapper%s", w.Why, hint)
		}
		return
	}
	if strings.EqualFold(c.Name+".exe", WrapperExe) {
		p.Add("name", "%q collides with the service wrapper's %s in the Windows packages: choose another name", c.Name, WrapperExe)
	}
	// The wrapper's own validation of its settings runs in the svcwrap
	// format's check, which owns the mapping onto its configuration.
}
