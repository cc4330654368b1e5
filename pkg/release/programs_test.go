package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	linuxfmt "github.com/svcpack/svcpack/pkg/format/linuxpkg"
	"github.com/svcpack/svcpack/pkg/packager"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
)

var addrRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// programProject copies the test program testdata/programs/<name> (a
// module of its own, built through the module proxy) and its svcpack.yaml,
// with the port in its arguments replaced (0: kept) and edit applied, into a
// temporary directory, and loads the config as check does.
func programProject(t *testing.T, name string, port int, edit func(string) string) (*config.Spec, error) {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("../../testdata/programs", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"main.go", "go.mod", "go.sum", "svcpack.yaml", "rules.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if os.IsNotExist(err) && (f == "go.sum" || f == "rules.json") {
			continue // netsvc needs nothing but the standard library; only it has rules
		}
		if err != nil {
			t.Fatal(err)
		}
		if f == "svcpack.yaml" {
			if port != 0 {
				b = addrRE.ReplaceAll(b, []byte("127.0.0.1:"+strconv.Itoa(port)))
			}
			if edit != nil {
				b = []byte(edit(string(b)))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}
	return Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string { return env[k] }})
}

// TestProgramsContract loads the test programs' configs, which say nothing
// of wrap or notify: the plain server and the go-systemd one are wrapped on
// Windows, the kardianos/service one is not; only the go-systemd one gets
// Type=notify; each decision says why.
func TestProgramsContract(t *testing.T) {
	for _, tc := range []struct {
		name               string
		wrap, notify       bool
		wrapWhy, notifyWhy string
	}{
		{"netsvc", true, false, "does not speak to the Windows SCM", "imports none of the sd_notify packages"},
		{"sdnotifysvc", true, true, "does not speak to the Windows SCM", "example.com/sdnotifysvc imports github.com/coreos/go-systemd/v22/daemon"},
		{"kardianossvc", false, false, "github.com/kardianos/service imports golang.org/x/sys/windows/svc", "imports none of the sd_notify packages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := programProject(t, tc.name, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			k := c.Service.Contract
			if k.Wrap.On != tc.wrap || !strings.Contains(k.Wrap.Why, tc.wrapWhy) || k.Notify.On != tc.notify || !strings.Contains(k.Notify.Why, tc.notifyWhy) {
				t.Errorf("contract %+v", k)
			}
			if (c.Service.Contract.Wrap.On) != tc.wrap {
				t.Errorf("wrap decided %v, want %v", c.Service.Contract.Wrap.On, tc.wrap)
			}
			// check says that a program deciding by svc.IsWindowsService
			// does not reach RUNNING under Wine, and what to do there.
			summary := strings.Join(c.ContractSummary(), "\n")
			if wine := strings.Contains(summary, "under Wine"); wine != !tc.wrap || wine && !strings.Contains(summary, "service.wrap: true") {
				t.Errorf("the Wine note (want it: %v):\n%s", !tc.wrap, summary)
			}
		})
	}
}

// TestProgramsInWine releases the plain and the go-systemd test programs
// for Windows as their configs say, installs each from the zip
// (install-service.cmd under Program Files) and from the MSI, and checks
// that the service (svcwrap.exe, since neither speaks to the SCM) reaches
// RUNNING and the program answers; uninstalling removes the service. The
// kardianos/service program is installed with service.wrap: true, the
// way check tells its users to try it in Wine (unwrapped, under Wine
// svc.IsWindowsService() answers false and it never reports RUNNING; the
// windows-latest CI job installs it unwrapped).
func TestProgramsInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	// The kardianos/service program asks svc.IsWindowsService, which Wine
	// answers no: unwrapped it never reports RUNNING there (check says so),
	// wrapped it runs as the wrapper's child.
	wrap := func(y string) string {
		return strings.Replace(y, "  account: LocalService\n", "  account: LocalService\n  wrap: true\n", 1)
	}
	for _, tc := range []struct {
		name string
		edit func(string) string
	}{{"netsvc", nil}, {"sdnotifysvc", nil}, {"kardianossvc", wrap}} {
		name := tc.name
		t.Run(name, func(t *testing.T) {
			port := testtool.FreePort(t)
			c, err := programProject(t, name, port, tc.edit)
			if err != nil {
				t.Fatal(err)
			}
			c.Targets = mustTargets(t, "windows/amd64")
			res, err := Release(context.Background(), c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			base := "http://127.0.0.1:" + strconv.Itoa(port)
			running := func(how, winDir string) {
				t.Helper()
				p.WaitServiceState(name, "RUNNING", time.Minute)
				if got := strings.TrimSpace(winetest.WaitHTTP(t, base+"/healthz", 30*time.Second)); got != "ok" {
					t.Errorf("%s: /healthz answered %q", how, got)
				}
				img := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\`+name, "/v", "ImagePath")
				if !strings.Contains(img, winDir+`\svcwrap.exe`) {
					t.Errorf("%s: the service does not run the wrapper:\n%s", how, img)
				}
				if name != "netsvc" {
					return
				}
				// The places, in the folder the service was installed in.
				if got := strings.TrimSpace(winetest.WaitHTTP(t, base+"/rules", 10*time.Second)); got != winDir+`\rules.json {"hooks": ["deploy"]}` {
					t.Errorf("%s: /rules answered %q", how, got)
				}
				if got := strings.TrimSpace(winetest.WaitHTTP(t, base+"/data", 10*time.Second)); got != winDir+`\data\probe <nil>` {
					t.Errorf("%s: /data answered %q", how, got)
				}
			}
			zipDir := `C:\Program Files\svcpack tests\` + name
			dir := installFromZip(t, p, filepath.Join(res.Dist, name+"_1.0.0_windows_amd64.zip"), zipDir)
			running("zip", zipDir)
			uninstallFromZip(t, p, dir)
			msi := filepath.Join(res.Dist, name+"_1.0.0_windows_amd64.msi")
			p.MustRun(3*time.Minute, "msiexec", "/i", msi, "/qn")
			running("msi", `C:\Program Files\svcpack\`+name)
			p.MustRun(3*time.Minute, "msiexec", "/x", msi, "/qn")
			if state, out := p.WaitServiceGone(name, time.Minute); state != "" {
				t.Errorf("service still present after msiexec /x: %s\n%s", state, out)
			}
		})
	}
}

// TestProgramsInBootedDebian releases debs of the test programs as their
// configs say, installs them with the real dpkg in a debootstrapped Debian
// and boots it: the plain server runs under the hardened unit as Type=exec
// and lists its interfaces (netlink) and resolves a name; the go-systemd
// one runs as Type=notify and told systemd it was ready. The plain server
// also reads time zone data and the TLS root bundle, and writes into its
// state, cache and logs directories, through the sandbox. The plain server
// released as "logger" (a name bsdutils owns in /usr/bin) is refused by
// check with both fixes; with bin_dir it installs and runs beside the
// system's logger; built anyway into /usr/bin, dpkg refuses it.
func TestProgramsInBootedDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("debootstraps and boots a Debian root")
	}
	asLogger := func(binDir string) func(string) string {
		return func(y string) string {
			y = strings.Replace(y, "name: netsvc", "name: logger", 1)
			if binDir != "" {
				y = strings.Replace(y, "  account: LocalService\n", "  account: LocalService\n  linux: {bin_dir: "+binDir+"}\n", 1)
			}
			return y
		}
	}
	if _, err := programProject(t, "netsvc", 0, asLogger("")); err == nil ||
		!strings.Contains(err.Error(), `name: "logger" would be installed as /usr/bin/logger`) || !strings.Contains(err.Error(), "bsdutils") ||
		!strings.Contains(err.Error(), "Rename the program") || !strings.Contains(err.Error(), "service.linux.bin_dir: /usr/lib/logger") {
		t.Fatalf("check of a program called logger: %v", err)
	}
	root := debroot.New(t)
	linux := mustTargets(t, "linux/amd64")
	for _, tc := range []struct {
		program, pkg string
		port         int
		edit         func(string) string
	}{
		{"netsvc", "netsvc", 8083, nil},
		{"sdnotifysvc", "sdnotifysvc", 8084, nil},
		{"netsvc", "logger", 8085, asLogger("/usr/lib/logger")},
	} {
		c, err := programProject(t, tc.program, tc.port, tc.edit)
		if err != nil {
			t.Fatal(err)
		}
		c.Targets = linux
		res, err := Release(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		root.Put(filepath.Join(res.Dist, tc.pkg+"_1.0.0-1_amd64.deb"), "/opt/"+tc.pkg+".deb")
		if tc.pkg == "logger" {
			// The same package with the binary in /usr/bin, as check
			// refuses to make it: dpkg refuses to install it.
			s := *c
			s.Service.Linux.BinDir = ""
			bin, err := packager.BinaryPath(&s, linux[0])
			if err != nil {
				t.Fatal(err)
			}
			o := linuxfmt.Options(&s, linux[0], filepath.Join(res.Dist, bin), "deb")
			var b bytes.Buffer
			if err := linuxpkg.Package(o, "deb", &b); err != nil {
				t.Fatal(err)
			}
			root.Write("/opt/clash.deb", b.Bytes(), 0o644)
			out, err := root.Run("dpkg", "-i", "/opt/clash.deb")
			if err == nil || !strings.Contains(out, "trying to overwrite '/usr/bin/logger', which is also in package bsdutils") {
				t.Errorf("dpkg -i of a logger in /usr/bin: %v\n%s", err, out)
			}
			root.Run("dpkg", "--purge", "logger")
		}
	}
	get := func(pkg string, port int, path string) string {
		return fmt.Sprintf(`exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET %s HTTP/1.0\r\n\r\n' >&3 && sed '1,/^\r$/d' <&3 | sed 's|^|%s %s: |'; exec 3<&-`, port, path, pkg, path)
	}
	// The network is private (no DNS server answers): the name resolves
	// through /etc/hosts and nsswitch.conf, which the sandbox must let the
	// program read. (A debootstrap root has no /etc/hosts of its own; an
	// installed system's has localhost and the machine's name.)
	hosts, _ := os.ReadFile(root.Path("/etc/hosts"))
	root.Write("/etc/hosts", append(hosts, "127.0.0.1 localhost\n192.0.2.7 svcpack-test.example\n"...), 0o644)
	var script strings.Builder
	for _, s := range []struct {
		pkg   string
		port  int
		paths []string
	}{
		{"netsvc", 8083, []string{"/interfaces", "/resolve?name=svcpack-test.example", "/zone?name=Europe/Paris", "/roots", "/write", "/rules", "/data"}},
		{"sdnotifysvc", 8084, []string{"/notified"}},
		{"logger", 8085, []string{"/interfaces"}},
	} {
		fmt.Fprintf(&script, "dpkg -i /opt/%s.deb\n", s.pkg)
		fmt.Fprintf(&script, "for i in $(seq 1 30); do systemctl is-active --quiet %s && break; sleep 1; done\n", s.pkg)
		fmt.Fprintf(&script, "echo \"%s is-active: $(systemctl is-active %s)\"\n", s.pkg, s.pkg)
		fmt.Fprintf(&script, "systemctl show %s -p Type -p SubState -p DynamicUser -p ExecStart | sed 's|^|%s |'\n", s.pkg, s.pkg)
		for _, p := range s.paths {
			fmt.Fprintf(&script, "for i in $(seq 1 10); do (%s) 2>/dev/null && break; sleep 1; done\n", get(s.pkg, s.port, p))
		}
		fmt.Fprintf(&script, "journalctl -u %s --no-pager | tail -5\n", s.pkg)
	}
	script.WriteString("dpkg -S /usr/bin/logger\n")
	log, bootErr, bootOut := root.Boot(script.String(), 5*time.Minute)
	for _, want := range []string{
		"netsvc is-active: active", "netsvc Type=exec", "netsvc SubState=running", "netsvc DynamicUser=yes",
		"netsvc /interfaces: lo up|loopback|running 127.0.0.1/8", "netsvc /resolve?name=svcpack-test.example: 192.0.2.7",
		"netsvc /zone?name=Europe/Paris: 14:00 CEST", "netsvc /roots: /etc/ssl/certs/ca-certificates.crt ",
		"netsvc /write: STATE_DIRECTORY /var/lib/netsvc <nil>",
		`netsvc /rules: /etc/netsvc/rules.json {"hooks": ["deploy"]}`, "netsvc /data: /var/lib/netsvc/probe <nil>", "netsvc /write: CACHE_DIRECTORY /var/cache/netsvc <nil>", "netsvc /write: LOGS_DIRECTORY /var/log/netsvc <nil>",
		"sdnotifysvc is-active: active", "sdnotifysvc Type=notify", "sdnotifysvc SubState=running", "sdnotifysvc /notified: true",
		"logger is-active: active", "logger Type=exec", "path=/usr/lib/logger/logger", "logger /interfaces: lo ",
		"bsdutils: /usr/bin/logger",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("booted system: %q missing", want)
		}
	}
	if t.Failed() {
		t.Logf("nspawn: %v\n%s\ncheck log:\n%s", bootErr, bootOut, log)
	}
}
