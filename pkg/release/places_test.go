package release

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/textread"
	"github.com/svcpack/svcpack/internal/winetest"
	"github.com/svcpack/svcpack/pkg/config"
)

// placesYAML releases the example, which speaks to the SCM itself (so the
// installers run it as the service, unwrapped), reading its greeting from
// a file given by {{.ConfigDir}}; %[1]d is its port.
const placesYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
license: MIT
formats: [zip, msi]
windows:
  msi: {upgrade_code: 3D2C1B0A-8F7E-4D6C-9B5A-1E2F3A4B5C6D, install_dir: Acme\Placed Hello}
service:
  args: [run, -addr, "127.0.0.1:%[1]d", -config, "{{.ConfigDir}}/conf/greeting.yaml"]
  account: LocalSystem
  wrap: false
  depends_on: [{name: RpcSs}, {name: network-online.target}]
files:
  - {src: greeting.yaml, dst: "{{.ConfigDir}}/conf/greeting.yaml", config: true}
`

// placesProject loads yaml from a temporary folder that holds it and
// greeting.yaml, building the example of this repository.
func placesProject(t *testing.T, yaml string, targets ...string) *config.Spec {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string]string{
		"svcpack.yaml": yaml, "greeting.yaml": "greeting: Placed\n", "examples/hello/main.go": "package main\n",
	} {
		writeTestFile(t, filepath.Join(dir, name), []byte(data))
	}
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "SVCPACK_VERSION": "1.0.0"}
	c, err := Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	c.Dir, c.Dist = root, filepath.Join(dir, "dist")
	c.Targets = mustTargets(t, targets...)
	return c
}

// TestPlacesUnwrappedInWine installs the example, unwrapped, from the zip
// (install-service.cmd, which names its own folder as %~dp0) and from the
// MSI (whose arguments name [INSTALLDIR], the folder chosen at install
// time), each in a folder with a space: the program reads the file it was
// given by {{.ConfigDir}} from there.
//
// The service depends on RpcSs: both installers register the dependency.
func TestPlacesUnwrappedInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	port := testtool.FreePort(t)
	c := placesProject(t, fmt.Sprintf(placesYAML, port), "windows/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := func(how, winDir string) {
		t.Helper()
		p.WaitServiceState("hello", "RUNNING", time.Minute)
		if got := strings.TrimSpace(winetest.WaitHTTP(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/", 30*time.Second)); got != "Placed from hello 1.0.0" {
			t.Errorf("%s: / answered %q, want the greeting of the installed file", how, got)
		}
		// The service waits for RpcSs (the systemd target is left out):
		// DependOnService, which sc qc shows as DEPENDENCIES (Wine's sc has
		// no qc).
		deps := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`, "/v",
			"DependOnService")
		if !strings.Contains(deps, "RpcSs") || strings.Contains(deps, "network") {
			t.Errorf("%s: the service's dependencies:\n%s", how, deps)
		}
		img := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`, "/v", "ImagePath")
		if want := `-config "` + winDir + `\conf\greeting.yaml"`; !strings.Contains(img, want) {
			t.Errorf("%s: the service's command line lacks %s:\n%s", how, want, img)
		}
	}
	const zipDir = `C:\Program Files\Placed Hello zip`
	dir := installFromZip(t, p, filepath.Join(res.Dist, "hello_1.0.0_windows_amd64.zip"), zipDir)
	served("zip", zipDir)
	uninstallFromZip(t, p, dir)
	if state, out := p.WaitServiceGone("hello", time.Minute); state != "" {
		t.Fatalf("service still present after uninstall-service.cmd: %s\n%s", state, out)
	}
	msi := filepath.Join(res.Dist, "hello_1.0.0_windows_amd64.msi")
	p.MustRun(3*time.Minute, "msiexec", "/i", msi, "/qn")
	served("msi", `C:\Program Files\Acme\Placed Hello`)
	p.MustRun(3*time.Minute, "msiexec", "/x", msi, "/qn")

}

// everyPlaceYAML names every place in the arguments and the environment,
// for every format that runs the program; %s is service.wrap.
const everyPlaceYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Ops <ops@example.com>
description: Says hello from a file
license: MIT
homepage: https://example.com/hello
download_url: https://example.com/dl/{{.File}}
formats: [zip, msi, deb, tar.gz, homebrew, oci]
windows:
  msi: {upgrade_code: 3D2C1B0A-8F7E-4D6C-9B5A-1E2F3A4B5C6D, install_dir: Acme\Placed Hello}
service:
  args: [run, -config, "{{.ConfigDir}}/conf/greeting.yaml", "-data={{.StateDir}}", -logs, "{{.LogDir}}", -bin, "{{.InstallDir}}"]
  env: {DB: "{{.StateDir}}/db"}
  account: LocalService
  wrap: %s
  linux: {notify: true}
files:
  - {src: greeting.yaml, dst: "{{.ConfigDir}}/conf/greeting.yaml", config: true}
`

// TestPlacesInEveryFormat renders one config that names every place for
// every format that runs the program, and reads back from each artifact,
// with a reader nobody here wrote where one exists, the path the program
// will be given there.
func TestPlacesInEveryFormat(t *testing.T) {
	c := placesProject(t, fmt.Sprintf(everyPlaceYAML, "false"), "linux/amd64", "darwin/arm64", "windows/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &fieldsRelease{spec: c, res: res}
	args := func(conf, data, logs, bin string) []string {
		return []string{"run", "-config", conf, "-data=" + data, "-logs", logs, "-bin", bin}
	}
	linux := args("/etc/hello/conf/greeting.yaml", "/var/lib/hello", "/var/log/hello", "/usr/bin")
	eq(t, "unit ExecStart", textread.SystemdWords(r.unitValue(t, "ExecStart"), true), append([]string{"/usr/bin/hello"}, linux...))
	eq(t, "unit Environment", r.unitValue(t, "Environment"), "DB=/var/lib/hello/db")
	if _, ok := r.debFiles(t)["etc/hello/conf/greeting.yaml"]; !ok {
		t.Errorf("the deb does not install /etc/hello/conf/greeting.yaml")
	}
	eq(t, "image Cmd", r.ociConfig(t).Config.Cmd, linux)
	eq(t, "plist ProgramArguments", r.plist(t)["ProgramArguments"], anySlice(append([]string{"/usr/local/bin/hello"},
		args("/usr/local/etc/hello/conf/greeting.yaml", "/usr/local/var/lib/hello", "/Library/Logs/hello", "/usr/local/bin")...)))
	eq(t, "plist DB", jsonAt(r.plist(t), "EnvironmentVariables.DB"), "/usr/local/var/lib/hello/db")
	brew := r.brew(t, "macos", "arm")
	eq(t, "Homebrew run", brew.Service["run"], anySlice(append([]string{"opt_bin/hello"},
		args("etc/hello/conf/greeting.yaml", "var/lib/hello", "var/log/hello", "opt_bin")...)))
	if !slices.ContainsFunc(brew.Installs, func(i []string) bool {
		return slices.Equal(i, []string{"install", "etc/hello/conf", "conf/greeting.yaml"})
	}) {
		t.Errorf("the formula does not install etc/hello/conf/greeting.yaml: %v", brew.Installs)
	}
	// Windows, unwrapped: the folder as install-service.cmd (%~dp0) and
	// the MSI ([INSTALLDIR]) learn it at install time; data\ and logs\ are
	// made for the account.
	// (cmd expands %~dp0 as it runs the line; TestPlacesUnwrappedInWine
	// runs it.)
	// The folder is set alone and joined in, never parsed outside quotes.
	for _, w := range []string{`set "SVC_DIR=%~dp0"`, `set "SVC_ARGS_1= run -config \""`,
		`set "SVC_ARGS_2=conf\greeting.yaml\" \"-data="`, `set "SVC_ARGS_3=data\.\" -logs \""`, `set "SVC_ARGS_4=logs\.\" -bin \""`,
		`set "SVC_ARGS_5=.\""`, `set "SVC_ARGS=!SVC_ARGS_1!!SVC_DIR!!SVC_ARGS_2!!SVC_DIR!!SVC_ARGS_3!!SVC_DIR!!SVC_ARGS_4!!SVC_DIR!!SVC_ARGS_5!"`,
		`mkdir "!SVC_W1!"`, `mkdir "!SVC_W2!"`, `set "SVC_W1=%~dp0data"`, `set "SVC_W2=%~dp0logs"`} {
		if !strings.Contains(r.installScript(t), w) {
			t.Errorf("install-service.cmd lacks %s", w)
		}
	}
	msiArgs := r.msiRow(t, "CustomAction", "Action", "SvcpackDefault_SERVICE_ARGS")["Target"]
	eq(t, "MSI arguments", textread.Argv(msiArgs), args(`[INSTALLDIR]conf\greeting.yaml`, `[INSTALLDIR]data\.`, `[INSTALLDIR]logs\.`, `[INSTALLDIR].`))
	for _, dir := range []string{"data", "logs"} {
		if r.msiRow(t, "CreateFolder", "Directory_", "D_"+dir) == nil {
			t.Errorf("the MSI makes no %s folder", dir)
		}
	}

	// Wrapped: the wrapper learns its folder when it starts.
	yaml := strings.Replace(fmt.Sprintf(everyPlaceYAML, "true"), "formats: [zip, msi, deb, tar.gz, homebrew, oci]", "formats: [zip, msi]", 1)
	c = placesProject(t, yaml, "windows/amd64")
	if res, err = Release(context.Background(), c, Options{}); err != nil {
		t.Fatal(err)
	}
	r = &fieldsRelease{spec: c, res: res}
	for where, cfg := range r.wrapperConfigs(t) {
		eq(t, where+" svcwrap.json args", cfg["args"], anySlice(args(`${config}\conf\greeting.yaml`, "${state}", "${logs}", "${install}")))
		eq(t, where+" svcwrap.json env", cfg["env"], map[string]any{"DB": `${state}\db`})
		eq(t, where+" svcwrap.json folders", cfg["folders"], map[string]any{"config": ".", "state": "data", "logs": "logs", "install": "."})
	}
}
