package linuxpkg

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/internal/testtool"
)

// TestDependenciesInBoot: a package whose unit depends on another
// (bound to it) starts after it in a booted Debian root, is started with
// it, and stops when it stops; without bind (Wants=) it keeps running.
func TestDependenciesInBoot(t *testing.T) {
	root := debroot.New(t)
	bound := options(t)
	bound.Service.Dependencies = []Dependency{{Name: "depdb", Bind: true}}
	root.Put(writePackage(t, bound, "deb"), "/opt/bound.deb")
	root.Write("/etc/systemd/system/depdb.service", []byte("[Unit]\nDescription=a database stand-in\n"+
		"[Service]\nExecStartPre=/bin/sleep 2\nExecStart=/bin/sleep infinity\n"), 0o644)
	log, bootErr, bootOut := root.Boot(`active() { for i in $(seq 1 30); do systemctl is-active --quiet hello && break; sleep 1; done; }
dpkg -i /opt/bound.deb
active
echo "hello: $(systemctl is-active hello), depdb: $(systemctl is-active depdb)"
systemctl show hello -p After -p BindsTo | tr ' ' '\n' | grep -E '^(After=|BindsTo=)?depdb.service$|BindsTo=' | sed 's/^/unit: /'
db=$(systemctl show depdb -p ActiveEnterTimestampMonotonic --value)
h=$(systemctl show hello -p ExecMainStartTimestampMonotonic --value)
[ "$db" -gt 0 ] && [ "$h" -gt "$db" ] && echo "order: depdb before hello"
systemctl stop depdb
sleep 1
echo "after depdb stopped: hello $(systemctl is-active hello)"`, 3*time.Minute)
	for _, want := range []string{"hello: active, depdb: active", "BindsTo=depdb.service", "order: depdb before hello",
		"after depdb stopped: hello inactive"} {
		if !strings.Contains(log, want) {
			t.Errorf("booted system: %q missing; nspawn: %v\n%s\ncheck log:\n%s", want, bootErr, bootOut, log)
			break
		}
	}
}

// TestDependencyLines: the unit's [Unit] lines for each kind of dependency,
// the network wait left out on request, and names that are not unit names
// refused.
func TestDependencyLines(t *testing.T) {
	o := options(t)
	o.Service.Dependencies = []Dependency{{Name: "postgresql"}, {Name: "redis.service", Require: true},
		{Name: "depdb", Bind: true}, {Name: "docker.socket"}}
	o.Service.NoNetworkWait = true
	unit, err := Unit(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"After=postgresql.service\nWants=postgresql.service\n",
		"After=redis.service\nRequires=redis.service\n", "After=depdb.service\nBindsTo=depdb.service\n",
		"After=docker.socket\nWants=docker.socket\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(string(unit), "network-online") {
		t.Errorf("the unit waits for the network:\n%s", unit)
	}
	for _, bad := range []string{"-x", "a b", "a\nExecStartPre=/bin/sh", "hello", ""} {
		o.Service.Dependencies = []Dependency{{Name: bad}}
		if _, err := Unit(o); err == nil {
			t.Errorf("dependency %q was accepted", bad)
		}
	}
}

// TestDependencyLinesOnce: a dependency the network wait already gives, or
// a unit named twice, gives one After= and one relation, the strongest
// asked for, in the place first named; systemd-analyze verify reads the unit.
func TestDependencyLinesOnce(t *testing.T) {
	o := options(t)
	o.Service.Dependencies = []Dependency{{Name: "network-online.target"}, {Name: "systemd-journald"},
		{Name: "systemd-journald.service", Require: true}, {Name: "systemd-journald.socket", Bind: true},
		{Name: "systemd-journald.socket"}}
	unit, err := Unit(o)
	if err != nil {
		t.Fatal(err)
	}
	var deps []string
	for _, l := range strings.Split(string(unit), "\n") {
		if strings.HasPrefix(l, "After=") || strings.HasPrefix(l, "Wants=") || strings.HasPrefix(l, "Requires=") ||
			strings.HasPrefix(l, "BindsTo=") {
			deps = append(deps, l)
		}
	}
	want := []string{"After=network-online.target", "Wants=network-online.target",
		"After=systemd-journald.service", "Requires=systemd-journald.service",
		"After=systemd-journald.socket", "BindsTo=systemd-journald.socket"}
	if strings.Join(deps, "\n") != strings.Join(want, "\n") {
		t.Errorf("dependency lines:\n%s\nwant:\n%s", strings.Join(deps, "\n"), strings.Join(want, "\n"))
	}
	o.Service.Dependencies = []Dependency{{Name: "network-online.target", Require: true}}
	if unit, err = Unit(o); err != nil || !strings.Contains(string(unit), "After=network-online.target\nRequires=network-online.target\n") ||
		strings.Contains(string(unit), "Wants=") {
		t.Errorf("a required network-online.target: %v\n%s", err, unit)
	}
	sa := testtool.Need(t, "systemd-analyze", "systemd")
	root, path := unitRoot(t, o)
	if out, err := exec.Command(sa, "verify", "--root="+root, "--man=no", path).CombinedOutput(); err != nil ||
		len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
