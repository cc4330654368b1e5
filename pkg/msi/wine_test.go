package msi

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
	"github.com/svcpack/svcpack/pkg/version"
)

// The example service as Windows Installer sees it in these tests: hello
// (examples/hello) says "<greeting> from hello <version>", its greeting read
// from config.yaml beside it at start.
const (
	wineUpgradeCode = "6b2a1e7c-5d4f-4e3a-9b2c-1d0e8f7a6b5c"
	wineInstallDir  = `C:\Program Files\Acme\Hello`
	uninstallKey    = `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\`
)

var (
	helloMu    sync.Mutex
	helloExes  = map[string]string{}
	helloBuild string // a directory of this test run, removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	if helloBuild != "" {
		os.RemoveAll(helloBuild)
	}
	os.Exit(code)
}

// helloExe builds examples/hello for windows/amd64 with the version
// stamped, once per version.
func helloExe(t *testing.T, v string) string {
	t.Helper()
	helloMu.Lock()
	defer helloMu.Unlock()
	if exe, ok := helloExes[v]; ok {
		return exe
	}
	if helloBuild == "" {
		dir, err := os.MkdirTemp("", "svcpack-msi-hello-")
		if err != nil {
			t.Fatal(err)
		}
		helloBuild = dir
	}
	exe := filepath.Join(helloBuild, v, "hello.exe")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-X main.version="+v, "-o", exe, "./examples/hello")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	helloExes[v] = exe
	return exe
}

// helloPackage is the MSI of hello at version v (a full version, such as
// 1.2.3-rc.1), listening on 127.0.0.1:port unless SERVICE_ARGS says
// otherwise, with config.yaml as a config file and PORT and the arguments
// settable at install.
func helloPackage(t *testing.T, v string, port int) string {
	t.Helper()
	parsed, err := version.Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := parsed.MSI()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf, notes := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "NOTES.txt")
	if err := os.WriteFile(conf, []byte("greeting: Hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notes, []byte("hello "+v+"\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return buildPackage(t, Package{
		Product: Product{
			Name: "Hello Service", Manufacturer: "Acme Corp", Version: pv, FullVersion: parsed.String(),
			UpgradeCode: wineUpgradeCode, URL: "https://example.com/hello", Arch: "amd64", InstallDir: `Acme\Hello`,
		},
		Files: []File{{Name: "hello.exe", Src: helloExe(t, v)}, {Name: "config.yaml", Src: conf, Config: true}, {Name: "NOTES.txt", Src: notes}},
		Service: &Service{
			Name: "hello", DisplayName: "Hello Service", Description: "Says hello over HTTP",
			// Wine ignores the Environment value: the port goes in the arguments.
			Args:  []string{"run", "-addr", "127.0.0.1:" + strconv.Itoa(port)},
			Start: "auto", Account: "LocalSystem",
			Env:          map[string]string{"PORT": strconv.Itoa(port), "GREETING_STYLE": "[plain]"},
			RestartDelay: 5 * time.Second, ResetAfter: 24 * time.Hour,
			Settings:    []Setting{{Property: "PORT", Env: "PORT"}, {Property: "SERVICE_ARGS"}},
			EventSource: true,
		},
		Date: time.Unix(1700000000, 0),
	})
}

// msiexec runs msiexec with a verbose log and returns its error and the log.
func msiexec(t *testing.T, p *winetest.Prefix, args ...string) (string, error) {
	t.Helper()
	const logPath = `C:\windows\temp\svcpack-msiexec.log`
	host := p.HostPath(logPath)
	os.Remove(host)
	out, err := p.Run(3*time.Minute, "msiexec", append(args, "/qn", "/l*v", logPath)...)
	b, _ := os.ReadFile(host)
	return out + "\n" + decodeLog(b), err
}

// decodeLog returns an msiexec log as text: Windows writes UTF-16 when
// asked, Wine ANSI.
func decodeLog(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE {
		u := make([]uint16, (len(b)-2)/2)
		for i := range u {
			u[i] = uint16(b[2+2*i]) | uint16(b[3+2*i])<<8
		}
		return string(utf16.Decode(u))
	}
	return string(b)
}

func mustMsiexec(t *testing.T, p *winetest.Prefix, args ...string) {
	t.Helper()
	if log, err := msiexec(t, p, args...); err != nil {
		t.Fatalf("msiexec %s: %v\n%s", strings.Join(args, " "), err, tail(log, 60))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// answer waits for hello on port and returns what / says.
func answer(t *testing.T, p *winetest.Prefix, port int) string {
	t.Helper()
	p.WaitServiceState("hello", "RUNNING", time.Minute)
	return strings.TrimSpace(winetest.WaitHTTP(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/", 30*time.Second))
}

// installedEntries lists the product codes in the uninstall registry whose
// DisplayName is Hello Service.
func installedEntries(t *testing.T, p *winetest.Prefix, versions ...string) []string {
	t.Helper()
	ns, _ := parseGUID(wineUpgradeCode)
	var out []string
	for _, v := range versions {
		code := productCode(ns, "amd64", v)
		if o, err := p.Run(time.Minute, "reg", "query", uninstallKey+code, "/v", "DisplayName"); err == nil && strings.Contains(o, "Hello Service") {
			out = append(out, v)
		}
	}
	return out
}

// checkEventSource checks, with reg query, that hello's event source is
// registered as eventlog.InstallAsEventCreate registers one, or with
// registered false that its key is gone.
func checkEventSource(t *testing.T, p *winetest.Prefix, when string, registered bool) {
	t.Helper()
	key := `HKLM\` + EventSourceKey("hello")
	out, err := p.Run(time.Minute, "reg", "query", key)
	if !registered {
		if err == nil {
			t.Errorf("%s: %s is still there:\n%s", when, key, out)
		}
		return
	}
	for _, want := range []string{
		`EventMessageFile    REG_EXPAND_SZ    %SystemRoot%\System32\EventCreate.exe`,
		`TypesSupported    REG_DWORD    0x7`,
		`CustomSource    REG_DWORD    0x1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: reg query %s lacks %q: %v\n%s", when, key, want, err, out)
		}
	}
}

func regValue(t *testing.T, p *winetest.Prefix, key, name string) string {
	t.Helper()
	out, err := p.Run(time.Minute, "reg", "query", key, "/v", name)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == name && strings.HasPrefix(f[1], "REG_") {
			return strings.Join(f[2:], " ")
		}
	}
	return ""
}

// TestWineConfigAndSettingsSurvive installs hello 1.0.0 with install-time
// settings, edits its config file, upgrades to 1.0.1 and repairs it: the
// edit and the settings stay, the service runs the new binary. A downgrade
// is refused with the message; removing keeps the edited config file (and
// nothing else) until PURGE=1.
func TestWineConfigAndSettingsSurvive(t *testing.T) {
	if testing.Short() {
		t.Skip("Wine test skipped in -short mode")
	}
	p := winetest.New(t)
	defaultPort, port := testtool.FreePort(t), testtool.FreePort(t)
	v100, v101 := helloPackage(t, "1.0.0", defaultPort), helloPackage(t, "1.0.1", defaultPort)
	config := p.HostPath(wineInstallDir + `\config.yaml`)
	svcKey := `HKLM\SYSTEM\CurrentControlSet\Services\hello`
	args := "run -addr 127.0.0.1:" + strconv.Itoa(port)

	mustMsiexec(t, p, "/i", v100, "PORT=9090", "SERVICE_ARGS="+args)
	if got := answer(t, p, port); got != "Hello from hello 1.0.0" {
		t.Fatalf("1.0.0 answers %q", got)
	}
	// The settings reach the service's registration; Wine ignores the
	// Environment value (real Windows passes it to the program), so the
	// program sees the port through SERVICE_ARGS here.
	if img := regValue(t, p, svcKey, "ImagePath"); !strings.HasSuffix(img, `\Acme\Hello\hello.exe" `+args) && !strings.HasSuffix(img, `\Acme\Hello\hello.exe `+args) {
		t.Errorf("ImagePath %q does not end in the given arguments", img)
	}
	if env := regValue(t, p, svcKey, "Environment"); !strings.Contains(env, "PORT=9090") || !strings.Contains(env, "GREETING_STYLE=[plain]") {
		t.Errorf("Environment %q lacks PORT=9090 or the literal default", env)
	}
	if v := regValue(t, p, svcKey+`\Parameters\Environment`, "PORT"); v != "9090" {
		t.Errorf("recorded PORT %q", v)
	}
	checkEventSource(t, p, "after the install", true)

	if err := os.WriteFile(config, []byte("greeting: Edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustMsiexec(t, p, "/i", v101) // no settings given: the recorded ones apply
	if got := answer(t, p, port); got != "Edited from hello 1.0.1" {
		t.Errorf("after the upgrade hello answers %q, want the edited greeting from 1.0.1", got)
	}
	if b, err := os.ReadFile(config); err != nil || string(b) != "greeting: Edited\n" {
		t.Errorf("config.yaml after the upgrade: %q %v", b, err)
	}
	if env := regValue(t, p, svcKey, "Environment"); !strings.Contains(env, "PORT=9090") {
		t.Errorf("the upgrade forgot PORT=9090: Environment %q", env)
	}
	if got := installedEntries(t, p, "1.0.0", "1.0.1"); !slices.Equal(got, []string{"1.0.1"}) {
		t.Errorf("uninstall entries after the upgrade: %v", got)
	}
	checkEventSource(t, p, "after the upgrade", true) // the old product's removal took it, the new one's install wrote it

	// A repair restores a missing program file and keeps the edit. (Wine's
	// msiexec /f cannot repair, so the repair is the command line Windows
	// documents for it: the package with REINSTALL, here every file.)
	notes := p.HostPath(wineInstallDir + `\NOTES.txt`)
	os.Remove(notes)
	mustMsiexec(t, p, "/i", v101, "REINSTALL=ALL", "REINSTALLMODE=amus")
	if _, err := os.Stat(notes); err != nil {
		t.Errorf("the repair did not restore NOTES.txt: %v", err)
	}
	if b, _ := os.ReadFile(config); string(b) != "greeting: Edited\n" {
		t.Errorf("config.yaml after the repair: %q", b)
	}
	if got := answer(t, p, port); got != "Edited from hello 1.0.1" {
		t.Errorf("after the repair hello answers %q", got)
	}

	// A downgrade is refused by the launch condition, with the message.
	refused(t, p, v100)

	// Removal: the service and every file but the edited config go.
	mustMsiexec(t, p, "/x", v101)
	if state, out := p.ServiceState("hello"); state != "" {
		t.Errorf("service still present after msiexec /x: %s\n%s", state, out)
	}
	if left := listDir(t, p.HostPath(wineInstallDir)); !slices.Equal(left, []string{"config.yaml"}) {
		t.Errorf("after msiexec /x the install folder holds %v, want only config.yaml", left)
	}
	checkEventSource(t, p, "after msiexec /x", false)
	// Installing again keeps it; PURGE=1 removes it, the folder, and the
	// vendor's folder above it.
	mustMsiexec(t, p, "/i", v101)
	if got := answer(t, p, defaultPort); got != "Edited from hello 1.0.1" {
		t.Errorf("reinstalled hello answers %q", got)
	}
	mustMsiexec(t, p, "/x", v101, "PURGE=1")
	for _, d := range []string{wineInstallDir, `C:\Program Files\Acme`} {
		if _, err := os.Stat(p.HostPath(d)); !os.IsNotExist(err) {
			t.Errorf("after msiexec /x PURGE=1, %s holds %v", d, listDir(t, p.HostPath(d)))
		}
	}
}

// refused installs pkg, which is older than the installed product, and
// checks that Windows Installer refuses it in LaunchConditions with the
// package's message. Windows logs the message; Wine, under /qn, logs only
// that LaunchConditions failed, so there the message is read from the
// package's LaunchCondition table (msiinfo).
func refused(t *testing.T, p *winetest.Prefix, pkg string) {
	t.Helper()
	const msg = "A newer version of Hello Service is already installed."
	log, err := msiexec(t, p, "/i", pkg)
	if err == nil {
		t.Errorf("the downgrade succeeded:\n%s", tail(log, 20))
		return
	}
	if !strings.Contains(log, "Action ended") || !regexp.MustCompile(`LaunchConditions\. Return value [03]\.`).MatchString(log) {
		t.Errorf("the downgrade did not fail in LaunchConditions: %v\n%s", err, tail(log, 30))
	}
	if p.Native() {
		if !strings.Contains(log, msg) {
			t.Errorf("the refused downgrade logs no message:\n%s", tail(log, 40))
		}
		return
	}
	msiinfo := testtool.Need(t, "msiinfo", "msitools")
	if out, _ := exec.Command(msiinfo, "export", pkg, "LaunchCondition").CombinedOutput(); !strings.Contains(string(out), "NOT SVCPACK_DOWNGRADE_DETECTED\t"+msg) {
		t.Errorf("LaunchCondition:\n%s", out)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && path != dir {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// TestWineSameVersionUpgrades installs 1.2.3-rc.1, then 1.2.3, then
// 1.2.4-0.dev and 1.2.4: each replaces the last in place (one uninstall
// entry, the service running the new binary), although the first two and
// the last two share their ProductVersion. 1.2.3 over 1.2.4 is refused.
func TestWineSameVersionUpgrades(t *testing.T) {
	if testing.Short() {
		t.Skip("Wine test skipped in -short mode")
	}
	p := winetest.New(t)
	port := testtool.FreePort(t)
	all := []string{"1.2.3-rc.1", "1.2.3", "1.2.4-0.dev", "1.2.4"}
	pkgs := map[string]string{}
	for _, v := range all {
		pkgs[v] = helloPackage(t, v, port)
	}
	for i, v := range all {
		mustMsiexec(t, p, "/i", pkgs[v])
		if got := answer(t, p, port); got != "Hello from hello "+v {
			t.Errorf("after installing %s hello answers %q", v, got)
		}
		if got := installedEntries(t, p, all...); !slices.Equal(got, []string{v}) {
			t.Errorf("after installing %s (over %v) the uninstall entries are %v", v, all[:i], got)
		}
	}
	refused(t, p, pkgs["1.2.3"])
	if got := answer(t, p, port); got != "Hello from hello 1.2.4" {
		t.Errorf("after the refused downgrade hello answers %q", got)
	}
	mustMsiexec(t, p, "/x", pkgs["1.2.4"])
	if got := installedEntries(t, p, all...); len(got) != 0 {
		t.Errorf("entries left after msiexec /x: %v", got)
	}
}
