package contract

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestTestPrograms lists the imports of the test programs built on real
// libraries (testdata/programs, each a module of its own, fetched through
// the module proxy) as the go command sees them for each platform, and
// checks what each is taken to speak, and why.
func TestTestPrograms(t *testing.T) {
	for _, tc := range []struct {
		program, goos string
		scm, notify   Evidence
	}{
		{"netsvc", "windows", Evidence{}, Evidence{}},
		{"netsvc", "linux", Evidence{}, Evidence{}},
		{"sdnotifysvc", "windows", Evidence{}, Evidence{"github.com/coreos/go-systemd/v22/daemon", "example.com/sdnotifysvc"}},
		{"sdnotifysvc", "linux", Evidence{}, Evidence{"github.com/coreos/go-systemd/v22/daemon", "example.com/sdnotifysvc"}},
		{"kardianossvc", "windows", Evidence{SCMPackage, "github.com/kardianos/service"}, Evidence{}},
		{"kardianossvc", "linux", Evidence{}, Evidence{}},
	} {
		t.Run(tc.program+"/"+tc.goos, func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join("../../testdata/programs", tc.program))
			if err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(), "GOOS="+tc.goos, "GOARCH=amd64", "CGO_ENABLED=0")
			g, err := Lister{Dir: dir, Env: env}.List(context.Background(), ".")
			if err != nil {
				t.Fatal(err)
			}
			if got := g.SCM(); got != tc.scm {
				t.Errorf("SCM: %+v, want %+v", got, tc.scm)
			}
			if got := g.Notify(); got != tc.notify {
				t.Errorf("Notify: %+v, want %+v", got, tc.notify)
			}
		})
	}
}

func TestGraph(t *testing.T) {
	for _, tc := range []struct {
		name        string
		g           Graph
		scm, notify string
	}{
		{"nothing", Graph{{"fmt", nil}, {"example.com/app", []string{"fmt"}}}, "", ""},
		{"svc directly", Graph{{SCMPackage, nil}, {"example.com/app", []string{SCMPackage}}}, "example.com/app imports " + SCMPackage, ""},
		// Managing services (svc/mgr) is not being one.
		{"mgr only", Graph{{SCMPackage, nil}, {"golang.org/x/sys/windows/svc/mgr", []string{SCMPackage}}, {"example.com/app", []string{"golang.org/x/sys/windows/svc/mgr"}}}, "", ""},
		// A program of x/sys itself that runs as a service (found by the
		// trial on golang.org/x/sys/windows/svc/example).
		{"x/sys's example service", Graph{{SCMPackage, nil}, {"golang.org/x/sys/windows/svc/mgr", []string{SCMPackage}},
			{"golang.org/x/sys/windows/svc/example", []string{SCMPackage, "golang.org/x/sys/windows/svc/mgr"}}},
			"golang.org/x/sys/windows/svc/example imports " + SCMPackage, ""},
		{"svcpack service", Graph{
			{SCMPackage, nil},
			{"github.com/svcpack/svcpack/service", []string{SCMPackage}},
			{"example.com/app", []string{"github.com/svcpack/svcpack/service"}},
		}, "github.com/svcpack/svcpack/service imports " + SCMPackage, "example.com/app imports github.com/svcpack/svcpack/service"},
		{"a library that notifies", Graph{
			{"github.com/coreos/go-systemd/v22/daemon", nil},
			{"example.com/lib", []string{"github.com/coreos/go-systemd/v22/daemon"}},
			{"example.com/app", []string{"example.com/lib"}},
		}, "", "example.com/lib imports github.com/coreos/go-systemd/v22/daemon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.g.SCM().String(); got != tc.scm {
				t.Errorf("SCM: %q, want %q", got, tc.scm)
			}
			if got := tc.g.Notify().String(); got != tc.notify {
				t.Errorf("Notify: %q, want %q", got, tc.notify)
			}
		})
	}
}

func TestListError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/broken\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"example.com/nowhere\"\n\nfunc main() { nowhere.X() }\n"), 0o644)
	if _, err := (Lister{Dir: dir, Env: append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")}).List(context.Background(), "."); err == nil {
		t.Fatal("no error for a program whose import cannot be found")
	}
}
