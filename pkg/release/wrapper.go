package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/matrix"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// svcpackModule is the module that holds the wrapper's source.
const svcpackModule = "github.com/svcpack/svcpack"

// wrapperPackage is the wrapper's main package inside svcpackModule.
const wrapperPackage = "./cmd/svcwrap"

// wrapperSource finds a directory holding svcpack's module source, from
// which the wrapper is built:
//
//  1. the project's own module graph: `go list -m github.com/svcpack/svcpack`
//     in the project directory answers when the project is svcpack or
//     requires it (a magefile importing pkg/magetargets does), downloading
//     the module when it is not in the module cache yet;
//  2. the running binary's build information, for
//     `go run github.com/svcpack/svcpack/cmd/svcpack@<version>`: that
//     version is downloaded with `go mod download`;
//  3. for a svcpack built from a checkout without -trimpath (`go run
//     ./cmd/svcpack` there, or its tests), that checkout: checkout is the
//     directory this file was compiled from ("" when unknown).
//
// buildInfo is debug.ReadBuildInfo and checkout is checkoutDir() in
// production.
func wrapperSource(ctx context.Context, goTool, dir string, buildInfo func() (*debug.BuildInfo, bool), checkout string) (string, error) {
	if goTool == "" {
		goTool = "go"
	}
	var tried []string
	out, err := goOutput(ctx, goTool, dir, "list", "-m", "-f", "{{.Dir}}\t{{.Version}}", svcpackModule)
	if err == nil {
		d, v, _ := strings.Cut(strings.TrimSpace(out), "\t")
		switch {
		case d != "" && hasWrapper(d):
			return d, nil
		case d != "":
			tried = append(tried, fmt.Sprintf("the project's %s (%s) has no %s", svcpackModule, d, wrapperPackage))
		case v != "":
			d, err := downloadModule(ctx, goTool, dir, v)
			if err == nil && hasWrapper(d) {
				return d, nil
			}
			tried = append(tried, fmt.Sprintf("downloading %s@%s required by the project: %v", svcpackModule, v, errOr(err, "no "+wrapperPackage)))
		}
	} else {
		tried = append(tried, fmt.Sprintf("the project in %s does not require %s (%v)", dir, svcpackModule, firstLine(err.Error())))
	}
	if bi, ok := buildInfo(); ok {
		v := ""
		// svcpack is the main module of `go run .../cmd/svcpack@v` and of
		// `go tool svcpack` in a tools module, a dependency of a magefile.
		for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
			if m.Path == svcpackModule {
				v = m.Version
				if r := m.Replace; r != nil && (r.Version == "" || r.Version == "(devel)") && filepath.IsAbs(r.Path) && hasWrapper(r.Path) {
					return m.Replace.Path, nil
				}
			}
		}
		switch {
		case (v == "" || v == "(devel)") && checkout != "" && hasWrapper(checkout):
			return checkout, nil
		case v == "" || v == "(devel)":
			tried = append(tried, "this svcpack binary carries no module version (it was built from a checkout)")
		default:
			d, err := downloadModule(ctx, goTool, dir, v)
			if err == nil && hasWrapper(d) {
				return d, nil
			}
			tried = append(tried, fmt.Sprintf("downloading %s@%s (this svcpack's version): %v", svcpackModule, v, errOr(err, "no "+wrapperPackage)))
		}
	}
	return "", fmt.Errorf("cannot find the source of svcpack's service wrapper (%s/cmd/svcwrap), which service.wrap needs: %s; "+
		"fix: `go get %s@<version>` in the project (the Mage import does this), or run svcpack as `go run %s/cmd/svcpack@<version>`",
		svcpackModule, strings.Join(tried, "; "), svcpackModule, svcpackModule)
}

func errOr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// checkoutDir is the root of the svcpack source this binary was compiled
// from, when it was built without -trimpath (file names are then absolute),
// else "".
func checkoutDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(file))) // <root>/pkg/release/wrapper.go
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module "+svcpackModule+"\n")) {
		return ""
	}
	return root
}

func hasWrapper(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(wrapperPackage), "main.go"))
	return err == nil
}

// downloadModule fetches svcpack at version into the module cache and
// returns its directory.
func downloadModule(ctx context.Context, goTool, dir, version string) (string, error) {
	out, err := goOutput(ctx, goTool, dir, "mod", "download", "-json", svcpackModule+"@"+version)
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal([]byte(out), &m); jerr == nil && m.Error != "" {
		return "", errors.New(m.Error)
	}
	if err != nil {
		return "", err
	}
	if m.Dir == "" {
		return "", fmt.Errorf("go mod download named no directory")
	}
	return m.Dir, nil
}

// goOutput runs the go command in dir and returns its standard output.
func goOutput(ctx context.Context, goTool, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", goTool, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// debugBuildInfo is debug.ReadBuildInfo (a variable of the plan would be
// the only reason to pass it around; tests call wrapperSource directly).
func debugBuildInfo() (*debug.BuildInfo, bool) { return debug.ReadBuildInfo() }

// buildWrapper runs go build for the wrapper of target t, in svcpack's own
// module (its go.mod and go.sum, no workspace, no changes), with the
// matrix's reproducible flags, into the cache. It carries no version control
// stamps: its source is svcpack's module, and a checkout of svcpack (tests,
// `go run ./cmd/svcpack`) would put that checkout's commit and state into
// every release's wrapper.
func (p *Plan) buildWrapper(ctx context.Context, t platform.Target) error {
	name := strings.TrimSuffix(config.WrapperExe, ".exe")
	mo := matrix.Options{
		Dir: p.wrapSrc, Main: wrapperPackage, Name: name, OutDir: p.rawDir("wrap"), Ldflags: []string{"-s", "-w"},
		NoVCS: true, GoTool: p.goTool, Env: append(matrix.Env(os.Environ(), t, "GOWORK", "GOFLAGS"), "GOWORK=off", "GOFLAGS=-mod=readonly"),
	}
	r, err := p.goBuild(ctx, t, packager.KindRawWrapper, mo)
	if err != nil {
		return &StepError{Step: "svcwrap", Target: t.String(), Err: fmt.Errorf("building the service wrapper from %s: %w", p.wrapSrc, err)}
	}
	p.rep.step("build", t.String()+" svcwrap", r.Duration)
	return nil
}
