package winetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGoProgramRuns proves the prefix runs a modern Go program that needs
// ProcessPrng (crypto/rand), which fails on bare Wine 8.0.
func TestGoProgramRuns(t *testing.T) {
	p := New(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	prog := "package main\n\nimport (\n\t\"crypto/rand\"\n\t\"fmt\"\n)\n\nfunc main() {\n\tb := make([]byte, 16)\n\tif _, err := rand.Read(b); err != nil {\n\t\tpanic(err)\n\t}\n\tfmt.Println(\"random ok\", len(b))\n}\n"
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "rnd.exe")
	BuildExe(t, exe, src)
	out := p.MustRun(time.Minute, exe)
	if !strings.Contains(out, "random ok 16") {
		t.Fatalf("unexpected output: %q", out)
	}
	if got := p.HostPath(`C:\windows\system32\bcryptprimitives.dll`); !fileExists(got) {
		t.Fatalf("shim not installed at %s", got)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
