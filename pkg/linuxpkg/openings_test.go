package linuxpkg

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/internal/testtool"
)

// TestUnitOpenings writes each opening into the unit: its lines appear,
// the lines it replaces go, systemd-analyze verify reads the unit and
// security keeps the exposure at most 2.0 (--threshold=20 fails above).
func TestUnitOpenings(t *testing.T) {
	sa := testtool.Need(t, "systemd-analyze", "systemd")
	for _, tc := range []struct {
		name        string
		set         func(*Service)
		want, gone  []string
		wantHardOff bool
	}{
		{"writable", func(s *Service) { s.Writable = []string{"/srv/www", "/var/spool/hello"} },
			[]string{"\nReadWritePaths=/srv/www /var/spool/hello\n", "\nProtectSystem=strict\n"}, nil, false},
		{"capabilities", func(s *Service) { s.Capabilities = []string{"CAP_NET_RAW", "CAP_NET_BIND_SERVICE"} },
			[]string{"\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_RAW\n", "\nAmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW\n"},
			[]string{"PrivateUsers"}, false},
		{"capabilities and a low port", func(s *Service) { s.Capabilities, s.Port = []string{"CAP_NET_BIND_SERVICE", "CAP_KILL"}, 80 },
			[]string{"\nCapabilityBoundingSet=CAP_KILL CAP_NET_BIND_SERVICE\n"}, []string{"PrivateUsers"}, false},
		{"capabilities without hardening", func(s *Service) { s.Capabilities, s.Hardening = []string{"CAP_NET_RAW"}, false },
			[]string{"\nAmbientCapabilities=CAP_NET_RAW\n"}, []string{"CapabilityBoundingSet", "NoNewPrivileges"}, true},
		{"groups", func(s *Service) { s.Groups = []string{"adm", "www-data"} },
			[]string{"\nSupplementaryGroups=adm www-data\n", "\nPrivateUsers=yes\n"}, nil, false},
		{"run programs", func(s *Service) { s.RunPrograms = true },
			[]string{"\nSystemCallFilter=@system-service\n", "\nNoNewPrivileges=yes\n", "\nPrivateUsers=yes\n"},
			[]string{"MemoryDenyWriteExecute", "ProcSubset", "~@privileged"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(t)
			tc.set(&o.Service)
			b, err := Unit(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !bytes.Contains(b, []byte(w)) {
					t.Errorf("unit lacks %q:\n%s", w, b)
				}
			}
			for _, g := range tc.gone {
				if bytes.Contains(b, []byte(g)) {
					t.Errorf("unit still has %q:\n%s", g, b)
				}
			}
			root, unit := unitRoot(t, o)
			if out, err := exec.Command(sa, "verify", "--root="+root, "--man=no", unit).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("systemd-analyze verify: %v\n%s", err, out)
			}
			if tc.wantHardOff {
				return // no sandbox to score
			}
			out, err := exec.Command(sa, "security", "--offline=yes", "--threshold=20", "--root="+root, "--no-pager", unit).CombinedOutput()
			m := exposureRE.FindSubmatch(out)
			if err != nil || m == nil {
				t.Errorf("systemd-analyze security --threshold=20: %v\n%s", err, out)
			} else {
				t.Logf("exposure: %s", m[1])
			}
		})
	}
}

// TestUnitOpeningsRefused: the encoder refuses bad openings by itself, as
// a library called without the config's checks.
func TestUnitOpeningsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Service)
		err  string
	}{
		{"relative", func(s *Service) { s.Writable = []string{"srv/www"} }, "want an absolute folder"},
		{"dot dot", func(s *Service) { s.Writable = []string{"/srv/../etc"} }, "without '.' or '..'"},
		{"trailing slash", func(s *Service) { s.Writable = []string{"/srv/www/"} }, "no trailing '/'"},
		{"space", func(s *Service) { s.Writable = []string{"/srv/my www"} }, "plain names"},
		{"specifier", func(s *Service) { s.Writable = []string{"/srv/%n"} }, "plain names"},
		{"line break", func(s *Service) { s.Writable = []string{"/srv\nExecStartPre=/bin/sh"} }, "plain names"},
		{"root", func(s *Service) { s.Writable = []string{"/"} }, "the whole file system"},
		{"proc", func(s *Service) { s.Writable = []string{"/proc/sys/net"} }, "under /proc"},
		{"sys", func(s *Service) { s.Writable = []string{"/sys"} }, "under /sys"},
		{"dev", func(s *Service) { s.Writable = []string{"/dev/shm"} }, "under /dev"},
		{"not a capability", func(s *Service) { s.Capabilities = []string{"CAP_FLY"} }, `capability "CAP_FLY" is not a Linux capability`},
		{"lower case", func(s *Service) { s.Capabilities = []string{"cap_net_raw"} }, "in upper case"},
		{"capability list", func(s *Service) { s.Capabilities = []string{"CAP_NET_RAW CAP_SYS_ADMIN"} }, "not a Linux capability"},
		{"group with a space", func(s *Service) { s.Groups = []string{"adm wheel"} }, "system group name"},
		{"group upper case", func(s *Service) { s.Groups = []string{"Adm"} }, "system group name"},
		{"override of an opening", func(s *Service) { s.Overrides = map[string]string{"ReadWritePaths": "/srv"} }, "svcpack writes it from writable"},
		{"override of groups", func(s *Service) { s.Overrides = map[string]string{"SupplementaryGroups": "root"} }, "svcpack writes it from groups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(t)
			tc.set(&o.Service)
			if _, err := Unit(o); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

// TestOpeningsInBootedDebian starts units with each opening, and the same
// units without it, in one boot of a Debian root (systemd as PID 1): each
// runs a probe program (testdata/probe) that needs the opening, under
// svcpack's full sandbox. With the opening the probe succeeds; without it
// the sandbox refuses it, which shows each case can fail.
func TestOpeningsInBootedDebian(t *testing.T) {
	root := debroot.New(t)
	probe := filepath.Join(t.TempDir(), "probe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", probe, "./testdata/probe")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v\n%s", err, out)
	}
	root.MustRun("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "probe")
	root.MustRun("install", "-d", "-o", "probe", "-g", "probe", "/srv/www")
	root.Write("/opt/adm-only", []byte("for adm\n"), 0o640)
	root.MustRun("chown", "root:adm", "/opt/adm-only")
	// A JIT (the probe maps writable, executable memory), taskset
	// (sched_setaffinity, in @resources) and /proc/meminfo (ProcSubset).
	const programs = "/usr/bin/run-programs jit | grep -q 'jit: ok' && taskset -c 0 true && head -c 9 /proc/meminfo"
	type opening struct {
		name       string
		args       []string
		set        func(*Service)
		open, shut string // what the probe says with the opening, and without
	}
	var script strings.Builder
	var cases []opening
	for _, c := range []opening{
		{"writable", []string{"write", "/srv/www"}, func(s *Service) { s.Writable = []string{"/srv/www"} },
			"RESULT write: ok", "RESULT write: fail: open /srv/www/probe.txt: read-only file system"},
		{"capabilities", []string{"bind", "80"}, func(s *Service) { s.Capabilities = []string{"CAP_NET_BIND_SERVICE"} },
			"RESULT bind: ok [::]:80", "RESULT bind: fail: listen tcp :80: bind: permission denied"},
		{"groups", []string{"read", "/opt/adm-only"}, func(s *Service) { s.Groups = []string{"adm"} },
			"RESULT read: ok for adm", "RESULT read: fail: open /opt/adm-only: permission denied"},
		{"run-programs", []string{"sh", programs}, func(s *Service) { s.RunPrograms = true },
			"RESULT sh: ok MemTotal:", "RESULT sh: fail: exit status 1"},
	} {
		for _, on := range []bool{true, false} {
			name := c.name
			s := Service{Name: name, User: "probe", Hardening: true, Args: c.args}
			if on {
				c.set(&s)
			} else {
				name += "-shut"
				s.Name = name
			}
			b, err := Unit(Options{Name: name, Service: s})
			if err != nil {
				t.Fatal(err)
			}
			root.Write("/etc/systemd/system/"+name+".service", b, 0o644)
			root.Put(probe, "/usr/bin/"+name)
			os.Chmod(root.Path("/usr/bin/"+name), 0o755)
			fmt.Fprintf(&script, "systemctl start --wait %s; echo \"%s $(journalctl -u %s -o cat --no-pager | grep RESULT | tail -1)\"\n", name, name, name)
		}
		cases = append(cases, c)
	}
	log, bootErr, bootOut := root.Boot(script.String(), 2*time.Minute)
	for _, c := range cases {
		for _, w := range []string{c.name + " " + c.open, c.name + "-shut " + c.shut} {
			if !strings.Contains(log, w) {
				t.Errorf("booted system: %q missing", w)
			}
		}
	}
	if t.Failed() {
		t.Logf("nspawn: %v\n%s\ncheck log:\n%s", bootErr, bootOut, log)
	}
}
