package release

import (
	"archive/zip"
	"context"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/svcwrap"
)

// plainYAML releases the plain test program (internal/cmd/plainsvc), which
// knows nothing of services, under the wrapper. %d is the port.
const plainYAML = `name: plain
main: ./internal/cmd/plainsvc
vendor: Acme Corp
license: MIT
formats: [zip, msi, sbom]
windows:
  msi: {upgrade_code: 0F3C2B1A-9E8D-4C7B-A6F5-E4D3C2B1A098, install_dir: Acme\Plain Svc}
service:
  display_name: Plain & Co Service
  args: [-addr, "127.0.0.1:%[1]d", -marker, stopped.txt]
  account: LocalService
  env: {GREETING: "Hi & bye"}
  restart: {delay: 200ms}
  wrap: true
  wrapper:
    stop_timeout: 3s
    preshutdown_timeout: 45s
    restart: {max_restarts: 3, window: 1m}
    logs: {max_size: 64K, keep: 3}
    health: {url: "http://127.0.0.1:%[1]d/healthz", interval: 500ms, failures: 2}
`

// plainProject loads yaml for the plain test program of this repository,
// built for the given targets into a temporary dist, as version 2.0.1.
func plainProject(t *testing.T, yaml string, targets ...string) *config.Spec {
	t.Helper()
	return plainRelease(t, yaml, "2.0.1", nil, targets...)
}

// plainRelease is plainProject for a version, with more files (name ->
// content) beside svcpack.yaml.
func plainRelease(t *testing.T, yaml, version string, extra map[string]string, targets ...string) *config.Spec {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range map[string]string{"svcpack.yaml": "", "internal/cmd/plainsvc/main.go": "internal/cmd/plainsvc/main.go", "LICENSE": "LICENSE"} {
		data := []byte(yaml)
		if src != "" {
			if data, err = os.ReadFile(filepath.Join(root, src)); err != nil {
				t.Fatal(err)
			}
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "SVCPACK_VERSION": version}
	c, err := Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	c.Dir, c.Dist = root, filepath.Join(dir, "dist")
	c.Targets = mustTargets(t, targets...)
	return c
}

func zipEntry(t *testing.T, zipPath, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s has no %s", zipPath, name)
	return nil
}

// TestWrapPackages checks what service.wrap puts into the Windows zip and
// MSI: the wrapper with resources, its configuration, and the service
// registered as the wrapper; and that two releases are identical.
func TestWrapPackages(t *testing.T) {
	c := plainProject(t, fmt.Sprintf(plainYAML, 8080), "windows/amd64", "windows/arm64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wrappers []string
	for _, a := range res.Artifacts {
		if a.Kind == packager.KindWrapper {
			wrappers = append(wrappers, a.Path)
		}
	}
	if strings.Join(wrappers, " ") != "plain_windows_amd64/svcwrap.exe plain_windows_arm64/svcwrap.exe" {
		t.Errorf("wrapper artifacts %v", wrappers)
	}
	for arch, machine := range map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64} {
		f, err := pe.Open(filepath.Join(res.Dist, "plain_windows_"+arch, "svcwrap.exe"))
		if err != nil {
			t.Fatal(err)
		}
		if f.Machine != machine || f.Section(".rsrc") == nil {
			t.Errorf("%s wrapper: machine %#x, resources %v", arch, f.Machine, f.Section(".rsrc") != nil)
		}
		f.Close()
	}
	if b, err := os.ReadFile(filepath.Join(res.Dist, "plain_2.0.1_windows_amd64.svcwrap.sbom.cdx.json")); err != nil || !strings.Contains(string(b), "golang.org/x/sys") {
		t.Errorf("wrapper SBOM: %v\n%.400s", err, b)
	}
	zipPath := filepath.Join(res.Dist, "plain_2.0.1_windows_amd64.zip")
	cfg, err := svcwrap.Parse(zipEntry(t, zipPath, "svcwrap.json"), "svcwrap.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Program != "plain.exe" || strings.Join(cfg.Args, " ") != "-addr 127.0.0.1:8080 -marker stopped.txt" ||
		cfg.Env["GREETING"] != "Hi & bye" || cfg.Restart.Delay.Std() != 200*time.Millisecond || cfg.Logs.MaxSize != 64<<10 ||
		cfg.Health == nil || cfg.Health.Failures != 2 {
		t.Errorf("svcwrap.json: %+v", cfg)
	}
	if got, want := zipEntry(t, zipPath, "svcwrap.exe"), mustRead(t, filepath.Join(res.Dist, "plain_windows_amd64", "svcwrap.exe")); string(got) != string(want) {
		t.Error("the zip's svcwrap.exe differs from the released one")
	}
	install := string(zipEntry(t, zipPath, "install-service.cmd"))
	for _, want := range []string{`set "SVC_EXE=%~dp0svcwrap.exe"`, `binPath= "\"!SVC_EXE!\""`, `set "SVC_LOGS=%~dp0logs"`} {
		if !strings.Contains(install, want) {
			t.Errorf("install-service.cmd lacks %q", want)
		}
	}
	// The MSI's tables in a subtest: without msitools it skips (fails under
	// SVCPACK_REQUIRE_TOOLS=1) and the checks after it still run.
	t.Run("msiinfo", func(t *testing.T) {
		msiinfo := testtool.Need(t, "msiinfo", "msitools")
		out, err := exec.Command(msiinfo, "export", filepath.Join(res.Dist, "plain_2.0.1_windows_amd64.msi"), "ServiceInstall").CombinedOutput()
		if err != nil {
			t.Fatalf("msiinfo: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "\tC_svcwrap.exe\t") {
			t.Errorf("the MSI's service does not run the wrapper:\n%s", out)
		}
		// The log folder is created with write access for LocalService.
		lock, _ := exec.Command(msiinfo, "export", filepath.Join(res.Dist, "plain_2.0.1_windows_amd64.msi"), "MsiLockPermissionsEx").CombinedOutput()
		if !strings.Contains(string(lock), "\tD_logs\tCreateFolder\t"+"D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1301bf;;;LS)") {
			t.Errorf("MsiLockPermissionsEx:\n%s", lock)
		}
		files, _ := exec.Command(msiinfo, "export", filepath.Join(res.Dist, "plain_2.0.1_windows_amd64.msi"), "File").CombinedOutput()
		for _, want := range []string{"svcwrap.exe", "svcwrap.json", "plain.exe"} {
			if !strings.Contains(string(files), want) {
				t.Errorf("the MSI's File table lacks %s:\n%s", want, files)
			}
		}
	})

	// Reproducible: a second release into a fresh dist gives the same bytes.
	first := map[string]string{}
	for _, a := range res.Artifacts {
		first[a.Path] = a.SHA256
	}
	c.Dist = filepath.Join(t.TempDir(), "dist")
	res2, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res2.Artifacts {
		if first[a.Path] != a.SHA256 {
			t.Errorf("%s differs between two releases", a.Path)
		}
	}
	// Incremental: releasing again with nothing changed reuses every
	// artifact, the wrappers and their packages included.
	res3, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res3.Artifacts {
		if !a.Reused {
			t.Errorf("%s was made again although nothing changed", a.Path)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWrapFromOtherModule releases a project in its own module that
// requires svcpack (through a replace directive to this checkout, as a
// magefile importing svcpack's targets would): the wrapper's source is found
// through the project's module graph.
func TestWrapFromOtherModule(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/other\n\ngo 1.26\n\nrequire github.com/svcpack/svcpack v0.0.0\n\nreplace github.com/svcpack/svcpack => " + root + "\n",
		// The import makes the requirement real, as //mage:import does.
		"tools.go":     "//go:build tools\n\npackage main\n\nimport _ \"github.com/svcpack/svcpack/pkg/svcwrap\"\n",
		"main.go":      "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"other\") }\n",
		"svcpack.yaml": "name: other\nmain: .\nversion: 1.0.0\ntargets: [windows/amd64]\nformats: [zip]\nservice: {wrap: true}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	c, err := Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := wrapperSource(context.Background(), "go", dir, noBuildInfo, "")
	if err != nil {
		t.Fatal(err)
	}
	if src != root {
		t.Errorf("wrapper source %s, want the replacement %s", src, root)
	}
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(res.Dist, "other_1.0.0_windows_amd64.zip")
	if len(zipEntry(t, zipPath, "svcwrap.exe")) == 0 {
		t.Error("empty svcwrap.exe")
	}
	if cfg := string(zipEntry(t, zipPath, "svcwrap.json")); !strings.Contains(cfg, `"program": "other.exe"`) {
		t.Errorf("svcwrap.json:\n%s", cfg)
	}
}

func noBuildInfo() (*debug.BuildInfo, bool) { return nil, false }

func TestWrapperSourceErrors(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	dir := t.TempDir() // no go.mod: no module graph
	for _, tc := range []struct {
		name string
		info func() (*debug.BuildInfo, bool)
		want []string
	}{
		{"no build info", noBuildInfo, []string{"cannot find the source of svcpack's service wrapper", "does not require github.com/svcpack/svcpack", "go get github.com/svcpack/svcpack@<version>"}},
		{"checkout build", func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Path: svcpackModule, Version: "(devel)"}}, true
		}, []string{"carries no module version"}},
		{"versioned", func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Path: svcpackModule, Version: "v9.9.9"}}, true
		}, []string{"downloading github.com/svcpack/svcpack@v9.9.9 (this svcpack's version)", "GOPROXY=off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wrapperSource(context.Background(), "go", dir, tc.info, "")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	// The build info of a `go run .../cmd/svcpack@version` names a module
	// directory once downloaded; a replace to a directory is used as is.
	root, _ := filepath.Abs("../..")
	got, err := wrapperSource(context.Background(), "go", dir, func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: "example.com/x"}, Deps: []*debug.Module{{Path: svcpackModule, Version: "v1.0.0", Replace: &debug.Module{Path: root}}}}, true
	}, "")
	if err != nil || got != root {
		t.Errorf("replaced dependency: %q, %v", got, err)
	}
	// `go tool svcpack` in a tools module whose go.mod replaces svcpack
	// with a directory: the main module is replaced.
	got, err = wrapperSource(context.Background(), "go", dir, func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: svcpackModule, Version: "v0.0.0", Replace: &debug.Module{Path: root, Version: "(devel)"}}}, true
	}, "")
	if err != nil || got != root {
		t.Errorf("replaced main module: %q, %v", got, err)
	}
	// A svcpack built from a checkout (its tests, `go run ./cmd/svcpack`
	// there) uses that checkout.
	got, err = wrapperSource(context.Background(), "go", dir, func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: svcpackModule, Version: "(devel)"}}, true
	}, checkoutDir())
	if err != nil || got != root {
		t.Errorf("checkout build: %q, %v; want %s", got, err, root)
	}
}

// TestWrapInstallsInWine installs the plain test program, released with
// service.wrap, from the zip (install-service.cmd, under Program Files) and
// from the MSI, and checks each time that the service reaches RUNNING, the
// program answers on its port from the install folder, and uninstalling
// leaves no program running; the zip's script sets the preshutdown timeout
// (the MSI's MsiServiceConfig row is one Wine ignores).
func TestWrapInstallsInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	port := testtool.FreePort(t)
	c := plainProject(t, fmt.Sprintf(plainYAML, port), "windows/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	check := func(winDir string) {
		t.Helper()
		p.WaitServiceState("plain", "RUNNING", time.Minute)
		winetest.WaitHTTP(t, base+"/healthz", 30*time.Second)
		if got := strings.TrimSpace(winetest.WaitHTTP(t, base+"/cwd", 10*time.Second)); !strings.EqualFold(got, winDir) {
			t.Errorf("working directory %q, want %q", got, winDir)
		}
		if got := strings.TrimSpace(winetest.WaitHTTP(t, base+"/env?name=GREETING", 10*time.Second)); got != "Hi & bye" {
			t.Errorf("GREETING = %q", got)
		}
		img := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\plain`, "/v", "ImagePath")
		if !strings.Contains(img, winDir+`\svcwrap.exe`) {
			t.Errorf("the service does not run the wrapper:\n%s", img)
		}
		logs := p.HostPath(winDir + `\logs\plain-svcwrap.log`)
		if b, err := os.ReadFile(logs); err != nil || !strings.Contains(string(b), "service RUNNING") {
			t.Errorf("wrapper log %s: %v\n%s", logs, err, b)
		}
	}

	// From the zip, under Program Files.
	const zipDir = `C:\Program Files\Plain & Co`
	dir := installFromZip(t, p, filepath.Join(res.Dist, "plain_2.0.1_windows_amd64.zip"), zipDir)
	check(zipDir)
	// sc cannot set the preshutdown timeout: the script had the wrapper set
	// it through the SCM (ChangeServiceConfig2), which Wine records.
	if out := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\plain`, "/v",
		"PreshutdownTimeout"); !strings.Contains(out, "0xafc8") { // 45 s
		t.Errorf("the preshutdown timeout is not 45s:\n%s", out)
	}
	out := uninstallFromZip(t, p, dir)
	if _, err := winetest.PollHTTP(base+"/healthz", 2*time.Second); err == nil {
		log, _ := os.ReadFile(filepath.Join(dir, "logs", "plain-svcwrap.log"))
		t.Errorf("the program still answers after uninstall-service.cmd; it printed:\n%s\nthe wrapper's log:\n%s", out, log)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "stopped.txt")); err != nil {
		t.Errorf("no graceful stop marker after uninstall-service.cmd: %v", err)
	} else {
		t.Logf("zip: %s", strings.TrimSpace(string(b)))
	}

	// From the MSI.
	msi := filepath.Join(res.Dist, "plain_2.0.1_windows_amd64.msi")
	p.MustRun(3*time.Minute, "msiexec", "/i", msi, "/qn")
	const msiDir = `C:\Program Files\Acme\Plain Svc`
	check(msiDir)
	p.MustRun(3*time.Minute, "msiexec", "/x", msi, "/qn")
	if state, out := p.WaitServiceGone("plain", time.Minute); state != "" {
		t.Errorf("service still present after msiexec /x: %s\n%s", state, out)
	}
	// The uninstall waited for the wrapper and the program to end before
	// removing their files (svcwrap.exe -stop-service): none is left.
	if left := listDir(t, p.HostPath(msiDir)); !slices.Equal(left, []string{"logs", "logs/plain-svcwrap.log", "logs/plain.log", "stopped.txt"}) {
		t.Errorf("after msiexec /x the install folder holds %v, want the logs and the program's marker", left)
	}
	if _, err := winetest.PollHTTP(base+"/healthz", 2*time.Second); err == nil {
		t.Error("the program still answers after msiexec /x")
	}
	if b, err := os.ReadFile(p.HostPath(msiDir + `\stopped.txt`)); err != nil {
		t.Errorf("no graceful stop marker after msiexec /x: %v", err)
	} else {
		t.Logf("msi: %s", strings.TrimSpace(string(b)))
	}
}

// settingsYAML releases the plain test program under the wrapper, listening
// on 127.0.0.1:$PORT, with a config file; %[1]d is the default port, %[2]s
// the release (the program reports it as RELEASE).
const settingsYAML = `name: plain
main: ./internal/cmd/plainsvc
vendor: Acme Corp
license: MIT
formats: [zip, msi]
windows:
  msi: {upgrade_code: 0F3C2B1A-9E8D-4C7B-A6F5-E4D3C2B1A098, install_dir: Acme\Plain Svc}
service:
  args: [-marker, stopped.txt]
  account: LocalService
  env: {PORT: "%[1]d", RELEASE: "%[2]s"}
  restart: {delay: 200ms}
  wrap: true
  wrapper: {stop_timeout: 3s}
files:
  - {src: plain.conf, dst: plain.conf, config: true}
`

// TestWrapSettingsInWine installs the wrapped program from the MSI with
// PORT given at install time, edits its config file and upgrades it: the
// program answers on the given port, from the new release, and the edit
// stays. Removing it leaves what the README says (the config file, the
// logs, the program's own marker), and PURGE=1 nothing, not even the
// vendor's folder. From the
// zip, install-service.cmd PORT=... does the same, remembered when run
// again. (The wrapper reads the recorded settings itself, which Wine shows;
// the service's Environment value, which Wine ignores, plays no part.)
func TestWrapSettingsInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	defaultPort, port, zipPort := testtool.FreePort(t), testtool.FreePort(t), testtool.FreePort(t)
	release := func(v string) *Result {
		c := plainRelease(t, fmt.Sprintf(settingsYAML, defaultPort, v), v, map[string]string{"plain.conf": "setting: default\n"}, "windows/amd64")
		res, err := Release(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	r1, r2 := release("2.0.1"), release("2.0.2")
	msi1, msi2 := filepath.Join(r1.Dist, "plain_2.0.1_windows_amd64.msi"), filepath.Join(r2.Dist, "plain_2.0.2_windows_amd64.msi")
	get := func(port int, path string) string {
		t.Helper()
		p.WaitServiceState("plain", "RUNNING", time.Minute)
		return strings.TrimSpace(winetest.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), 30*time.Second))
	}
	const msiDir = `C:\Program Files\Acme\Plain Svc`
	conf := p.HostPath(msiDir + `\plain.conf`)

	p.MustRun(3*time.Minute, "msiexec", "/i", msi1, "/qn", fmt.Sprintf("PORT=%d", port))
	if got := get(port, "/env?name=RELEASE"); got != "2.0.1" {
		t.Errorf("RELEASE %q from 2.0.1", got)
	}
	if err := os.WriteFile(conf, []byte("setting: edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.MustRun(3*time.Minute, "msiexec", "/i", msi2, "/qn")
	if got := get(port, "/env?name=RELEASE"); got != "2.0.2" {
		t.Errorf("after the upgrade the program on port %d reports RELEASE %q, want 2.0.2", port, got)
	}
	if b, _ := os.ReadFile(conf); string(b) != "setting: edited\n" {
		t.Errorf("plain.conf after the upgrade: %q", b)
	}
	events, _ := os.ReadFile(p.HostPath(msiDir + `\logs\plain-svcwrap.log`))
	if !strings.Contains(string(events), "settings recorded at install time: PORT") {
		t.Errorf("the wrapper did not log the recorded setting:\n%s", events)
	}

	p.MustRun(3*time.Minute, "msiexec", "/x", msi2, "/qn")
	if left := listDir(t, p.HostPath(msiDir)); !slices.Equal(left, []string{"logs", "logs/plain-svcwrap.log", "logs/plain.log", "plain.conf", "stopped.txt"}) {
		t.Errorf("after msiexec /x the install folder holds %v", left)
	}
	p.MustRun(3*time.Minute, "msiexec", "/i", msi2, "/qn")
	if got := get(defaultPort, "/env?name=PORT"); got != strconv.Itoa(defaultPort) {
		t.Errorf("reinstalled after removal, PORT is %q: the removal should have forgotten the setting", got)
	}
	p.MustRun(3*time.Minute, "msiexec", "/x", msi2, "/qn", "PURGE=1")
	// The logs go, then the folders up to the vendor's, each when empty.
	// Windows also removes the program's own marker (a wildcard), and with
	// it the folders; Wine 8 ignores wildcards, and keeps them for it.
	if p.Native() {
		for _, d := range []string{msiDir, `C:\Program Files\Acme`} {
			if _, err := os.Stat(p.HostPath(d)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after msiexec /x PURGE=1, %s is still there (%v): %v", d, err, listDir(t, p.HostPath(d)))
			}
		}
	} else if left := listDir(t, p.HostPath(msiDir)); !slices.Equal(left, []string{"stopped.txt"}) {
		t.Errorf("after msiexec /x PURGE=1 the install folder holds %v, want only the program's marker", left)
	}
	// A program that writes nothing of its own (its marker to NUL, given
	// at install time): Wine too leaves nothing, not even the vendor's
	// folder.
	os.Remove(p.HostPath(msiDir + `\stopped.txt`))
	p.MustRun(3*time.Minute, "msiexec", "/i", msi2, "/qn", "SERVICE_ARGS=-marker NUL")
	get(defaultPort, "/healthz")
	p.MustRun(3*time.Minute, "msiexec", "/x", msi2, "/qn", "PURGE=1")
	for _, d := range []string{msiDir, `C:\Program Files\Acme`} {
		if _, err := os.Stat(p.HostPath(d)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after msiexec /x PURGE=1 of a program that wrote nothing, %s is still there (%v): %v", d, err, listDir(t, p.HostPath(d)))
		}
	}

	// The zip: install-service.cmd PORT=..., then again without it.
	const zipDir = `C:\Program Files\Plain Zip`
	dir := p.HostPath(zipDir)
	unpack(t, filepath.Join(r2.Dist, "plain_2.0.2_windows_amd64.zip"), dir)
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "install-service.cmd", fmt.Sprintf("PORT=%d", zipPort)); err != nil {
		t.Fatalf("install-service.cmd PORT=%d: %v\n%s", zipPort, err, out)
	}
	if got := get(zipPort, "/env?name=PORT"); got != strconv.Itoa(zipPort) {
		t.Errorf("PORT %q", got)
	}
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "install-service.cmd"); err != nil {
		t.Fatalf("install-service.cmd again: %v\n%s", err, out)
	}
	if got := get(zipPort, "/env?name=PORT"); got != strconv.Itoa(zipPort) {
		t.Errorf("run again, PORT %q", got)
	}
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd"); err != nil {
		t.Fatalf("uninstall-service.cmd: %v\n%s", err, out)
	}
}

// listDir lists the files and folders under dir, relative, with /.
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

// TestWrapperLogNameWarning: check warns about an argument naming the
// wrapper's own log file in {{.LogDir}}, split or not.
func TestWrapperLogNameWarning(t *testing.T) {
	for _, tc := range []struct{ logs, arg, file string }{
		{"{max_size: 64K}", `{{.LogDir}}/plain.log`, "plain.log"},
		{"{split: true}", `{{.LogDir}}\plain.err.log`, "plain.err.log"},
	} {
		y := strings.Replace(fmt.Sprintf(plainYAML, 8090), "-marker, stopped.txt]", "-marker, '"+tc.arg+"']", 1)
		y = strings.Replace(y, "logs: {max_size: 64K, keep: 3}", "logs: "+tc.logs, 1)
		c := plainProject(t, y, "windows/amd64")
		want := fmt.Sprintf("service.args[3]: warning: %q names %s, a file of the wrapper's own", tc.arg, tc.file)
		if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("warnings %q\nlack %s", c.Warnings, want)
		}
	}
}
