package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/release"
)

func runIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInitThenCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runIn(t, dir, "init", "-name", "demo", "-vendor", "Demo & Co", "-maintainer", "Demo Ops <ops@example.com>")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "upgrade code") {
		t.Errorf("init output %q", out)
	}
	c, err := release.Load(filepath.Join(dir, config.FileName), config.Env{})
	if err != nil {
		t.Fatalf("config written by init does not load: %v", err)
	}
	if c.Name != "demo" || c.Main != "." || len(c.Windows.MSI.UpgradeCode) != 36 {
		t.Errorf("init wrote %+v", c)
	}
	code, out, errs = runIn(t, dir, "check")
	if code != 0 || !strings.Contains(out, "ok: demo") {
		t.Fatalf("check: exit %d: %s %s", code, out, errs)
	}
	// A second init must not overwrite.
	if code, _, errs = runIn(t, dir, "init"); code == 0 || !strings.Contains(errs, "already exists") {
		t.Fatalf("second init: exit %d: %s", code, errs)
	}
	// Two inits elsewhere give different upgrade codes.
	a, _ := newGUID()
	b, _ := newGUID()
	if a == b {
		t.Fatal("newGUID repeated itself")
	}
}

// TestBadConfigLeavesDistAlone runs release on broken configs and checks the
// exit code, the message, and that dist/ gains nothing.
func TestBadConfigLeavesDistAlone(t *testing.T) {
	base := "name: demo\nmain: .\ntargets: [linux/amd64]\nwindows: {msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}}\n"
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown target", "linux/amd64", "linux/amd65", "targets[0]"},
		{"duplicate target", "[linux/amd64]", "[linux/amd64, linux/amd64]", "duplicates targets[0]"},
		{"service name", "name: demo\n", "name: demo\nservice: {name: \"my service\"}\n", "service.name"},
		{"version", "name: demo\n", "name: demo\nversion: one\n", "not a semantic version"},
		{"main", "main: .", "main: ./nope", `"./nope" does not exist`},
		{"icon", "windows: {", "windows: {icon: x.png, ", `"x.png" does not exist`},
		{"upgrade code", "6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D", "6B2A1E7C", "is not a GUID"},
		{"wrong kind", "6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D", "{x: 1}", "windows.msi.upgrade_code: got a mapping"},
		{"unknown key", "main: .\n", "main: .\nmian: x\n", `svcpack.yaml:3: unknown key "mian"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\nfunc main() {}\n"), 0o644)
			os.WriteFile(filepath.Join(dir, config.FileName), []byte(strings.Replace(base, tc.from, tc.to, 1)), 0o644)
			os.MkdirAll(filepath.Join(dir, "dist"), 0o755)
			os.WriteFile(filepath.Join(dir, "dist", "keep.txt"), []byte("x"), 0o644)
			code, _, errs := runIn(t, dir, "release")
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q does not contain %q", errs, tc.want)
			}
			entries, _ := os.ReadDir(filepath.Join(dir, "dist"))
			if len(entries) != 1 || entries[0].Name() != "keep.txt" {
				t.Errorf("dist/ changed: %v", entries)
			}
			all, _ := os.ReadDir(dir)
			for _, e := range all {
				if strings.HasPrefix(e.Name(), ".dist") {
					t.Errorf("leftover %s", e.Name())
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := runIn(t, dir); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if code, _, errs := runIn(t, dir, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: exit %d %q", code, errs)
	}
	if code, _, _ := runIn(t, dir, "build", "-target", "linux"); code != 2 {
		t.Errorf("bad -target: exit %d, want 2", code)
	}
}
