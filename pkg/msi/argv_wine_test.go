package msi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/winetest"
)

// TestWineMSICarriesArgsExactly installs a service that records its argv
// (internal/cmd/argvsvc) from an MSI whose arguments are hostile to the
// command line (trailing backslashes before another argument, quotes,
// empty ones) and to Formatted text ([ProductName], {x}), plus one naming
// the install folder: Windows Installer formats the arguments and the
// service manager hands them to the program, whose C runtime splits them;
// what the program got must be exactly what was configured.
func TestWineMSICarriesArgsExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Wine")
	}
	p := winetest.New(t)
	exe := filepath.Join(t.TempDir(), "argvsvc.exe")
	winetest.BuildExe(t, exe, "../../internal/cmd/argvsvc")
	args := []string{"plain", "a b", `a b\`, `C:\path with space\`, `x"y`, `"`, `\\"`, `\\`, "",
		`--flag="v 1"`, `\\server\share\`, `a\\b`, "[ProductName]", "[%PATH]", "{x} [~] [\\[]", "next",
		"-config", InstallDirMark + `conf\app.yaml`}
	pkg := buildPackage(t, Package{
		Product: Product{
			Name: "Argv Service", Manufacturer: "Acme Corp", Version: "1.0.0", FullVersion: "1.0.0",
			UpgradeCode: "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d", Arch: "amd64", InstallDir: `Acme\Argv (x86) & Co`,
		},
		Files: []File{{Name: "argvsvc.exe", Src: exe}},
		Service: &Service{
			Name: "argvsvc", DisplayName: "Argv [ProductName]", Description: "records {its} [argv]",
			Args: args, Start: "auto", Account: "LocalSystem",
			Settings: []Setting{{Property: "SERVICE_ARGS"}},
		},
		Date: time.Unix(1700000000, 0),
	})
	mustMsiexec(t, p, "/i", pkg)
	defer msiexec(t, p, "/x", pkg)
	const dir = `C:\Program Files\Acme\Argv (x86) & Co`
	p.WaitServiceState("argvsvc", "RUNNING", time.Minute)
	data, err := os.ReadFile(p.HostPath(dir + `\argv.json`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Args []string }
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), args...)
	want[len(want)-1] = dir + `\conf\app.yaml`
	if len(got.Args) != len(want) {
		t.Errorf("the program got %d arguments, want %d:\n%q\nwant\n%q", len(got.Args), len(want), got.Args, want)
	}
	for i := range min(len(got.Args), len(want)) {
		if got.Args[i] != want[i] {
			t.Errorf("argument %d: got %q, want %q", i, got.Args[i], want[i])
		}
	}
	if v := regValue(t, p, `HKLM\System\CurrentControlSet\Services\argvsvc`, "DisplayName"); v != "Argv [ProductName]" {
		t.Errorf("DisplayName %q: formatted by Windows Installer", v)
	}
}
