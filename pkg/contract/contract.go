// Package contract finds out which service contract a Go program speaks
// from the packages it imports, as the go command lists them for one target
// (`go list -deps`): whether it talks to the Windows Service Control Manager
// itself, and whether it tells systemd it is ready (sd_notify). svcpack wraps
// a Windows program that does not speak to the SCM, and writes Type=notify
// only for a program that sends READY=1.
//
// The answer is read from imports, not from calls: a program that imports a
// service library but never runs as a service is taken to speak it, which is
// why every decision can be forced in svcpack.yaml. Module-level build
// information (debug/buildinfo) would not do: it names modules, and nearly
// every Windows program links golang.org/x/sys, whose windows/svc package is
// what matters.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// SCMPackage is the package through which Go programs speak to the Windows
// Service Control Manager (svc.Run); kardianos/service, svcpack's service
// package and the other Go service libraries all import it.
const SCMPackage = "golang.org/x/sys/windows/svc"

// NotifyPackages are packages that send sd_notify(3) messages to systemd.
var NotifyPackages = []string{
	"github.com/svcpack/svcpack/service",
	"github.com/coreos/go-systemd/v22/daemon",
	"github.com/coreos/go-systemd/daemon",
	"github.com/okzk/sdnotify",
	"github.com/iguanesolutions/go-systemd/v5/notify",
	"github.com/mdlayher/sdnotify",
	"github.com/ssgreg/go-sdnotify",
}

// Graph is a program's import graph for one target: each package's import
// path and the import paths it imports, in `go list -deps` order (a package
// after everything it imports; the main package last).
type Graph []Package

// Package is one node of a Graph.
type Package struct {
	ImportPath string
	Imports    []string
}

// Evidence is why a program is taken to speak a contract: Package, imported
// by Importer. The zero value means no evidence was found.
type Evidence struct {
	// Package is the contract's package (SCMPackage, or one of NotifyPackages).
	Package string
	// Importer is the package that imports it; for the SCM, the first
	// importer outside golang.org/x/sys (kardianos/service, the program...).
	Importer string
}

// Found reports whether there is evidence.
func (e Evidence) Found() bool { return e.Package != "" }

// String is "<importer> imports <package>", or "" without evidence.
func (e Evidence) String() string {
	if !e.Found() {
		return ""
	}
	return e.Importer + " imports " + e.Package
}

// SCM reports whether the program speaks to the Windows SCM: some package
// outside golang.org/x/sys imports SCMPackage, or the program itself (the
// graph's last package, as go list -deps orders it) does, wherever it
// lives: x/sys's own example service is one. (x/sys's service manager
// package, windows/svc/mgr, imports it too, but managing services is not
// being one.)
func (g Graph) SCM() Evidence {
	for i, p := range g {
		if strings.HasPrefix(p.ImportPath, "golang.org/x/sys/") && i < len(g)-1 {
			continue
		}
		if slices.Contains(p.Imports, SCMPackage) {
			return Evidence{Package: SCMPackage, Importer: p.ImportPath}
		}
	}
	return Evidence{}
}

// Notify reports whether the program sends sd_notify messages: it imports
// one of NotifyPackages. The importer named is the first package, in
// dependency order, that imports one from outside the notify packages.
func (g Graph) Notify() Evidence {
	for _, p := range g {
		if slices.Contains(NotifyPackages, p.ImportPath) {
			continue
		}
		for _, imp := range p.Imports {
			if slices.Contains(NotifyPackages, imp) {
				return Evidence{Package: imp, Importer: p.ImportPath}
			}
		}
	}
	return Evidence{}
}

// Lister runs `go list -deps` for one target.
type Lister struct {
	// GoTool is the go command; default "go".
	GoTool string
	// Dir is the directory the go command runs in (the module of the
	// program).
	Dir string
	// Env is the go command's environment, with the target's GOOS, GOARCH
	// and CGO_ENABLED as the build sets them.
	Env []string
	// Tags are the build tags of the build.
	Tags []string
}

// List returns the import graph of the main package pkg (a go command
// package argument such as "." or "./cmd/app").
func (l Lister) List(ctx context.Context, pkg string) (Graph, error) {
	tool := l.GoTool
	if tool == "" {
		tool = "go"
	}
	args := []string{"list", "-deps", "-json=ImportPath,Imports,Name,Error,DepsErrors"}
	if len(l.Tags) > 0 {
		args = append(args, "-tags", strings.Join(l.Tags, ","))
	}
	args = append(args, "--", pkg)
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Dir, cmd.Env = l.Dir, l.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", tool, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var g Graph
	dec := json.NewDecoder(&stdout)
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Name       string
			Error      *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s list: reading its output: %w", tool, err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("%s list: %s: %s", tool, p.ImportPath, p.Error.Err)
		}
		g = append(g, Package{ImportPath: p.ImportPath, Imports: p.Imports})
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("%s list %s: no packages", tool, pkg)
	}
	return g, nil
}
