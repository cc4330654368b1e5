package linuxpkg_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/format/linuxpkg"
	"github.com/svcpack/svcpack/pkg/packager"
)

// load loads a Linux-only config named name with the deb and rpm formats'
// checks alone.
func load(t *testing.T, name string) *config.Spec {
	t.Helper()
	dir := t.TempDir()
	yaml := "name: " + name + "\nmain: ./cmd/svc\nversion: 1.2.3\ntargets: [linux/amd64]\nmaintainer: Acme Ops <ops@example.com>\n"
	os.MkdirAll(filepath.Join(dir, "cmd/svc"), 0o755)
	os.WriteFile(filepath.Join(dir, "cmd/svc/main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	path := filepath.Join(dir, config.FileName)
	os.WriteFile(path, []byte(yaml), 0o644)
	var formats []config.Format
	for _, pk := range []*packager.Packager{linuxpkg.Deb(), linuxpkg.RPM()} {
		formats = append(formats, config.Format{Name: pk.Name, Default: true,
			Check: func(s *config.Spec, p *config.Problems) { pk.Check(s, s.Targets, p) }})
	}
	s, err := config.Load(path, config.Env{TargetsChecked: true}, formats)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDebianNameWarns: a package named like one of Debian's is released,
// with one warning (the deb's and rpm's are one) naming both fixes; another
// name warns of nothing.
func TestDebianNameWarns(t *testing.T) {
	s := load(t, "nginx")
	if len(s.Warnings) != 1 {
		t.Fatalf("warnings %q, want one", s.Warnings)
	}
	for _, want := range []string{
		`svcpack.yaml:1: name: warning: "nginx" is also the name of a package of Debian GNU/Linux 12 (bookworm)`,
		"apt-get upgrade replaces your deb with Debian's",
		"the name field sets it, and the program's: nginx-server or acme-nginx",
		`/etc/apt/preferences.d/nginx: "Package: nginx", "Pin: release o=<apt.origin>", "Pin-Priority: 990"`,
	} {
		if !strings.Contains(s.Warnings[0], want) {
			t.Errorf("the warning does not say %q:\n%s", want, s.Warnings[0])
		}
	}
	if s := load(t, "hello-svc-xyz"); len(s.Warnings) != 0 {
		t.Errorf("hello-svc-xyz: warnings %q, want none", s.Warnings)
	}
}
