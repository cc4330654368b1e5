package release

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
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
		img := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`, "/v", "ImagePath")
		if want := `-config "` + winDir + `\conf\greeting.yaml"`; !strings.Contains(img, want) {
			t.Errorf("%s: the service's command line lacks %s:\n%s", how, want, img)
		}
	}
	const zipDir = `C:\Program Files\Placed Hello zip`
	dir := p.HostPath(zipDir)
	unpack(t, filepath.Join(res.Dist, "hello_1.0.0_windows_amd64.zip"), dir)
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "install-service.cmd"); err != nil || !strings.Contains(out, "RUNNING") {
		t.Fatalf("install-service.cmd: %v\n%s", err, out)
	}
	served("zip", zipDir)
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd"); err != nil {
		t.Fatalf("uninstall-service.cmd: %v\n%s", err, out)
	}
	if state, out := p.WaitServiceGone("hello", time.Minute); state != "" {
		t.Fatalf("service still present after uninstall-service.cmd: %s\n%s", state, out)
	}
	msi := filepath.Join(res.Dist, "hello_1.0.0_windows_amd64.msi")
	p.MustRun(3*time.Minute, "msiexec", "/i", msi, "/qn")
	served("msi", `C:\Program Files\Acme\Placed Hello`)
	p.MustRun(3*time.Minute, "msiexec", "/x", msi, "/qn")

}
