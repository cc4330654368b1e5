package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/svcpack/svcpack/pkg/platform"
)

// Contract fields of the spec, as formats name them in their Reads.
const (
	// WrapField is the wrap decision's field path.
	WrapField = "service.contract.wrap"
	// NotifyField is the notify decision's field path.
	NotifyField = "service.contract.notify"
)

// ImportQuery asks what a program imports when built for one target.
type ImportQuery struct {
	// GoTool is the go command ("go" when empty).
	GoTool string
	// Dir is the program's module directory; Package its main package.
	Dir, Package string
	// Target is the target whose build is listed, with the build's Tags.
	Target platform.Target
	Tags   []string
}

// Imports is what a program's imports say it speaks, as Env.ListImports
// reads them (pkg/contract does, for the release core): the evidence, or
// "" for none, and what was looked for, for the reasons Load gives.
type Imports struct {
	// SCM is "<importer> imports <package>" when a package outside
	// golang.org/x/sys imports SCMPackage.
	SCM string
	// Notify is "<importer> imports <package>" for an sd_notify package.
	Notify string
	// SCMPackage is the Windows service package looked for.
	SCMPackage string
	// NotifyPackages are the sd_notify packages looked for.
	NotifyPackages []string
}

// importList is the program's import graph for one platform, listed in the
// background while Load reads git and validates.
type importList struct {
	decided *Decision // taken from Env.Decided: nothing is listed
	t       platform.Target
	g       Imports
	err     error
	done    chan struct{}
}

// importLists are the import graphs the contract decisions need, by GOOS.
type importLists map[string]*importList

// wait waits for every listing (a Load that fails leaves none running).
func (l importLists) wait() {
	for _, r := range l {
		<-r.done
	}
}

// startImportLists starts `go list -deps` for the first target of each
// platform whose decision is auto and read by an enabled format (and whose
// targets the config has), with the build's environment and tags.
func (c *Spec) startImportLists(env Env, formats []Format) importLists {
	reads := func(field string) bool {
		return slices.ContainsFunc(formats, func(f Format) bool {
			return (f.Internal || c.Wants(f.Name)) && slices.Contains(f.Reads, field)
		})
	}
	need := map[string]bool{}
	if _, forced := c.Service.Wrap.Forced(); !forced && reads(WrapField) && c.HasOS("windows") {
		need["windows"] = true
	}
	if _, forced := c.Service.Linux.Notify.Forced(); !forced && reads(NotifyField) && c.HasOS("linux") {
		need["linux"] = true
	}
	lists := importLists{}
	if d := env.Decided; d != nil {
		for goos := range need {
			r := &importList{decided: &d.Wrap, done: make(chan struct{})}
			if goos == "linux" {
				r.decided = &d.Notify
			}
			close(r.done)
			lists[goos] = r
		}
		return lists
	}
	dir, pkg, tags := c.Dir, MainPackage(c.Main), slices.Clone(c.Tags)
	for goos := range need {
		i := slices.IndexFunc(c.Targets, func(t platform.Target) bool { return t.OS == goos })
		r := &importList{t: c.Targets[i], done: make(chan struct{})}
		lists[goos] = r
		go func() {
			defer close(r.done)
			if env.ListImports == nil {
				r.err = errors.New("this Load was given no way to list imports (config.Env.ListImports)")
				return
			}
			q := ImportQuery{GoTool: env.GoTool, Dir: dir, Package: pkg, Target: r.t, Tags: tags}
			r.g, r.err = env.ListImports(context.Background(), q)
		}()
	}
	return lists
}

// resolveContract decides service.wrap and service.linux.notify: as
// forced in the config, else (auto) from the program's imports for the first
// target of the platform (startImportLists) when an enabled format reads
// the decision and a target needs it.
func (c *Spec) resolveContract(p *Problems, lists importLists) {
	graph := func(goos, setting string) (Imports, bool) {
		r, ok := lists[goos]
		if !ok || p.Len() > 0 { // a wrong config has no build to look at
			return Imports{}, false
		}
		<-r.done
		if r.err != nil {
			p.AddAt(setting, []string{"service", "main"}, "is auto, so svcpack reads what the program imports for %s, and that failed: %v; fix the main package (or the module), or set %s to true or false", r.t, r.err, setting)
			return Imports{}, false
		}
		return r.g, true
	}
	k := &c.Service.Contract
	if on, forced := c.Service.Wrap.Forced(); forced {
		k.Wrap = Decision{On: on, Why: "service.wrap: " + string(c.Service.Wrap) + " in " + baseName(c.Path)}
	} else if r, ok := lists["windows"]; ok && r.decided != nil {
		k.Wrap = *r.decided
	} else if ok {
		if g, ok := graph("windows", "service.wrap"); ok {
			if g.SCM != "" {
				k.Wrap = Decision{Why: "it speaks to the Windows SCM itself: " + g.SCM}
			} else {
				k.Wrap = Decision{On: true, Why: "it does not speak to the Windows SCM: no package outside golang.org/x/sys imports " + g.SCMPackage}
			}
		}
	}
	if on, forced := c.Service.Linux.Notify.Forced(); forced {
		k.Notify = Decision{On: on, Why: "service.linux.notify: " + string(c.Service.Linux.Notify) + " in " + baseName(c.Path)}
	} else if r, ok := lists["linux"]; ok && r.decided != nil {
		k.Notify = *r.decided
	} else if ok {
		if g, ok := graph("linux", "service.linux.notify"); ok {
			if g.Notify != "" {
				k.Notify = Decision{On: true, Why: "it tells systemd when it is ready: " + g.Notify}
			} else {
				k.Notify = Decision{Why: notifyNone(g.NotifyPackages)}
			}
		}
	}
}

// notifyNone is the reason for Type=exec: none of the known sd_notify
// packages is imported.
func notifyNone(known []string) string {
	return fmt.Sprintf("it imports none of the sd_notify packages svcpack knows (%s); a program that sends "+
		"READY=1 with code of its own (a copy of one of them) needs service.linux.notify: true",
		strings.Join(known, ", "))
}

// svcpackService is the package of svcpack's own service contract, which
// does not ask svc.IsWindowsService (so its programs run under Wine too).
const svcpackService = "github.com/svcpack/svcpack/service"

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
		if !w.On && strings.HasPrefix(w.Why, "it speaks to the Windows SCM itself") && !strings.Contains(w.Why, svcpackService+" imports") {
			out = append(out, "windows, under Wine: a program that asks svc.IsWindowsService whether it runs as a service "+
				"(kardianos/service does) is told no there, never reports RUNNING, and the MSI rolls back; "+
				"try the Windows packages in Wine with service.wrap: true, and this build on Windows")
		}
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
