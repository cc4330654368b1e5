package release

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/pe"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/internal/winetest"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
)

// helloProject loads a config for the repository's example service, built
// for the given targets into a temporary dist.
func helloProject(t *testing.T, yaml string, targets ...string) *config.Spec {
	t.Helper()
	return helloProjectEnv(t, yaml, nil, targets...)
}

// helloProjectEnv is helloProject with extra environment variables.
func helloProjectEnv(t *testing.T, yaml string, extra map[string]string, targets ...string) *config.Spec {
	t.Helper()
	c, err := helloLoad(t, yaml, extra)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	c.Dir, c.Main = root, "./examples/hello"
	c.Targets = mustTargets(t, targets...)
	return c
}

// helloLoad writes yaml beside a copy of the example service's files and
// loads it, as check does.
func helloLoad(t *testing.T, yaml string, extra map[string]string) (*config.Spec, error) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "svcpack.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	// The config lives in a temp dir but builds the example in this module.
	if err := os.MkdirAll(filepath.Join(dir, "examples/hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"examples/hello/main.go", "examples/hello/config.yaml", "examples/hello/hello.png", "LICENSE"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	requireCheckout(t, dir, root)
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "SVCPACK_VERSION": "1.4.2"}
	for k, v := range extra {
		env[k] = v
	}
	return Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string { return env[k] }})
}

// requireCheckout makes dir a module that requires svcpack as the checkout at
// root (with its go.sum), so that the go command resolves a copied example's
// imports there as it would in a project of a user: Load reads them to
// decide the service contract.
func requireCheckout(t *testing.T, dir, root string) {
	t.Helper()
	gomod := mustRead(t, filepath.Join(root, "go.mod"))
	sys := regexp.MustCompile(`(?m)^\s*golang\.org/x/sys (\S+)`).FindSubmatch(gomod)
	if sys == nil {
		t.Fatal("go.mod requires no golang.org/x/sys")
	}
	mod := "module example.com/copy\n\ngo 1.26.0\n\nrequire github.com/svcpack/svcpack v0.0.0\n\nrequire golang.org/x/sys " + string(sys[1]) + " // indirect\n\nreplace github.com/svcpack/svcpack => " + root + "\n"
	for name, data := range map[string][]byte{"go.mod": []byte(mod), "go.sum": mustRead(t, filepath.Join(root, "go.sum"))} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const helloYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
license: MIT
formats: [zip]
service:
  display_name: Hello & Co Service
  description: Says hello ^ over HTTP
  args: [run, -addr, "127.0.0.1:%d"]
  account: LocalService
  env: {PORT: "%d", GREETING: "Hi & bye"}
  restart: {delay: 7s, reset_after: 1h}
files:
  - {src: examples/hello/config.yaml, dst: config.yaml, config: true}
`

func TestZipContentsAndReproducible(t *testing.T) {
	c := helloProject(t, fmt.Sprintf(helloYAML, 8080, 8080), "windows/amd64", "windows/arm64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	zips := map[string]string{}
	for _, a := range res.Artifacts {
		if a.Kind == packager.KindZip {
			zips[a.Path] = a.SHA256
		}
	}
	want := []string{"hello_1.4.2_windows_amd64.zip", "hello_1.4.2_windows_arm64.zip"}
	var got []string
	for p := range zips {
		got = append(got, p)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("zips %v, want %v", got, want)
	}
	path := filepath.Join(res.Dist, want[0])
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if g := strings.Join(names, " "); g != "LICENSE README.txt config.yaml hello.exe install-service.cmd uninstall-service.cmd" {
		t.Errorf("zip entries: %s", g)
	}
	exe, err := pe.Open(filepath.Join(res.Dist, "hello_windows_amd64", "hello.exe"))
	if err != nil {
		t.Fatal(err)
	}
	if exe.Section(".rsrc") == nil {
		t.Error("released exe has no .rsrc section: resources were not patched in")
	}
	exe.Close()
	unzip := testtool.Need(t, "unzip", "unzip")
	if out, err := exec.Command(unzip, "-t", path).CombinedOutput(); err != nil {
		t.Fatalf("unzip -t: %v\n%s", err, out)
	}
	// A second clean release gives the same bytes.
	if err := os.RemoveAll(res.Dist); err != nil {
		t.Fatal(err)
	}
	res2, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res2.Artifacts {
		if a.Kind == packager.KindZip && zips[a.Path] != a.SHA256 {
			t.Errorf("%s differs between two releases", a.Path)
		}
	}
}

// TestZipInstallsInWine unpacks the released zip under Program Files in a
// folder with spaces and runs its scripts as an admin would.
func TestZipInstallsInWine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	port := testtool.FreePort(t)
	c := helloProject(t, fmt.Sprintf(helloYAML, port, port), "windows/amd64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := p.HostPath(`C:\Program Files\Acme Hello 1.4`)
	unpack(t, filepath.Join(res.Dist, "hello_1.4.2_windows_amd64.zip"), dir)

	out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "install-service.cmd")
	if err != nil || !strings.Contains(out, "RUNNING") {
		t.Fatalf("install: %v\n%s", err, out)
	}
	p.WaitServiceState("hello", "RUNNING", 30*time.Second)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if body := winetest.WaitHTTP(t, url+"/", 30*time.Second); !strings.Contains(body, "hello 1.4.2") {
		t.Errorf("GET / = %q", body)
	}
	reg := p.MustRun(time.Minute, "reg", "query", `HKLM\System\CurrentControlSet\Services\hello`)
	for _, want := range []string{
		fmt.Sprintf(`ImagePath    REG_SZ    "C:\Program Files\Acme Hello 1.4\hello.exe" run -addr 127.0.0.1:%d`, port),
		`DisplayName    REG_SZ    Hello & Co Service`, `Start    REG_DWORD    0x2`,
		`ObjectName    REG_SZ    NT AUTHORITY\LocalService`, `Description    REG_SZ    Says hello ^ over HTTP`,
		fmt.Sprintf(`Environment    REG_MULTI_SZ    GREETING=Hi & bye\0PORT=%d`, port),
	} {
		if !strings.Contains(reg, want) {
			t.Errorf("registry lacks %q:\n%s", want, reg)
		}
	}
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "install-service.cmd"); err != nil {
		t.Fatalf("second install: %v\n%s", err, out)
	}
	winetest.WaitHTTP(t, url+"/healthz", 30*time.Second)
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd"); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	if _, err := winetest.PollHTTP(url+"/healthz", 3*time.Second); err == nil {
		t.Error("port still answers after uninstall")
	}
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd"); err != nil {
		t.Fatalf("second uninstall: %v\n%s", err, out)
	}
}

// installFromZip unpacks the zip into the Windows folder winDir of p and
// runs its install-service.cmd there, which must report RUNNING; it returns
// the host folder.
func installFromZip(t *testing.T, p *winetest.Prefix, zipPath, winDir string) string {
	t.Helper()
	dir := p.HostPath(winDir)
	unpack(t, zipPath, dir)
	if out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "install-service.cmd"); err != nil || !strings.Contains(out, "RUNNING") {
		t.Fatalf("install-service.cmd: %v\n%s", err, out)
	}
	return dir
}

// uninstallFromZip runs uninstall-service.cmd in the host folder dir and
// returns what it printed.
func uninstallFromZip(t *testing.T, p *winetest.Prefix, dir string) string {
	t.Helper()
	out, err := p.RunIn(dir, 3*time.Minute, "cmd", "/c", "uninstall-service.cmd")
	if err != nil {
		t.Fatalf("uninstall-service.cmd: %v\n%s", err, out)
	}
	return out
}

func unpack(t *testing.T, zipPath, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			os.MkdirAll(dst, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		io.Copy(&b, rc)
		rc.Close()
		if err := os.WriteFile(dst, b.Bytes(), f.Mode().Perm()|0o200); err != nil {
			t.Fatal(err)
		}
	}
}
