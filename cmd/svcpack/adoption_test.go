package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestToolsModuleLeavesTheAppAlone follows the README's way of using
// svcpack without adding it to the app's own module: a tools module in
// tools/ (`go -C tools tool svcpack ...`; svcpack is this checkout through a
// replace directive, as a released version would be through the module
// proxy). check and release must leave the app's go.mod and go.sum as they
// were, and the shipped binary must carry the app's own golang.org/x/sys,
// not svcpack's newer one. The wrapper's source is found through the
// running svcpack's build information.
func TestToolsModuleLeavesTheAppAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds svcpack in a tools module and releases an app")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	gomod := "module example.com/app\n\ngo 1.23.0\n\nrequire golang.org/x/sys v0.34.0\n" // x/sys v0.34.0 needs go 1.23
	files := map[string]string{
		"go.mod":  gomod,
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/sys/cpu\"\n)\n\nfunc main() { fmt.Println(cpu.CacheLinePad{}) }\n",
		"svcpack.yaml": "name: app\nmain: .\nversion: 1.0.0\ntargets: [linux/amd64, windows/amd64]\nformats: [zip, tar.gz]\n" +
			"vendor: Acme\nmaintainer: Acme <ops@example.com>\n",
		"tools/go.mod": "module example.com/app/tools\n\ngo 1.26\n\ntool github.com/svcpack/svcpack/cmd/svcpack\n\nrequire github.com/svcpack/svcpack v0.0.0\n\nreplace github.com/svcpack/svcpack => " + root + "\n",
	}
	for name, data := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(app, name)), 0o755)
		if err := os.WriteFile(filepath.Join(app, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goIn := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
		}
		return string(out)
	}
	goIn(app, "mod", "tidy")
	goIn(filepath.Join(app, "tools"), "mod", "tidy")
	before := map[string]string{"go.mod": mustReadFile(t, filepath.Join(app, "go.mod")), "go.sum": mustReadFile(t, filepath.Join(app, "go.sum"))}

	out := goIn(app, "-C", "tools", "tool", "svcpack", "check", "-config", "../svcpack.yaml")
	if !strings.Contains(out, "ok: app 1.0.0") || !strings.Contains(out, "windows: wrapped") {
		t.Errorf("check:\n%s", out)
	}
	goIn(app, "-C", "tools", "tool", "svcpack", "release", "-q", "-config", "../svcpack.yaml")
	for name, want := range before {
		if got := mustReadFile(t, filepath.Join(app, name)); got != want {
			t.Errorf("the app's %s changed:\n%s\nwas:\n%s", name, got, want)
		}
	}
	if !strings.HasPrefix(before["go.mod"], gomod[:len("module example.com/app\n\ngo 1.23.0\n")]) {
		t.Errorf("the app's go line is not its own:\n%s", before["go.mod"])
	}
	info := goIn(app, "version", "-m", filepath.Join(app, "dist", "app_linux_amd64", "app"))
	if !strings.Contains(info, "golang.org/x/sys\tv0.34.0") || strings.Contains(info, "svcpack") {
		t.Errorf("the shipped binary's modules:\n%s", info)
	}
	if _, err := os.Stat(filepath.Join(app, "dist", "app_windows_amd64", "svcwrap.exe")); err != nil {
		t.Errorf("no wrapper in the release: %v", err)
	}
}
