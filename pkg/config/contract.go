package config

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/contract"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Contract fields of the spec, as formats name them in their Reads.
const (
	// WrapField is the wrap decision's field path.
	WrapField = "service.contract.wrap"
	// NotifyField is the notify decision's field path.
	NotifyField = "service.contract.notify"
)

// resolveContract decides service.wrap and service.linux.notify: as
// forced in the config, else (auto) from the program's imports for the first
// target of the platform (`go list -deps`, with the build's environment and
// tags) when an enabled format reads the decision and a target needs it.
func (c *Spec) resolveContract(p *Problems, env Env, formats []Format) {
	reads := func(field string) bool {
		return slices.ContainsFunc(formats, func(f Format) bool {
			return (f.Internal || c.Wants(f.Name)) && slices.Contains(f.Reads, field)
		})
	}
	graphs := map[string]contract.Graph{}
	graph := func(goos, setting string) (contract.Graph, bool) {
		if g, ok := graphs[goos]; ok {
			return g, true
		}
		if p.Len() > 0 {
			return nil, false // the config is wrong already: no build to look at
		}
		i := slices.IndexFunc(c.Targets, func(t platform.Target) bool { return t.OS == goos })
		t := c.Targets[i]
		l := contract.Lister{GoTool: env.GoTool, Dir: c.Dir, Env: matrix.Env(os.Environ(), t), Tags: c.Tags}
		g, err := l.List(context.Background(), MainPackage(c.Main))
		if err != nil {
			p.AddAt(setting, []string{"service", "main"}, "is auto, so svcpack reads what the program imports for %s, and that failed: %v; fix the main package (or the module), or set %s to true or false", t, err, setting)
			return nil, false
		}
		graphs[goos] = g
		return g, true
	}
	k := &c.Service.Contract
	if on, forced := c.Service.Wrap.Forced(); forced {
		k.Wrap = Decision{On: on, Why: "service.wrap: " + string(c.Service.Wrap) + " in " + baseName(c.Path)}
	} else if reads(WrapField) && c.HasOS("windows") {
		if g, ok := graph("windows", "service.wrap"); ok {
			if e := g.SCM(); e.Found() {
				k.Wrap = Decision{Why: "it speaks to the Windows SCM itself: " + e.String()}
			} else {
				k.Wrap = Decision{On: true, Why: "it does not speak to the Windows SCM: no package outside golang.org/x/sys imports " + contract.SCMPackage}
			}
		}
	}
	if on, forced := c.Service.Linux.Notify.Forced(); forced {
		k.Notify = Decision{On: on, Why: "service.linux.notify: " + string(c.Service.Linux.Notify) + " in " + baseName(c.Path)}
	} else if reads(NotifyField) && c.HasOS("linux") {
		if g, ok := graph("linux", "service.linux.notify"); ok {
			if e := g.Notify(); e.Found() {
				k.Notify = Decision{On: true, Why: "it tells systemd when it is ready: " + e.String()}
			} else {
				k.Notify = Decision{Why: fmt.Sprintf("it imports none of the sd_notify packages svcpack knows (%s and %d more)", strings.Join(contract.NotifyPackages[:2], ", "), len(contract.NotifyPackages)-2)}
			}
		}
	}
}

// ContractSummary says, one line per platform the targets hold, what the
// packages do with the program and why: for `svcpack check` and the
// release's first lines.
func (c *Spec) ContractSummary() []string {
	var out []string
	if w := c.Service.Contract.Wrap; w.Why != "" {
		what := "runs the program as the service (not wrapped)"
		if w.On {
			what = "wrapped: svcwrap.exe is the service and runs the program"
		}
		out = append(out, fmt.Sprintf("windows: %s, because %s", what, w.Why))
	}
	if n := c.Service.Contract.Notify; n.Why != "" {
		what := "systemd unit Type=exec"
		if n.On {
			what = "systemd unit Type=notify"
		}
		out = append(out, fmt.Sprintf("linux: %s, because %s", what, n.Why))
	}
	return out
}

// MainPackage makes the main field usable as a go command package
// argument ("cmd/app" -> "./cmd/app").
func MainPackage(m string) string {
	m = strings.ReplaceAll(m, `\`, "/")
	if strings.HasPrefix(m, "./") || strings.HasPrefix(m, "../") || strings.HasPrefix(m, "/") || m == "." {
		return m
	}
	return "./" + m
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
